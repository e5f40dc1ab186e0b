"""Ingest event files (CSV, JSONL, Parquet) into the store: validated, idempotent, all or nothing.

A file is identified by the sha256 of its bytes: ingesting it again adds nothing. Rows already in
the store (same experiment, message, event and time) are skipped too, so overlapping exports are
safe. Every bad row is reported (row number, field, reason) and then nothing is written.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engine.abtest.queries import refresh_messages
from engine.abtest.store import EVENTS, SEGMENTS

REQUIRED = ("experiment", "variant", "message_id", "event", "ts")
# scene: written by dispatch for event-triggered messages (each scene's A/B test is its own
# experiment, so the experiment already cuts by scene); accepted, not stored
OPTIONAL = ("recipient", "phone", "value_fen", "pre_clicks", *SEGMENTS, "scene")
KNOWN = REQUIRED + OPTIONAL
SALT_ENV = "XINSHI_RECIPIENT_SALT"
MAX_SHOWN = 50
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class RowError:
    """One bad value: where (the file's own 1-based line; the row for Parquet), field, why."""

    line: int
    field: str
    reason: str


class IngestError(Exception):
    """A file that cannot be ingested; nothing from it was written.

    ``errors`` lists every bad row; file-level problems (format, columns) have none. Each is
    shown as ``FILE:LINE: field: reason`` (``FILE: row N: ...`` for Parquet, which has no lines).
    """

    def __init__(
        self, path: Path, message: str, errors: tuple[RowError, ...] = (), unit: str = "line"
    ) -> None:
        self.path, self.message, self.errors, self.unit = path, message, errors, unit
        lines = [f"{path}: {message}"]
        lines += [f"{self.where(e)}: {e.field}: {e.reason}" for e in errors[:MAX_SHOWN]]
        if len(errors) > MAX_SHOWN:
            lines.append(f"{path}: ... and {len(errors) - MAX_SHOWN} more bad values")
        super().__init__("\n".join(lines))

    def where(self, error: RowError) -> str:
        """Return ``FILE:LINE`` (or ``FILE: row N`` for Parquet) for one bad value."""
        if self.unit == "line":
            return f"{self.path}:{error.line}"
        return f"{self.path}: row {error.line}"


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


TEMP_TABLES = ("staged", "raw", "lines", "data_lines", "csv_rejects", "csv_scans")


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every table a staging left behind, so the next file starts clean."""
    con.execute("DROP VIEW IF EXISTS norm")
    for table in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _read_lines(con: duckdb.DuckDBPyConnection, src: str) -> None:
    """Load the file's lines into temp table `lines` (rowid + 1 is the line number)."""
    con.execute(
        f"CREATE TEMP TABLE lines AS SELECT line FROM read_csv({src}, header = false, "
        "columns = {'line': 'VARCHAR'}, delim = '\\x01', quote = '', escape = '', "
        "auto_detect = false)"
    )


BLANK = "trim(coalesce(line, ''), ' \t\r\ufeff') = ''"


def _mixed_newlines(path: Path) -> bool:
    """Say whether the file ends lines both with CRLF and with a bare LF (DuckDB refuses it)."""
    crlf = lf = 0
    last = b""
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n_crlf = block.count(b"\r\n") + (last == b"\r" and block[:1] == b"\n")
            crlf, lf = crlf + n_crlf, lf + block.count(b"\n") - n_crlf
            if crlf and lf:
                return True
            last = block[-1:]
    return False


def _one_newline(path: Path, tmp: Path) -> Path:
    """Copy the file with every line ending made LF (line numbers stay the same)."""
    out = tmp / ("lf" + path.suffix)
    with path.open("rb") as src, out.open("wb") as dst:
        for line in src:
            dst.write(line.rstrip(b"\r\n") + b"\n" if line.endswith(b"\n") else line)
    return out


def _stage(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> tuple[list[str], str]:
    """Load the file as text columns into temp table `staged` with a `line_no` column.

    Return the columns and the unit `line_no` counts ("line" of the file, or "row").
    Blank lines are skipped; malformed lines are errors that name the file's own line.
    """
    if fmt != "parquet" and _mixed_newlines(path):
        with tempfile.TemporaryDirectory(prefix="xinshi-ingest-") as tmp:
            return _stage_from(con, path, _one_newline(path, Path(tmp)), fmt)
    return _stage_from(con, path, path, fmt)


def _stage_from(
    con: duckdb.DuckDBPyConnection, path: Path, source: Path, fmt: str
) -> tuple[list[str], str]:
    src = _lit(str(source))
    if fmt == "parquet":
        con.execute(
            "CREATE TEMP TABLE staged AS SELECT file_row_number + 1 AS line_no, "
            "COLUMNS(lambda c: c <> 'file_row_number')::VARCHAR "
            f"FROM read_parquet({src}, file_row_number = true)"
        )
        cols = [str(r[0]) for r in con.execute("DESCRIBE staged").fetchall()]
        return cols[1:], "row"
    _read_lines(con, src)
    if fmt == "csv":
        return _stage_csv(con, path, src), "line"
    # one JSON object per line; a line that is not an object becomes a row error
    bad = con.execute(
        "SELECT rowid + 1, left(line, 40) FROM lines WHERE NOT (" + BLANK + ") AND NOT "
        "CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END ORDER BY 1"
    ).fetchall()
    if bad:
        errors = tuple(RowError(int(r), "line", f"not a JSON object: {t!r}") for r, t in bad)
        raise IngestError(path, f"{len(errors)} bad line(s); nothing was ingested", errors)
    keys = [
        str(r[0])
        for r in con.execute(
            f"SELECT DISTINCT unnest(json_keys(line)) AS k FROM lines WHERE NOT ({BLANK}) "
            "ORDER BY k"
        ).fetchall()
    ]
    select = ", ".join(f"json_extract_string(line, {_lit('$.' + k)}) AS {_ident(k)}" for k in keys)
    con.execute(
        f"CREATE TEMP TABLE staged AS SELECT rowid + 1 AS line_no, {select or 'NULL AS _'} "
        f"FROM lines WHERE NOT ({BLANK})"
    )
    return keys, "line"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, src: str) -> list[str]:
    first = con.execute("SELECT line FROM lines WHERE rowid = 0").fetchall()
    header_line = (first[0][0] or "") if first else ""
    header = next(csv.reader([header_line.lstrip("\ufeff")]), [])
    columns = [h.strip() for h in header]
    if not any(columns):
        raise IngestError(path, "empty first line; it must name the columns (experiment, ...)")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise IngestError(path, f"column(s) named twice in the header: {', '.join(dupes)}")
    spec = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in columns) + "}"
    con.execute(
        f"CREATE TEMP TABLE raw AS SELECT * FROM read_csv({src}, auto_detect = false, "
        f"header = true, delim = ',', quote = '\"', escape = '\"', columns = {spec}, "
        "store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_scans')"
    )
    rejects = con.execute(
        "SELECT line, coalesce(min(column_name), 'line'), min(error_type), "
        "min(error_message) FROM csv_rejects WHERE trim(csv_line, ' \t\r\n') <> '' "
        "GROUP BY line ORDER BY line"
    ).fetchall()
    if rejects:
        errors = tuple(
            RowError(int(line), "line", _reject_reason(str(kind), str(msg), len(columns)))
            for line, _col, kind, msg in rejects
        )
        raise IngestError(path, f"{len(errors)} malformed line(s); nothing was ingested", errors)
    # map the k-th data row to its line: the k-th non-blank line after the header
    con.execute(
        "CREATE TEMP TABLE data_lines AS SELECT row_number() OVER (ORDER BY rowid) AS k, "
        f"rowid + 1 AS line_no FROM lines WHERE rowid > 0 AND NOT ({BLANK})"
    )
    n_raw, n_lines = _count(con, "raw"), _count(con, "data_lines")
    line_no = "d.line_no" if n_raw == n_lines else "r.k"  # quoted newlines: fall back to rows
    con.execute(
        f"CREATE TEMP TABLE staged AS SELECT {line_no} AS line_no, r.* EXCLUDE (k) "
        "FROM (SELECT rowid + 1 AS k, * FROM raw) r LEFT JOIN data_lines d USING (k)"
    )
    return columns


def _reject_reason(kind: str, message: str, n_columns: int) -> str:
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        found = message.rsplit(":", 1)[-1].strip()
        return (
            f"{found} fields where the header has {n_columns}; "
            "is the line cut short, or from another file?"
        )
    if kind == "UNQUOTED VALUE":
        return "a quote is opened and never closed; is the file cut short?"
    return f"cannot read this line as CSV: {message}"


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
        SELECT line_no AS row_no,
               {col("experiment")} AS experiment, {col("variant")} AS variant,
               {col("message_id")} AS message_id, {recipient} AS recipient,
               {col("recipient")} AS raw_recipient, {col("phone")} AS raw_phone,
               lower({col("event")}) AS event, {ts} AS raw_ts, {parsed_ts} AS ts,
               {col("pre_clicks")} AS raw_pre,
               CASE WHEN regexp_full_match({col("pre_clicks")}, '[0-9]{{1,9}}')
                    THEN {col("pre_clicks")}::BIGINT END AS pre_clicks,
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
        "SELECT row_no, 'pre_clicks', q(raw_pre) || ' is not a whole number of clicks >= 0 "
        "(the recipient''s clicks before the test)' FROM norm "
        "WHERE raw_pre IS NOT NULL AND pre_clicks IS NULL",
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
    _drop_temp(con)
    try:
        try:
            columns, unit = _stage(con, path, fmt)
        except duckdb.Error as exc:
            raise IngestError(path, f"cannot read as {fmt}: {exc}") from None
        return _load(con, path, fid, columns, unit)
    finally:
        _drop_temp(con)  # a bad file leaves nothing behind for the next one


def _load(
    con: duckdb.DuckDBPyConnection, path: Path, fid: str, columns: list[str], unit: str
) -> IngestResult:
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
        raise IngestError(path, f"{len(errors)} bad value(s); nothing was ingested", errors, unit)
    rows = _count(con, "staged")
    con.execute("BEGIN TRANSACTION")
    try:
        before = _count(con, "events")
        con.execute(
            f"""INSERT INTO events
            SELECT DISTINCT n.experiment, n.variant, n.message_id, n.recipient, n.event, n.ts,
                   coalesce(n.value_fen, 0), n.carrier, n.region, n.age_band, n.gender,
                   n.channel, {_lit(fid)}, n.pre_clicks
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


def experiments_in(con: duckdb.DuckDBPyConnection, fid: str) -> list[str]:
    """Return the experiments a file's events belong to."""
    rows = con.execute(
        "SELECT DISTINCT experiment FROM events WHERE file_id = ? ORDER BY 1", [fid]
    ).fetchall()
    return [str(r[0]) for r in rows]


def expand(paths: list[Path]) -> list[Path]:
    """Return the files, with every .csv/.jsonl/.parquet inside directories, in name order."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix.lower() in FORMATS)
        else:
            files.append(p)
    return files


def ingest_paths(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> list[IngestResult]:
    """Ingest files, and every .csv/.jsonl/.parquet inside directories, in name order."""
    return [ingest_file(con, f) for f in expand(paths)]
