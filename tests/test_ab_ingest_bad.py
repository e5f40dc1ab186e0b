"""Bad input to `xinshi ab ingest`: blank lines, malformed rows, mixed formats, partial files.

Every error names the file's own line; nothing from a bad file is written; the next file is
ingested as if the bad one had never been seen. Real files, a real DuckDB store in tmp_path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from engine.abtest import ingest, store

HEADER = "experiment,variant,message_id,recipient,event,ts\n"


def jl(msg: str, event: str = "sent", **extra: str) -> str:
    fields = {"experiment": "e", "variant": "A", "message_id": msg, "recipient": "h" + msg,
              "event": event, "ts": "2026-11-11T10:00:00", **extra}  # fmt: skip
    return "{" + ", ".join(f'"{k}": "{v}"' for k, v in fields.items()) + "}"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = store.connect(tmp_path / "data")
    yield c
    c.close()


def _lines(err: pytest.ExceptionInfo[ingest.IngestError]) -> list[str]:
    return str(err.value).splitlines()


def _nothing_written(con: duckdb.DuckDBPyConnection) -> bool:
    events = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    files = con.execute("SELECT count(*) FROM ingested_files").fetchall()[0][0]
    temps = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0]
    return (events, files, temps) == (0, 0, 0)


def test_blank_lines_in_jsonl_are_skipped(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "ev.jsonl"
    path.write_text("\n" + jl("m1") + "\n\n   \n" + jl("m2") + "\r\n\n", encoding="utf-8")
    res = ingest.ingest_file(con, path)
    assert (res.rows, res.added) == (2, 2)


def test_jsonl_errors_name_the_files_own_line(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    path = tmp_path / "ev.jsonl"
    path.write_text(
        jl("m1") + "\n\n" + jl("m2", event="opened") + "\n\n"
        + "e,A,m3,h3,sent,2026-11-11T10:00:00\n"  # a CSV line mixed in
        + jl("m4")[:30],  # the file was cut short
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(ingest.IngestError) as err:
        ingest.ingest_file(con, path)
    assert _lines(err) == [
        f"{path}: 2 bad line(s); nothing was ingested",
        f"{path}:5: line: not a JSON object: 'e,A,m3,h3,sent,2026-11-11T10:00:00'",
        f"{path}:6: line: not a JSON object: '{jl('m4')[:30]}'",
    ]
    assert _nothing_written(con)
    path.write_text(jl("m1") + "\n\n\n" + jl("m2", event="opened") + "\n", encoding="utf-8")
    with pytest.raises(ingest.IngestError) as err:
        ingest.ingest_file(con, path)
    assert _lines(err)[1] == (
        f"{path}:4: event: unknown event 'opened'; one of sent, delivered, failed, clicked, "
        "converted, opted_out, complained"
    )
    assert _nothing_written(con)


def test_malformed_csv_rows_name_the_files_own_line(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    path = tmp_path / "ev.csv"
    path.write_text(
        HEADER
        + "e,A,m1,h1,sent,2026-11-11T10:00:00\n"
        + "\n"
        + "e,A,m2,h2,sent\n"  # fields missing
        + "e,A,m3,h3,sent,2026-11-11T10:00:00,extra\n"  # a field too many
        + jl("m4") + "\n"  # a JSON line mixed in
        + 'e,A,m5,h5,sent,"2026-11-11',  # cut short inside a quote
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(ingest.IngestError) as err:
        ingest.ingest_file(con, path)
    assert _lines(err) == [
        f"{path}: 4 malformed line(s); nothing was ingested",
        f"{path}:4: line: 5 fields where the header has 6; is the line cut short, or from "
        "another file?",
        f"{path}:5: line: 7 fields where the header has 6; is the line cut short, or from "
        "another file?",
        f"{path}:6: line: 2 fields where the header has 6; is the line cut short, or from "
        "another file?",
        f"{path}:7: line: a quote is opened and never closed; is the file cut short?",
    ]
    assert _nothing_written(con)


def test_csv_value_errors_count_header_and_blank_lines(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    path = tmp_path / "ev.csv"
    path.write_text(
        HEADER + "\n" + "e,A,m1,h1,sent,2026-11-11T10:00:00\r\n\r\n" + "e,A,m2,h2,sent,noon\n",
        encoding="utf-8",
    )
    with pytest.raises(ingest.IngestError) as err:
        ingest.ingest_file(con, path)
    assert _lines(err)[1].startswith(f"{path}:5: ts: 'noon' is not a time; use ISO 8601")
    assert _nothing_written(con)


def test_an_empty_csv_is_a_file_error(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "ev.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ingest.IngestError) as err:
        ingest.ingest_file(con, path)
    assert _lines(err) == [f"{path}: empty first line; it must name the columns (experiment, ...)"]


def test_parquet_errors_name_the_row(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    csv = tmp_path / "src.csv"
    csv.write_text(HEADER + "e,A,m1,h1,sent,2026-11-11T10:00:00\ne,A,m2,h2,opened,2026-11-11\n")
    path = tmp_path / "ev.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar = true)) TO '{path}'")
    with pytest.raises(ingest.IngestError) as err:
        ingest.ingest_file(con, path)
    assert _lines(err)[1].startswith(f"{path}: row 2: event: unknown event 'opened'")


def test_the_next_file_is_not_affected(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    bad = tmp_path / "a-bad.jsonl"
    bad.write_text(jl("m1") + "\nnot json\n", encoding="utf-8")
    good = tmp_path / "b-good.jsonl"
    good.write_text(jl("m2") + "\n" + jl("m3") + "\n", encoding="utf-8")
    with pytest.raises(ingest.IngestError):
        ingest.ingest_file(con, bad)
    assert _nothing_written(con)
    assert ingest.ingest_file(con, good).added == 2
    ids = con.execute("SELECT message_id FROM events ORDER BY 1").fetchall()
    assert ids == [("m2",), ("m3",)]


def test_cli_ingests_the_good_files_around_a_bad_one(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.jsonl").write_text(jl("m1") + "\n", encoding="utf-8")
    (inbox / "2.jsonl").write_text(jl("m2") + '\n{"experiment": \n', encoding="utf-8")
    (inbox / "3.csv").write_text(HEADER + "e,B,m3,h3,sent,2026-11-11T10:00:00\n")
    data = tmp_path / "data"
    r = subprocess.run(
        [sys.executable, "-m", "engine.cli", "ab", "ingest", str(inbox)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "XINSHI_DATA": str(data)},
    )  # fmt: skip
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        f"{inbox / '1.jsonl'}: 1 rows, 1 new events added",
        f"{inbox / '3.csv'}: 1 rows, 1 new events added",
    ]
    assert r.stderr.splitlines() == [
        f"{inbox / '2.jsonl'}: 1 bad line(s); nothing was ingested",
        f"{inbox / '2.jsonl'}:2: line: not a JSON object: '{{\"experiment\": '",
    ]
    con = duckdb.connect(str(data / "ab.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT message_id FROM events ORDER BY 1").fetchall() == [
            ("m1",), ("m3",)
        ]  # fmt: skip
    finally:
        con.close()
