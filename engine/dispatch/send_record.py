"""The send record: provider answers, attempts, receipts, replies, links and retention.

Receipts are stored append-only whether or not they match a message yet; one that raced the
provider's answer is matched when the answer arrives. Records are kept at least 5 months
(MIIT Order 31); ``purge`` refuses anything shorter.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from engine.dispatch import partitions
from engine.dispatch.backend import Connection
from engine.dispatch.message import OutboxRow, Status
from engine.dispatch.storage import (
    DAY,
    DEFAULT_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    ROW_COLS,
    OutboxError,
    Store,
    to_row,
)

COUNTS_KEPT = 8 * 86400.0  # send counts feed windows of at most 7 days (complaints.MAX_WINDOW_S)


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
    billed_parts: int | None = None  # segments the provider says it billed (Aliyun sms_size)


def _sms_size(raw: str) -> int | None:
    """Billed segments in a stored receipt (Aliyun's ``sms_size``; Tencent reports its Fee with
    the send answer instead)."""
    try:
        value = orjson.loads(raw).get("sms_size")
        return int(value) if value is not None else None
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        return None


def send_scopes(sign_name: str, template_id: str) -> tuple[str, str]:
    """The kill switch's keys of a signature and a template (a space: no campaign has one)."""
    return f"signature {sign_name.strip('【】 ')}", f"template {template_id}"


def count_send(db: Connection, message_id: str, now: float) -> None:
    """Count an accepted marketing message for its signature and template, once: only when
    this transaction set its ``accepted_at`` (a receipt and the answer can both get here)."""
    row = db.execute(
        "SELECT sign_name, template_id FROM message WHERE id=? AND lane='marketing' "
        "AND accepted_at=?",
        (message_id, now),
    ).fetchone()
    if row is None:
        return
    db.executemany(
        "INSERT INTO send_count VALUES (?,?,1) ON CONFLICT (scope, minute) DO UPDATE "
        "SET n=send_count.n+1",
        [(scope, int(now // 60)) for scope in send_scopes(row[0], row[1])],
    )


class SendRecord(Store):
    """What happened to each message, kept for the legal retention period."""

    def get(self, message_id: str) -> OutboxRow | None:
        """One message, or None."""
        with self._lock:
            r = self._db.execute(f"SELECT {ROW_COLS} FROM message WHERE id=?", (message_id,))
            row = r.fetchone()
        return None if row is None else to_row(row)

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
            return {s: int(n) for s, n in rows.fetchall()}

    def accept(
        self,
        message_id: str,
        provider: str,
        provider_ref: str | None,
        code: str,
        now: float | None = None,
        billed_parts: int | None = None,
    ) -> bool:
        """Record that a provider accepted a message (a receipt may already have come first);
        ``billed_parts``: segments the provider says it billed (Tencent's Fee)."""
        now = time.time() if now is None else now
        with self._tx() as db:
            cur = db.execute(
                "UPDATE message SET provider=?, provider_ref=COALESCE(provider_ref, ?), "
                "accepted_at=COALESCE(accepted_at, ?), lease_until=NULL, "
                # a receipt that came first keeps its code (the failure reason people read)
                "last_code=CASE WHEN status IN ('delivered','undelivered') THEN last_code "
                "ELSE ? END, "
                "billed_parts=COALESCE(?, billed_parts), "
                "status=CASE WHEN status IN ('sending','unknown','queued') THEN 'accepted' "
                "ELSE status END WHERE id=?",
                (provider, provider_ref, now, code, billed_parts, message_id),
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
            count_send(db, message_id, now)
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

    def _find(self, db: Connection, rc: Receipt) -> str | None:
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

    def _deliver(self, db: Connection, mid: str, rc: Receipt, now: float) -> bool:
        to = Status.DELIVERED if rc.delivered else Status.UNDELIVERED
        cur = db.execute(
            "UPDATE message SET status=?, last_code=?, final_at=?, "
            "provider=COALESCE(provider, ?), provider_ref=COALESCE(provider_ref, ?), "
            "accepted_at=COALESCE(accepted_at, ?), billed_parts=COALESCE(?, billed_parts) "
            "WHERE id=? AND status IN ('queued','sending','unknown','accepted','no_receipt')",
            (to.value, rc.code, now, rc.provider, rc.provider_ref, now, rc.billed_parts, mid),
        )
        if cur.rowcount:
            db.execute(
                "INSERT INTO history VALUES (?,?,?,?,?)", (mid, now, to.value, rc.code, "receipt")
            )
            count_send(db, mid, now)
        return cur.rowcount > 0

    def expire_receipts(self, now: float, after_s: float, limit: int = 10_000) -> list[str]:
        """Accepted messages with no receipt ``after_s`` after acceptance: now ``no_receipt``
        (final; a receipt that still comes moves it on). Returns their ids, oldest first."""
        with self._tx() as db:
            ids = [
                r[0]
                for r in db.execute(
                    "UPDATE message SET status='no_receipt', last_code='no_receipt', final_at=? "
                    "WHERE id IN (SELECT id FROM message WHERE status='accepted' "
                    "AND accepted_at<? ORDER BY accepted_at LIMIT ?) RETURNING id",
                    (now, now - after_s, limit),
                ).fetchall()
            ]
            db.executemany(
                "INSERT INTO history VALUES (?,?,'no_receipt','no_receipt',NULL)",
                [(i, now) for i in ids],
            )
        return ids

    def open_counts(self) -> dict[str, int]:
        """Messages not yet settled, and those that ended without a receipt, per status (a
        read through the status index, cheap enough for every metrics scrape)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT status, COUNT(*) FROM message WHERE status IN "
                "('queued','sending','unknown','accepted','no_receipt','held') GROUP BY status"
            ).fetchall()
        return {s: int(n) for s, n in rows}

    def _match_orphans(
        self, db: Connection, provider: str, ref: str, now: float | None = None
    ) -> None:
        orphans = db.execute(
            "SELECT rowid, provider, provider_ref, out_id, phone, delivered, code, reported_at, "
            "raw FROM receipt WHERE message_id IS NULL AND provider=? AND provider_ref=?",
            (provider, ref),
        ).fetchall()
        for rowid, *fields in orphans:
            f = fields
            rc = Receipt(f[0], f[1], f[2], f[3], bool(f[4]), f[5], f[6], f[7], _sms_size(f[7]))
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

    def link(self, code: str) -> tuple[str, str] | None:
        """(message_id, url) of a short link code."""
        with self._lock:
            r = self._db.execute("SELECT message_id, url FROM link WHERE code=?", (code,))
            row = r.fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

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
        if self.postgres:  # whole days, partition by partition
            with self._lock:
                total = partitions.drop_before(self._db, cutoff)
            kept_from = partitions.start_of(partitions.day_of(cutoff))  # the day still kept
            with self._tx() as db:
                db.execute("DELETE FROM idem WHERE created_at<?", (kept_from,))
                db.execute("DELETE FROM link WHERE created_at<?", (kept_from,))
        else:
            total = self._delete_before(cutoff, chunk)
        with self._tx() as db:
            db.execute("DELETE FROM receipt WHERE message_id IS NULL AND received_at<?", (cutoff,))
            db.execute("DELETE FROM inbound WHERE received_at<?", (cutoff,))
            db.execute("DELETE FROM suppression WHERE removed_at<?", (cutoff,))
            db.execute("DELETE FROM scene_event WHERE created_at<?", (cutoff,))  # their keys
            # the kill switch: signals and the pause/resume log are records (kept as long);
            # send counts only feed rate windows (7 days at most): 8 days are kept
            db.execute("DELETE FROM campaign_signal WHERE at<?", (cutoff,))
            db.execute("DELETE FROM campaign_log WHERE at<?", (cutoff,))
            db.execute("DELETE FROM send_count WHERE minute<?", (int((now - COUNTS_KEPT) // 60),))
        return total

    def _delete_before(self, cutoff: float, chunk: int) -> int:
        """SQLite: delete messages created before ``cutoff`` and their rows, chunk by chunk."""
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
                return total
