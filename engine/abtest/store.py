"""The event store: one DuckDB file under the data directory ($XINSHI_DATA, default ./data).

Only ``xinshi ab ingest`` (and the demo) open it for writing; reports open it read-only. Other
processes never write the database: they drop append-only CSV/JSONL/Parquet files that ingest
reads, so no two processes fight over the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

EVENTS = ("sent", "delivered", "failed", "clicked", "converted")
SEGMENTS = ("carrier", "region", "age_band", "gender", "channel")
DB_NAME = "ab.duckdb"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    experiment VARCHAR NOT NULL,
    variant    VARCHAR NOT NULL,
    message_id VARCHAR NOT NULL,
    recipient  VARCHAR NOT NULL,   -- a salted hash, never the phone number
    event      VARCHAR NOT NULL CHECK (event IN ({", ".join(repr(e) for e in EVENTS)})),
    ts         TIMESTAMP NOT NULL, -- Beijing time (Asia/Shanghai, no DST)
    value_fen  BIGINT NOT NULL DEFAULT 0 CHECK (value_fen >= 0),
    carrier    VARCHAR, region VARCHAR, age_band VARCHAR, gender VARCHAR, channel VARCHAR,
    file_id    VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS messages ( -- one row per message, maintained by ingest
    experiment VARCHAR NOT NULL, variant VARCHAR NOT NULL, message_id VARCHAR NOT NULL,
    is_sent BOOLEAN, delivered BOOLEAN, failed BOOLEAN, clicked BOOLEAN, converted BOOLEAN,
    value_fen HUGEINT, sent_at TIMESTAMP,
    carrier VARCHAR, region VARCHAR, age_band VARCHAR, gender VARCHAR, channel VARCHAR
);
CREATE TABLE IF NOT EXISTS ingested_files (
    file_id     VARCHAR PRIMARY KEY, -- sha256 of the file's bytes
    path        VARCHAR NOT NULL,
    rows        BIGINT NOT NULL,
    added       BIGINT NOT NULL,
    ingested_at TIMESTAMP NOT NULL DEFAULT now()
);
"""


class StoreError(Exception):
    """The store cannot be opened or has no such experiment."""


def data_dir(path: Path | str | None = None) -> Path:
    """Return the data directory: the argument, $XINSHI_DATA, or ./data."""
    return Path(path or os.environ.get("XINSHI_DATA") or "data")


def db_path(data: Path | str | None = None) -> Path:
    """Return the DuckDB file inside the data directory."""
    return data_dir(data) / DB_NAME


def connect(data: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store (creating it unless read_only) with the schema in place."""
    path = db_path(data)
    if read_only:
        if not path.exists():
            raise StoreError(
                f"no event store at {path}. Run 'xinshi ab ingest FILE' or 'xinshi ab demo' "
                "first, or set XINSHI_DATA"
            )
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    return con


def experiments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the experiments in the store, sorted."""
    rows = con.execute("SELECT DISTINCT experiment FROM events ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]
