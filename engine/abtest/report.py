"""Assemble a report for one experiment and metric from the sufficient statistics.

Primary read-outs: rate with Wilson interval per variant; difference with Newcombe's interval;
lift with the delta-method interval (Katz log-ratio when counts are small or the delta interval
runs past -100 %); pooled z-test (Fisher exact when any cell < 10); Holm and BH across variants;
exact Beta-Binomial chance to beat control and expected loss; SRM; an always-valid interval and
a warning when the test is read before the size it needs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from engine.abtest import bayes, design, means, proportions
from engine.abtest.queries import Counts, GroupRow, sufficient_stats
from engine.abtest.store import StoreError

METRICS = ("click", "conversion", "delivery", "revenue")
SMALL_CELL = 10  # below this many events or non-events: exact test and log-ratio interval
HEATMAP_MIN_SENT, HEATMAP_MIN_EVENTS = 100, 10
DOW = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")  # DuckDB dayofweek: 0 = Sunday
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
class Comparison:
    variant: str
    diff: float
    diff_ci: tuple[float, float]
    diff_method: str
    lift: float | None
    lift_ci: tuple[float, float] | None
    lift_method: str | None
    p_value: float
    test: str
    p_holm: float = 1.0
    p_bh: float = 1.0
    prob_beat_control: float = 0.5
    expected_loss_ship: float = 0.0
    expected_loss_keep: float = 0.0
    always_valid_lift_ci: tuple[float, float] | None = None
    always_valid_p: float | None = None
    verdict: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SegmentRow:
    dimension: str
    value: str
    variant: str
    sent: int
    events: int
    rate: float
    diff: float | None
    lift: float | None
    p_value: float | None
    p_bh: float | None
    small: bool


@dataclass(frozen=True)
class HeatCell:
    dow: str
    hour: int
    sent: int
    events: int
    rate: float
    small: bool


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


def _rate(c: Counts, metric: str) -> float:
    if c.sent == 0:
        return 0.0
    return c.revenue_fen / c.sent if metric == "revenue" else c.events(metric) / c.sent


def _moments(c: Counts) -> means.Moments:
    return means.Moments(c.sent, float(c.revenue_fen), float(c.revenue_sq_fen))


def _pick_control(variants: list[str]) -> str:
    for name in ("control", "ctrl", "A", "a", "baseline"):
        if name in variants:
            return name
    return variants[0]


def compare_proportions(
    xa: int,
    na: int,
    xb: int,
    nb: int,
    variant: str,
    alpha: float = proportions.ALPHA,
    bayesian: bool = True,
) -> Comparison:
    """Compare variant B with control A on a rate, with the small-count fallbacks."""
    notes: list[str] = []
    diff_ci = proportions.diff_newcombe(xa, na, xb, nb, alpha)
    small = min(xa, xb, na - xa, nb - xb) < SMALL_CELL
    if small:
        test = proportions.fisher_exact(xa, na, xb, nb)
        notes.append(f"a cell has fewer than {SMALL_CELL} messages: Fisher's exact test used")
    else:
        test = proportions.z_test_pooled(xa, na, xb, nb)
    lift: float | None = None
    lift_ci: proportions.Interval | None = None
    seq: design.Sequential | None = None
    if xa == 0:
        notes.append("control has no events: relative lift is undefined; read the difference")
    else:
        lift = (xb / nb) / (xa / na) - 1
        lift_ci = proportions.lift_delta(xa, na, xb, nb, alpha)
        if lift_ci is None or small or lift_ci.low < -1:
            katz = proportions.lift_katz(xa, na, xb, nb, alpha)
            if katz is not None:
                lift_ci = katz
                notes.append(
                    "small counts: Katz log-ratio interval for the lift "
                    "(the delta method is unreliable here)"
                )
        se = proportions.lift_delta_se(xa, na, xb, nb)
        if se:
            seq = design.confidence_sequence(lift, se, na + nb, alpha=alpha)
    bb = bayes.beta_binomial(xa, na, xb, nb, alpha=alpha) if bayesian else None
    return Comparison(
        variant=variant,
        diff=xb / nb - xa / na,
        diff_ci=(diff_ci.low, diff_ci.high),
        diff_method=diff_ci.method,
        lift=lift,
        lift_ci=None if lift_ci is None else (lift_ci.low, lift_ci.high),
        lift_method=None if lift_ci is None else lift_ci.method,
        p_value=test.p_value,
        test=test.method,
        prob_beat_control=bb.prob_b_beats_a if bb else math.nan,
        expected_loss_ship=bb.loss_ship_b if bb else math.nan,
        expected_loss_keep=bb.loss_keep_a if bb else math.nan,
        always_valid_lift_ci=None if seq is None else (seq.low, seq.high),
        always_valid_p=None if seq is None else seq.p_value,
        notes=notes,
    )


def compare_means(
    a: Counts, b: Counts, variant: str, alpha: float = proportions.ALPHA
) -> Comparison:
    """Compare revenue per send (fen) with Welch's t-test."""
    w = means.welch(_moments(a), _moments(b), alpha)
    se = abs(w.diff / w.t) if w.t else 0.0
    g = bayes.gaussian_effect(w.diff, se)
    return Comparison(
        variant=variant,
        diff=w.diff,
        diff_ci=w.ci,
        diff_method="welch t",
        lift=w.lift,
        lift_ci=w.lift_ci,
        lift_method="delta" if w.lift_ci else None,
        p_value=w.p_value,
        test="Welch t-test",
        prob_beat_control=g.chance_to_win,
        expected_loss_ship=g.risk_variant,
        expected_loss_keep=g.risk_control,
        notes=["Bayesian read-out: normal approximation on the difference (improper prior)"],
    )


def _verdict(c: Comparison, metric: str, alpha: float, srm_flagged: bool) -> str:
    lift = "" if c.lift is None else f" ({c.lift:+.1%} relative)"
    unit = "fen per send" if metric == "revenue" else "points"
    size = c.diff if metric == "revenue" else c.diff * 100
    head = (
        f"{c.variant}: {size:+.2f} {unit}{lift}, P(better than control) {c.prob_beat_control:.0%}"
    )
    if srm_flagged:
        verdict = "do not trust: the split is broken (SRM)"
    elif c.p_holm < alpha:
        verdict = "winner" if c.diff > 0 else "worse than control"
    elif c.prob_beat_control > 0.95:
        verdict = "leaning better, not significant after correction; keep collecting"
    elif c.prob_beat_control < 0.05:
        verdict = "leaning worse, not significant after correction"
    else:
        verdict = "no clear difference"
    return f"{head} — {verdict}"


def build_report(
    rows: list[GroupRow],
    experiment: str,
    metric: str = "click",
    alpha: float = proportions.ALPHA,
    weights: dict[str, float] | None = None,
    planned_per_arm: int | None = None,
) -> Report:
    """Turn grouped sufficient statistics into a report."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    arms = {r.variant: r.counts for r in rows if r.dimension is None}
    if not arms:
        raise StoreError(f"no events for experiment {experiment!r}")
    names = sorted(arms)
    control = _pick_control(names)
    order = [control] + [n for n in names if n != control]
    warnings: list[str] = []

    srm = design.srm(
        [arms[n].sent for n in order], [weights.get(n, 1.0) for n in order] if weights else None
    )
    if srm.flagged:
        warnings.append(
            f"sample ratio mismatch: sent counts {list(srm.observed)} differ from the planned "
            f"split (p = {srm.p_value:.2g} < {design.SRM_THRESHOLD}); fix assignment before "
            "reading results"
        )
    elif srm.level == "yellow":
        warnings.append(f"split slightly off plan (SRM p = {srm.p_value:.2g}); keep an eye on it")
    orphans = sum(c.orphans for c in arms.values())
    if orphans:
        warnings.append(f"{orphans} message(s) have events but no 'sent' event; left out")

    variants = []
    for n in order:
        c = arms[n]
        x = c.events(metric) if metric != "revenue" else 0
        ci = proportions.wilson(x, c.sent, alpha) if metric != "revenue" else None
        variants.append(
            VariantRow(
                n, c.sent, c.delivered, c.failed, c.clicked, c.converted, c.revenue_fen,
                _rate(c, metric),
                (ci.low, ci.high) if ci else (math.nan, math.nan),
                {m: _rate(c, m) for m in METRICS},
            )
        )  # fmt: skip

    a = arms[control]
    comps = [
        compare_means(a, arms[n], n, alpha)
        if metric == "revenue"
        else compare_proportions(
            a.events(metric), a.sent, arms[n].events(metric), arms[n].sent, n, alpha
        )
        for n in order[1:]
    ]
    p_holm = design.holm([c.p_value for c in comps])
    p_bh = design.benjamini_hochberg([c.p_value for c in comps])
    comps = [
        Comparison(**{**asdict(c), "p_holm": ph, "p_bh": pb})
        for c, ph, pb in zip(comps, p_holm, p_bh, strict=True)
    ]
    comps = [
        Comparison(**{**asdict(c), "verdict": _verdict(c, metric, alpha, srm.flagged)})
        for c in comps
    ]

    power = _power(arms, control, metric, alpha, planned_per_arm, warnings)
    segments = _segments(rows, control, metric, alpha)
    heatmap, best = _heatmap(rows, metric)
    return Report(
        experiment, metric, control, alpha, srm._asdict(), variants, comps, power, segments,
        heatmap, best, warnings,
    )  # fmt: skip


def _power(
    arms: dict[str, Counts],
    control: str,
    metric: str,
    alpha: float,
    planned: int | None,
    warnings: list[str],
) -> dict[str, Any]:
    smallest = min(c.sent for c in arms.values())
    if metric == "revenue":
        return {"per_arm": smallest, "planned_per_arm": planned}
    p = _rate(arms[control], metric)
    if not 0 < p < 1 / (1 + PLANNED_LIFT):
        return {"per_arm": smallest, "planned_per_arm": planned}
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
        "planned_per_arm": target,
        "needed_for_10pct_lift": needed,
        "minimum_detectable_lift_now": mde,
    }


def _segments(rows: list[GroupRow], control: str, metric: str, alpha: float) -> list[SegmentRow]:
    by_key: dict[tuple[str, str], dict[str, Counts]] = defaultdict(dict)
    for r in rows:
        if r.dimension and r.dimension != "send_time":
            by_key[(r.dimension, str(r.key))][r.variant] = r.counts
    out: list[SegmentRow] = []
    for (dim, val), arms in sorted(by_key.items()):
        base = arms.get(control)
        for variant, c in sorted(arms.items(), key=lambda kv: (kv[0] != control, kv[0])):
            events = c.events(metric) if metric != "revenue" else 0
            small = metric != "revenue" and (events < SMALL_CELL or c.sent < HEATMAP_MIN_SENT)
            diff = lift = p = None
            if base is not None and variant != control and base.sent and c.sent:
                if metric == "revenue":
                    cmp = compare_means(base, c, variant, alpha)
                else:
                    cmp = compare_proportions(
                        base.events(metric), base.sent, events, c.sent, variant, alpha, False
                    )
                diff, lift, p = cmp.diff, cmp.lift, cmp.p_value
            out.append(
                SegmentRow(
                    dim, val, variant, c.sent, events, _rate(c, metric), diff, lift, p, None, small
                )
            )
    tested = [i for i, s in enumerate(out) if s.p_value is not None]
    adjusted = design.benjamini_hochberg([out[i].p_value or 1.0 for i in tested])
    for i, q in zip(tested, adjusted, strict=True):
        out[i] = SegmentRow(**{**asdict(out[i]), "p_bh": q})
    return out


def _heatmap(rows: list[GroupRow], metric: str) -> tuple[list[HeatCell], list[dict[str, Any]]]:
    cells: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r.dimension == "send_time" and isinstance(r.key, tuple):
            acc = cells[r.key]
            acc[0] += r.counts.sent
            acc[1] += r.counts.events(metric) if metric != "revenue" else r.counts.revenue_fen
    heat = [
        HeatCell(
            DOW[dow],
            hour,
            sent,
            events,
            events / sent if sent else 0.0,
            sent < HEATMAP_MIN_SENT or (metric != "revenue" and events < HEATMAP_MIN_EVENTS),
        )
        for (dow, hour), (sent, events) in sorted(cells.items())
    ]
    hours: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for cell in heat:
        hours[cell.hour][0] += cell.sent
        hours[cell.hour][1] += cell.events
    best = sorted(
        (
            {"hour": h, "sent": s, "events": e, "rate": e / s}
            for h, (s, e) in hours.items()
            if s >= HEATMAP_MIN_SENT
        ),
        key=lambda d: -float(d["rate"]),
    )[:3]
    return heat, best


def report(
    con: duckdb.DuckDBPyConnection,
    experiment: str,
    metric: str = "click",
    alpha: float = proportions.ALPHA,
    planned_per_arm: int | None = None,
    source: str = "events",
) -> Report:
    """Run the one scan over the store (or another source) and build the report."""
    rows = sufficient_stats(con, experiment, source)
    return build_report(rows, experiment, metric, alpha, planned_per_arm=planned_per_arm)
