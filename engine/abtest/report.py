"""Assemble a report for one experiment and metric from the sufficient statistics.

Primary read-outs: rate with Wilson interval per variant; the comparisons of ``compare``
(difference, lift, tests, Bayesian chance to beat control); Holm and BH across variants; SRM
against the planned weights, overall and per segment; an always-valid interval and a warning
when the test is read before the size it needs; segments and the send-time heatmap.

Control is the arm named ``control``, ``ctrl``, ``A``, ``a`` or ``baseline`` (the first of
these present), otherwise the alphabetically first arm. Messages with events but no ``sent``
event (orphans, e.g. a click whose send record is missing) are counted per arm in
``orphans`` and left out of every rate; an arm with only orphans is left out altogether.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import duckdb

from engine.abtest import bayes, design, proportions, scorecard
from engine.abtest.compare import (
    MIN_PER_ARM,
    SMALL_CELL,
    Comparison,
    compare_means,
    compare_proportions,
)
from engine.abtest.cuped import cuped
from engine.abtest.decision import decide, sentence
from engine.abtest.design import CONTROL_NAMES, pick_control
from engine.abtest.queries import Counts, GroupRow, sufficient_stats
from engine.abtest.scorecard import Margin, Scorecard
from engine.abtest.segments import (
    DOW,
    HEATMAP_MIN_EVENTS,
    HEATMAP_MIN_SENT,
    HeatCell,
    SegmentRow,
    SegmentSrm,
    heatmap,
    rate,
    segment_rows,
    segment_srm,
)
from engine.abtest.store import StoreError, planned_weights

__all__ = [
    "CONTROL_NAMES",
    "DOW",
    "HEATMAP_MIN_EVENTS",
    "HEATMAP_MIN_SENT",
    "METRICS",
    "SMALL_CELL",
    "Comparison",
    "HeatCell",
    "Report",
    "SegmentRow",
    "SegmentSrm",
    "VariantRow",
    "build_report",
    "compare_means",
    "compare_proportions",
    "pick_control",
    "report",
]  # fmt: skip

METRICS = ("click", "conversion", "delivery", "revenue")
PLANNED_LIFT = 0.10  # the relative lift a test should be able to see (GrowthBook default MDE)


@dataclass(frozen=True)
class VariantRow:
    variant: str
    sent: int
    delivered: int
    failed: int
    clicked: int
    converted: int
    revenue_fen: int
    rate: float
    rate_ci: tuple[float, float]
    rates: dict[str, float]


@dataclass(frozen=True)
class Report:
    experiment: str
    metric: str
    control: str
    alpha: float
    srm: dict[str, Any]
    variants: list[VariantRow]
    comparisons: list[Comparison]
    power: dict[str, Any]
    segments: list[SegmentRow]
    heatmap: list[HeatCell]
    best_hours: list[dict[str, Any]]
    warnings: list[str]
    orphans: dict[str, Any]
    weights: dict[str, float] | None = None
    segment_srm: list[SegmentSrm] | None = None
    prior: dict[str, Any] = field(default_factory=dict)
    scorecard: Scorecard | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (the API's and --json's schema)."""
        data: dict[str, Any] = _clean(asdict(self))
        return data


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _orphans(all_arms: dict[str, Counts], warnings: list[str]) -> dict[str, Any]:
    by_variant = {n: c.orphans for n, c in sorted(all_arms.items()) if c.orphans}
    total = sum(by_variant.values())
    if total:
        per = ", ".join(f"{n}: {k}" for n, k in by_variant.items())
        warnings.append(
            f"{total} message(s) have events but no 'sent' event ({per}); left out of every rate"
        )
    for n, c in sorted(all_arms.items()):
        if c.sent == 0:
            warnings.append(f"variant {n!r} has events but no sends; left out of the report")
    return {"total": total, "by_variant": by_variant}


def _planned(
    order: list[str], weights: dict[str, float] | None, warnings: list[str]
) -> list[float] | None:
    """The planned weight of each arm in order, or None for an equal split."""
    if not weights:
        return None
    missing = [n for n in order if n not in weights]
    extra = sorted(n for n in weights if n not in order)
    if missing:
        warnings.append(
            f"the planned weights name no weight for {', '.join(map(repr, missing))}; "
            "the split is checked against an equal split instead"
        )
        return None
    if extra:
        warnings.append(
            f"the planned weights name {', '.join(map(repr, extra))}, which had no sends"
        )
    return [weights[n] for n in order]


def _srm(
    arms: dict[str, Counts], order: list[str], weights: dict[str, float] | None,
    warnings: list[str],
) -> tuple[design.Srm, list[float] | None]:  # fmt: skip
    w = _planned(order, weights, warnings)
    srm = design.srm([arms[n].sent for n in order], w)
    plan = "the planned split" if w else "an equal split"
    if srm.flagged:
        warnings.append(
            f"sample ratio mismatch: sent counts {list(srm.observed)} differ from {plan} "
            f"(p = {srm.p_value:.2g} < {design.SRM_THRESHOLD}); fix assignment before "
            "reading results"
        )
    elif srm.level == "yellow":
        warnings.append(f"split slightly off plan (SRM p = {srm.p_value:.2g}); keep an eye on it")
    return srm, w


def build_report(
    rows: list[GroupRow],
    experiment: str,
    metric: str = "click",
    alpha: float = proportions.ALPHA,
    weights: dict[str, float] | None = None,
    planned_per_arm: int | None = None,
    margins: dict[str, Margin] | None = None,
) -> Report:
    """Turn grouped sufficient statistics into a report."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    all_arms = {r.variant: r.counts for r in rows if r.dimension is None}
    warnings: list[str] = []
    orphans = _orphans(all_arms, warnings)
    arms = {n: c for n, c in all_arms.items() if c.sent > 0}
    if not arms:
        raise StoreError(f"no sent events for experiment {experiment!r}")
    control = pick_control(list(arms))
    order = [control, *sorted(n for n in arms if n != control)]
    srm, w = _srm(arms, order, weights, warnings)

    variants = []
    for n in order:
        c = arms[n]
        x = c.events(metric) if metric != "revenue" else 0
        ci = proportions.wilson(x, c.sent, alpha) if metric != "revenue" else None
        variants.append(
            VariantRow(
                n, c.sent, c.delivered, c.failed, c.clicked, c.converted, c.revenue_fen,
                rate(c, metric),
                (ci.low, ci.high) if ci else (math.nan, math.nan),
                {m: rate(c, m) for m in METRICS},
            )
        )  # fmt: skip

    a = arms[control]
    comps = []
    for n in order[1:]:
        b = arms[n]
        if min(a.sent, b.sent) < MIN_PER_ARM:
            warnings.append(f"too few sends to compare {n!r} with control (n <= 1 in an arm)")
        elif metric == "revenue":
            comps.append(compare_means(a, b, n, alpha))
        else:
            cmp = compare_proportions(a.events(metric), a.sent, b.events(metric), b.sent, n, alpha)
            cup = cuped(a, b, metric, alpha)
            comps.append(cmp if cup is None else replace(cmp, cuped=cup._asdict()))
    p_holm = design.holm([c.p_value for c in comps])
    p_bh = design.benjamini_hochberg([c.p_value for c in comps])
    comps = [
        Comparison(**{**asdict(c), "p_holm": ph, "p_bh": pb})
        for c, ph, pb in zip(comps, p_holm, p_bh, strict=True)
    ]
    power = _power(arms, control, metric, alpha, planned_per_arm, warnings)
    card = scorecard.build(arms, order, alpha, margins)
    early = bool(power["read_early"])
    comps = [
        _decided(
            Comparison(**{**asdict(c), "p_holm_metrics": card.p_holm(metric, c.variant)}),
            metric, alpha, srm.flagged, early, card.guardrail_state(c.variant),
        )
        for c in comps
    ]  # fmt: skip
    segments = segment_rows(rows, control, metric, alpha)
    by_segment = segment_srm(rows, order, w)
    off = [s for s in by_segment if s.flagged]
    if off and not srm.flagged:
        shown = ", ".join(f"{s.dimension}={s.value} (p = {s.p_value:.2g})" for s in off[:5])
        warnings.append(
            f"the split is off plan inside {len(off)} segment(s): {shown}; check how those "
            "recipients were assigned"
        )
    heat, best = heatmap(rows, metric)
    return Report(
        experiment, metric, control, alpha, srm._asdict(), variants, comps, power, segments,
        heat, best, warnings, orphans, weights, by_segment, bayes.stated_prior(metric), card,
    )  # fmt: skip


def _decided(
    c: Comparison, metric: str, alpha: float, srm: bool, early: bool, guardrails: str
) -> Comparison:
    code = decide(c, alpha, srm, early, guardrails)
    return Comparison(**{**asdict(c), "decision": code, "verdict": sentence(c, metric, code)})


def _power(
    arms: dict[str, Counts],
    control: str,
    metric: str,
    alpha: float,
    planned: int | None,
    warnings: list[str],
) -> dict[str, Any]:
    smallest = min(c.sent for c in arms.values())
    early = planned is not None and smallest < planned
    if metric == "revenue":
        return {"per_arm": smallest, "planned_per_arm": planned, "read_early": early}
    p = rate(arms[control], metric)
    if not 0 < p < 1 / (1 + PLANNED_LIFT):
        return {"per_arm": smallest, "planned_per_arm": planned, "read_early": early}
    needed = math.ceil(design.sample_size(p, p * (1 + PLANNED_LIFT), alpha))
    target = planned or needed
    mde = design.minimum_detectable_lift(smallest, p, alpha) if smallest > 1 else math.inf
    if smallest < target:
        warnings.append(
            f"read early: {smallest} of {target} sends per arm needed to see a "
            f"{PLANNED_LIFT:.0%} lift at 80% power; fixed-horizon p-values overstate certainty "
            "when peeked at — use the always-valid interval"
        )
    return {
        "per_arm": smallest,
        "read_early": smallest < target,
        "planned_per_arm": target,
        "needed_for_10pct_lift": needed,
        "minimum_detectable_lift_now": mde,
    }


def report(
    con: duckdb.DuckDBPyConnection,
    experiment: str,
    metric: str = "click",
    alpha: float = proportions.ALPHA,
    planned_per_arm: int | None = None,
    source: str = "events",
    weights: dict[str, float] | None = None,
    margins: dict[str, Margin] | None = None,
) -> Report:
    """Run the one scan over the store (or another source) and build the report.

    The split is checked against ``weights``, else the weights stored with the experiment
    (``xinshi ab ingest --weights``), else an equal split.
    """
    rows = sufficient_stats(con, experiment, source)
    if weights is None:
        weights = planned_weights(con, experiment)
    return build_report(rows, experiment, metric, alpha, weights, planned_per_arm, margins)
