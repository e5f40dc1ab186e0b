"""Guardrail events (opted_out, complained): the store learns them, old stores are migrated."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from engine.abtest import ingest, report, store

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
        assert store.has_guardrail_columns(con)
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
