"""Plan a test before it runs: sends per arm and days needed to see a given lift.

Per comparison of a treatment arm with control, a two-sided two-proportion z-test (pooled under
H0, unpooled under H1) with allocation ratio k = n_treatment / n_control, as in Fleiss, Levin &
Paik, *Statistical Methods for Rates and Proportions* (3rd ed., 2003), section 4.4:

    n_control = (z_{1-a/2} sqrt(pbar qbar (1 + 1/k)) + z_{1-b} sqrt(p1 q1 + p2 q2 / k))^2 / d^2,
    pbar = (p1 + k p2) / (1 + k).

At k = 1 this is R's power.prop.test (the golden file's "classic" sample size). With several
treatment arms each is compared with control at the same alpha (the report corrects with Holm
afterwards); the arm that needs most sets the total.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from scipy import stats

from engine.abtest.design import pick_control
from engine.abtest.proportions import ALPHA, z_crit


class PlanError(ValueError):
    """A planning input that cannot be used; the message says what to give instead."""


class ArmPlan(NamedTuple):
    """One arm's share of the traffic and the sends it needs."""

    variant: str
    share: float
    sends: int


class Plan(NamedTuple):
    """Sends and days needed to detect the lift in every treatment arm."""

    baseline: float
    target: float
    relative_lift: float
    alpha: float
    power: float
    arms: list[ArmPlan]
    total: int
    daily: int | None
    days: int | None

    def to_dict(self) -> dict[str, object]:
        """Return the plan as JSON-ready data."""
        out = self._asdict()
        out["arms"] = [a._asdict() for a in self.arms]
        return out


def sends_for_control(
    p_control: float, p_variant: float, ratio: float = 1.0, alpha: float = ALPHA, power: float = 0.8
) -> float:
    """Return the control sends needed (the treatment needs ``ratio`` times as many)."""
    za, zb = z_crit(alpha), float(stats.norm.ppf(power))
    p1, p2, k = p_control, p_variant, ratio
    pbar = (p1 + k * p2) / (1 + k)
    num = za * math.sqrt(pbar * (1 - pbar) * (1 + 1 / k)) + zb * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2) / k
    )
    return num**2 / (p2 - p1) ** 2


def parse_rate(text: str, name: str) -> float:
    """Read ``0.03`` or ``3%`` as a rate in (0, 1)."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise PlanError(f"{name}: {text!r} is not a rate; write e.g. 0.03 or 3%") from None
    if not 0 < value < 1:
        raise PlanError(f"{name}: {text!r} must be between 0 and 1 (0% and 100%)")
    return value


def parse_mde(text: str, baseline: float) -> float:
    """Read the minimum detectable effect: ``10%`` or ``0.1`` relative, ``0.3pp`` absolute."""
    raw = text.strip().lower()
    try:
        if raw.endswith("pp"):
            target = baseline + float(raw[:-2]) / 100
        elif raw.endswith("%"):
            target = baseline * (1 + float(raw[:-1]) / 100)
        else:
            target = baseline * (1 + float(raw))
    except ValueError:
        raise PlanError(
            f"--mde: {text!r} is not an effect; write a relative lift like 10% (or 0.1) or "
            "absolute points like 0.3pp"
        ) from None
    if target == baseline:
        raise PlanError("--mde: the effect must not be zero")
    if not 0 < target < 1:
        raise PlanError(f"--mde: {text!r} takes the rate to {target:.2%}, outside 0%-100%")
    return target


def plan(
    baseline: float,
    target: float,
    weights: dict[str, float] | None = None,
    daily: int | None = None,
    alpha: float = ALPHA,
    power: float = 0.8,
    control: str | None = None,
) -> Plan:
    """Return the sends per arm (rounded up) and days needed at ``daily`` sends a day."""
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise PlanError("alpha and power must be between 0 and 1")
    if daily is not None and daily <= 0:
        raise PlanError("--daily: give the number of sends a day, a positive whole number")
    w = weights or {"control": 1.0, "treatment": 1.0}
    names = list(w)
    ctrl = control if control in w else pick_control(names)
    total_w = sum(w.values())
    needed_total = 0.0
    for name in names:
        if name == ctrl:
            continue
        ratio = w[name] / w[ctrl]
        n_control = sends_for_control(baseline, target, ratio, alpha, power)
        needed_total = max(needed_total, n_control * total_w / w[ctrl])
    arms = [
        ArmPlan(n, w[n] / total_w, math.ceil(needed_total * w[n] / total_w - 1e-9)) for n in names
    ]
    total = sum(a.sends for a in arms)
    days = math.ceil(total / daily) if daily else None
    return Plan(baseline, target, target / baseline - 1, alpha, power, arms, total, daily, days)
