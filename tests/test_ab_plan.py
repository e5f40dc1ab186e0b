"""`xinshi ab plan`: sends per arm and days to see a lift, equal or planned split.

References: golden sample_size_examples N1-N4 (tests/data/ab_golden.json; R power.prop.test /
Fleiss, "classic_ceil" per arm). Unequal splits are checked against the power of the test
itself, computed here from the normal distribution (not from engine code).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

from engine.abtest import plan

GOLDEN = json.loads((Path(__file__).parent / "data" / "ab_golden.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["sample_size_examples"], ids=lambda c: c["id"])
def test_equal_split_matches_power_prop_test(case: dict) -> None:
    i = case["inputs"]
    p = plan.plan(i["p_control"], i["p_variant"], alpha=i["alpha"], power=i["power"])
    per_arm = case["results_per_arm"]["classic_ceil"]
    assert [a.sends for a in p.arms] == [per_arm, per_arm]
    assert p.total == 2 * per_arm
    exact = plan.sends_for_control(i["p_control"], i["p_variant"], 1.0, i["alpha"], i["power"])
    assert exact == pytest.approx(
        case["results_per_arm"]["classic_pooled_H0_unpooled_H1"], rel=1e-9
    )


def _power(p1: float, p2: float, n1: float, n2: float, alpha: float = 0.05) -> float:
    """Power of the two-sided pooled z-test, upper tail (the tail the plan solves for)."""
    za = stats.norm.isf(alpha / 2)
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    s0 = math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    s1 = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return float(stats.norm.sf((za * s0 - (p2 - p1)) / s1))


@pytest.mark.parametrize("ratio", [1 / 9, 0.25, 3.0])
def test_unequal_split_reaches_the_power(ratio: float) -> None:
    n1 = plan.sends_for_control(0.03, 0.033, ratio)
    assert _power(0.03, 0.033, n1, ratio * n1) == pytest.approx(0.8, abs=1e-9)


def test_a_90_10_split_needs_more_sends_in_all() -> None:
    p = plan.plan(0.03, 0.033, {"control": 0.9, "treat": 0.1}, daily=10_000)
    control, treat = p.arms
    assert (control.variant, treat.variant) == ("control", "treat")
    assert _power(0.03, 0.033, control.sends, treat.sends) >= 0.8
    assert _power(0.03, 0.033, control.sends - 10, treat.sends - 2) < 0.8
    assert p.total == control.sends + treat.sends and p.days == math.ceil(p.total / 10_000)
    assert p.total > 2 * 53_211


def test_several_arms_the_hardest_sets_the_total() -> None:
    p = plan.plan(0.03, 0.033, {"control": 2, "a": 1, "b": 1})
    control, a, b = p.arms
    assert a.sends == b.sends and control.sends == pytest.approx(2 * a.sends, abs=1)
    assert _power(0.03, 0.033, control.sends, a.sends) >= 0.8


def xinshi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "ab", "plan", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip


def test_cli_plan() -> None:
    r = xinshi("--baseline", "0.03", "--mde", "10%", "--daily", "10000")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "baseline 3.00% -> 3.30% (+10.0% relative), two-sided alpha 0.05, power 80%",
        "  control: 53,211 sends (50% of traffic)",
        "  treatment: 53,211 sends (50% of traffic)",
        "total: 106,422 sends",
        "at 10,000 sends a day: 11 day(s)",
    ]
    r = xinshi("--baseline", "3%", "--mde", "0.3pp", "--weights", "control=0.9,treat=0.1", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["target"] == pytest.approx(0.033) and d["days"] is None
    assert [(a["variant"], a["share"]) for a in d["arms"]] == [("control", 0.9), ("treat", 0.1)]
    assert _power(0.03, 0.033, d["arms"][0]["sends"], d["arms"][1]["sends"]) >= 0.8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--baseline", "3", "--mde", "10%"), "--baseline: '3' must be between 0 and 1 (0% and 100%)"),
        (("--baseline", "abc", "--mde", "10%"), "--baseline: 'abc' is not a rate; write e.g. 0.03 or 3%"),
        (("--baseline", "0.03", "--mde", "ten"), "--mde: 'ten' is not an effect; write a relative "
         "lift like 10% (or 0.1) or absolute points like 0.3pp"),
        (("--baseline", "0.5", "--mde", "150%"), "--mde: '150%' takes the rate to 125.00%, outside 0%-100%"),
        (("--baseline", "0.03", "--mde", "10%", "--daily", "0"),
         "--daily: give the number of sends a day, a positive whole number"),
    ],
)  # fmt: skip
def test_cli_plan_errors(args: tuple[str, ...], message: str) -> None:
    r = xinshi(*args)
    assert (r.returncode, r.stderr) == (2, f"error: {message}\n")
