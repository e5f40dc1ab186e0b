"""The outbox's storage: an SQLite file (WAL) or a PostgreSQL database, and short write
transactions.

Every write is a short transaction; no network I/O ever happens inside one. The queue
(engine.dispatch.queue) and the send record (engine.dispatch.send_record) are written on top of
``Store``; engine.dispatch.outbox puts them together. Tables: engine.dispatch.schema.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from engine.dispatch import partitions
from engine.dispatch.backend import (
    Connection,
    PgConnection,
    is_postgres,
    masked_url,
    sqlite_connection,
    storage_errors,
)
from engine.dispatch.message import Lane, OutboxRow, Status
from engine.dispatch.schema import create_campaigns, create_sqlite, migrate_postgres

MIN_RETENTION_DAYS = 153  # 5 months, the floor in MIIT Order 31 (any 5 calendar months <= 153 d)
DEFAULT_RETENTION_DAYS = 186  # 6 months: a 2026 revision reportedly raised the floor (unconfirmed)
DAY = 86400.0
ALL_SCOPES = "*"  # an opt-out from everything this sender sends

ROW_COLS = (  # what to_row() reads, in order
    "id, idem_key, lane, phone, sign_name, template_id, params_json, rendered_text, "
    "ruleset_version, status, not_before, expires_at, attempts, created_at, provider, "
    "provider_ref, last_code, experiment, variant, carrier_hint, claimed_at, scene, send_window"
)


class OutboxError(ValueError):
    """A request the outbox refuses; ``code`` is the API error code."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def new_id(now: float) -> str:
    """A time-ordered id (sent to the provider as OutId / SessionContext)."""
    return f"{int(now * 1000):012x}{secrets.token_hex(6)}"


def to_row(r: Sequence[Any]) -> OutboxRow:
    """An outbox row from a ``SELECT ROW_COLS`` result."""
    return OutboxRow(
        id=r[0], idem_key=r[1], lane=Lane(r[2]), phone=r[3], sign_name=r[4], template_id=r[5],
        params=orjson.loads(r[6]), rendered_text=r[7], ruleset_version=r[8], status=Status(r[9]),
        not_before=r[10], expires_at=r[11], attempts=r[12], created_at=r[13], provider=r[14],
        provider_ref=r[15], last_code=r[16], experiment=r[17], variant=r[18], carrier_hint=r[19],
        claimed_at=r[20], scene=r[21], send_window=r[22],
    )  # fmt: skip


class Store:
    """The database behind the outbox. One per process; safe to share between threads.

    ``target`` is the SQLite file's path or a ``postgresql://`` URL. Both run the same
    statements; where the engines differ (claim locking, idempotency keys, retention) the
    store asks ``self.postgres``.
    """

    def __init__(self, target: Path | str, *, durable: bool = False) -> None:
        self.postgres = is_postgres(target)
        self.target = target  # what to open again for another connection to the same outbox
        self._lock = threading.RLock()
        self._depth = 0
        self._days: set[date] = set()  # PostgreSQL: days whose partitions are known to exist
        self._db: Connection
        if self.postgres:
            assert isinstance(target, str)
            self.path: Path | None = None
            self.where = masked_url(target)
            pg = PgConnection(target)
            self._db, self._close = pg, pg.close
            migrate_postgres(pg)
            self._ensure_days(time.time())
        else:
            self.path = Path(target)
            self.where = str(self.path)
            lite = sqlite_connection(self.path, durable)
            self._db, self._close = lite, lite.close
            create_sqlite(lite)
            create_campaigns(lite)  # the complaint kill switch (engine.dispatch.campaigns)

    def close(self) -> None:
        """Close the connection."""
        self._close()

    def _ensure_days(self, now: float) -> None:
        """PostgreSQL: make sure the day partitions around ``now`` exist. Remembered per day
        once committed; inside a caller's transaction (which may roll back) checked each time."""
        if partitions.day_of(now) in self._days:
            return
        with self._lock:
            nested = self._depth > 0
            partitions.ensure(self._db, partitions.ahead(now), in_tx=nested)
            if not nested:
                self._days.update(partitions.ahead(now)[1:-1])  # re-checked near the edges

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """A short write transaction (SQLite: BEGIN IMMEDIATE, the write lock taken up front).

        Nested use joins the outer transaction, so ``transaction()`` can group many writes.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
            except BaseException:
                with contextlib.suppress(*storage_errors()):  # a lost connection rolled back
                    self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def transaction(self) -> AbstractContextManager[Connection]:
        """Group several writes (accept, move, record_attempt ...) into one commit."""
        return self._tx()

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (reports, tests, the bench)."""
        with self._lock:
            return [tuple(r) for r in self._db.execute(sql, args).fetchall()]

    def heartbeat(self, worker_id: str, now: float, live_s: float) -> int:
        """Say this worker is alive; return how many workers were seen in the last ``live_s``
        (itself included). Workers gone for a long time are forgotten."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO worker VALUES (?,?) ON CONFLICT(id) DO UPDATE SET seen_at=?",
                (worker_id, now, now),
            )
            db.execute("DELETE FROM worker WHERE seen_at<?", (now - 10 * live_s,))
            (n,) = db.execute(
                "SELECT COUNT(*) FROM worker WHERE seen_at>=?", (now - live_s,)
            ).fetchone()
        return int(n)

    def leave(self, worker_id: str) -> None:
        """Forget a worker that stops (its share of the rate limits goes to the others)."""
        with self._tx() as db:
            db.execute("DELETE FROM worker WHERE id=?", (worker_id,))

    def probe(self) -> None:
        """A real write that changes nothing (readiness checks); raises when storage is down."""
        with self._tx() as db:
            if self.postgres:
                db.execute("UPDATE schema_version SET note=note WHERE version=0")
            else:
                (version,) = db.execute("PRAGMA user_version").fetchone()
                db.execute(f"PRAGMA user_version={int(version)}")  # a header write, same value

    def _suppressed(self, db: Connection, phone: str, scope: str) -> bool:
        r = db.execute(
            "SELECT 1 FROM suppression WHERE phone=? AND scope IN (?, ?) AND removed_at IS NULL",
            (phone, scope, ALL_SCOPES),
        ).fetchone()
        return r is not None
