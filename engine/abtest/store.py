"""The event store: one DuckDB file under the data directory ($XINSHI_DATA, default ./data).

Only ``xinshi ab ingest`` (and the demo) open it for writing; reports open it read-only. Other
processes never write the database: they drop append-only CSV/JSONL/Parquet files that ingest
reads, so no two processes fight over the file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import duckdb

EVENTS = ("sent", "delivered", "failed", "clicked", "converted", "opted_out", "complained")
GUARDRAIL_EVENTS = ("opted_out", "complained")  # added later: older stores are migrated
SEGMENTS = ("carrier", "region", "age_band", "gender", "channel")
DB_NAME = "ab.duckdb"
MEMORY_ENV, MEMORY_DEFAULT = "XINSHI_AB_MEMORY", "1GB"

EVENTS_TABLE = f"""(
    experiment VARCHAR NOT NULL,
    variant    VARCHAR NOT NULL,
    message_id VARCHAR NOT NULL,
    recipient  VARCHAR NOT NULL,   -- a salted hash, never the phone number
    event      VARCHAR NOT NULL CHECK (event IN ({", ".join(repr(e) for e in EVENTS)})),
    ts         TIMESTAMP NOT NULL, -- Beijing time (Asia/Shanghai, no DST)
    value_fen  BIGINT NOT NULL DEFAULT 0 CHECK (value_fen >= 0),
    carrier    VARCHAR, region VARCHAR, age_band VARCHAR, gender VARCHAR, channel VARCHAR,
    file_id    VARCHAR NOT NULL,
    pre_clicks BIGINT CHECK (pre_clicks >= 0) -- the recipient's clicks before the test (CUPED)
)"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events {EVENTS_TABLE};
CREATE TABLE IF NOT EXISTS messages ( -- one row per message, maintained by ingest
    experiment VARCHAR NOT NULL, variant VARCHAR NOT NULL, message_id VARCHAR NOT NULL,
    is_sent BOOLEAN, delivered BOOLEAN, failed BOOLEAN, clicked BOOLEAN, converted BOOLEAN,
    value_fen HUGEINT, sent_at TIMESTAMP,
    carrier VARCHAR, region VARCHAR, age_band VARCHAR, gender VARCHAR, channel VARCHAR,
    opted_out BOOLEAN, complained BOOLEAN, pre_clicks BIGINT
);
CREATE TABLE IF NOT EXISTS experiment_plans ( -- what was planned: the split, by arm
    experiment VARCHAR PRIMARY KEY,
    weights    VARCHAR NOT NULL,     -- a JSON object of arm -> weight
    updated_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ingested_files (
    file_id     VARCHAR PRIMARY KEY, -- sha256 of the file's bytes
    path        VARCHAR NOT NULL,
    rows        BIGINT NOT NULL,
    added       BIGINT NOT NULL,
    ingested_at TIMESTAMP NOT NULL DEFAULT now()
);
"""


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
        return _capped(duckdb.connect(str(path), read_only=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _capped(duckdb.connect(str(path)))
    con.execute(SCHEMA)
    _migrate(con)
    return con


def _capped(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Cap DuckDB's memory: it would take up to 80 % of RAM; capped, it streams and spills to
    <store>.tmp instead (10 M events ingest in about 1.3 GB of RSS rather than 5.7 GB)."""
    con.execute(f"SET memory_limit = {_lit(os.environ.get(MEMORY_ENV) or MEMORY_DEFAULT)}")
    return con


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a store made before the opt-out and complaint events up to date, in place."""
    sql = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'events'").fetchall()
    if sql and not all(word in str(sql[0][0]) for word in ("opted_out", "pre_clicks")):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE TABLE events_new {EVENTS_TABLE}")
            con.execute("INSERT INTO events_new BY NAME SELECT * FROM events")
            con.execute("DROP TABLE events")
            con.execute("ALTER TABLE events_new RENAME TO events")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    for column in GUARDRAIL_EVENTS:
        con.execute(f"ALTER TABLE messages ADD COLUMN IF NOT EXISTS {column} BOOLEAN")
    con.execute("ALTER TABLE messages ADD COLUMN IF NOT EXISTS pre_clicks BIGINT")


LATER_COLUMNS = (*GUARDRAIL_EVENTS, "pre_clicks")  # what a store made before them lacks


def missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the per-message columns an older (not yet migrated) store lacks."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'messages'"
    ).fetchall()
    have = {str(r[0]) for r in rows}
    return [c for c in LATER_COLUMNS if c not in have]


def experiments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the experiments in the store, sorted."""
    rows = con.execute("SELECT DISTINCT experiment FROM events ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


class WeightsError(ValueError):
    """A --weights value that cannot be read; the message says how to write it."""


WEIGHTS_EXAMPLE = "control=0.9,treat=0.1"


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``control=0.9,treat=0.1`` into planned weights (any positive scale; not normalised)."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise WeightsError(f"{part!r} is not ARM=WEIGHT; write e.g. {WEIGHTS_EXAMPLE}")
        try:
            weight = float(value.rstrip("%"))
        except ValueError:
            raise WeightsError(
                f"{part!r}: {value.strip()!r} is not a number; write e.g. {WEIGHTS_EXAMPLE}"
            ) from None
        if not math.isfinite(weight) or weight <= 0:
            raise WeightsError(f"{part!r}: a weight must be a positive number")
        if name in out:
            raise WeightsError(f"arm {name!r} is given twice")
        out[name] = weight
    if len(out) < 2:
        raise WeightsError(f"give a weight for every arm (at least two), e.g. {WEIGHTS_EXAMPLE}")
    return out


def format_weights(weights: dict[str, float]) -> str:
    """Return weights as ``control=0.9,treat=0.1``."""
    return ",".join(f"{k}={v:g}" for k, v in weights.items())


def set_weights(con: duckdb.DuckDBPyConnection, experiment: str, weights: dict[str, float]) -> None:
    """Store the planned split of an experiment (replacing an earlier one)."""
    con.execute(
        "INSERT OR REPLACE INTO experiment_plans (experiment, weights, updated_at) "
        "VALUES (?, ?, now())",
        [experiment, json.dumps(weights)],
    )


def planned_weights(con: duckdb.DuckDBPyConnection, experiment: str) -> dict[str, float] | None:
    """Return the stored planned split, or None (also for a store made before plans existed)."""
    has_table = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'experiment_plans'"
    ).fetchall()[0][0]
    if not has_table:
        return None
    rows = con.execute(
        "SELECT weights FROM experiment_plans WHERE experiment = ?", [experiment]
    ).fetchall()
    if not rows:
        return None
    data = json.loads(str(rows[0][0]))
    return {str(k): float(v) for k, v in data.items()}
