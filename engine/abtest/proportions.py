"""Two proportions: rates, intervals for one rate, for the difference and for the relative lift.

Conventions (as in the golden file): control is A, variant is B; the difference is p_B - p_A and
the lift is p_B / p_A - 1; intervals are two-sided at level 1 - alpha.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import optimize, stats

ALPHA = 0.05


class Interval(NamedTuple):
    """A two-sided interval and the method that made it."""

    low: float
    high: float
    method: str


class Test(NamedTuple):
    """A test statistic with its two-sided p-value."""

    statistic: float
    p_value: float
    method: str


def z_crit(alpha: float = ALPHA) -> float:
    """Return the two-sided standard-normal critical value."""
    return float(stats.norm.isf(alpha / 2))


def wilson(x: int, n: int, alpha: float = ALPHA) -> Interval:
    """Return the Wilson score interval for x successes out of n."""
    if n <= 0:
        return Interval(0.0, 1.0, "wilson")
    z = z_crit(alpha)
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(max(0.0, centre - half), min(1.0, centre + half), "wilson")


def clopper_pearson(x: int, n: int, alpha: float = ALPHA) -> Interval:
    """Return the exact (Clopper-Pearson) interval for x successes out of n."""
    low = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
    high = 1.0 if x == n else float(stats.beta.isf(alpha / 2, x + 1, n - x))
    return Interval(low, high, "clopper-pearson")


def z_test_pooled(xa: int, na: int, xb: int, nb: int) -> Test:
    """Return the pooled two-proportion z-test (equal to Pearson chi-square without Yates)."""
    pooled = (xa + xb) / (na + nb)
    se = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    if se == 0:
        return Test(0.0, 1.0, "z-test (pooled)")
    z = (xb / nb - xa / na) / se
    return Test(z, float(2 * stats.norm.sf(abs(z))), "z-test (pooled)")


def z_test_unpooled(xa: int, na: int, xb: int, nb: int) -> Test:
    """Return the unpooled (Wald) two-proportion z-test."""
    pa, pb = xa / na, xb / nb
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    if se == 0:
        return Test(0.0, 1.0, "z-test (unpooled)")
    z = (pb - pa) / se
    return Test(z, float(2 * stats.norm.sf(abs(z))), "z-test (unpooled)")


def fisher_exact(xa: int, na: int, xb: int, nb: int) -> Test:
    """Return Fisher's exact test (two-sided, minimum-likelihood), statistic = odds ratio B/A."""
    res = stats.fisher_exact(np.array([[xb, nb - xb], [xa, na - xa]]))
    return Test(float(res.statistic), float(res.pvalue), "Fisher exact")


def diff_wald(xa: int, na: int, xb: int, nb: int, alpha: float = ALPHA) -> Interval:
    """Return the Wald interval for p_B - p_A."""
    pa, pb = xa / na, xb / nb
    half = z_crit(alpha) * math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return Interval(pb - pa - half, pb - pa + half, "wald")


def diff_newcombe(xa: int, na: int, xb: int, nb: int, alpha: float = ALPHA) -> Interval:
    """Return Newcombe's hybrid score interval (method 10) for p_B - p_A, from Wilson limits."""
    pa, pb = xa / na, xb / nb
    la, ua, _ = wilson(xa, na, alpha)
    lb, ub, _ = wilson(xb, nb, alpha)
    d = pb - pa
    low = d - math.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
    high = d + math.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
    return Interval(low, high, "newcombe")


def diff_agresti_caffo(xa: int, na: int, xb: int, nb: int, alpha: float = ALPHA) -> Interval:
    """Return the Agresti-Caffo interval: Wald after one success and one failure per arm."""
    low, high, _ = diff_wald(xa + 1, na + 2, xb + 1, nb + 2, alpha)
    return Interval(low, high, "agresti-caffo")


def _constrained_mle(
    xa: int, na: int, xb: int, nb: int, delta: float, variant: str = "paper"
) -> tuple[float, float]:
    """Return the MLEs of (p_B, p_A) under p_B - p_A = delta (Miettinen-Nurminen 1985 cubic).

    ``variant="statsmodels"`` reproduces statsmodels' cubic, which has ``xa * delta`` where the
    paper has ``na * delta`` in the linear coefficient (its root does not maximise the
    constrained likelihood; kept only to compare with tools that use it).
    """
    if delta == 0:
        pooled = (xa + xb) / (na + nb)
        return pooled, pooled
    n, c = na + nb, xa + xb
    l3 = n
    l2 = (nb + 2 * na) * delta - n - c
    l1 = ((xa if variant == "statsmodels" else na) * delta - n - 2 * xa) * delta + c
    l0 = xa * delta * (1 - delta)
    q = (l2 / (3 * l3)) ** 3 - l1 * l2 / (6 * l3 * l3) + l0 / (2 * l3)
    p = math.copysign(math.sqrt(max((l2 / (3 * l3)) ** 2 - l1 / (3 * l3), 0.0)), q)
    angle = math.pi / 2 if p == 0 else (math.pi + math.acos(max(-1.0, min(1.0, q / p**3)))) / 3
    pa = 2 * p * math.cos(angle) - l2 / (3 * l3)
    # the closed form loses digits when delta is tiny and an arm is all 0s or all 1s (it gave
    # p_A = -5e-10 at delta = 1e-9, a negative variance, an infinite score and a collapsed
    # interval): keep both rates in [0, 1], where the maximum is
    pa = min(max(pa, 0.0, -delta), 1.0, 1.0 - delta)
    return pa + delta, pa


def _mn_score(xa: int, na: int, xb: int, nb: int, delta: float, variant: str = "paper") -> float:
    q1, q2 = _constrained_mle(xa, na, xb, nb, delta, variant)
    n = na + nb
    var = (q1 * (1 - q1) / nb + q2 * (1 - q2) / na) * n / (n - 1)
    d = xb / nb - xa / na - delta
    if var <= 0:
        return math.copysign(math.inf, d) if d else 0.0
    return d / math.sqrt(var)


def diff_miettinen_nurminen(
    xa: int, na: int, xb: int, nb: int, alpha: float = ALPHA, variant: str = "paper"
) -> Interval:
    """Return the Miettinen-Nurminen score interval for p_B - p_A (inverted score test).

    ``variant="statsmodels"`` gives statsmodels' numbers (see ``_constrained_mle``).
    """
    z = z_crit(alpha)
    d = xb / nb - xa / na
    eps = 1e-12

    def f(delta: float) -> float:
        return _mn_score(xa, na, xb, nb, delta, variant) ** 2 - z * z

    low = -1.0 if f(-1 + eps) < 0 else optimize.brentq(f, -1 + eps, d, xtol=1e-15, rtol=1e-15)
    high = 1.0 if f(1 - eps) < 0 else optimize.brentq(f, d, 1 - eps, xtol=1e-15, rtol=1e-15)
    return Interval(float(low), float(high), "miettinen-nurminen")


def lift_delta(xa: int, na: int, xb: int, nb: int, alpha: float = ALPHA) -> Interval | None:
    """Return the delta-method (normal) interval for the lift; None when control has no events.

    se^2 = v_B / p_A^2 + v_A p_B^2 / p_A^4 with v = p(1-p)/n (GrowthBook's variance_of_ratios).
    """
    se = lift_delta_se(xa, na, xb, nb)
    if se is None:
        return None
    lift = (xb / nb) / (xa / na) - 1
    half = z_crit(alpha) * se
    return Interval(lift - half, lift + half, "delta")


def lift_delta_se(xa: int, na: int, xb: int, nb: int) -> float | None:
    """Return the delta-method standard error of the lift; None when control has no events."""
    if xa == 0:
        return None
    pa, pb = xa / na, xb / nb
    va, vb = pa * (1 - pa) / na, pb * (1 - pb) / nb
    return math.sqrt(vb / pa**2 + va * pb**2 / pa**4)


def lift_katz(xa: int, na: int, xb: int, nb: int, alpha: float = ALPHA) -> Interval | None:
    """Return the Katz log risk-ratio interval for the lift (asymmetric, never below -100 %).

    None when either arm has no events (the log ratio is undefined).
    """
    if xa == 0 or xb == 0:
        return None
    log_rr = math.log((xb / nb) / (xa / na))
    half = z_crit(alpha) * math.sqrt(1 / xb - 1 / nb + 1 / xa - 1 / na)
    return Interval(math.exp(log_rr - half) - 1, math.exp(log_rr + half) - 1, "katz")


def _ratio_score(xa: int, na: int, xb: int, nb: int, ratio: float) -> float:
    """Koopman's score statistic for H0: p_B / p_A = ratio (restricted MLEs, no n/(n-1))."""
    n, c = na + nb, xa + xb
    a = ratio * n
    b = -(ratio * nb + xb + na + ratio * xa)
    disc = max(b * b - 4 * a * c, 0.0)
    # the smaller root of a p^2 + b p + c, written without cancellation (b < 0)
    pa = 0.0 if c == 0 else 2 * c / (-b + math.sqrt(disc))
    pa = min(max(pa, 0.0), 1.0, 1.0 / ratio)
    pb = ratio * pa
    var = pb * (1 - pb) / nb + ratio * ratio * pa * (1 - pa) / na
    num = xb / nb - ratio * xa / na
    if var <= 0:
        return 0.0 if num == 0 else math.copysign(math.inf, num)
    return num / math.sqrt(var)


def lift_score(xa: int, na: int, xb: int, nb: int, alpha: float = ALPHA) -> Interval | None:
    """Return the asymptotic score interval for the lift p_B / p_A - 1; None if p_A = 0.

    Koopman (1984, Biometrics 40:513-517), "Confidence intervals for the ratio of two binomial
    proportions": the ratios phi whose score test (rates re-estimated under p_B = phi p_A, the
    closed form of Miettinen & Nurminen 1985, Stat Med 4:213-226, without their n/(n-1)
    factor) is not rejected. Fagerland, Lydersen & Laake (2015, Stat Methods Med Res 24:224)
    recommend it for the ratio; it is R PropCIs::riskscoreci and statsmodels'
    confint_proportions_2indep(compare="ratio", method="score"). Unlike the delta method and
    Katz it stays honest at the edges: 0 events in B gives [-100 %, a finite upper limit], and
    both arms at 100 % gives an interval around 0 as wide as the data allow, not [0, 0].
    """
    if xa == 0 or na <= 0 or nb <= 0:
        return None
    z = z_crit(alpha)
    est = (xb / nb) / (xa / na)

    def f(log_ratio: float, target: float) -> float:
        return _ratio_score(xa, na, xb, nb, math.exp(log_ratio)) - target

    def bound(target: float, step: float) -> float:
        start = math.log(est) if est > 0 else math.log(1e-9)
        edge = start + step
        while f(edge, target) * f(start, target) > 0:
            edge += step
            if abs(edge) > 700:  # pragma: no cover - the statistic is monotone and unbounded
                return math.copysign(math.inf, step)
        return float(
            optimize.brentq(
                f, min(start, edge), max(start, edge), args=(target,), xtol=1e-14, rtol=1e-14
            )
        )

    low = 0.0 if xb == 0 else math.exp(bound(z, -1.0))
    high = math.exp(bound(-z, 1.0))
    return Interval(low - 1, high - 1, "score")


def lift_fieller(xa: int, na: int, xb: int, nb: int, alpha: float = ALPHA) -> Interval | None:
    """Return Fieller's interval for the lift; None when p_A^2 <= z^2 v_A (unbounded set)."""
    z = z_crit(alpha)
    pa, pb = xa / na, xb / nb
    va, vb = pa * (1 - pa) / na, pb * (1 - pb) / nb
    a = pa * pa - z * z * va
    if a <= 0:
        return None
    b = -2 * pa * pb
    c = pb * pb - z * z * vb
    disc = b * b - 4 * a * c
    if disc < 0:  # pragma: no cover - impossible when a > 0 and v >= 0
        return None
    root = math.sqrt(disc)
    return Interval((-b - root) / (2 * a) - 1, (-b + root) / (2 * a) - 1, "fieller")


class Effect(NamedTuple):
    """An effect estimate with its interval and two-sided p-value."""

    estimate: float
    low: float
    high: float
    p_value: float
    se: float


def welch_proportions(
    xa: int, na: int, xb: int, nb: int, relative: bool = True, alpha: float = ALPHA
) -> Effect | None:
    """Return GrowthBook's frequentist read-out: Welch t on Bernoulli variances p(1-p).

    The relative effect uses the delta-method variance. None when control has no events
    (gbstats answers ZERO_NEGATIVE_BASELINE_VARIATION there).
    """
    pa, pb = xa / na, xb / nb
    if pa <= 0:
        return None
    va, vb = pa * (1 - pa), pb * (1 - pb)
    dof_den = (va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1)
    if dof_den == 0:
        return None
    dof = (va / na + vb / nb) ** 2 / dof_den
    if relative:
        estimate = (pb - pa) / pa
        se = math.sqrt(vb / (pa * pa * nb) + va * pb * pb / (pa**4 * na))
    else:
        estimate = pb - pa
        se = math.sqrt(va / na + vb / nb)
    half = float(stats.t.isf(alpha / 2, dof)) * se
    p = float(2 * stats.t.sf(abs(estimate / se), dof))
    return Effect(estimate, estimate - half, estimate + half, p, se)


def noninferiority(xa: int, na: int, xb: int, nb: int, margin: float) -> Test:
    """Return the one-sided score test of H0: p_B - p_A >= margin, for a rate where higher is worse.

    A small p-value says B is not worse than A by the margin or more (non-inferior). The
    statistic is the Miettinen-Nurminen score at delta = margin, rates re-estimated under H0
    (Farrington & Manning 1990, Stat Med 9:1447, with Miettinen & Nurminen's n/(n-1) variance
    factor); it is the test the Miettinen-Nurminen interval inverts, so B passes at level alpha
    exactly when the upper limit of the two-sided 1 - 2 alpha interval is below the margin.
    """
    score = _mn_score(xa, na, xb, nb, margin)
    return Test(score, float(stats.norm.cdf(score)), "Miettinen-Nurminen non-inferiority")
