"""The outbox: one SQLite file (WAL) that is both the durable send queue and the send record.

Every write is a short transaction; no network I/O ever happens inside one. Status changes are
guarded by the status they expect, so a late or duplicated event can never move a message
backwards (delivered stays delivered).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import orjson

from engine.dispatch.message import FINAL as _FINAL
from engine.dispatch.message import Lane, OutboxRow, Status

MIN_RETENTION_DAYS = 153  # 5 months, the floor in MIIT Order 31 (any 5 calendar months <= 153 d)
DEFAULT_RETENTION_DAYS = 186  # 6 months: a 2026 revision reportedly raised the floor (unconfirmed)
DAY = 86400.0

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

_COLS = (
    "id, idem_key, lane, phone, sign_name, template_id, params_json, rendered_text, "
    "ruleset_version, status, not_before, expires_at, attempts, created_at, provider, "
    "provider_ref, last_code, experiment, variant, carrier_hint"
)
# columns added after the first release: (name, type), added to an older file on open
_ADDED_COLUMNS = (("claimed_at", "REAL"),)
PRIORITY = {Lane.OTP: 0, Lane.ALERT: 0, Lane.NOTICE: 1, Lane.MARKETING: 2}
ALL_SCOPES = "*"  # an opt-out from everything this sender sends


class Admission(Protocol):
    """What an admit callback answers (engine.dispatch.lanes.Decision): None sends now."""

    @property
    def status(self) -> Status | None: ...
    @property
    def code(self) -> str | None: ...
    @property
    def not_before(self) -> float | None: ...


# admit(row, sent_since) -> decision; sent_since(t) counts the recipient's messages since t
Admit = Callable[[OutboxRow, Callable[[float], int]], Admission]


class OutboxError(ValueError):
    """A request the outbox refuses; ``code`` is the API error code."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A validated, approved message ready to be queued."""

    idem_key: str
    body_hash: str  # of the caller's request: same key + different body is refused
    lane: Lane
    phone: str
    sign_name: str
    template_id: str
    params: dict[str, str]
    rendered_text: str
    ruleset_version: str
    not_before: float
    expires_at: float | None
    experiment: str | None = None
    variant: str | None = None
    carrier_hint: str | None = None
    links: tuple[tuple[str, str], ...] = ()  # (code, url) for click tracking


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt as a provider reported it."""

    provider: str
    provider_ref: str | None
    out_id: str | None
    phone: str | None
    delivered: bool
    code: str
    reported_at: str | None
    raw: str


def new_id(now: float) -> str:
    """A time-ordered id (sent to the provider as OutId / SessionContext)."""
    return f"{int(now * 1000):012x}{secrets.token_hex(6)}"


def _row(r: Sequence[Any]) -> OutboxRow:
    return OutboxRow(
        id=r[0], idem_key=r[1], lane=Lane(r[2]), phone=r[3], sign_name=r[4], template_id=r[5],
        params=orjson.loads(r[6]), rendered_text=r[7], ruleset_version=r[8], status=Status(r[9]),
        not_before=r[10], expires_at=r[11], attempts=r[12], created_at=r[13], provider=r[14],
        provider_ref=r[15], last_code=r[16], experiment=r[17], variant=r[18], carrier_hint=r[19],
    )  # fmt: skip


class Outbox:
    """The SQLite outbox. One per process; safe to share between threads."""

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

    def due(self, lane: Lane, now: float) -> bool:
        """Whether a lane has a message due (a read: no write lock taken)."""
        with self._lock:
            r = self._db.execute(
                "SELECT 1 FROM message WHERE status='queued' AND lane=? AND not_before<=? LIMIT 1",
                (lane.value, now),
            ).fetchone()
        return r is not None

    # -- enqueue --------------------------------------------------------------------------

    def enqueue(self, msg: NewMessage, now: float | None = None) -> tuple[OutboxRow, bool]:
        """Queue a message once per idempotency key; return (row, created)."""
        (result,) = self.enqueue_many([msg], now)
        return result

    def enqueue_many(
        self, msgs: Iterable[NewMessage], now: float | None = None
    ) -> list[tuple[OutboxRow, bool]]:
        """Queue many messages in one transaction (each idempotent on its own key)."""
        now = time.time() if now is None else now
        out: list[tuple[OutboxRow, bool]] = []
        with self._tx() as db:
            for msg in msgs:
                out.append(self._enqueue(db, msg, now))
        return out

    def _enqueue(self, db: sqlite3.Connection, m: NewMessage, now: float) -> tuple[OutboxRow, bool]:
        mid = new_id(now)
        suppressed = m.lane is Lane.MARKETING and self._suppressed(db, m.phone, m.sign_name)
        status = Status.SUPPRESSED if suppressed else Status.QUEUED
        code = "opted_out" if suppressed else None
        cur = db.execute(
            "INSERT INTO message (id, idem_key, body_hash, lane, priority, phone, carrier_hint, "
            "sign_name, template_id, params_json, rendered_text, ruleset_version, experiment, "
            "variant, status, not_before, expires_at, last_code, created_at, final_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(idem_key) DO NOTHING",
            (mid, m.idem_key, m.body_hash, m.lane.value, PRIORITY[m.lane], m.phone,
             m.carrier_hint, m.sign_name, m.template_id, orjson.dumps(m.params).decode(),
             m.rendered_text, m.ruleset_version, m.experiment, m.variant, status.value,
             m.not_before, m.expires_at, code, now, now if suppressed else None),
        )  # fmt: skip
        if cur.rowcount == 0:
            existing = db.execute(
                f"SELECT {_COLS}, body_hash FROM message WHERE idem_key=?", (m.idem_key,)
            ).fetchone()
            if existing[-1] != m.body_hash:
                raise OutboxError(
                    "idempotency_conflict",
                    f"idempotency key {m.idem_key!r} was already used for a different message "
                    f"({existing[0]}). Use a new key for a new message",
                    "idempotency_key",
                )
            return _row(existing), False
        db.execute("INSERT INTO history VALUES (?,?,?,?,NULL)", (mid, now, status.value, code))
        db.executemany(
            "INSERT INTO link VALUES (?,?,?,?)", [(c, mid, url, now) for c, url in m.links]
        )
        row = db.execute(f"SELECT {_COLS} FROM message WHERE id=?", (mid,)).fetchone()
        return _row(row), True

    # -- reading --------------------------------------------------------------------------

    def get(self, message_id: str) -> OutboxRow | None:
        """One message, or None."""
        with self._lock:
            r = self._db.execute(f"SELECT {_COLS} FROM message WHERE id=?", (message_id,))
            row = r.fetchone()
        return None if row is None else _row(row)

    def history(self, message_id: str) -> list[dict[str, Any]]:
        """Status history, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, status, code, detail FROM history WHERE message_id=? "
                "ORDER BY at, rowid",
                (message_id,),
            ).fetchall()
        return [{"at": a, "status": s, "code": c, "detail": d} for a, s, c, d in rows]

    def receipts_for(self, message_id: str) -> list[dict[str, Any]]:
        """Receipts matched to a message."""
        with self._lock:
            rows = self._db.execute(
                "SELECT provider, provider_ref, delivered, code, reported_at, received_at "
                "FROM receipt WHERE message_id=? ORDER BY rowid",
                (message_id,),
            ).fetchall()
        keys = ("provider", "provider_ref", "delivered", "code", "reported_at", "received_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def counts(self) -> dict[str, int]:
        """Messages per status."""
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM message GROUP BY status")
            return {s: n for s, n in rows.fetchall()}

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (reports, tests, the bench)."""
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def sent_since(self, phone: str, lane: Lane, since: float) -> int:
        """How many messages of a lane the provider accepted for a phone since ``since``."""
        with self._lock:
            (n,) = self._db.execute(
                "SELECT COUNT(*) FROM message WHERE phone=? AND accepted_at>=? AND lane=?",
                (phone, since, lane.value),
            ).fetchone()
        return int(n)

    # -- the worker's side ----------------------------------------------------------------

    def claim(
        self,
        lane: Lane,
        limit: int,
        now: float,
        lease_s: float,
        admit: Admit | None = None,
    ) -> list[OutboxRow]:
        """Lease up to ``limit`` due messages of a lane, oldest first.

        With ``admit``, each due message is admitted inside the claim's write transaction:
        ``admit(row, sent_since)`` sees every message to the same recipient that was accepted
        or is in flight (claimed, by any worker, not yet answered), so per-recipient caps hold
        however many workers claim at once. SQLite serializes claims with its write lock; a
        server backend must lock per recipient for the same effect. A message ``admit`` holds
        back is moved (waits, expires or fails) in the same transaction and not returned.
        """
        if limit <= 0:
            return []
        claimed: list[OutboxRow] = []
        with self._tx() as db:
            rows = db.execute(
                f"SELECT {_COLS} FROM message WHERE status='queued' AND lane=? "
                f"AND not_before<=? ORDER BY not_before LIMIT ?",
                (lane.value, now, limit),
            ).fetchall()
            for r in rows:
                row = _row(r)
                if admit is not None:
                    decision = admit(row, partial(self._reserved, db, row))
                    if decision.status is not None:
                        self._move(db, row.id, decision.status, (Status.QUEUED,), decision.code,
                                   None, decision.not_before, now)  # fmt: skip
                        continue
                (got,) = db.execute(
                    f"UPDATE message SET status='sending', lease_until=?, claimed_at=?, "
                    f"attempts=attempts+1 WHERE id=? RETURNING {_COLS}",
                    (now + lease_s, now, row.id),
                ).fetchall()
                claimed.append(_row(got))
        return claimed

    @staticmethod
    def _reserved(db: sqlite3.Connection, row: OutboxRow, since: float) -> int:
        """Messages of ``row``'s lane to its recipient accepted, or claimed and still in
        flight, since ``since`` (``row`` itself not counted): what a cap must count."""
        (n,) = db.execute(
            "SELECT COUNT(*) FROM message WHERE phone=? AND lane=? AND id<>? AND "
            "(accepted_at>=? OR (status IN ('sending','unknown') AND claimed_at>=?))",
            (row.phone, row.lane.value, row.id, since, since),
        ).fetchone()
        return int(n)

    def move(
        self,
        message_id: str,
        to: Status,
        *,
        expect: Iterable[Status] = (Status.SENDING,),
        code: str | None = None,
        detail: str | None = None,
        not_before: float | None = None,
        now: float | None = None,
    ) -> bool:
        """Change a message's status if it is in one of ``expect``; record it in the history."""
        now = time.time() if now is None else now
        with self._tx() as db:
            return self._move(db, message_id, to, expect, code, detail, not_before, now)

    @staticmethod
    def _move(
        db: sqlite3.Connection,
        message_id: str,
        to: Status,
        expect: Iterable[Status],
        code: str | None,
        detail: str | None,
        not_before: float | None,
        now: float,
    ) -> bool:
        states = [s.value for s in expect]
        marks = ",".join("?" * len(states))
        final = now if to in _FINAL else None
        cur = db.execute(
            f"UPDATE message SET status=?, last_code=COALESCE(?, last_code), last_error=?, "
            f"not_before=COALESCE(?, not_before), final_at=COALESCE(?, final_at), "
            f"lease_until=NULL WHERE id=? AND status IN ({marks})",
            (to.value, code, detail, not_before, final, message_id, *states),
        )
        if cur.rowcount:
            db.execute(
                "INSERT INTO history VALUES (?,?,?,?,?)", (message_id, now, to.value, code, detail)
            )
        return cur.rowcount > 0

    def accept(
        self,
        message_id: str,
        provider: str,
        provider_ref: str | None,
        code: str,
        now: float | None = None,
    ) -> bool:
        """Record that a provider accepted a message (a receipt may already have come first)."""
        now = time.time() if now is None else now
        with self._tx() as db:
            cur = db.execute(
                "UPDATE message SET provider=?, provider_ref=COALESCE(provider_ref, ?), "
                "accepted_at=COALESCE(accepted_at, ?), last_code=?, lease_until=NULL, "
                "status=CASE WHEN status IN ('sending','unknown','queued') THEN 'accepted' "
                "ELSE status END WHERE id=?",
                (provider, provider_ref, now, code, message_id),
            )
            # a receipt that raced the answer came first: the provider accepted the message
            # no later than it reported it delivered, and the history says so
            (first_final,) = db.execute(
                "SELECT MIN(at) FROM history WHERE message_id=? "
                "AND status IN ('delivered','undelivered')",
                (message_id,),
            ).fetchone()
            at = now if first_final is None else min(now, first_final - 0.001)
            db.execute(
                "INSERT INTO history VALUES (?,?,'accepted',?,?)",
                (message_id, at, code, provider_ref),
            )
            if provider_ref is not None:  # receipts that raced the send response
                self._match_orphans(db, provider, provider_ref, now)
        return cur.rowcount > 0

    def record_attempt(
        self,
        message_id: str,
        provider: str,
        started: float,
        ended: float,
        outcome: str,
        code: str,
        request_id: str | None,
    ) -> None:
        """Append one provider call to the record."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO attempt VALUES (?,?,?,?,?,?,?)",
                (message_id, provider, started, ended, outcome, code, request_id),
            )

    def expire_leases(self, now: float) -> list[str]:
        """Rows whose worker died mid-send: now ``unknown`` (the provider may have them)."""
        with self._tx() as db:
            ids = [
                r[0]
                for r in db.execute(
                    "UPDATE message SET status='unknown', last_code='lease_expired', "
                    "lease_until=NULL WHERE status='sending' AND lease_until<? RETURNING id",
                    (now,),
                ).fetchall()
            ]
            db.executemany(
                "INSERT INTO history VALUES (?,?,'unknown','lease_expired',NULL)",
                [(i, now) for i in ids],
            )
        return ids

    def unknown(self, limit: int, before: float) -> list[OutboxRow]:
        """Messages in ``unknown`` since before ``before`` (due for reconciliation)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLS} FROM message m WHERE status='unknown' AND "
                f"(SELECT MAX(at) FROM history h WHERE h.message_id=m.id) < ? LIMIT ?",
                (before, limit),
            ).fetchall()
        return [_row(r) for r in rows]

    # -- receipts -------------------------------------------------------------------------

    def apply_receipts(self, receipts: Iterable[Receipt], now: float | None = None) -> list[str]:
        """Store receipts (append-only) and move matched messages; return the matched ids."""
        now = time.time() if now is None else now
        matched: list[str] = []
        with self._tx() as db:
            for rc in receipts:
                mid = self._find(db, rc)
                db.execute(
                    "INSERT INTO receipt VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (rc.provider, rc.provider_ref, rc.out_id, rc.phone, int(rc.delivered),
                     rc.code, rc.reported_at, now, mid, rc.raw),
                )  # fmt: skip
                if mid is not None and self._deliver(db, mid, rc, now):
                    matched.append(mid)
        return matched

    def _find(self, db: sqlite3.Connection, rc: Receipt) -> str | None:
        if rc.out_id:
            r = db.execute("SELECT id FROM message WHERE id=?", (rc.out_id,)).fetchone()
            if r:
                return str(r[0])
        if rc.provider_ref:
            r = db.execute(
                "SELECT id FROM message WHERE provider=? AND provider_ref=?",
                (rc.provider, rc.provider_ref),
            ).fetchone()
            if r:
                return str(r[0])
        return None

    def _deliver(self, db: sqlite3.Connection, mid: str, rc: Receipt, now: float) -> bool:
        to = Status.DELIVERED if rc.delivered else Status.UNDELIVERED
        cur = db.execute(
            "UPDATE message SET status=?, last_code=?, final_at=?, "
            "provider=COALESCE(provider, ?), provider_ref=COALESCE(provider_ref, ?), "
            "accepted_at=COALESCE(accepted_at, ?) "
            "WHERE id=? AND status IN ('queued','sending','unknown','accepted')",
            (to.value, rc.code, now, rc.provider, rc.provider_ref, now, mid),
        )
        if cur.rowcount:
            db.execute(
                "INSERT INTO history VALUES (?,?,?,?,?)", (mid, now, to.value, rc.code, "receipt")
            )
        return cur.rowcount > 0

    def _match_orphans(
        self, db: sqlite3.Connection, provider: str, ref: str, now: float | None = None
    ) -> None:
        orphans = db.execute(
            "SELECT rowid, provider, provider_ref, out_id, phone, delivered, code, reported_at, "
            "raw FROM receipt WHERE message_id IS NULL AND provider=? AND provider_ref=?",
            (provider, ref),
        ).fetchall()
        for rowid, *fields in orphans:
            rc = Receipt(fields[0], fields[1], fields[2], fields[3], bool(fields[4]), *fields[5:])
            mid = self._find(db, rc)
            if mid is not None:
                db.execute("UPDATE receipt SET message_id=? WHERE rowid=?", (mid, rowid))
                self._deliver(db, mid, rc, time.time() if now is None else now)

    def match_orphans(self) -> int:
        """Match receipts that arrived before their message's provider id was stored."""
        with self._tx() as db:
            pairs = db.execute(
                "SELECT DISTINCT provider, provider_ref FROM receipt "
                "WHERE message_id IS NULL AND provider_ref IS NOT NULL"
            ).fetchall()
            for provider, ref in pairs:
                self._match_orphans(db, provider, ref)
            (left,) = db.execute("SELECT COUNT(*) FROM receipt WHERE message_id IS NULL").fetchone()
        return int(left)

    # -- opt-out --------------------------------------------------------------------------

    def _suppressed(self, db: sqlite3.Connection, phone: str, scope: str) -> bool:
        r = db.execute(
            "SELECT 1 FROM suppression WHERE phone=? AND scope IN (?, ?) AND removed_at IS NULL",
            (phone, scope, ALL_SCOPES),
        ).fetchone()
        return r is not None

    def is_suppressed(self, phone: str, scope: str) -> bool:
        """Whether ``phone`` opted out of ``scope`` (a signature) or of everything."""
        with self._lock:
            return self._suppressed(self._db, phone, scope)

    def suppress(self, phone: str, scope: str, reason: str, source: str, now: float) -> None:
        """Put a number on the suppression list (kept while it applies, then >= 5 months)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO suppression VALUES (?,?,?,?,?,NULL) ON CONFLICT(phone, scope) "
                "DO UPDATE SET reason=excluded.reason, source=excluded.source, "
                "created_at=excluded.created_at, removed_at=NULL",
                (phone, scope, reason, source, now),
            )

    def record_inbound(
        self, provider: str, phone: str, sign: str | None, text: str, optout: bool, raw: str
    ) -> None:
        """Keep every reply (the opt-out record the law asks for)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO inbound VALUES (?,?,?,?,?,?,?)",
                (provider, phone, sign, text, int(optout), time.time(), raw),
            )

    # -- links ----------------------------------------------------------------------------

    def link(self, code: str) -> tuple[str, str] | None:
        """(message_id, url) of a short link code."""
        with self._lock:
            r = self._db.execute("SELECT message_id, url FROM link WHERE code=?", (code,))
            row = r.fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    # -- retention ------------------------------------------------------------------------

    def purge(self, now: float, retention_days: int, chunk: int = 10_000) -> int:
        """Delete records older than ``retention_days``; refuse anything under the 5-month floor."""
        if retention_days < MIN_RETENTION_DAYS:
            raise OutboxError(
                "retention_too_short",
                f"retention of {retention_days} days is below the legal floor of "
                f"{MIN_RETENTION_DAYS} days (5 months, MIIT Order 31). Use at least "
                f"{MIN_RETENTION_DAYS}; the default is {DEFAULT_RETENTION_DAYS}",
                "retention_days",
            )
        cutoff = now - retention_days * DAY
        total = 0
        while True:  # in chunks, so the write lock is held only briefly
            with self._tx() as db:
                ids = [
                    r[0]
                    for r in db.execute(
                        "SELECT id FROM message WHERE created_at<? LIMIT ?", (cutoff, chunk)
                    ).fetchall()
                ]
                if ids:
                    marks = ",".join("?" * len(ids))
                    for table, col in (
                        ("history", "message_id"),
                        ("attempt", "message_id"),
                        ("receipt", "message_id"),
                        ("link", "message_id"),
                        ("message", "id"),
                    ):
                        db.execute(f"DELETE FROM {table} WHERE {col} IN ({marks})", ids)
            total += len(ids)
            if len(ids) < chunk:
                break
        with self._tx() as db:
            db.execute("DELETE FROM receipt WHERE message_id IS NULL AND received_at<?", (cutoff,))
            db.execute("DELETE FROM inbound WHERE received_at<?", (cutoff,))
            db.execute("DELETE FROM suppression WHERE removed_at<?", (cutoff,))
        return total
