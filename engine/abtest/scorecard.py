"""Several metrics in one read-out: goal metrics corrected together, guardrails with margins.

Goal metrics (delivery, click, conversion, revenue per send) are compared with control for every
variant; Holm's correction runs over all of them at once (metrics x variants), so looking at
four metrics does not quadruple the false-win rate. Metrics no arm recorded are left out of the
family. Guardrails (opt-out and complaint rate: higher is worse) must show non-inferiority: the
variant may be worse than control by less than the margin, tested one-sided
(``proportions.noninferiority``), Holm-corrected over guardrails x variants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.abtest import design, proportions
from engine.abtest.compare import MIN_PER_ARM, Comparison, compare_means, compare_proportions
from engine.abtest.queries import Counts
from engine.abtest.segments import rate

GOALS = ("delivery", "click", "conversion", "revenue")
GUARDRAILS = ("opt_out", "complaint")
# margins: absolute rate increase a variant may cost (0.05 and 0.01 percentage points)
DEFAULT_MARGINS = {"opt_out": "0.05pp", "complaint": "0.01pp"}
GUARDRAIL_EXAMPLE = "opt_out=0.05pp,complaint=0.01pp"


class MarginError(ValueError):
    """A --guardrails value that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class Margin:
    """How much worse a guardrail may get: absolute points, or relative to control's rate."""

    value: float
    relative: bool
    text: str

    def absolute(self, control_rate: float) -> float:
        """Return the margin as a rate difference."""
        return self.value * control_rate if self.relative else self.value


def parse_margins(text: str | None) -> dict[str, Margin]:
    """Parse ``opt_out=0.05pp,complaint=10%`` (points, or % of control's rate) over defaults."""
    given = dict(DEFAULT_MARGINS)
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        name, sep, value = (x.strip() for x in part.partition("="))
        if not sep or name not in GUARDRAILS:
            raise MarginError(
                f"{part!r}: write GUARDRAIL=MARGIN with GUARDRAIL one of "
                f"{', '.join(GUARDRAILS)}, e.g. {GUARDRAIL_EXAMPLE}"
            )
        given[name] = value
    return {name: _margin(name, value) for name, value in given.items()}


def _margin(name: str, value: str) -> Margin:
    raw = value.lower()
    try:
        if raw.endswith("pp"):
            m = Margin(float(raw[:-2]) / 100, False, value)
        elif raw.endswith("%"):
            m = Margin(float(raw[:-1]) / 100, True, value)
        else:
            raise ValueError
    except ValueError:
        raise MarginError(
            f"{name}={value}: a margin is points like 0.05pp or a share of control's rate like 10%"
        ) from None
    if not m.value > 0:
        raise MarginError(f"{name}={value}: a margin must be positive")
    return m


@dataclass(frozen=True)
class MetricResult:
    metric: str
    variant: str
    control_rate: float
    variant_rate: float
    diff: float
    diff_ci: tuple[float, float]
    lift: float | None
    p_value: float
    p_holm: float
    p_bh: float
    always_valid_lift_ci: tuple[float, float] | None


@dataclass(frozen=True)
class GuardrailResult:
    metric: str
    variant: str
    margin: str
    margin_abs: float
    control_rate: float
    variant_rate: float
    diff: float
    upper: float  # one-sided 1 - alpha upper limit of the difference
    p_value: float  # non-inferiority, one-sided
    p_holm: float
    status: str  # pass | fail | inconclusive | not_measured


@dataclass(frozen=True)
class Scorecard:
    correction: str
    metrics: list[MetricResult]
    guardrails: list[GuardrailResult]

    def p_holm(self, metric: str, variant: str) -> float | None:
        """Return a goal comparison's p-value, Holm-corrected over metrics x variants."""
        for m in self.metrics:
            if (m.metric, m.variant) == (metric, variant):
                return m.p_holm
        return None

    def guardrail_state(self, variant: str) -> str:
        """Return ``fail`` if any guardrail failed, ``unknown`` if any is undecided, else ``ok``."""
        states = {g.status for g in self.guardrails if g.variant == variant}
        if "fail" in states:
            return "fail"
        return "unknown" if "inconclusive" in states else "ok"


def _measured(arms: dict[str, Counts], metric: str) -> bool:
    if metric == "revenue":
        return any(c.revenue_fen for c in arms.values())
    return any(c.events(metric) for c in arms.values())


def build(
    arms: dict[str, Counts],
    order: list[str],
    alpha: float = proportions.ALPHA,
    margins: dict[str, Margin] | None = None,
) -> Scorecard:
    """Compare every variant with control (order[0]) on every goal metric and guardrail."""
    control, variants = order[0], [n for n in order[1:] if arms[n].sent >= MIN_PER_ARM]
    a = arms[control]
    raw: list[tuple[str, str, float, Comparison]] = []
    if a.sent >= MIN_PER_ARM:
        for metric in (m for m in GOALS if _measured(arms, m)):
            for n in variants:
                b = arms[n]
                c = (
                    compare_means(a, b, n, alpha)
                    if metric == "revenue"
                    else compare_proportions(
                        a.events(metric), a.sent, b.events(metric), b.sent, n, alpha, False
                    )
                )
                raw.append((metric, n, c.p_value, c))
    holm = design.holm([r[2] for r in raw])
    bh = design.benjamini_hochberg([r[2] for r in raw])
    metrics = []
    for (metric, n, p, c), ph, pb in zip(raw, holm, bh, strict=True):
        metrics.append(
            MetricResult(
                metric, n, rate(a, metric), rate(arms[n], metric), c.diff, c.diff_ci, c.lift,
                p, ph, pb, c.always_valid_lift_ci,
            )
        )  # fmt: skip
    guardrails = _guardrails(arms, control, variants, alpha, margins or parse_margins(None))
    n_tests, n_metrics = len(raw), len({r[0] for r in raw})
    correction = (
        f"Holm over {n_tests} tests ({n_metrics} goal metrics x {len(variants)} variants); "
        "guardrails: one-sided non-inferiority, Holm over guardrails x variants"
    )
    return Scorecard(correction, metrics, guardrails)


def _guardrails(
    arms: dict[str, Counts], control: str, variants: list[str], alpha: float,
    margins: dict[str, Margin],
) -> list[GuardrailResult]:  # fmt: skip
    a = arms[control]
    rows: list[tuple[str, str, float, float, float]] = []  # metric, variant, margin, p, upper
    skipped: list[GuardrailResult] = []
    for metric in GUARDRAILS:
        margin = margins[metric]
        for n in variants:
            b = arms[n]
            xa, xb = a.events(metric), b.events(metric)
            m_abs = margin.absolute(xa / a.sent)
            if not _measured(arms, metric) or m_abs <= 0:
                ra, rb = xa / a.sent, xb / b.sent
                skipped.append(GuardrailResult(
                    metric, n, margin.text, m_abs, ra, rb, rb - ra, math.nan, math.nan, math.nan,
                    "not_measured",
                ))  # fmt: skip
                continue
            test = proportions.noninferiority(xa, a.sent, xb, b.sent, m_abs)
            upper = proportions.diff_miettinen_nurminen(xa, a.sent, xb, b.sent, 2 * alpha).high
            rows.append((metric, n, m_abs, test.p_value, upper))
    adjusted = design.holm([r[3] for r in rows])
    out: list[GuardrailResult] = []
    for (metric, n, m_abs, p, upper), ph in zip(rows, adjusted, strict=True):
        a_rate, b_rate = rate(a, metric), rate(arms[n], metric)
        diff = b_rate - a_rate
        worse = (
            proportions.diff_miettinen_nurminen(
                a.events(metric), a.sent, arms[n].events(metric), arms[n].sent, 2 * alpha
            ).low
            > 0
        )
        status = "pass" if ph < alpha else "fail" if worse and diff > m_abs else "inconclusive"
        out.append(GuardrailResult(
            metric, n, margins[metric].text, m_abs, a_rate, b_rate, diff, upper, p, ph, status,
        ))  # fmt: skip
    return out + skipped
