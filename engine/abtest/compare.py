"""One variant against control on one metric: effect, intervals, tests, Bayesian read-out.

Rates: difference with Newcombe's hybrid score interval (Newcombe 1998, Stat Med 17:873, method
10); lift with the delta-method interval, or Koopman's score interval (see
``proportions.lift_score``) when a cell is small, a rate is 0 % or 100 %, or the delta interval
would run below -100 %; pooled z-test, Fisher's exact test when any cell is under 10; the exact
Beta-Binomial chance to beat control under a stated prior. Revenue: Welch's t-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.abtest import bayes, design, means, proportions
from engine.abtest.queries import Counts

SMALL_CELL = 10  # below this many events or non-events: exact test and score interval
MIN_PER_ARM = 2  # a comparison needs at least this many sends in each arm (n - 1 > 0)


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
    decision: str = ""
    p_holm_metrics: float | None = None  # Holm over every goal metric x variant (scorecard)
    cuped: dict[str, Any] | None = None  # variance-reduced difference (pre-period clicks)


def moments(c: Counts) -> means.Moments:
    """Return revenue per send as a mean metric's sufficient statistics."""
    return means.Moments(c.sent, float(c.revenue_fen), float(c.revenue_sq_fen))


def compare_proportions(
    xa: int,
    na: int,
    xb: int,
    nb: int,
    variant: str,
    alpha: float = proportions.ALPHA,
    bayesian: bool = True,
    prior: str = "uniform",
) -> Comparison:
    """Compare variant B with control A on a rate, with the small-count and edge fallbacks."""
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
            score = proportions.lift_score(xa, na, xb, nb, alpha)
            if score is not None:
                lift_ci = score
                notes.append(
                    "small counts or a rate at 0 % or 100 %: score interval for the lift "
                    "(Koopman 1984; the delta method is unreliable here)"
                )
        se = proportions.lift_delta_se(xa, na, xb, nb)
        if se:
            seq = design.confidence_sequence(lift, se, na + nb, alpha=alpha)
        else:
            notes.append("no always-valid interval: it needs events and non-events in both arms")
    bb = bayes.beta_binomial(xa, na, xb, nb, prior=prior, alpha=alpha) if bayesian else None
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
    """Compare revenue per send (fen) with Welch's t-test; both arms need at least 2 sends."""
    w = means.welch(moments(a), moments(b), alpha)
    se = abs(w.diff / w.t) if w.t else 0.0
    g = bayes.gaussian_effect(w.diff, se)
    seq = None
    if w.lift is not None and w.lift_se:
        seq = design.confidence_sequence(w.lift, w.lift_se, a.sent + b.sent, alpha=alpha)
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
        always_valid_lift_ci=None if seq is None else (seq.low, seq.high),
        always_valid_p=None if seq is None else seq.p_value,
        notes=["Bayesian read-out: normal approximation on the difference (improper flat prior)"],
    )
