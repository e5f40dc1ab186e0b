"""Ingest event files (CSV, JSONL, Parquet) into the store: validated, idempotent, all or nothing.

A file is identified by the sha256 of its bytes: ingesting it again adds nothing. Rows already in
the store (same experiment, message, event and time) are skipped too, so overlapping exports are
safe. Every bad row is reported (row number, field, reason) and then nothing is written.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engine.abtest.queries import refresh_messages
from engine.abtest.store import EVENTS, SEGMENTS

REQUIRED = ("experiment", "variant", "message_id", "event", "ts")
OPTIONAL = ("recipient", "phone", "value_fen", *SEGMENTS)
KNOWN = REQUIRED + OPTIONAL
SALT_ENV = "XINSHI_RECIPIENT_SALT"
MAX_SHOWN = 50
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class RowError:
    """One bad value: 1-based data row (header not counted), the field, and why."""

    row: int
    field: str
    reason: str


class IngestError(Exception):
    """A file that cannot be ingested; nothing from it was written.

    ``errors`` lists every bad row; file-level problems (format, columns) have none.
    """

    def __init__(self, path: Path, message: str, errors: tuple[RowError, ...] = ()) -> None:
        self.path, self.message, self.errors = path, message, errors
        lines = [f"{path}: {message}"]
        lines += [f"{path}: row {e.row}: {e.field}: {e.reason}" for e in errors[:MAX_SHOWN]]
        if len(errors) > MAX_SHOWN:
            lines.append(f"{path}: ... and {len(errors) - MAX_SHOWN} more bad values")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class IngestResult:
    """What one file added: rows read, rows added (0 when the file was seen before)."""

    path: Path
    file_id: str
    rows: int
    added: int
    already_ingested: bool


def file_id(path: Path) -> str:
    """Return the sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _stage(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> list[str]:
    """Load the file as text columns into temp table `staged`, in file order; return columns."""
    src = _lit(str(path))
    con.execute("DROP TABLE IF EXISTS staged")
    if fmt == "csv":
        con.execute(
            f"CREATE TEMP TABLE staged AS SELECT * FROM read_csv({src}, all_varchar = true, "
            "header = true)"
        )
    elif fmt == "parquet":
        con.execute(
            f"CREATE TEMP TABLE staged AS SELECT COLUMNS(*)::VARCHAR FROM read_parquet({src})"
        )
    else:
        # one JSON object per line; a line that is not an object becomes a row error
        con.execute(
            f"CREATE TEMP TABLE lines AS SELECT line FROM read_csv({src}, header = false, "
            "columns = {'line': 'VARCHAR'}, delim = '\\x01', quote = '', escape = '', "
            "auto_detect = false)"
        )
        bad = con.execute(
            "SELECT rowid + 1, left(line, 40) FROM lines "
            "WHERE NOT CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END "
            "ORDER BY 1"
        ).fetchall()
        if bad:
            errors = tuple(RowError(int(r), "line", f"not a JSON object: {t!r}") for r, t in bad)
            raise IngestError(path, f"{len(errors)} bad line(s); nothing was ingested", errors)
        keys = [
            str(r[0])
            for r in con.execute(
                "SELECT DISTINCT unnest(json_keys(line)) AS k FROM lines ORDER BY k"
            ).fetchall()
        ]
        cols = ", ".join(f"json_extract_string(line, {_lit('$.' + k)}) AS {k}" for k in keys)
        con.execute(f"CREATE TEMP TABLE staged AS SELECT {cols or 'NULL AS _'} FROM lines")
        con.execute("DROP TABLE lines")
        return keys
    return [str(r[0]) for r in con.execute("DESCRIBE staged").fetchall()]


def _normalized_sql(columns: list[str], salt: str | None) -> str:
    """SELECT over `staged` giving typed columns plus the raw text for error messages."""

    def col(name: str) -> str:
        return f"nullif(trim(\"{name}\"), '')" if name in columns else "NULL::VARCHAR"

    if "phone" in columns:
        digits = f"regexp_replace({col('phone')}, '[^0-9]', '', 'g')"
        local = (
            f"CASE WHEN length({digits}) = 13 AND {digits} LIKE '86%' "
            f"THEN {digits}[3:] ELSE {digits} END"
        )
        recipient = f"coalesce({col('recipient')}, sha256({_lit(salt or '')} || {local}))"
    else:
        recipient = col("recipient")
    ts = col("ts")
    parsed_ts = (
        f"CASE WHEN regexp_matches({ts}, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') "
        f"THEN timezone('Asia/Shanghai', try_cast({ts} AS TIMESTAMPTZ)) "
        f"ELSE try_cast({ts} AS TIMESTAMP) END"
    )
    segs = ", ".join(f"{col(s)} AS {s}" for s in SEGMENTS)
    return f"""
        SELECT rowid + 1 AS row_no,
               {col("experiment")} AS experiment, {col("variant")} AS variant,
               {col("message_id")} AS message_id, {recipient} AS recipient,
               {col("recipient")} AS raw_recipient, {col("phone")} AS raw_phone,
               lower({col("event")}) AS event, {ts} AS raw_ts, {parsed_ts} AS ts,
               {col("value_fen")} AS raw_value,
               CASE WHEN regexp_full_match({col("value_fen")}, '[0-9]{{1,18}}')
                    THEN {col("value_fen")}::BIGINT END AS value_fen,
               {segs}
        FROM staged"""


def _errors_sql() -> str:
    known = ", ".join(EVENTS)
    checks = [
        *(
            f"SELECT row_no, '{f}', 'missing; every row needs a {f}' FROM norm WHERE {f} IS NULL"
            for f in ("experiment", "variant", "message_id")
        ),
        "SELECT row_no, 'recipient', 'missing; give a hashed recipient (or a phone column "
        f"with {SALT_ENV} set)' FROM norm WHERE recipient IS NULL",
        "SELECT row_no, 'event', 'missing; one of " + known + "' FROM norm WHERE event IS NULL",
        "SELECT row_no, 'event', 'unknown event ' || q(event) || '; one of "
        + known
        + f"' FROM norm WHERE event IS NOT NULL AND event NOT IN ({', '.join(map(_lit, EVENTS))})",
        "SELECT row_no, 'ts', 'missing; an ISO 8601 time like 2026-11-11T15:00:00+08:00' "
        "FROM norm WHERE raw_ts IS NULL",
        "SELECT row_no, 'ts', q(raw_ts) || ' is not a time; use ISO 8601 like "
        "2026-11-11T15:00:00+08:00 (no offset = Beijing time)' "
        "FROM norm WHERE raw_ts IS NOT NULL AND ts IS NULL",
        "SELECT row_no, 'value_fen', q(raw_value) || ' is not a whole number of fen (分) "
        ">= 0; write ¥12.50 as 1250' FROM norm "
        "WHERE raw_value IS NOT NULL AND (value_fen IS NULL OR value_fen < 0)",
        "SELECT row_no, 'value_fen', 'only converted events carry a value; this is ' || "
        "q(event) FROM norm WHERE value_fen > 0 AND event <> 'converted'",
        "SELECT row_no, 'recipient', 'looks like a raw phone number; store a salted hash "
        f"(or name the column phone and set {SALT_ENV})' FROM norm "
        "WHERE regexp_full_match(raw_recipient, '(\\+?86)?1[3-9][0-9]{9}')",
    ]
    return " UNION ALL ".join(checks)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path) -> IngestResult:
    """Ingest one file into the store; raise IngestError (and write nothing) if any row is bad."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(path, f"unknown file type {path.suffix!r}; use .csv, .jsonl or .parquet")
    if not path.is_file():
        raise IngestError(path, "no such file")
    fid = file_id(path)
    seen = con.execute("SELECT rows FROM ingested_files WHERE file_id = ?", [fid]).fetchall()
    if seen:
        return IngestResult(path, fid, int(seen[0][0]), 0, True)
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    try:
        columns = _stage(con, path, fmt)
    except duckdb.Error as exc:
        raise IngestError(path, f"cannot read as {fmt}: {exc}") from None
    try:
        return _load(con, path, fid, columns)
    finally:
        con.execute("DROP TABLE IF EXISTS staged")
        con.execute("DROP VIEW IF EXISTS norm")


def _load(con: duckdb.DuckDBPyConnection, path: Path, fid: str, columns: list[str]) -> IngestResult:
    unknown = [c for c in columns if c not in KNOWN]
    if unknown:
        raise IngestError(
            path, f"unknown column(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}"
        )
    missing = [c for c in REQUIRED if c not in columns]
    if "recipient" not in columns and "phone" not in columns:
        missing.append("recipient")
    if missing:
        raise IngestError(path, f"missing column(s) {', '.join(missing)}")
    salt = os.environ.get(SALT_ENV)
    if "phone" in columns and not salt:
        raise IngestError(
            path,
            f"has a phone column: set {SALT_ENV} so phone numbers are hashed on ingest "
            "(raw numbers are never stored), or hash them yourself into a recipient column",
        )
    con.execute("CREATE OR REPLACE TEMP MACRO q(s) AS chr(39) || s || chr(39)")
    con.execute(f"CREATE OR REPLACE TEMP VIEW norm AS {_normalized_sql(columns, salt)}")
    bad = con.execute(f"SELECT * FROM ({_errors_sql()}) ORDER BY 1, 2").fetchall()
    if bad:
        errors = tuple(RowError(int(r), str(f), str(why)) for r, f, why in bad)
        raise IngestError(path, f"{len(errors)} bad value(s); nothing was ingested", errors)
    rows = _count(con, "staged")
    con.execute("BEGIN TRANSACTION")
    try:
        before = _count(con, "events")
        con.execute(
            f"""INSERT INTO events
            SELECT DISTINCT n.experiment, n.variant, n.message_id, n.recipient, n.event, n.ts,
                   coalesce(n.value_fen, 0), n.carrier, n.region, n.age_band, n.gender,
                   n.channel, {_lit(fid)}
            FROM norm n
            ANTI JOIN events e ON e.experiment = n.experiment AND e.message_id = n.message_id
                 AND e.event = n.event AND e.ts = n.ts"""
        )
        after = _count(con, "events")
        refresh_messages(con, fid)
        con.execute(
            "INSERT INTO ingested_files (file_id, path, rows, added) VALUES (?, ?, ?, ?)",
            [fid, str(path), rows, after - before],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return IngestResult(path, fid, rows, after - before, False)


def ingest_paths(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> list[IngestResult]:
    """Ingest files, and every .csv/.jsonl/.parquet inside directories, in name order."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix.lower() in FORMATS)
        else:
            files.append(p)
    return [ingest_file(con, f) for f in files]
