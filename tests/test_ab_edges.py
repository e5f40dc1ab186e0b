"""The edges of an A/B report: lift intervals at 0 % and 100 %, orphans, segments with n <= 1.

Reference values: Koopman's score interval for the ratio 7/34 vs 1/34 is (1.220853, 42.575718)
in R PropCIs::riskscoreci, as quoted by statsmodels' test_proportion.py
(test_confint_2indep_propcis); Fagerland, Lydersen & Laake (2015), table for the same data,
print "Koopman asymptotic score 1.21 43". The edge intervals are checked against the score
equation itself, with the restricted likelihood maximised numerically (no closed form shared
with the code under test).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scipy import optimize

from engine.abtest import ingest, proportions, report, store
from tests.conftest import RULES
from tests.processes import HTTP, serving

Z = 1.959963984540054


def _score_by_brute_force(xa: int, na: int, xb: int, nb: int, ratio: float) -> float:
    """Koopman's score statistic, restricted MLE by numerical maximisation."""

    def nll(pa: float) -> float:
        pb = ratio * pa
        eps = 1e-300
        return -(
            xb * math.log(max(pb, eps)) + (nb - xb) * math.log(max(1 - pb, eps))
            + xa * math.log(max(pa, eps)) + (na - xa) * math.log(max(1 - pa, eps))
        )  # fmt: skip

    hi = min(1.0, 1.0 / ratio)
    pa = optimize.minimize_scalar(nll, bounds=(1e-12, hi - 1e-12), method="bounded",
                                  options={"xatol": 1e-13}).x  # fmt: skip
    pb = ratio * pa
    var = pb * (1 - pb) / nb + ratio**2 * pa * (1 - pa) / na
    return (xb / nb - ratio * xa / na) / math.sqrt(var)


def test_score_lift_interval_matches_propcis() -> None:
    ci = proportions.lift_score(1, 34, 7, 34)  # control 1/34, variant 7/34
    assert ci is not None and ci.method == "score"
    assert (ci.low + 1, ci.high + 1) == pytest.approx((1.220853, 42.575718), rel=2e-6)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((30, 30, 30, 30), (-0.11351339317, 0.12804862736)),  # both arms at 100 %
        ((20, 500, 0, 500), (-1.0, -0.80916372261)),  # variant at 0 %
        ((500, 500, 0, 500), (-1.0, -0.99237565954)),  # control 100 %, variant 0 %
        ((3, 500, 500, 500), (56.174704747, 488.57300751)),  # variant 100 %
    ],
)
def test_score_lift_interval_at_the_edges(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    ci = proportions.lift_score(*counts)
    assert ci is not None
    assert (ci.low, ci.high) == pytest.approx(expected, rel=1e-9)
    assert ci.high - ci.low > 0.005  # never a zero-width interval
    for end, z in ((ci.low, Z), (ci.high, -Z)):
        if end > -1:  # an open end solves the score equation
            assert _score_by_brute_force(*counts, end + 1) == pytest.approx(z, abs=1e-5)


def test_score_lift_interval_is_undefined_without_control_events() -> None:
    assert proportions.lift_score(0, 500, 4, 500) is None


def test_report_uses_the_score_interval_at_0_and_100_percent() -> None:
    from engine.abtest.queries import Counts, GroupRow

    def arm(name: str, sent: int, clicked: int) -> GroupRow:
        return GroupRow(name, None, None, Counts(sent, sent, 0, clicked, 0, 0, 0))

    full = report.build_report([arm("control", 30, 30), arm("B", 30, 30)], "e").comparisons[0]
    assert full.lift == 0 and full.lift_method == "score"
    assert full.lift_ci == pytest.approx((-0.11351339317, 0.12804862736), rel=1e-9)
    assert full.diff_ci == pytest.approx((-0.11351339317, 0.11351339317), rel=1e-9)  # Newcombe
    assert full.always_valid_lift_ci is None
    assert "no always-valid interval: it needs events and non-events in both arms" in full.notes
    zero = report.build_report([arm("control", 500, 20), arm("B", 500, 0)], "e").comparisons[0]
    assert zero.lift == -1 and zero.lift_method == "score"
    assert zero.lift_ci == pytest.approx((-1.0, -0.80916372261), rel=1e-9)


HEADER = "experiment,variant,message_id,recipient,event,ts,value_fen,carrier\n"


def _edge_csv(path: Path) -> Path:
    rows = []
    for v in ("control", "treat"):
        for i in range(40):
            rows.append(f"edge,{v},{v}{i},h{v}{i},sent,2026-11-11T10:00:00,,cmcc")
            if i < 6:
                rows.append(f"edge,{v},{v}{i},h{v}{i},clicked,2026-11-11T10:05:00,,")
    # carrier ctcc: one send per arm, each converting -> revenue needs n >= 2
    for v, fen in (("control", 500), ("treat", 900)):
        rows.append(f"edge,{v},{v}-x,hx{v},sent,2026-11-11T11:00:00,,ctcc")
        rows.append(f"edge,{v},{v}-x,hx{v},converted,2026-11-11T11:30:00,{fen},")
    # orphans: a click whose send is missing, and an arm with nothing but orphans
    rows.append("edge,treat,lost1,hl1,clicked,2026-11-11T10:05:00,,")
    rows.append("edge,ghost,g1,hg1,clicked,2026-11-11T10:05:00,,")
    rows.append("edge,ghost,g2,hg2,delivered,2026-11-11T10:05:00,,")
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def edge_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("edge")
    con = store.connect(data)
    try:
        ingest.ingest_file(con, _edge_csv(data / "edge.csv"))
    finally:
        con.close()
    return data


def test_orphans_are_counted_per_arm_and_left_out(edge_data: Path) -> None:
    con = store.connect(edge_data, read_only=True)
    try:
        rep = report.report(con, "edge")
    finally:
        con.close()
    assert rep.orphans == {"total": 3, "by_variant": {"ghost": 2, "treat": 1}}
    assert [v.variant for v in rep.variants] == ["control", "treat"]
    assert [v.sent for v in rep.variants] == [41, 41]
    assert rep.warnings[:2] == [
        "3 message(s) have events but no 'sent' event (ghost: 2, treat: 1); left out of every rate",
        "variant 'ghost' has events but no sends; left out of the report",
    ]


def test_a_segment_with_one_send_per_arm_is_too_few(edge_data: Path) -> None:
    con = store.connect(edge_data, read_only=True)
    try:
        rep = report.report(con, "edge", "revenue")
    finally:
        con.close()
    by = {(s.dimension, s.value, s.variant): s for s in rep.segments}
    ctcc = by[("carrier", "ctcc", "treat")]
    assert ctcc.too_few and (ctcc.sent, ctcc.diff, ctcc.p_value) == (1, None, None)
    cmcc = by[("carrier", "cmcc", "treat")]
    assert not cmcc.too_few and cmcc.sent == 40 and cmcc.diff == 0
    c = rep.comparisons[0]  # whole arms: 41 sends each, one conversion each
    assert c.diff == pytest.approx((900 - 500) / 41)


def xinshi(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XINSHI_DATA": str(data), "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "ab", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def test_cli_reports_orphans_and_too_few(edge_data: Path) -> None:
    r = xinshi("report", "edge", "--metric", "revenue", data=edge_data)
    assert r.returncode == 0, r.stderr
    assert "3 message(s) have events but no 'sent' event (ghost: 2, treat: 1)" in r.stdout
    r = xinshi("report", "edge", "--json", data=edge_data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["orphans"]["total"] == 3


@pytest.fixture(scope="module")
def edge_server(edge_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("edgeapi") / "server.log"
    with serving(RULES, log, {"XINSHI_DATA": str(edge_data), "XINSHI_WATCH_RULES": "0"}) as url:
        yield url


def test_api_reports_orphans_and_too_few(edge_server: str) -> None:
    for metric in ("click", "revenue"):
        r = HTTP.get(f"{edge_server}/v1/ab/edge", params={"metric": metric}, timeout=60)
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["orphans"] == {"total": 3, "by_variant": {"ghost": 2, "treat": 1}}
        seg = {(s["dimension"], s["value"], s["variant"]): s for s in d["segments"]}
        assert seg[("carrier", "ctcc", "treat")]["too_few"] is True
    png = HTTP.get(f"{edge_server}/v1/ab/edge/chart.png", params={"metric": "revenue"}, timeout=60)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
