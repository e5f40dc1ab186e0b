"""engine.abtest.proportions where the golden file does not reach: the labels the report prints,
empty and all-or-nothing arms, the level ``alpha``, and closed forms derived here by hand.

The expected values come from the formulas (Clopper-Pearson at x = 0 or n, the Wilson limit at
1/1, the score equation solved for two all-zero arms), not from the code under test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from engine.abtest import proportions as prop

Z95 = 1.959963984540054  # the two-sided 95 % standard-normal critical value
Z90 = 1.6448536269514722
COUNTS = (110, 1000, 130, 1000)  # golden case P1: 11 % vs 13 %


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize(
    ("fn", "args", "label"),
    [
        (prop.wilson, (110, 1000), "wilson"),
        (prop.wilson, (0, 0), "wilson"),
        (prop.clopper_pearson, (3, 10), "clopper-pearson"),
        (prop.z_test_pooled, COUNTS, "z-test (pooled)"),
        (prop.z_test_pooled, (0, 10, 0, 20), "z-test (pooled)"),
        (prop.z_test_unpooled, COUNTS, "z-test (unpooled)"),
        (prop.z_test_unpooled, (10, 10, 0, 20), "z-test (unpooled)"),
        (prop.fisher_exact, COUNTS, "Fisher exact"),
        (prop.diff_wald, COUNTS, "wald"),
        (prop.diff_newcombe, COUNTS, "newcombe"),
        (prop.diff_agresti_caffo, COUNTS, "agresti-caffo"),
        (prop.diff_miettinen_nurminen, COUNTS, "miettinen-nurminen"),
        (prop.lift_delta, COUNTS, "delta"),
        (prop.lift_katz, COUNTS, "katz"),
        (prop.lift_fieller, COUNTS, "fieller"),
    ],
)
def test_each_result_names_its_method_as_the_report_prints_it(
    fn: Callable[..., Any], args: tuple[int, ...], label: str
) -> None:
    assert fn(*args).method == label


def test_no_messages_means_any_rate() -> None:
    assert prop.wilson(0, 0) == (0.0, 1.0, "wilson")


def test_a_wilson_interval_never_leaves_0_to_100_percent() -> None:
    # at x = n the upper limit is 1 in exact arithmetic (0 at x = 0); rounding must not push it
    # past the range (without the clamp, n = 38 gave 1.0000000000000002)
    for n in range(1, 120):
        assert 1 - 1e-12 < prop.wilson(n, n).high <= 1.0, n
        assert 0.0 <= prop.wilson(0, n).low < 1e-12, n
    # one success in one message: the lower limit is 1 / (1 + z^2)
    assert close(prop.wilson(1, 1).low, 1 / (1 + Z95**2))


@pytest.mark.parametrize("n", [1, 10, 57])
def test_clopper_pearson_at_no_and_all_successes(n: int) -> None:
    # at x = n: [(alpha/2)^(1/n), 1]; at x = 0: [0, 1 - (alpha/2)^(1/n)]
    edge = 0.025 ** (1 / n)
    assert prop.clopper_pearson(n, n)[:2] == (pytest.approx(edge, rel=1e-12), 1.0)
    assert prop.clopper_pearson(0, n)[:2] == (0.0, pytest.approx(1 - edge, rel=1e-12))


@pytest.mark.parametrize("test", [prop.z_test_pooled, prop.z_test_unpooled])
@pytest.mark.parametrize("counts", [(0, 50, 0, 80), (50, 50, 80, 80)])
def test_two_arms_without_variance_show_no_difference(
    test: Callable[[int, int, int, int], prop.Test], counts: tuple[int, int, int, int]
) -> None:
    got = test(*counts)
    assert (got.statistic, got.p_value) == (0.0, 1.0)


def test_the_unpooled_statistic_and_fishers_odds_ratio() -> None:
    xa, na, xb, nb = COUNTS
    pa, pb = xa / na, xb / nb
    z = (pb - pa) / math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    assert close(prop.z_test_unpooled(*COUNTS).statistic, z)
    assert close(prop.z_test_unpooled(*COUNTS).statistic, 1.37685678164, rel=1e-11)  # golden P1
    odds = (xb / (nb - xb)) / (xa / (na - xa))  # variant B over control A
    assert close(prop.fisher_exact(*COUNTS).statistic, odds)


INTERVALS: list[Callable[..., prop.Interval | None]] = [
    prop.diff_wald, prop.diff_newcombe, prop.diff_agresti_caffo, prop.diff_miettinen_nurminen,
    prop.lift_delta, prop.lift_katz, prop.lift_fieller,
]  # fmt: skip


@pytest.mark.parametrize("fn", INTERVALS, ids=lambda f: f.__name__)
def test_a_lower_confidence_level_gives_a_strictly_narrower_nested_interval(
    fn: Callable[..., prop.Interval | None],
) -> None:
    wide, narrow = fn(*COUNTS, alpha=0.05), fn(*COUNTS, alpha=0.10)
    assert wide is not None and narrow is not None
    assert wide.low < narrow.low < narrow.high < wide.high


def test_intervals_at_90_percent_follow_their_formulas() -> None:
    xa, na, xb, nb = COUNTS
    pa, pb = xa / na, xb / nb
    half = Z90 * math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    assert prop.diff_wald(*COUNTS, alpha=0.10)[:2] == (
        pytest.approx(pb - pa - half, rel=1e-9), pytest.approx(pb - pa + half, rel=1e-9),
    )  # fmt: skip
    # Agresti-Caffo: the Wald interval after one success and one failure per arm
    qa, qb = (xa + 1) / (na + 2), (xb + 1) / (nb + 2)
    half = Z90 * math.sqrt(qa * (1 - qa) / (na + 2) + qb * (1 - qb) / (nb + 2))
    assert prop.diff_agresti_caffo(*COUNTS, alpha=0.10)[:2] == (
        pytest.approx(qb - qa - half, rel=1e-9), pytest.approx(qb - qa + half, rel=1e-9),
    )  # fmt: skip
    wa, wb = prop.wilson(xa, na, 0.10), prop.wilson(xb, nb, 0.10)
    low = pb - pa - math.sqrt((pb - wb.low) ** 2 + (wa.high - pa) ** 2)
    high = pb - pa + math.sqrt((wb.high - pb) ** 2 + (pa - wa.low) ** 2)
    assert prop.diff_newcombe(*COUNTS, alpha=0.10)[:2] == (
        pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9),
    )  # fmt: skip


@pytest.mark.parametrize("n", [10, 20, 50])
def test_miettinen_nurminen_for_two_arms_with_no_events(n: int) -> None:
    # 0/n vs 0/n: the constrained MLE at delta > 0 is (p_B, p_A) = (delta, 0), so the score
    # equation delta^2 / var = z^2 with var = delta (1 - delta) / n * 2n / (2n - 1) gives
    # delta = 2 z^2 / (2n - 1 + 2 z^2); the interval is symmetric. (It collapsed to +-1e-13.)
    bound = 2 * Z95**2 / (2 * n - 1 + 2 * Z95**2)
    for counts in ((0, n, 0, n), (n, n, n, n)):  # all failures, or all successes
        for variant in ("paper", "statsmodels"):
            mn = prop.diff_miettinen_nurminen(*counts, variant=variant)
            assert mn[:2] == (pytest.approx(-bound, rel=1e-9), pytest.approx(bound, rel=1e-9))


def test_miettinen_nurminen_reaches_the_end_of_the_range() -> None:
    # every control message converted, no variant message did: the difference can be -100 %
    low, high, _ = prop.diff_miettinen_nurminen(10, 10, 0, 10)
    assert low == -1.0 and -1.0 < high < 0
    low, high, _ = prop.diff_miettinen_nurminen(0, 10, 10, 10)
    assert 0 < low < 1.0 and high == 1.0


def test_katz_needs_events_in_both_arms() -> None:
    assert prop.lift_katz(5, 100, 0, 100) is None
    assert prop.lift_katz(0, 100, 5, 100) is None
    katz = prop.lift_katz(4, 100, 1, 100)  # one event is enough
    assert katz is not None
    log_rr, half = math.log(0.25), Z95 * math.sqrt(1 / 1 - 1 / 100 + 1 / 4 - 1 / 100)
    assert katz[:2] == (
        pytest.approx(math.exp(log_rr - half) - 1), pytest.approx(math.exp(log_rr + half) - 1),
    )  # fmt: skip


def test_fieller_when_an_arm_has_no_variance() -> None:
    # both arms at 100 %: the lift is exactly 0; a variant at 0 %: exactly -100 %
    assert prop.lift_fieller(10, 10, 20, 20) == (0.0, 0.0, "fieller")
    assert prop.lift_fieller(10, 100, 0, 100) == (-1.0, -1.0, "fieller")


def test_welch_reads_out_the_relative_effect_by_default() -> None:
    xa, na, xb, nb = COUNTS
    rel = prop.welch_proportions(*COUNTS)
    assert rel is not None and rel == prop.welch_proportions(*COUNTS, relative=True)
    pa, pb = xa / na, xb / nb
    assert close(rel.estimate, (pb - pa) / pa)
    se = math.sqrt(pb * (1 - pb) / (pa * pa * nb) + pa * (1 - pa) * pb * pb / (pa**4 * na))
    assert close(rel.se, se)
    absolute = prop.welch_proportions(*COUNTS, relative=False)
    assert absolute is not None and close(absolute.estimate, pb - pa)


def test_welch_has_no_answer_when_neither_arm_varies() -> None:
    assert prop.welch_proportions(10, 10, 20, 20) is None
    assert prop.welch_proportions(0, 10, 5, 20) is None  # control without events


@pytest.mark.parametrize("counts", [COUNTS, (0, 20, 0, 20), (3, 200, 9, 200), (20, 20, 5, 20)])
def test_the_constrained_mle_at_no_difference_is_the_pooled_rate(
    counts: tuple[int, int, int, int],
) -> None:
    # the score test's null: under p_B = p_A the likelihood is maximised by the pooled rate
    xa, na, xb, nb = counts
    pooled = (xa + xb) / (na + nb)
    assert prop._constrained_mle(*counts, 0.0) == (pytest.approx(pooled), pytest.approx(pooled))
