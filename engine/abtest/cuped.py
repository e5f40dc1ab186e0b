"""CUPED: a variance-reduced difference using each recipient's clicks before the test.

Deng, Xu, Kohavi & Walker (2013), "Improving the sensitivity of online controlled experiments by
utilizing pre-experiment data" (WSDM): Y_adj = Y - theta (X - mean X), with theta = cov(X, Y) /
var(X) pooled over both arms (as GrowthBook does), X = pre-period clicks. The difference of the
adjusted means estimates the same effect (X is independent of assignment) with variance shrunk
by about corr(X, Y)^2. Computed from additive sums (n, sum X, sum X^2, sum Y, sum XY), so the
one-scan report stays one scan.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from scipy import stats

from engine.abtest.proportions import ALPHA, z_crit
from engine.abtest.queries import Counts


class Cuped(NamedTuple):
    """The adjusted difference (B - A) with its z interval and p-value."""

    covariate: str
    theta: float
    diff: float
    diff_ci: tuple[float, float]
    p_value: float
    variance_reduction: float  # 1 - adjusted variance / unadjusted variance of the difference


class _Arm(NamedTuple):
    n: int
    y: float  # sum of Y (binary, so also the sum of Y^2)
    x: float
    xx: float
    xy: float


def _arm(c: Counts, metric: str) -> _Arm:
    xy = c.pre_x_click if metric == "click" else c.pre_x_conversion
    return _Arm(c.sent, float(c.events(metric)), float(c.pre_sum), float(c.pre_sq), float(xy))


def _moments(a: _Arm) -> tuple[float, float, float]:
    """Sample variance of Y, of X, and their covariance (n - 1)."""
    n = a.n
    vy = (a.y - a.y * a.y / n) / (n - 1)
    vx = (a.xx - a.x * a.x / n) / (n - 1)
    cxy = (a.xy - a.x * a.y / n) / (n - 1)
    return vy, vx, cxy


def cuped(a: Counts, b: Counts, metric: str, alpha: float = ALPHA) -> Cuped | None:
    """Return the CUPED-adjusted difference of a rate, or None without a usable covariate.

    Needs every sent message in both arms to carry the recipient's pre-period clicks, at least
    2 sends per arm, and some spread in the pre-period clicks.
    """
    if metric not in ("click", "conversion"):
        return None
    if a.sent < 2 or b.sent < 2 or a.pre_n != a.sent or b.pre_n != b.sent:
        return None
    ua, ub = _arm(a, metric), _arm(b, metric)
    pooled = _Arm(ua.n + ub.n, ua.y + ub.y, ua.x + ub.x, ua.xx + ub.xx, ua.xy + ub.xy)
    _, var_x, cov = _moments(pooled)
    if var_x <= 0:
        return None
    theta = cov / var_x
    (vya, vxa, ca), (vyb, vxb, cb) = _moments(ua), _moments(ub)
    adj_a = vya - 2 * theta * ca + theta * theta * vxa
    adj_b = vyb - 2 * theta * cb + theta * theta * vxb
    diff = (ub.y / ub.n - ua.y / ua.n) - theta * (ub.x / ub.n - ua.x / ua.n)
    var = max(adj_a / ua.n + adj_b / ub.n, 0.0)
    raw = vya / ua.n + vyb / ub.n
    se = math.sqrt(var)
    if se == 0 or raw == 0:
        return None
    p = float(2 * stats.norm.sf(abs(diff / se)))
    half = z_crit(alpha) * se
    return Cuped("pre_clicks", theta, diff, (diff - half, diff + half), p, 1 - var / raw)
