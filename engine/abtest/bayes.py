"""Bayesian read-outs: exact Beta-Binomial chance to beat control and expected loss.

No Monte Carlo: with an integer posterior alpha for B, P(p_B > p_A) has Evan Miller's closed
form; otherwise one 1-D integral. Expected loss uses E[p_A 1{p_A > p_B}] = mu_A P(A+ > B), where
A+ is A's posterior with alpha + 1, so it reduces to the same probabilities.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import integrate, special, stats

from engine.abtest.proportions import ALPHA


class Posterior(NamedTuple):
    """A Beta(alpha, beta) posterior."""

    alpha: float
    beta: float


class BetaBinomial(NamedTuple):
    """Chance that B beats A and the expected loss of each choice."""

    prob_b_beats_a: float
    loss_ship_b: float
    loss_keep_a: float
    credible_b: tuple[float, float]
    prior: str


PRIORS = {"uniform": (1.0, 1.0), "jeffreys": (0.5, 0.5)}
DEFAULT_PRIOR = "uniform"


def stated_prior(metric: str, prior: str = DEFAULT_PRIOR) -> dict[str, object]:
    """Return the prior behind a metric's Bayesian read-out, as the report states it."""
    if metric == "revenue":
        return {
            "name": "flat",
            "model": "normal approximation of the difference (gbstats)",
            "statement": "improper flat prior on the difference in revenue per send",
        }
    a0, b0 = PRIORS[prior]
    return {
        "name": prior,
        "model": "Beta-Binomial, arms independent",
        "alpha": a0,
        "beta": b0,
        "statement": f"each arm's rate ~ Beta({a0:g}, {b0:g}) before the data",
    }


def posterior(x: int, n: int, prior: str = "uniform") -> Posterior:
    """Return the Beta posterior of a rate after x successes in n trials."""
    a0, b0 = PRIORS[prior]
    return Posterior(a0 + x, b0 + n - x)


def prob_greater(b: Posterior, a: Posterior) -> float:
    """Return P(X_b > X_a) for independent Beta variables."""
    if float(b.alpha).is_integer() and b.alpha <= 100_000:
        return _prob_greater_closed(b, a)
    return _prob_greater_quad(b, a)


def _prob_greater_closed(b: Posterior, a: Posterior) -> float:
    # sum_{i<alpha_b} B(alpha_a+i, beta_a+beta_b) / ((beta_b+i) B(1+i, beta_b) B(alpha_a, beta_a))
    i = np.arange(int(b.alpha), dtype=np.float64)
    log_terms = (
        special.betaln(a.alpha + i, a.beta + b.beta)
        - np.log(b.beta + i)
        - special.betaln(1 + i, b.beta)
        - special.betaln(a.alpha, a.beta)
    )
    total = math.fsum(np.exp(log_terms).tolist())
    return min(1.0, max(0.0, total))


def _prob_greater_quad(b: Posterior, a: Posterior) -> float:
    dist_b, dist_a = stats.beta(b.alpha, b.beta), stats.beta(a.alpha, a.beta)
    lo, hi = (float(v) for v in dist_b.ppf([1e-15, 1 - 1e-15]))
    mode = float(dist_b.mean())

    def integrand(y: float) -> float:
        return float(dist_b.pdf(y) * dist_a.cdf(y))

    value, _ = integrate.quad(
        integrand, lo, hi, points=[mode], epsabs=1e-14, epsrel=1e-12, limit=200
    )
    return min(1.0, max(0.0, float(value)))


def beta_binomial(
    xa: int, na: int, xb: int, nb: int, prior: str = "uniform", alpha: float = ALPHA
) -> BetaBinomial:
    """Return P(p_B > p_A), the expected loss of shipping B and of keeping A, B's credible set."""
    pa, pb = posterior(xa, na, prior), posterior(xb, nb, prior)
    mean_a = pa.alpha / (pa.alpha + pa.beta)
    mean_b = pb.alpha / (pb.alpha + pb.beta)
    a_plus = Posterior(pa.alpha + 1, pa.beta)
    b_plus = Posterior(pb.alpha + 1, pb.beta)
    prob = prob_greater(pb, pa)
    # E[max(pA - pB, 0)] = mu_A P(A+ > B) - mu_B P(A > B+)
    loss_ship = mean_a * (1 - prob_greater(pb, a_plus)) - mean_b * (1 - prob_greater(b_plus, pa))
    # E[max(pB - pA, 0)] = E[pB - pA] + E[max(pA - pB, 0)]
    loss_keep = mean_b - mean_a + loss_ship
    dist = stats.beta(pb.alpha, pb.beta)
    cred = (float(dist.ppf(alpha / 2)), float(dist.isf(alpha / 2)))
    return BetaBinomial(prob, max(0.0, loss_ship), max(0.0, loss_keep), cred, prior)


class GaussianEffect(NamedTuple):
    """GrowthBook-style Bayesian read-out on a normal effect with an improper prior."""

    chance_to_win: float
    risk_control: float
    risk_variant: float


def gaussian_effect(effect: float, se: float) -> GaussianEffect:
    """Return chance to win and risk for effect ~ N(effect, se^2) (gbstats, improper prior)."""
    if se <= 0:
        return GaussianEffect(0.5, 0.0, 0.0)
    r = effect / se
    phi, cdf = float(stats.norm.pdf(r)), float(stats.norm.cdf(r))
    risk_control = effect * cdf + se * phi  # E[max(effect, 0)]: lost by keeping control
    risk_variant = -effect * (1 - cdf) + se * phi  # E[max(-effect, 0)]: lost by shipping
    return GaussianEffect(cdf, risk_control, risk_variant)
