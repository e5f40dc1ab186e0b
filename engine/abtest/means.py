"""Mean and ratio metrics from sufficient statistics (n, sum, sum of squares, cross products).

Revenue per send is a mean metric over sent messages (integer fen summed exactly in DuckDB);
revenue per click is a ratio metric (delta method).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from scipy import stats

from engine.abtest.proportions import ALPHA, z_crit


class Moments(NamedTuple):
    """Sufficient statistics of one arm for a mean metric."""

    n: int
    total: float
    total_sq: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    @property
    def var(self) -> float:
        """Sample variance (n - 1)."""
        if self.n < 2:
            return 0.0
        return max(0.0, (self.total_sq - self.total * self.total / self.n) / (self.n - 1))


class Welch(NamedTuple):
    """Welch's t-test for the difference of means, with the delta-method lift interval."""

    diff: float
    t: float
    df: float
    p_value: float
    ci: tuple[float, float]
    lift: float | None
    lift_se: float | None
    lift_ci: tuple[float, float] | None


def welch(a: Moments, b: Moments, alpha: float = ALPHA) -> Welch:
    """Return Welch's t-test of B - A, a t interval, and a z delta-method interval for the lift.

    Raise ValueError when an arm has fewer than 2 units (its variance has n - 1 = 0).
    """
    if a.n < 2 or b.n < 2:
        raise ValueError(f"Welch's t-test needs at least 2 units per arm, got {a.n} and {b.n}")
    va, vb = a.var / a.n, b.var / b.n
    se = math.sqrt(va + vb)
    diff = b.mean - a.mean
    if se == 0:
        return Welch(diff, 0.0, math.inf, 1.0, (diff, diff), None, None, None)
    df = (va + vb) ** 2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1))
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.isf(alpha / 2, df)) * se
    lift = lift_se = lift_ci = None
    if a.mean > 0:
        lift = b.mean / a.mean - 1
        lift_se = math.sqrt(vb / a.mean**2 + va * b.mean**2 / a.mean**4)
        zh = z_crit(alpha) * lift_se
        lift_ci = (lift - zh, lift + zh)
    return Welch(diff, t, df, p, (diff - half, diff + half), lift, lift_se, lift_ci)


class RatioMoments(NamedTuple):
    """Per-unit sums of a numerator M and a denominator D over n units."""

    n: int
    sm: float
    smm: float
    sd: float
    sdd: float
    smd: float


def ratio_estimate(r: RatioMoments) -> tuple[float, float]:
    """Return the ratio sum(M)/sum(D) and its delta-method variance."""
    n = r.n
    mm, md = r.sm / n, r.sd / n
    var_m = (r.smm - r.sm * r.sm / n) / (n - 1)
    var_d = (r.sdd - r.sd * r.sd / n) / (n - 1)
    cov = (r.smd - r.sm * r.sd / n) / (n - 1)
    var = (var_m / md**2 - 2 * mm * cov / md**3 + mm**2 * var_d / md**4) / n
    return mm / md, var


class RatioTest(NamedTuple):
    """z-test of the difference of two ratio metrics and the delta-method lift."""

    diff: float
    z: float
    p_value: float
    ci: tuple[float, float]
    lift: float
    lift_ci: tuple[float, float]


def ratio_test(a: RatioMoments, b: RatioMoments, alpha: float = ALPHA) -> RatioTest:
    """Return the z-test of ratio B - ratio A with delta-method intervals."""
    ra, va = ratio_estimate(a)
    rb, vb = ratio_estimate(b)
    se = math.sqrt(va + vb)
    diff = rb - ra
    z = diff / se
    zc = z_crit(alpha)
    lift = rb / ra - 1
    lift_se = math.sqrt(vb / ra**2 + va * rb**2 / ra**4)
    return RatioTest(
        diff,
        z,
        float(2 * stats.norm.sf(abs(z))),
        (diff - zc * se, diff + zc * se),
        lift,
        (lift - zc * lift_se, lift + zc * lift_se),
    )
