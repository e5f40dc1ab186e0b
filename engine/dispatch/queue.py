"""The send queue: messages wait, are leased by workers, and move from status to status.

Status changes are guarded by the status they expect, so a late or duplicated event can never
move a message backwards (delivered stays delivered). Per-recipient caps are decided inside the
claim's write transaction (see ``Queue.claim``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import orjson

from engine.dispatch.backend import Connection
from engine.dispatch.holds import hold_on_arrival, inherit
from engine.dispatch.message import FINAL, Lane, OutboxRow, Status
from engine.dispatch.storage import ROW_COLS, OutboxError, Store, new_id, to_row

RECENT_S = 2 * 86400.0  # caps look back a day at most (lanes.py); a claim reads this much once
PRIORITY = {Lane.OTP: 0, Lane.ALERT: 0, Lane.NOTICE: 1, Lane.MARKETING: 2}


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
    campaign: str | None = None  # the complaint kill switch's unit (engine.dispatch.campaigns)
    carrier_hint: str | None = None
    links: tuple[tuple[str, str], ...] = ()  # (code, url) for click tracking
    scene: str | None = None
    send_window: str | None = None  # "09:00-20:00" (Beijing): the worker sends only then


class Queue(Store):
    """Enqueue, claim, move: the outbox as a durable queue."""

    def due(self, lane: Lane, now: float) -> bool:
        """Whether a lane has a message due (a read: no write lock taken)."""
        with self._lock:
            r = self._db.execute(
                "SELECT 1 FROM message WHERE status='queued' AND lane=? AND not_before<=? LIMIT 1",
                (lane.value, now),
            ).fetchone()
        return r is not None

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
        if self.postgres:
            self._ensure_days(now)  # the day partition the new ids fall in
        with self._tx() as db:
            for msg in msgs:
                out.append(self._enqueue(db, msg, now))
        return out

    def _enqueue(self, db: Connection, m: NewMessage, now: float) -> tuple[OutboxRow, bool]:
        mid = new_id(now)
        if self.postgres:  # the message table is partitioned: keys are unique in their own table
            cur = db.execute(
                "INSERT INTO idem VALUES (?,?,?) ON CONFLICT (idem_key) DO NOTHING",
                (m.idem_key, mid, now),
            )
            if cur.rowcount == 0:
                return self._same_key(db, m)
        suppressed = m.lane is Lane.MARKETING and self._suppressed(db, m.phone, m.sign_name)
        status = Status.SUPPRESSED if suppressed else Status.QUEUED
        code = "opted_out" if suppressed else None
        cur = db.execute(
            "INSERT INTO message (id, idem_key, body_hash, lane, priority, phone, carrier_hint, "
            "sign_name, template_id, params_json, rendered_text, ruleset_version, experiment, "
            "variant, status, not_before, expires_at, last_code, created_at, final_at, scene, "
            "send_window) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT DO NOTHING "
            f"RETURNING {ROW_COLS}",
            (mid, m.idem_key, m.body_hash, m.lane.value, PRIORITY[m.lane], m.phone,
             m.carrier_hint, m.sign_name, m.template_id, orjson.dumps(m.params).decode(),
             m.rendered_text, m.ruleset_version, m.experiment, m.variant, status.value,
             m.not_before, m.expires_at, code, now, now if suppressed else None, m.scene,
             m.send_window),
        )  # fmt: skip
        row = cur.fetchone()
        if row is None:
            return self._same_key(db, m)
        db.execute("INSERT INTO history VALUES (?,?,?,?,NULL)", (mid, now, status.value, code))
        if m.campaign is not None:
            row = self._tag_campaign(db, mid, m, now) or row
        elif m.lane is Lane.MARKETING and not suppressed:  # held on its signature or template
            row = hold_on_arrival(db, mid, m.sign_name, m.template_id, now) or row
        if m.links:
            db.executemany(
                "INSERT INTO link VALUES (?,?,?,?)", [(c, mid, url, now) for c, url in m.links]
            )
        return to_row(row), True

    @staticmethod
    def _tag_campaign(db: Connection, mid: str, m: NewMessage, now: float) -> Any:
        """Store a message's campaign; new marketing of a paused campaign is held at once, and
        so is a campaign's under a paused signature or template (engine.dispatch.holds)."""
        if m.lane is Lane.MARKETING and m.campaign is not None:
            inherit(db, m.campaign, m.sign_name, m.template_id, now)
        got = db.execute(
            "UPDATE message SET campaign=?, status=CASE WHEN status='queued' AND lane='marketing' "
            "AND EXISTS (SELECT 1 FROM campaign WHERE name=? AND state='paused') THEN 'held' "
            f"ELSE status END WHERE id=? RETURNING {ROW_COLS}",
            (m.campaign, m.campaign, mid),
        ).fetchone()
        if got is not None and got[9] == Status.HELD.value:
            db.execute("INSERT INTO history VALUES (?,?,'held','campaign_paused',?)",
                       (mid, now, m.campaign))  # fmt: skip
        return got

    @staticmethod
    def _same_key(db: Connection, m: NewMessage) -> tuple[OutboxRow, bool]:
        """The message an idempotency key already queued, if it is the same request."""
        existing = db.execute(
            f"SELECT {ROW_COLS}, body_hash FROM message WHERE idem_key=?", (m.idem_key,)
        ).fetchone()
        if existing[-1] != m.body_hash:
            raise OutboxError(
                "idempotency_conflict",
                f"idempotency key {m.idem_key!r} was already used for a different message "
                f"({existing[0]}). Use a new key for a new message",
                "idempotency_key",
            )
        return to_row(existing), False

    def sent_since(self, phone: str, lane: Lane, since: float) -> int:
        """How many messages of a lane the provider accepted for a phone since ``since``."""
        with self._lock:
            (n,) = self._db.execute(
                "SELECT COUNT(*) FROM message WHERE phone=? AND accepted_at>=? AND lane=?",
                (phone, since, lane.value),
            ).fetchone()
        return int(n)

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
        however many workers claim at once. SQLite serializes claims with its write lock.
        PostgreSQL claims skip rows another worker holds (``FOR UPDATE SKIP LOCKED``), then lock
        the batch's recipients (advisory locks, taken in one global order) until the transaction
        ends, so each recipient is admitted by one worker at a time and counts what the others
        committed; a message whose recipient has an older queued message another worker holds
        waits for the next claim. A message ``admit`` holds back is moved (waits, expires or
        fails) in the same transaction and not returned.
        """
        if limit <= 0:
            return []
        claimed: list[OutboxRow] = []
        with self._tx() as db:
            rows = db.execute(
                f"SELECT {ROW_COLS} FROM message WHERE status='queued' AND lane=? "
                f"AND not_before<=? ORDER BY not_before, id LIMIT ?"
                + (" FOR UPDATE SKIP LOCKED" if self.postgres else ""),
                (lane.value, now, limit),
            ).fetchall()
            batch = [to_row(r) for r in rows]
            if not batch:
                return []
            phones = sorted({row.phone for row in batch})
            if self.postgres:
                self._lock_recipients(db, phones)
                waiting = self._older_waiting(db, lane, phones, batch)
                batch = [row for row in batch if row.id not in waiting]
            recent = self._recent(db, lane, phones, now) if admit is not None else {}
            admitted: list[str] = []
            for row in batch:
                if admit is not None:
                    decision = admit(row, partial(self._sent_since, db, row, recent, now))
                    if decision.status is not None:
                        self._move(db, row.id, decision.status, (Status.QUEUED,), decision.code,
                                   None, decision.not_before, now)  # fmt: skip
                        continue
                    recent.setdefault(row.phone, []).append((row.id, None, "sending", now))
                admitted.append(row.id)
            if admitted:
                marks = ",".join("?" * len(admitted))
                got = db.execute(
                    f"UPDATE message SET status='sending', lease_until=?, claimed_at=?, "
                    f"attempts=attempts+1 WHERE id IN ({marks}) RETURNING {ROW_COLS}",
                    (now + lease_s, now, *admitted),
                ).fetchall()
                by_id = {r[0]: to_row(r) for r in got}
                claimed = [by_id[i] for i in admitted]
        return claimed

    @staticmethod
    def _recent(
        db: Connection, lane: Lane, phones: list[str], now: float
    ) -> dict[str, list[tuple[str, float | None, str, float | None]]]:
        """What the caps count for the batch's recipients, read once: (id, accepted_at,
        status, claimed_at) of the lane's messages accepted or claimed since ``RECENT_S``."""
        marks = ",".join("?" * len(phones))
        horizon = now - RECENT_S
        out: dict[str, list[tuple[str, float | None, str, float | None]]] = {}
        for phone, mid, accepted, status, claimed in db.execute(
            f"SELECT phone, id, accepted_at, status, claimed_at FROM message WHERE lane=? AND "
            f"phone IN ({marks}) AND (accepted_at>=? OR (status IN ('sending','unknown') "
            f"AND claimed_at>=?))",
            (lane.value, *phones, horizon, horizon),
        ).fetchall():
            out.setdefault(phone, []).append((mid, accepted, status, claimed))
        return out

    @classmethod
    def _sent_since(
        cls,
        db: Connection,
        row: OutboxRow,
        recent: dict[str, list[tuple[str, float | None, str, float | None]]],
        now: float,
        since: float,
    ) -> int:
        """``_reserved`` from the batch's read (and the rows this claim took so far); a window
        longer than the read asks the database."""
        if since < now - RECENT_S:
            return cls._reserved(db, row, since)
        return sum(
            1
            for mid, accepted, status, claimed in recent.get(row.phone, ())
            if mid != row.id
            and (
                (accepted is not None and accepted >= since)
                or (status in ("sending", "unknown") and claimed is not None and claimed >= since)
            )
        )

    @staticmethod
    def _lock_recipients(db: Connection, phones: list[str]) -> None:
        """PostgreSQL: lock the batch's recipients until the transaction ends, in one global
        order (so two workers never wait on each other in a cycle)."""
        db.execute(
            "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(p, 7) AS h "
            "FROM unnest(?::text[]) AS p) AS s ORDER BY h",
            (sorted(set(phones)),),
        ).fetchall()

    @staticmethod
    def _older_waiting(
        db: Connection, lane: Lane, phones: list[str], batch: list[OutboxRow]
    ) -> set[str]:
        """PostgreSQL: ids of the batch whose recipient has an older queued message of the lane
        outside the batch (another worker skipped-locked it and admits it first): they wait for
        the next claim, so the oldest goes out first, as on SQLite."""
        ids = [row.id for row in batch]
        others: dict[str, list[tuple[float, str]]] = {}
        for phone, not_before, mid in db.execute(
            f"SELECT phone, not_before, id FROM message WHERE lane=? AND status='queued' AND "
            f"phone IN ({','.join('?' * len(phones))}) AND id NOT IN ({','.join('?' * len(ids))})",
            (lane.value, *phones, *ids),
        ).fetchall():
            others.setdefault(phone, []).append((not_before, mid))
        return {
            row.id
            for row in batch
            if any(o < (row.not_before, row.id) for o in others.get(row.phone, ()))
        }

    @staticmethod
    def _reserved(db: Connection, row: OutboxRow, since: float) -> int:
        """Messages of ``row``'s lane to its recipient accepted, or claimed and still in
        flight, since ``since`` (``row`` itself not counted): what a cap must count."""
        (n,) = db.execute(
            "SELECT COUNT(*) FROM message WHERE phone=? AND lane=? AND id<>? AND "
            "(accepted_at>=? OR (status IN ('sending','unknown') AND claimed_at>=?))",
            (row.phone, row.lane.value, row.id, since, since),
        ).fetchone()
        return int(n)

    def release(self, message_id: str, not_before: float, code: str, now: float) -> bool:
        """Give a claimed message back to the queue untried (its attempt not counted), e.g. when
        every provider it can go to has its circuit breaker open."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE message SET status='queued', "
                "attempts=CASE WHEN attempts>0 THEN attempts-1 ELSE 0 END, not_before=?, "
                "last_code=?, lease_until=NULL, claimed_at=NULL WHERE id=? AND status='sending'",
                (not_before, code, message_id),
            )
            if cur.rowcount:
                db.execute(
                    "INSERT INTO history VALUES (?,?,'queued',?,NULL)", (message_id, now, code)
                )
        return cur.rowcount > 0

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
        db: Connection,
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
        final = now if to in FINAL else None
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
                f"SELECT {ROW_COLS} FROM message m WHERE status='unknown' AND "
                f"(SELECT MAX(at) FROM history h WHERE h.message_id=m.id) < ? LIMIT ?",
                (before, limit),
            ).fetchall()
        return [to_row(r) for r in rows]
