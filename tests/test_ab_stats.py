"""engine.abtest statistics against the golden values (tests/data/ab_golden.json, see AB_GOLDEN.md).

Tolerance: 1e-9 relative (the golden file has 12 significant digits), with an absolute floor of
1e-12 where a value is a small difference of larger terms (expected loss near 0, probabilities
near 0 or 1, gbstats p-values it computes as 1 - F and so loses below 1e-10) or exactly 0.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from scipy import optimize

from engine.abtest import bayes, design, means, proportions

GOLDEN = json.loads((Path(__file__).parent / "data" / "ab_golden.json").read_text())
PROPS = {c["id"]: c for c in GOLDEN["proportion_examples"]}
REL, ABS = 1e-9, 1e-12


def close(actual: float, expected: float, abs_tol: float = ABS) -> bool:
    return math.isclose(actual, expected, rel_tol=REL, abs_tol=abs_tol)


def assert_pair(actual: Any, expected: list[float], abs_tol: float = ABS) -> None:
    assert close(actual[0], expected[0], abs_tol) and close(actual[1], expected[1], abs_tol), (
        actual,
        expected,
    )


def counts(case: dict[str, Any]) -> tuple[int, int, int, int]:
    i = case["inputs"]
    return i["control"]["x"], i["control"]["n"], i["variant"]["x"], i["variant"]["n"]


@pytest.mark.parametrize("cid", list(PROPS))
def test_tests_and_single_rate_intervals(cid: str) -> None:
    r = PROPS[cid]["results"]
    xa, na, xb, nb = counts(PROPS[cid])
    z = proportions.z_test_pooled(xa, na, xb, nb)
    assert close(z.statistic, r["z_test_pooled"]["z"])
    assert close(z.p_value, r["z_test_pooled"]["p_two_sided"])
    assert close(
        proportions.z_test_unpooled(xa, na, xb, nb).p_value, r["z_test_unpooled"]["p_two_sided"]
    )
    assert close(proportions.fisher_exact(xa, na, xb, nb).p_value, r["fisher_exact"]["p_two_sided"])
    assert_pair(proportions.wilson(xa, na), r["wilson_ci_control"])
    assert_pair(proportions.wilson(xb, nb), r["wilson_ci_variant"])
    assert_pair(proportions.clopper_pearson(xa, na), r["clopper_pearson_ci_control"])
    assert_pair(proportions.clopper_pearson(xb, nb), r["clopper_pearson_ci_variant"])


@pytest.mark.parametrize("cid", list(PROPS))
def test_difference_intervals(cid: str) -> None:
    d = PROPS[cid]["results"]["diff_ci_95"]
    xa, na, xb, nb = counts(PROPS[cid])
    assert_pair(proportions.diff_wald(xa, na, xb, nb), d["wald"])
    assert_pair(proportions.diff_newcombe(xa, na, xb, nb), d["newcombe_hybrid_score"])
    assert_pair(proportions.diff_agresti_caffo(xa, na, xb, nb), d["agresti_caffo"])


@pytest.mark.parametrize("cid", [c for c in PROPS if "rel_lift_ci_95" in PROPS[c]["results"]])
def test_lift_intervals_and_confidence_sequence(cid: str) -> None:
    rl = PROPS[cid]["results"]["rel_lift_ci_95"]
    xa, na, xb, nb = counts(PROPS[cid])
    assert_pair(proportions.lift_delta(xa, na, xb, nb), rl["delta_method_normal"])
    assert_pair(proportions.lift_katz(xa, na, xb, nb), rl["log_ratio_katz"])
    fieller = proportions.lift_fieller(xa, na, xb, nb)
    if rl["fieller"] is None:
        assert fieller is None  # P4: p_A^2 <= z^2 v_A, the Fieller set is unbounded
    else:
        assert_pair(fieller, rl["fieller"])
    se = proportions.lift_delta_se(xa, na, xb, nb)
    assert se is not None and close(se, rl["delta_method_se"])
    cs = rl["asymptotic_confidence_sequence_Nstar_5000"]
    seq = design.confidence_sequence((xb / nb) / (xa / na) - 1, se, na + nb)
    assert_pair((seq.low, seq.high), cs["ci"])
    assert close(seq.p_value, cs["always_valid_p"])


@pytest.mark.parametrize("cid", list(PROPS))
@pytest.mark.parametrize(
    ("prior", "key"), [("uniform", "uniform_beta_1_1"), ("jeffreys", "jeffreys_beta_0.5_0.5")]
)
def test_beta_binomial_exact(cid: str, prior: str, key: str) -> None:
    g = PROPS[cid]["results"]["beta_binomial"][key]
    bb = bayes.beta_binomial(*counts(PROPS[cid]), prior=prior)
    assert close(bb.prob_b_beats_a, g["p_variant_beats_control"])
    assert close(bb.loss_ship_b, g["expected_loss_if_ship_variant"])
    assert close(bb.loss_keep_a, g["expected_loss_if_keep_control"])
    assert_pair(bb.credible_b, g["credible_interval_variant_rate"])


@pytest.mark.parametrize("cid", list(PROPS))
def test_gbstats_frequentist_and_bayesian(cid: str) -> None:
    g = PROPS[cid]["results"]["gbstats_0_8_0"]
    xa, na, xb, nb = counts(PROPS[cid])
    for relative, key in [(True, "frequentist_relative"), (False, "frequentist_absolute")]:
        eff = proportions.welch_proportions(xa, na, xb, nb, relative)
        if g[key]["error_message"]:
            assert eff is None  # P5: zero control; we fall back instead (see test_ab_store)
            continue
        assert eff is not None
        assert close(eff.p_value, g[key]["p_value"], abs_tol=1e-15)
        assert_pair((eff.low, eff.high), g[key]["ci"])
    b = g["bayesian_relative_improper_prior"]
    se = proportions.lift_delta_se(xa, na, xb, nb)
    if b["error_message"]:
        assert se is None
        return
    assert se is not None
    ge = bayes.gaussian_effect((xb / nb) / (xa / na) - 1, se)
    assert close(ge.chance_to_win, b["chance_to_win"])
    assert_pair((ge.risk_control, ge.risk_variant), b["risk_[control,variant]"])


@pytest.mark.parametrize("cid", list(PROPS))
def test_miettinen_nurminen_solves_the_published_score_equation(cid: str) -> None:
    """MN is checked against a direct numerical MLE, not the golden file.

    The golden MN values reproduce statsmodels 0.15, whose constrained-MLE cubic uses
    count0 * diff where Miettinen & Nurminen (1985) have nobs0 * diff; its "MLE" does not
    maximise the constrained likelihood. Ours does (checked here), so ours differs from the
    golden MN by up to 0.3 % of the bound. Every other interval matches to 1e-9.
    """
    xa, na, xb, nb = counts(PROPS[cid])
    d = xb / nb - xa / na
    for delta in (d - 0.01, d + 0.005):
        lo, hi = max(1e-12, -delta + 1e-12), min(1 - 1e-12, 1 - delta - 1e-12)

        def nll(pa: float, delta: float = delta) -> float:
            return -(
                xa * math.log(pa) + (na - xa) * math.log1p(-pa)
                + xb * math.log(pa + delta) + (nb - xb) * math.log1p(-pa - delta)
            )  # fmt: skip

        best = optimize.minimize_scalar(
            nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}
        )
        assert math.isclose(
            proportions._constrained_mle(xa, na, xb, nb, delta)[1],
            best.x,
            rel_tol=1e-6,
            abs_tol=1e-9,
        )
    mn = proportions.diff_miettinen_nurminen(xa, na, xb, nb)
    golden = PROPS[cid]["results"]["diff_ci_95"]["miettinen_nurminen_score"]
    assert mn.low < d < mn.high
    assert abs(mn.low - golden[0]) < 0.004 * (golden[1] - golden[0])
    assert abs(mn.high - golden[1]) < 0.004 * (golden[1] - golden[0])


@pytest.mark.parametrize("cid", list(PROPS))
def test_miettinen_nurminen_statsmodels_variant_matches_the_golden_file(cid: str) -> None:
    """The golden MN numbers come from statsmodels: its cubic (``xa * delta`` in the linear
    coefficient) reproduces them to 1e-9; the default follows the 1985 paper."""
    xa, na, xb, nb = counts(PROPS[cid])
    mn = proportions.diff_miettinen_nurminen(xa, na, xb, nb, variant="statsmodels")
    golden = PROPS[cid]["results"]["diff_ci_95"]["miettinen_nurminen_score"]
    assert close(mn.low, golden[0]) and close(mn.high, golden[1])


@pytest.mark.parametrize("case", GOLDEN["srm_examples"], ids=lambda c: c["id"])
def test_srm(case: dict[str, Any]) -> None:
    s = design.srm(case["inputs"]["observed"], case["inputs"]["expected_weights"])
    r = case["results"]
    assert close(s.chi2, r["chi2"]) and close(s.p_value, r["p_value"])
    assert s.flagged is r["flag_at_growthbook_default_0.001"]
    assert s.level == r["statsig_level"]
    assert close(s.max_share_deviation, r["max_abs_share_deviation"])


@pytest.mark.parametrize(
    "case",
    [a for a in GOLDEN["published_anchors"] if "observed" in a["inputs"]],
    ids=lambda c: c["id"],
)
def test_srm_published(case: dict[str, Any]) -> None:
    s = design.srm(case["inputs"]["observed"], case["inputs"]["expected_weights"])
    assert close(s.p_value, case["computed"]["p_value"])


def test_srm_needs_eight_per_arm() -> None:
    s = design.srm([7, 100])
    assert s.p_value < 0.001 and not s.flagged and s.level == "too_small"


def test_published_difference_intervals() -> None:
    a1, a2 = GOLDEN["published_anchors"][0], GOLDEN["published_anchors"][1]
    # Fagerland 2015: 7/34 vs 1/34, difference p1 - p2 (group 1 is our variant)
    c = a1["computed"]
    assert_pair(proportions.diff_wald(1, 34, 7, 34), c["wald"])
    assert_pair(proportions.diff_agresti_caffo(1, 34, 7, 34), c["agresti-caffo"])
    assert_pair(proportions.diff_newcombe(1, 34, 7, 34), c["newcomb"])
    katz = proportions.lift_katz(1, 34, 7, 34)
    assert katz is not None
    assert_pair((katz.low + 1, katz.high + 1), c["katz_log_risk_ratio"])
    assert_pair(proportions.diff_newcombe(48, 80, 56, 70), a2["computed"]["newcombe_hybrid_score"])


@pytest.mark.parametrize("case", GOLDEN["sample_size_examples"], ids=lambda c: c["id"])
def test_sample_size_and_power(case: dict[str, Any]) -> None:
    i, r = case["inputs"], case["results_per_arm"]
    n = design.sample_size(i["p_control"], i["p_variant"], i["alpha"], i["power"])
    assert close(n, r["classic_pooled_H0_unpooled_H1"]) and math.ceil(n) == r["classic_ceil"]
    assert close(
        design.sample_size_fleiss_cc(i["p_control"], i["p_variant"], i["alpha"], i["power"]),
        r["fleiss_continuity_corrected"],
    )
    assert close(
        design.power_at(r["classic_ceil"], i["p_control"], i["p_variant"]),
        r["achieved_power_at_classic_ceil_two_tails"],
    )
    # the MDE inverts power_at (both tails), so it sits a hair below the one-tail formula's
    mde = design.minimum_detectable_lift(n, i["p_control"], i["alpha"], i["power"])
    assert math.isclose(i["p_control"] * (1 + mde), i["p_variant"], rel_tol=1e-4)


@pytest.mark.parametrize("case", GOLDEN["multiple_testing_examples"], ids=lambda c: c["id"])
def test_corrections(case: dict[str, Any]) -> None:
    p, r = case["inputs"]["p_values"], case["results"]
    for name, fn in [
        ("holm", design.holm),
        ("fdr_bh", design.benjamini_hochberg),
        ("bonferroni", design.bonferroni),
    ]:
        got = fn(p)
        assert all(close(a, b) for a, b in zip(got, r[name]["adjusted"], strict=True)), (name, got)
        assert [q <= 0.05 + 1e-12 for q in got] == r[name]["reject_at_0.05"]  # reject at q <= alpha


def test_mean_metric_welch() -> None:
    case = GOLDEN["mean_metric_examples"][0]
    i, r = case["inputs"], case["results"]
    w = means.welch(
        means.Moments(i["control"]["n"], i["control"]["sum"], i["control"]["sum_squares"]),
        means.Moments(i["variant"]["n"], i["variant"]["sum"], i["variant"]["sum_squares"]),
    )
    assert close(w.t, r["welch"]["t"]) and close(w.df, r["welch"]["df"])
    assert close(w.p_value, r["welch"]["p_two_sided"])
    assert_pair(w.ci, r["welch"]["diff_ci_t"])
    assert w.lift_ci is not None
    assert_pair(w.lift_ci, r["rel_lift_ci_delta_z"])


def test_ratio_metric_delta() -> None:
    case = GOLDEN["ratio_metric_examples"][0]
    i, r = case["inputs"], case["results"]

    def mom(d: dict[str, float]) -> means.RatioMoments:
        return means.RatioMoments(int(d["n"]), d["sm"], d["smm"], d["sd"], d["sdd"], d["smd"])

    t = means.ratio_test(mom(i["control"]), mom(i["variant"]))
    assert close(t.z, r["z"]) and close(t.p_value, r["p_two_sided_z"])
    assert_pair(t.ci, r["abs_diff_ci_z"])
    assert_pair(t.lift_ci, r["rel_lift_ci_delta_z"])
    assert close(means.ratio_estimate(mom(i["control"]))[1], r["var_ratio_control"])
