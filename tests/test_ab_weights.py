"""Planned weights: `--weights control=0.9,treat=0.1` stored with the experiment; SRM against it.

Reference: golden case S5_90_10 (tests/data/ab_golden.json, scipy.stats.chisquare; gbstats
check_srm agrees): 90,500 vs 9,500 sends planned 90/10 give chi2 27.7777777778, p 1.36e-07.
Per-segment p-values are checked against scipy.stats.chisquare, not against engine code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scipy import stats

from engine.abtest import report, store
from engine.abtest.queries import Counts, GroupRow
from tests.conftest import RULES
from tests.processes import HTTP, serving

GOLDEN = json.loads((Path(__file__).parent / "data" / "ab_golden.json").read_text())
S5 = next(c for c in GOLDEN["srm_examples"] if c["id"] == "S5_90_10")
PLAN = {"control": 0.9, "treat": 0.1}


def arm(variant: str, sent: int, dimension: str | None = None, key: str | None = None) -> GroupRow:
    return GroupRow(variant, dimension, key, Counts(sent, sent, 0, sent // 20, 0, 0, 0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("control=0.9", "give a weight for every arm (at least two), e.g. control=0.9,treat=0.1"),
        ("control=0.9,treat", "'treat' is not ARM=WEIGHT; write e.g. control=0.9,treat=0.1"),
        ("control=0.9,treat=ten", "'treat=ten': 'ten' is not a number; write e.g. "
         "control=0.9,treat=0.1"),
        ("control=0.9,treat=0", "'treat=0': a weight must be a positive number"),
        ("a=1,a=2", "arm 'a' is given twice"),
    ],
)  # fmt: skip
def test_bad_weights_say_how_to_write_them(text: str, message: str) -> None:
    with pytest.raises(store.WeightsError) as err:
        store.parse_weights(text)
    assert str(err.value) == message


def test_weights_parse_in_any_scale() -> None:
    assert store.parse_weights(" control = 90 , treat=10 ") == {"control": 90.0, "treat": 10.0}
    assert store.parse_weights("control=90%,treat=10%") == {"control": 90.0, "treat": 10.0}


def test_srm_against_the_planned_split_matches_the_golden_case() -> None:
    observed = S5["inputs"]["observed"]
    rows = [arm("control", observed[0]), arm("treat", observed[1])]
    rep = report.build_report(rows, "e", weights=PLAN)
    assert rep.srm["chi2"] == pytest.approx(S5["results"]["chi2"], rel=1e-9)
    assert rep.srm["p_value"] == pytest.approx(S5["results"]["p_value"], rel=1e-9)
    assert rep.srm["level"] == S5["results"]["statsig_level"] == "red"
    assert rep.warnings[0].startswith(
        "sample ratio mismatch: sent counts [90500, 9500] differ from the planned split"
    )


def test_a_planned_90_10_split_is_not_flagged() -> None:
    rows = [arm("control", 90_000), arm("treat", 10_000)]
    equal = report.build_report(rows, "e")
    assert equal.srm["flagged"] and equal.weights is None
    planned = report.build_report(rows, "e", weights=PLAN)
    assert not planned.srm["flagged"] and planned.srm["p_value"] == 1.0
    assert planned.srm["expected"] == (90_000.0, 10_000.0) and planned.weights == PLAN


def test_srm_per_segment_against_the_planned_split() -> None:
    rows = [
        arm("control", 90_000), arm("treat", 10_000),
        arm("control", 81_000, "carrier", "cmcc"), arm("treat", 8_600, "carrier", "cmcc"),
        arm("control", 9_000, "carrier", "ctcc"), arm("treat", 1_400, "carrier", "ctcc"),
    ]  # fmt: skip
    rep = report.build_report(rows, "e", weights=PLAN)
    assert not rep.srm["flagged"]
    assert rep.segment_srm is not None
    by = {(s.dimension, s.value): s for s in rep.segment_srm}
    for key, obs in ((("carrier", "cmcc"), [81_000, 8_600]), (("carrier", "ctcc"), [9_000, 1_400])):
        total = sum(obs)
        ref = stats.chisquare(obs, [total * 0.9, total * 0.1])
        assert by[key].p_value == pytest.approx(float(ref.pvalue), rel=1e-9)
        assert by[key].flagged and by[key].level == "red"
    assert rep.warnings[-1:] == [
        f"the split is off plan inside 2 segment(s): carrier=cmcc (p = {by['carrier', 'cmcc'].p_value:.2g}), "
        f"carrier=ctcc (p = {by['carrier', 'ctcc'].p_value:.2g}); check how those recipients were assigned"
    ]


def test_weights_that_miss_an_arm_fall_back_to_an_equal_split() -> None:
    rep = report.build_report(
        [arm("control", 500), arm("treat", 500)], "e", weights={"control": 1, "x": 1}
    )
    assert not rep.srm["flagged"] and rep.srm["expected"] == (500.0, 500.0)
    assert rep.warnings[:1] == [
        "the planned weights name no weight for 'treat'; the split is checked against an equal "
        "split instead"
    ]


HEADER = "experiment,variant,message_id,recipient,event,ts\n"


def xinshi(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XINSHI_DATA": str(data), "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "ab", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def holdout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("holdout")
    rows = [f"ho,control,c{i},hc{i},sent,2026-11-11T10:00:00" for i in range(900)]
    rows += [f"ho,treat,t{i},ht{i},sent,2026-11-11T10:00:00" for i in range(100)]
    path = root / "ho.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    data = root / "data"
    r = xinshi("ingest", str(path), "--weights", "control=0.9,treat=0.1", data=data)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"{path}: 1000 rows, 1000 new events added",
        "ho: planned split control=0.9,treat=0.1 stored",
    ]
    return data


EQUAL_P = float(stats.chisquare([900, 100]).pvalue)


def test_cli_report_uses_the_stored_weights(holdout: Path) -> None:
    r = xinshi("report", "ho", data=holdout)
    assert r.returncode == 0, r.stderr
    assert "SRM check (planned control=0.9,treat=0.1): p = 1 (ok)" in r.stdout
    d = json.loads(xinshi("report", "ho", "--json", data=holdout).stdout)
    assert d["weights"] == PLAN and d["srm"]["level"] == "ok"
    d = json.loads(
        xinshi("report", "ho", "--json", "--weights", "control=1,treat=1", data=holdout).stdout
    )
    assert d["srm"]["flagged"] and d["srm"]["p_value"] == pytest.approx(EQUAL_P, rel=1e-9)
    r = xinshi("report", "ho", "--weights", "control=0.9", data=holdout)
    assert (r.returncode, r.stderr) == (
        2,
        "error: --weights: give a weight for every arm (at least two), e.g. control=0.9,treat=0.1\n",
    )


@pytest.fixture(scope="module")
def server(holdout: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("hoapi") / "server.log"
    with serving(RULES, log, {"XINSHI_DATA": str(holdout), "XINSHI_WATCH_RULES": "0"}) as url:
        yield url


def test_api_uses_the_stored_weights_or_the_query(server: str) -> None:
    d = HTTP.get(f"{server}/v1/ab/ho", timeout=60).json()
    assert d["weights"] == PLAN and d["srm"]["p_value"] == 1.0 and not d["srm"]["flagged"]
    d = HTTP.get(f"{server}/v1/ab/ho", params={"weights": "control=1,treat=1"}, timeout=60).json()
    assert d["srm"]["flagged"] and d["srm"]["p_value"] == pytest.approx(EQUAL_P, rel=1e-9)
    r = HTTP.get(f"{server}/v1/ab/ho", params={"weights": "control=x,treat=1"}, timeout=60)
    assert r.status_code == 422
    assert r.json() == {
        "error": {
            "code": "invalid_request",
            "message": "weights: 'control=x': 'x' is not a number; write e.g. control=0.9,treat=0.1",
            "field": "weights",
        }
    }
