"""Day partitions of the PostgreSQL send record: created before they are needed, dropped whole
when the retention period has passed.

A message id starts with its creation time in milliseconds (12 hex digits), so the ids of one
UTC day form one range. ``message``, ``history``, ``attempt`` and ``receipt`` are partitioned by
that range (history, attempts and receipts by their message's id), so a day's records live and
die together: retention drops four tables instead of deleting millions of rows. Receipts not yet
matched to a message wait in ``receipt_unmatched``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engine.dispatch.backend import Connection, transaction

PARTITIONED = ("message", "history", "attempt", "receipt")
PARTITION_LOCK = 0x78696E7368690002  # pg_advisory_xact_lock key: one creator at a time


def day_of(ts: float) -> date:
    """The UTC day a time falls on."""
    return datetime.fromtimestamp(ts, UTC).date()


def start_of(day: date) -> float:
    """The time a UTC day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def bounds(day: date) -> tuple[str, str]:
    """The id range of messages created on ``day`` (UTC): [from, to)."""
    start = int(start_of(day) * 1000)
    return f"{start:012x}", f"{start + 86_400_000:012x}"


def name(table: str, day: date) -> str:
    """A day partition's table name, e.g. ``message_d20261204``."""
    return f"{table}_d{day:%Y%m%d}"


def existing(db: Connection, table: str = "message") -> set[date]:
    """The days that have a partition of ``table`` (in the schema the search path finds)."""
    rows = db.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(?)",
        (table,),
    ).fetchall()
    prefix = f"{table}_d"
    return {
        datetime.strptime(r[0][len(prefix) :], "%Y%m%d").date()
        for r in rows
        if r[0].startswith(prefix)
    }


def ensure(db: Connection, days: list[date], *, in_tx: bool = False) -> list[date]:
    """Create the partitions of ``days`` that are missing, in one transaction (the caller's
    when ``in_tx``); return the days created. Safe to call from many workers at once (an
    advisory lock orders them)."""
    made: list[date] = []
    with transaction(db, joined=in_tx):
        db.execute("SELECT pg_advisory_xact_lock(?)", (PARTITION_LOCK,))
        have = existing(db)
        for day in sorted(set(days) - have):
            lo, hi = bounds(day)
            for table in PARTITIONED:
                db.execute(
                    f"CREATE TABLE IF NOT EXISTS {name(table, day)} PARTITION OF {table} "
                    f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
                )
            made.append(day)
    return made


def ahead(now: float, days: int = 2) -> list[date]:
    """Yesterday, today and the next ``days`` days (UTC): what must exist before sending."""
    today = day_of(now)
    return [today + timedelta(d) for d in range(-1, days + 1)]


def drop_before(db: Connection, cutoff: float) -> int:
    """Drop every day partition that ends at or before ``cutoff``; return the messages they
    held. Each day is dropped in its own short transaction."""
    dropped = 0
    last = day_of(cutoff) - timedelta(1)  # days ending at or before the cutoff's day start
    for day in sorted(d for d in existing(db) if d <= last):
        with transaction(db):
            db.execute("SELECT pg_advisory_xact_lock(?)", (PARTITION_LOCK,))
            (n,) = db.execute(f"SELECT COUNT(*) FROM {name('message', day)}").fetchone()
            for table in PARTITIONED:
                db.execute(f"DROP TABLE IF EXISTS {name(table, day)}")
        dropped += int(n)
    return dropped
