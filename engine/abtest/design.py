"""Test design and health: SRM, multiple-testing corrections, sample size, always-valid reads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from scipy import stats

from engine.abtest.proportions import ALPHA, z_crit

CONTROL_NAMES = ("control", "ctrl", "A", "a", "baseline")
SRM_THRESHOLD = 0.001  # GrowthBook / Eppo default
SRM_MIN_PER_ARM = 8  # GrowthBook checks only once every arm has this many units
SRM_YELLOW = 0.01  # Statsig: 0.001-0.01 is a warning
SRM_MIN_DEVIATION = 0.001  # Statsig: red needs >= 0.1 % share deviation too


def pick_control(variants: Sequence[str]) -> str:
    """Return the control arm: the first of CONTROL_NAMES present, else the first by name."""
    for name in CONTROL_NAMES:
        if name in variants:
            return name
    return sorted(variants)[0]


class Srm(NamedTuple):
    """Sample-ratio-mismatch check of observed arm sizes against the planned weights."""

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    chi2: float
    p_value: float
    flagged: bool
    level: str  # ok | yellow | red | too_small
    max_share_deviation: float


def srm(observed: Sequence[int], weights: Sequence[float] | None = None) -> Srm:
    """Return the chi-square SRM check; flagged when p < 0.001 and every arm has >= 8 units."""
    obs = tuple(int(o) for o in observed)
    w = [1.0] * len(obs) if weights is None else [float(v) for v in weights]
    total, wsum = sum(obs), sum(w)
    expected = tuple(total * v / wsum for v in w)
    if total == 0 or len(obs) < 2:
        return Srm(obs, expected, 0.0, 1.0, False, "too_small", 0.0)
    chi2 = math.fsum((o - e) ** 2 / e for o, e in zip(obs, expected, strict=True))
    p = float(stats.chi2.sf(chi2, len(obs) - 1))
    dev = max(abs(o / total - v / wsum) for o, v in zip(obs, w, strict=True))
    if min(obs) < SRM_MIN_PER_ARM:
        return Srm(obs, expected, chi2, p, False, "too_small", dev)
    flagged = p < SRM_THRESHOLD
    level = "ok"
    if flagged and dev >= SRM_MIN_DEVIATION:
        level = "red"
    elif p < SRM_YELLOW:
        level = "yellow"
    return Srm(obs, expected, chi2, p, flagged, level, dev)


def holm(p_values: Sequence[float]) -> list[float]:
    """Return Holm step-down adjusted p-values (monotone, capped at 1)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = running
    return out


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Return Benjamini-Hochberg step-up adjusted p-values (false discovery rate)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    out = [0.0] * m
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p_values[i] * m / rank)
        out[i] = min(1.0, running)
    return out


def bonferroni(p_values: Sequence[float]) -> list[float]:
    """Return Bonferroni adjusted p-values."""
    return [min(1.0, p * len(p_values)) for p in p_values]


def sample_size(
    p_control: float, p_variant: float, alpha: float = ALPHA, power: float = 0.8
) -> float:
    """Return units per arm for a two-sided two-proportion test, 1:1 (= R power.prop.test)."""
    za, zb = z_crit(alpha), float(stats.norm.ppf(power))
    pbar = (p_control + p_variant) / 2
    num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(
        p_control * (1 - p_control) + p_variant * (1 - p_variant)
    )
    return num**2 / (p_variant - p_control) ** 2


def sample_size_fleiss_cc(
    p_control: float, p_variant: float, alpha: float = ALPHA, power: float = 0.8
) -> float:
    """Return units per arm with Fleiss' continuity correction."""
    n = sample_size(p_control, p_variant, alpha, power)
    delta = abs(p_variant - p_control)
    return n / 4 * (1 + math.sqrt(1 + 4 / (n * delta))) ** 2


def power_at(n_per_arm: float, p_control: float, p_variant: float, alpha: float = ALPHA) -> float:
    """Return the power of the two-sided pooled test with n per arm (both tails)."""
    za = z_crit(alpha)
    d = p_variant - p_control
    pbar = (p_control + p_variant) / 2
    s0 = math.sqrt(2 * pbar * (1 - pbar) / n_per_arm)
    s1 = math.sqrt((p_control * (1 - p_control) + p_variant * (1 - p_variant)) / n_per_arm)
    upper = stats.norm.sf((za * s0 - d) / s1)
    lower = stats.norm.cdf((-za * s0 - d) / s1)
    return float(upper + lower)


def minimum_detectable_lift(
    n_per_arm: float, p_control: float, alpha: float = ALPHA, power: float = 0.8
) -> float:
    """Return the smallest relative lift detectable with n per arm (upward, two-sided test)."""
    lo, hi = 1e-9, 1 / p_control - 1 - 1e-12 if p_control > 0 else 1e9
    if power_at(n_per_arm, p_control, p_control * (1 + hi), alpha) < power:
        return math.inf
    for _ in range(200):
        mid = (lo + hi) / 2
        if power_at(n_per_arm, p_control, p_control * (1 + mid), alpha) >= power:
            hi = mid
        else:
            lo = mid
    return hi


class Sequential(NamedTuple):
    """Asymptotic confidence sequence (always valid under peeking) for an effect."""

    low: float
    high: float
    p_value: float


def confidence_sequence(
    effect: float, se: float, n_total: int, tuning: float = 5000, alpha: float = ALPHA
) -> Sequential:
    """Return the always-valid interval and p-value (Waudby-Smith et al.; gbstats, N* = tuning)."""
    if se <= 0 or n_total <= 0:
        return Sequential(effect, effect, 1.0)
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)
    n = n_total
    s2 = se * se * n
    k = n * rho * rho + 1
    half = math.sqrt(s2) * math.sqrt(2 * k / (n * rho) ** 2 * math.log(math.sqrt(k) / alpha))
    # invert the interval at fixed rho: the alpha at which it just reaches zero
    t2 = effect * effect * n / (se * se)
    log_e = rho * rho * t2 / (2 * k) - 0.5 * math.log(k)
    p = 1.0 if log_e <= 0 else min(1.0, math.exp(-log_e))
    return Sequential(effect - half, effect + half, p)
