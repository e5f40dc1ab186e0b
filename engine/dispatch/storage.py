"""The outbox's storage: one SQLite file (WAL), its schema, and short write transactions.

Every write is a short transaction; no network I/O ever happens inside one. The queue
(engine.dispatch.queue) and the send record (engine.dispatch.send_record) are written on top of
``Store``; engine.dispatch.outbox puts them together.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import orjson

from engine.dispatch.message import Lane, OutboxRow, Status

MIN_RETENTION_DAYS = 153  # 5 months, the floor in MIIT Order 31 (any 5 calendar months <= 153 d)
DEFAULT_RETENTION_DAYS = 186  # 6 months: a 2026 revision reportedly raised the floor (unconfirmed)
DAY = 86400.0
ALL_SCOPES = "*"  # an opt-out from everything this sender sends

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
  id TEXT PRIMARY KEY, idem_key TEXT NOT NULL UNIQUE, body_hash TEXT NOT NULL,
  lane TEXT NOT NULL, priority INT NOT NULL, phone TEXT NOT NULL, carrier_hint TEXT,
  sign_name TEXT NOT NULL, template_id TEXT NOT NULL, params_json TEXT NOT NULL,
  rendered_text TEXT NOT NULL, ruleset_version TEXT NOT NULL,
  experiment TEXT, variant TEXT,
  status TEXT NOT NULL, not_before REAL NOT NULL, expires_at REAL, lease_until REAL,
  attempts INT NOT NULL DEFAULT 0, provider TEXT, provider_ref TEXT, billed_parts INT,
  last_code TEXT, last_error TEXT,
  created_at REAL NOT NULL, accepted_at REAL, final_at REAL, claimed_at REAL);
CREATE INDEX IF NOT EXISTS message_claim ON message(status, lane, not_before);
CREATE INDEX IF NOT EXISTS message_phone ON message(phone, accepted_at);
CREATE INDEX IF NOT EXISTS message_ref ON message(provider, provider_ref);
CREATE INDEX IF NOT EXISTS message_created ON message(created_at);
CREATE TABLE IF NOT EXISTS history (
  message_id TEXT NOT NULL, at REAL NOT NULL, status TEXT NOT NULL, code TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS history_message ON history(message_id);
CREATE TABLE IF NOT EXISTS attempt (
  message_id TEXT NOT NULL, provider TEXT NOT NULL, started_at REAL NOT NULL,
  ended_at REAL NOT NULL, outcome TEXT NOT NULL, code TEXT, request_id TEXT);
CREATE INDEX IF NOT EXISTS attempt_message ON attempt(message_id);
CREATE TABLE IF NOT EXISTS receipt (
  provider TEXT NOT NULL, provider_ref TEXT, out_id TEXT, phone TEXT, delivered INT NOT NULL,
  code TEXT, reported_at TEXT, received_at REAL NOT NULL, message_id TEXT, raw TEXT);
CREATE INDEX IF NOT EXISTS receipt_orphan ON receipt(message_id) WHERE message_id IS NULL;
CREATE TABLE IF NOT EXISTS inbound (
  provider TEXT NOT NULL, phone TEXT NOT NULL, sign_name TEXT, text TEXT NOT NULL,
  optout INT NOT NULL, received_at REAL NOT NULL, raw TEXT);
CREATE TABLE IF NOT EXISTS suppression (
  phone TEXT NOT NULL, scope TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,
  created_at REAL NOT NULL, removed_at REAL, PRIMARY KEY (phone, scope));
CREATE TABLE IF NOT EXISTS link (
  code TEXT PRIMARY KEY, message_id TEXT NOT NULL, url TEXT NOT NULL, created_at REAL NOT NULL);
"""

ROW_COLS = (  # what to_row() reads, in order
    "id, idem_key, lane, phone, sign_name, template_id, params_json, rendered_text, "
    "ruleset_version, status, not_before, expires_at, attempts, created_at, provider, "
    "provider_ref, last_code, experiment, variant, carrier_hint, claimed_at"
)
# columns added after the first release: (name, type), added to an older file on open
_ADDED_COLUMNS = (("claimed_at", "REAL"),)


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
        claimed_at=r[20],
    )  # fmt: skip


class Store:
    """The SQLite file behind the outbox. One per process; safe to share between threads."""

    def __init__(self, path: Path, *, durable: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL survives a killed process (WAL); FULL also survives power loss (5k accepts/s)
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.execute("PRAGMA busy_timeout=10000")
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                self._db.execute(stmt)
        have = {r[1] for r in self._db.execute("PRAGMA table_info(message)")}
        for name, kind in _ADDED_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE message ADD COLUMN {name} {kind}")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction (BEGIN IMMEDIATE: take the write lock up front).

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
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """Group several writes (accept, move, record_attempt ...) into one commit."""
        return self._tx()

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (reports, tests, the bench)."""
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def _suppressed(self, db: sqlite3.Connection, phone: str, scope: str) -> bool:
        r = db.execute(
            "SELECT 1 FROM suppression WHERE phone=? AND scope IN (?, ?) AND removed_at IS NULL",
            (phone, scope, ALL_SCOPES),
        ).fetchone()
        return r is not None
