"""The sufficient-statistics scan over a source other than the store, and what a metric counts.

README: the SQL runs "on Parquet or another engine". A report over the raw events as a Parquet
file (or any relation) must give the same numbers as one over the store's per-message table,
and a second file that touches a message already stored must be folded into it, not added.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from engine.abtest import ingest, store
from engine.abtest.queries import Counts, per_message_sql, sufficient_sql, sufficient_stats

FIELDS = ["experiment", "variant", "message_id", "recipient", "event", "ts", "value_fen",
          "carrier", "region", "age_band", "gender", "channel"]  # fmt: skip


def _rows(variant: str, mid: str, *events: tuple[str, str, int | None]) -> list[dict[str, str]]:
    return [
        {"experiment": "q", "variant": variant, "message_id": mid, "recipient": f"h{mid}",
         "event": event, "ts": f"2026-11-10T{hhmm}:00", "value_fen": "" if v is None else str(v),
         "carrier": "cmcc", "region": "北京", "age_band": "25-34", "gender": "f", "channel": "sms"}
        for event, hhmm, v in events
    ]  # fmt: skip


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows(rows)
    return path


FIRST = (
    _rows("A", "m1", ("sent", "09:00", None), ("delivered", "09:01", None))
    + _rows("A", "m2", ("sent", "09:05", None), ("clicked", "09:30", None),
            ("converted", "10:00", 300))
    + _rows("B", "m3", ("sent", "09:10", None), ("failed", "09:11", None))
    + _rows("B", "m4", ("clicked", "09:40", None))  # an orphan: no 'sent'
)  # fmt: skip
# a later file: m2 converts again (value adds up), m3 is clicked
SECOND = _rows("A", "m2", ("converted", "11:00", 200)) + _rows(
    "B", "m3", ("clicked", "12:00", None)
)


def _arms(con: duckdb.DuckDBPyConnection, source: str = "events") -> dict[str, Counts]:
    return {g.variant: g.counts for g in sufficient_stats(con, "q", source) if g.dimension is None}


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = store.connect(tmp_path / "data")
    ingest.ingest_file(c, _write(tmp_path / "one.csv", FIRST))
    ingest.ingest_file(c, _write(tmp_path / "two.csv", SECOND))
    yield c
    c.close()


def test_a_later_file_folds_into_the_messages_already_stored(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert _arms(con) == {
        # sent, delivered, failed, clicked, converted, revenue, revenue^2, orphans
        "A": Counts(2, 1, 0, 1, 1, 500, 500 * 500, 0),
        "B": Counts(1, 0, 1, 1, 0, 0, 0, 1),
    }
    a = _arms(con)["A"]
    assert (a.events("click"), a.events("conversion"), a.events("delivery")) == (1, 1, 1)


def test_a_raw_event_relation_or_parquet_file_gives_the_store_s_numbers(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    stored = sorted(sufficient_stats(con, "q"), key=repr)
    relation = "(SELECT * FROM events)"
    assert sorted(sufficient_stats(con, "q", relation), key=repr) == stored
    assert sufficient_stats(con, "nope", relation) == []
    # a Parquet file read by a store that has never seen these events
    parquet = tmp_path / "events.parquet"
    con.execute(f"COPY (SELECT * FROM events) TO '{parquet}' (FORMAT PARQUET)")
    empty = store.connect(tmp_path / "empty")
    try:
        got = sufficient_stats(empty, "q", f"read_parquet('{parquet}')")
        assert sorted(got, key=repr) == stored
        assert sufficient_stats(empty, "q") == []  # the store itself is still empty
    finally:
        empty.close()


def test_the_sql_builders_default_to_the_store(con: duckdb.DuckDBPyConnection) -> None:
    # per_message_sql() folds the store's events table: one row per message of the experiment
    rows = con.execute(per_message_sql(), ["q"]).fetchall()
    assert sorted(r[2] for r in rows) == ["m1", "m2", "m3", "m4"]
    # sufficient_sql() reads the store: the rows sufficient_stats(con, "q") is built from
    assert len(con.execute(sufficient_sql(), ["q"]).fetchall()) == len(
        con.execute(sufficient_sql("events"), ["q"]).fetchall()
    )
    assert con.execute(sufficient_sql(), ["nope"]).fetchall() == []
