"""Event store and report on a real DuckDB file in tmp_path, fed with real CSV/JSONL/Parquet files."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from engine.abtest import ingest, report, store
from engine.abtest.demo import DEMO_EXPERIMENT, write_demo
from engine.abtest.queries import Counts, GroupRow

HEADER = "experiment,variant,message_id,recipient,event,ts,value_fen,carrier\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = store.connect(tmp_path / "data")
    yield c
    c.close()


def test_bad_rows_are_all_reported_and_nothing_is_written(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    path = write(
        tmp_path / "ev.csv",
        HEADER
        + "e1,A,m1,h1,sent,2026-11-11T15:00:00+08:00,,cmcc\n"
        + "e1,B,m2,h2,clik,2026-11-11 15:05:00,,cmcc\n"
        + "e1,B,m3,13812345678,sent,yesterday,12.5,cmcc\n"
        + "e1,,m4,h4,converted,2026-11-11T07:00:00Z,1250,\n",
    )
    with pytest.raises(ingest.IngestError) as info:
        ingest.ingest_file(con, path)
    assert str(info.value).splitlines() == [
        f"{path}: 5 bad value(s); nothing was ingested",
        f"{path}:3: event: unknown event 'clik'; one of sent, delivered, failed, clicked, converted, opted_out, complained",
        f"{path}:4: recipient: looks like a raw phone number; store a salted hash (or name the column phone and set XINSHI_RECIPIENT_SALT)",
        f"{path}:4: ts: 'yesterday' is not a time; use ISO 8601 like 2026-11-11T15:00:00+08:00 (no offset = Beijing time)",
        f"{path}:4: value_fen: '12.5' is not a whole number of fen (分) >= 0; write ¥12.50 as 1250",
        f"{path}:5: variant: missing; every row needs a variant",
    ]
    assert (info.value.errors[0].line, info.value.errors[0].field) == (3, "event")
    assert con.execute("SELECT count(*) FROM events").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM ingested_files").fetchall() == [(0,)]


def test_file_level_errors(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    unknown = write(tmp_path / "u.csv", "experiment,variant,message_id,recipient,event,ts,colour\n")
    with pytest.raises(ingest.IngestError, match="unknown column\\(s\\) colour; known: experiment"):
        ingest.ingest_file(con, unknown)
    missing = write(tmp_path / "m.csv", "experiment,variant,event,ts\ne,A,sent,2026-11-11\n")
    with pytest.raises(ingest.IngestError, match=r"missing column\(s\) message_id, recipient$"):
        ingest.ingest_file(con, missing)
    with pytest.raises(
        ingest.IngestError,
        match=re.escape("unknown file type '.xlsx'; use .csv, .jsonl or .parquet"),
    ):
        ingest.ingest_file(con, write(tmp_path / "x.xlsx", ""))


def test_jsonl_bad_line(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = write(
        tmp_path / "ev.jsonl",
        '{"experiment":"e","variant":"A","message_id":"m","recipient":"h","event":"sent","ts":"2026-11-11T10:00:00"}\n'
        "not json\n",
    )
    with pytest.raises(ingest.IngestError) as info:
        ingest.ingest_file(con, path)
    assert str(info.value).splitlines()[1] == f"{path}:2: line: not a JSON object: 'not json'"


def test_reingest_adds_nothing_and_overlapping_rows_are_skipped(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    rows = "e1,A,m1,h1,sent,2026-11-11T15:00:00+08:00,,cmcc\ne1,A,m1,h1,clicked,2026-11-11 15:05:00,,cmcc\n"
    first = ingest.ingest_file(con, write(tmp_path / "a.csv", HEADER + rows))
    assert (first.rows, first.added, first.already_ingested) == (2, 2, False)
    again = ingest.ingest_file(con, tmp_path / "a.csv")
    assert (again.added, again.already_ingested) == (0, True)
    overlap = ingest.ingest_file(
        con,
        write(
            tmp_path / "b.csv",
            HEADER + rows + "e1,A,m1,h1,converted,2026-11-11 15:30:00,1999,cmcc\n",
        ),
    )
    assert (overlap.rows, overlap.added) == (3, 1)
    assert con.execute("SELECT count(*), sum(value_fen) FROM events").fetchall() == [(3, 1999)]
    # offsets are converted to Beijing time; no offset means Beijing time already
    assert con.execute("SELECT min(ts)::VARCHAR FROM events").fetchall() == [
        ("2026-11-11 15:00:00",)
    ]


def test_phone_column_needs_a_salt_and_is_hashed(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path / "p.csv",
        "experiment,variant,message_id,phone,event,ts\ne,A,m1,+86 138-1234-5678,sent,2026-11-11 10:00\n",
    )
    monkeypatch.delenv(ingest.SALT_ENV, raising=False)
    with pytest.raises(ingest.IngestError, match="has a phone column: set XINSHI_RECIPIENT_SALT"):
        ingest.ingest_file(con, path)
    monkeypatch.setenv(ingest.SALT_ENV, "s3cret")
    ingest.ingest_file(con, path)
    (recipient,) = con.execute("SELECT recipient FROM events").fetchall()[0]
    import hashlib

    assert recipient == hashlib.sha256(b"s3cret13812345678").hexdigest()
    assert "138" not in "".join(
        str(v) for v in con.execute("SELECT * FROM events").fetchall()[0][:4]
    )


def test_parquet_and_directory_ingest(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    inbox = tmp_path / "inbox"
    n = write_demo(inbox / "demo.parquet", recipients=3000, seed=1)
    results = ingest.ingest_paths(con, [inbox])
    assert [r.added for r in results] == [n]
    assert ingest.ingest_paths(con, [inbox])[0].already_ingested


SCORE_3_OF_200_VS_9_OF_200 = (-0.106293496312, 9.14489963394)


def _row(variant: str, sent: int, clicked: int) -> GroupRow:
    return GroupRow(variant, None, None, Counts(sent, sent, 0, clicked, 0, 0, 0))


def test_broken_split_is_flagged() -> None:
    rep = report.build_report([_row("control", 10300, 500), _row("B", 9700, 520)], "e")
    assert rep.srm["flagged"] and rep.srm["level"] == "red"
    assert rep.warnings[0].startswith("sample ratio mismatch: sent counts [10300, 9700]")
    assert rep.comparisons[0].decision == "srm_broken"
    assert rep.comparisons[0].verdict.endswith(
        "分流比例异常（SRM），结论不可信：先查明分组或发送环节的问题"
    )


def test_zero_control_falls_back_and_says_so() -> None:
    rep = report.build_report([_row("control", 500, 0), _row("B", 500, 4)], "e")
    c = rep.comparisons[0]
    assert c.test == "Fisher exact" and c.p_value == pytest.approx(0.124249625754, rel=1e-9)
    assert c.lift is None and c.lift_ci is None
    assert c.diff_ci == pytest.approx((-0.00105487234939, 0.0203870358341), rel=1e-9)
    assert c.prob_beat_control == pytest.approx(0.969061719061, rel=1e-9)
    assert "control has no events: relative lift is undefined; read the difference" in c.notes


def test_small_counts_use_the_score_interval_not_a_delta_interval_below_minus_100_percent() -> None:
    rep = report.build_report([_row("control", 200, 3), _row("B", 200, 9)], "e")
    c = rep.comparisons[0]
    # Koopman's score interval (tests/test_ab_edges.py checks it against PropCIs)
    assert c.lift_method == "score" and c.lift_ci is not None and c.lift_ci[0] > -1
    assert c.lift_ci == pytest.approx(SCORE_3_OF_200_VS_9_OF_200, rel=1e-9)
    assert c.test == "Fisher exact" and c.p_value == pytest.approx(0.139916133697, rel=1e-9)
    assert any("read early" in w for w in rep.warnings)


def test_holm_across_variants() -> None:
    rows = [_row("control", 1000, 110), _row("B", 1000, 130), _row("C", 1000, 150)]
    rep = report.build_report(rows, "e")
    ps = [c.p_value for c in rep.comparisons]
    assert rep.comparisons[0].p_holm == pytest.approx(max(min(ps) * 2, max(ps)))


def test_demo_report_finds_the_winner_the_afternoon_and_the_segment(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = data / "inbox" / "demo.parquet"
    write_demo(path)
    con = store.connect(data)
    ingest.ingest_file(con, path)
    rep = report.report(con, DEMO_EXPERIMENT)
    con.close()
    assert rep.control == "control" and not rep.srm["flagged"] and rep.warnings == []
    decisions = {c.variant: c.decision for c in rep.comparisons}
    assert decisions == {"short_link": "ship", "emoji": "no_difference"}
    short = next(c for c in rep.comparisons if c.variant == "short_link")
    assert short.always_valid_lift_ci is not None and short.always_valid_lift_ci[0] > 0
    assert {h["hour"] for h in rep.best_hours} == {14, 15, 16}
    assert len(rep.heatmap) == 7 * 12
    con = store.connect(data, read_only=True)
    conv = report.report(con, DEMO_EXPERIMENT, "conversion")
    con.close()
    by = {(s.dimension, s.value, s.variant): s for s in conv.segments}
    assert by[("age_band", "35-44", "control")].rate > by[("age_band", "25-34", "control")].rate
    d = conv.to_dict()
    assert d["metric"] == "conversion" and d["variants"][0]["variant"] == "control"


def test_read_only_store_must_exist(tmp_path: Path) -> None:
    with pytest.raises(store.StoreError, match=r"no event store at .*Run 'xinshi ab ingest FILE'"):
        store.connect(tmp_path / "nowhere", read_only=True)
