"""Guardrails and the scorecard: opt-out and complaint events (old stores migrated), every goal
metric Holm-corrected together, non-inferiority margins, and the decision rule that uses them.

The non-inferiority statistic is checked against the Miettinen-Nurminen score with the
restricted MLE found numerically; Holm against a by-hand step-down over raw pooled z p-values.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from scipy import optimize, stats

from engine.abtest import ingest, proportions, report, scorecard, store
from engine.abtest.queries import Counts, GroupRow

OLD_SCHEMA = """
CREATE TABLE events (
    experiment VARCHAR NOT NULL, variant VARCHAR NOT NULL, message_id VARCHAR NOT NULL,
    recipient VARCHAR NOT NULL,
    event VARCHAR NOT NULL CHECK (event IN ('sent', 'delivered', 'failed', 'clicked', 'converted')),
    ts TIMESTAMP NOT NULL, value_fen BIGINT NOT NULL DEFAULT 0 CHECK (value_fen >= 0),
    carrier VARCHAR, region VARCHAR, age_band VARCHAR, gender VARCHAR, channel VARCHAR,
    file_id VARCHAR NOT NULL
);
CREATE TABLE messages (
    experiment VARCHAR NOT NULL, variant VARCHAR NOT NULL, message_id VARCHAR NOT NULL,
    is_sent BOOLEAN, delivered BOOLEAN, failed BOOLEAN, clicked BOOLEAN, converted BOOLEAN,
    value_fen HUGEINT, sent_at TIMESTAMP,
    carrier VARCHAR, region VARCHAR, age_band VARCHAR, gender VARCHAR, channel VARCHAR
);
INSERT INTO events VALUES
    ('e', 'control', 'm1', 'h1', 'sent', '2026-11-11 10:00', 0, 'cmcc', NULL, NULL, NULL, NULL, 'f0'),
    ('e', 'treat', 'm2', 'h2', 'sent', '2026-11-11 10:00', 0, 'cmcc', NULL, NULL, NULL, NULL, 'f0');
INSERT INTO messages VALUES
    ('e', 'control', 'm1', true, false, false, false, false, 0, '2026-11-11 10:00', 'cmcc', NULL, NULL, NULL, NULL),
    ('e', 'treat', 'm2', true, false, false, false, false, 0, '2026-11-11 10:00', 'cmcc', NULL, NULL, NULL, NULL);
"""


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    con = duckdb.connect(str(data / store.DB_NAME))
    con.execute(OLD_SCHEMA)
    con.close()
    return data


def test_an_old_store_reads_without_migration(old_store: Path) -> None:
    con = store.connect(old_store, read_only=True)
    try:
        rep = report.report(con, "e")
    finally:
        con.close()
    assert [v.sent for v in rep.variants] == [1, 1]


def test_an_old_store_is_migrated_and_takes_guardrail_events(
    old_store: Path, tmp_path: Path
) -> None:
    con = store.connect(old_store)
    try:
        assert store.missing_columns(con) == []
        path = tmp_path / "g.csv"
        path.write_text(
            "experiment,variant,message_id,recipient,event,ts\n"
            "e,treat,m2,h2,opted_out,2026-11-11T10:30:00\n"
            "e,control,m1,h1,complained,2026-11-11T10:40:00\n",
            encoding="utf-8",
        )
        assert ingest.ingest_file(con, path).added == 2
        rep = report.report(con, "e")
        counts = {v.variant: v for v in rep.variants}
        assert [v.sent for v in rep.variants] == [1, 1] and set(counts) == {"control", "treat"}
        n = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        assert n == 4
        flags = con.execute(
            "SELECT variant, opted_out, complained FROM messages ORDER BY variant"
        ).fetchall()
        assert flags == [("control", False, True), ("treat", True, False)]
    finally:
        con.close()


# --- the scorecard: every goal metric corrected together, guardrails with margins ---------


def arm(variant: str, sent: int, clicked: int = 0, converted: int = 0, opted_out: int = 0,
        complained: int = 0) -> GroupRow:  # fmt: skip
    return GroupRow(variant, None, None, Counts(
        sent, sent, 0, clicked, converted, 0, 0, 0, opted_out, complained))  # fmt: skip


def _z_p(n1: int, c1: int, n2: int, c2: int) -> float:
    pooled = (c1 + c2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs((c2 / n2 - c1 / n1) / se) / math.sqrt(2))


def test_holm_runs_over_metrics_and_variants() -> None:
    rows = [
        arm("control", 20000, 2000, 400),
        arm("B", 20000, 2100, 440),
        arm("C", 20000, 1990, 405),
    ]
    rep = report.build_report(rows, "e")
    card = rep.scorecard
    assert card is not None
    raw = {
        ("click", "B"): _z_p(20000, 2000, 20000, 2100), ("click", "C"): _z_p(20000, 2000, 20000, 1990),
        ("conversion", "B"): _z_p(20000, 400, 20000, 440),
        ("conversion", "C"): _z_p(20000, 400, 20000, 405),
    }  # fmt: skip
    # Holm by hand over the 4 tests (delivery is 100 % everywhere: p = 1, still in the family)
    ps = sorted([*raw.values(), 1.0, 1.0])
    holm, running = [], 0.0
    for i, p in enumerate(ps):
        running = max(running, min(1.0, (len(ps) - i) * p))
        holm.append(running)
    by_p = dict(zip(ps, holm, strict=False))
    for key, p in raw.items():
        got = next(m for m in card.metrics if (m.metric, m.variant) == key)
        assert got.p_value == pytest.approx(p, rel=1e-9)
        assert got.p_holm == pytest.approx(by_p[p], rel=1e-9)
    b = rep.comparisons[0]
    assert b.variant == "B" and b.p_holm_metrics == pytest.approx(by_p[raw["click", "B"]])
    assert card.correction.startswith("Holm over 6 tests (3 goal metrics x 2 variants)")


def test_significant_alone_but_not_across_metrics_is_no_winner() -> None:
    rows = [arm("control", 60000, 6000, 1000), arm("B", 60000, 6230, 1000)]
    rep = report.build_report(rows, "e")
    b = rep.comparisons[0]
    assert b.p_holm < 0.05 < (b.p_holm_metrics or 0)  # one metric alone: significant
    assert b.decision != "ship" and "胜出" not in b.verdict


def _mn_by_brute_force(xa: int, na: int, xb: int, nb: int, delta: float) -> float:
    """The Miettinen-Nurminen score at delta, restricted MLE by numerical maximisation."""

    def nll(pa: float) -> float:
        pb = pa + delta
        return -(xb * math.log(pb) + (nb - xb) * math.log(1 - pb)
                 + xa * math.log(pa) + (na - xa) * math.log(1 - pa))  # fmt: skip

    lo, hi = max(0.0, -delta) + 1e-12, min(1.0, 1 - delta) - 1e-12
    pa = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded",
                                  options={"xatol": 1e-14}).x  # fmt: skip
    pb = pa + delta
    n = na + nb
    var = (pb * (1 - pb) / nb + pa * (1 - pa) / na) * n / (n - 1)
    return (xb / nb - xa / na - delta) / math.sqrt(var)


@pytest.mark.parametrize(
    "counts", [(100, 50000, 104, 50000), (5, 5000, 6, 5000), (30, 20000, 60, 20000)]
)
def test_noninferiority_is_the_score_test_at_the_margin(counts: tuple[int, int, int, int]) -> None:
    test = proportions.noninferiority(*counts, 0.0005)
    ref = _mn_by_brute_force(*counts, 0.0005)
    assert test.statistic == pytest.approx(ref, rel=1e-6)
    assert test.p_value == pytest.approx(float(stats.norm.cdf(ref)), rel=1e-6)


def test_guardrail_statuses() -> None:
    rows = [
        arm("control", 100_000, 4000, opted_out=200, complained=5),
        arm("same", 100_000, 4000, opted_out=195, complained=6),
        arm("pushy", 100_000, 4000, opted_out=420, complained=5),
    ]
    margins = scorecard.parse_margins("opt_out=0.05pp,complaint=0.01pp")
    rep = report.build_report(rows, "e", margins=margins)
    assert rep.scorecard is not None
    g = {(x.metric, x.variant): x for x in rep.scorecard.guardrails}
    assert g["opt_out", "same"].status == "pass" and g["opt_out", "same"].upper < 0.0005
    assert g["opt_out", "pushy"].status == "fail" and g["opt_out", "pushy"].diff == pytest.approx(
        0.0022
    )
    assert g["complaint", "same"].status == "pass"
    assert rep.scorecard.guardrail_state("pushy") == "fail"
    small = report.build_report(
        [arm("control", 2000, 80, opted_out=4), arm("B", 2000, 80, opted_out=5)], "e"
    )
    assert small.scorecard is not None
    assert {x.metric: x.status for x in small.scorecard.guardrails} == {
        "opt_out": "inconclusive", "complaint": "not_measured"
    }  # fmt: skip


def test_a_failed_guardrail_blocks_the_winner() -> None:
    rows = [
        arm("control", 100_000, 4000, opted_out=200),
        arm("pushy", 100_000, 5000, opted_out=420),
    ]
    c = report.build_report(rows, "e").comparisons[0]
    assert c.decision == "guardrail_failed"
    assert c.verdict.endswith("主指标更好，但护栏指标变差超出容忍范围：不要上线")
    rows[1] = arm("pushy", 100_000, 5000, opted_out=230)  # not shown non-inferior yet
    c = report.build_report(rows, "e").comparisons[0]
    assert c.decision == "guardrail_pending"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("optout=1pp", "'optout=1pp': write GUARDRAIL=MARGIN with GUARDRAIL one of opt_out, "
         "complaint, e.g. opt_out=0.05pp,complaint=0.01pp"),
        ("opt_out=0.05", "opt_out=0.05: a margin is points like 0.05pp or a share of control's "
         "rate like 10%"),
        ("complaint=0pp", "complaint=0pp: a margin must be positive"),
    ],
)  # fmt: skip
def test_bad_margins_say_how_to_write_them(text: str, message: str) -> None:
    with pytest.raises(scorecard.MarginError) as err:
        scorecard.parse_margins(text)
    assert str(err.value) == message


def test_relative_margin_scales_with_control() -> None:
    m = scorecard.parse_margins("opt_out=10%")["opt_out"]
    assert m.relative and m.absolute(0.004) == pytest.approx(0.0004)


def test_cli_and_json_carry_the_scorecard(tmp_path: Path) -> None:
    lines = ["experiment,variant,message_id,recipient,event,ts"]
    for v, optouts in (("control", 3), ("treat", 40)):
        for i in range(400):
            lines.append(f"g,{v},{v}{i},h{v}{i},sent,2026-11-11T10:00:00")
            if i < 60:
                lines.append(f"g,{v},{v}{i},h{v}{i},clicked,2026-11-11T10:05:00")
            if i < optouts:
                lines.append(f"g,{v},{v}{i},h{v}{i},opted_out,2026-11-11T10:10:00")
    path = tmp_path / "g.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "XINSHI_DATA": str(tmp_path / "data"), "COLUMNS": "160"}

    def ab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "engine.cli", "ab", *args],
                              capture_output=True, text=True, env=env, timeout=120)  # fmt: skip

    assert ab("ingest", str(path)).returncode == 0
    r = ab("report", "g", "--json", "--guardrails", "opt_out=1pp")
    assert r.returncode == 0, r.stderr
    card = json.loads(r.stdout)["scorecard"]
    opt = next(g for g in card["guardrails"] if g["metric"] == "opt_out")
    assert (opt["control_rate"], opt["variant_rate"], opt["margin"]) == (3 / 400, 40 / 400, "1pp")
    assert opt["status"] == "fail"
    r = ab("report", "g")
    assert "Guardrails (non-inferiority" in r.stdout and "fail" in r.stdout
    r = ab("report", "g", "--guardrails", "opt_out=5")
    assert r.returncode == 2 and r.stderr.startswith("error: --guardrails: opt_out=5: a margin is")


def test_the_writer_caps_duckdb_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.connect(tmp_path / "a")
    try:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    finally:
        con.close()
    assert limit == "953.6 MiB"  # 1GB, DuckDB's way of printing it
    monkeypatch.setenv(store.MEMORY_ENV, "512MB")
    con = store.connect(tmp_path / "b")
    try:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    finally:
        con.close()
    assert limit == "488.2 MiB"
