"""The send record, read by people: one message's whole story, and a search with pagination.

A story is the message, its status history in time order, every provider call (attempts) and
every receipt. The recipient is masked unless the caller asks for it: records are read in
terminals, tickets and logs. Search is by recipient, time, status, template and scene, newest first,
with an opaque cursor (keyset pagination on the time-ordered id, so a page never shifts when
new messages arrive).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.dispatch.message import Status
from engine.dispatch.outbox import Outbox
from engine.dispatch.phone import PhoneError, mask, normalize_cn

MAX_LIMIT = 500
_DURATION = re.compile(r"^(\d{1,5})([mhd])$")
_UNIT = {"m": 60, "h": 3600, "d": 86400}
_ID = re.compile(r"^[0-9a-f]{24}$")


class QueryError(ValueError):
    """A search parameter that cannot be used; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True, slots=True)
class Find:
    """A search of the send record; every given field must match."""

    phone: str | None = None
    since: float | None = None
    until: float | None = None
    status: Status | None = None
    template: str | None = None
    limit: int = 50
    cursor: str | None = None
    scene: str | None = None


def parse_time(value: str, field: str, now: float | None = None) -> float:
    """``7d``, ``24h``, ``30m`` (ago) or an ISO 8601 time (Beijing time without an offset)."""
    text = value.strip()
    m = _DURATION.match(text)
    if m:
        now = time.time() if now is None else now
        return now - int(m.group(1)) * _UNIT[m.group(2)]
    from engine.message import BEIJING

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(
            field, f"{field} {value!r} is neither a duration (7d, 24h, 30m) nor an ISO 8601 "
            "time such as 2026-12-01 or 2026-12-01T08:00+08:00"
        ) from None  # fmt: skip
    return (when if when.tzinfo else when.replace(tzinfo=BEIJING)).timestamp()


def make_find(
    phone: str | None = None,
    since: str | None = None,
    until: str | None = None,
    status: str | None = None,
    template: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    scene: str | None = None,
) -> Find:
    """A Find from what a user typed; QueryError names the field and how to fix it."""
    try:
        e164 = normalize_cn(phone) if phone else None
    except PhoneError as exc:
        raise QueryError("phone", str(exc)) from None
    try:
        st = Status(status) if status else None
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise QueryError("status", f"status {status!r} is not one of: {known}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"limit {limit} is out of range; use 1 to {MAX_LIMIT}")
    if cursor is not None and not _ID.match(cursor):
        raise QueryError("cursor", "cursor is not one this API gave out; pass next_cursor back")
    return Find(
        phone=e164,
        since=parse_time(since, "since") if since else None,
        until=parse_time(until, "until") if until else None,
        status=st,
        template=template or None,
        limit=limit,
        cursor=cursor,
        scene=scene or None,
    )


class Records:
    """Read access to the send record for people (API, CLI)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def attempts(self, message_id: str) -> list[dict[str, Any]]:
        """Every provider call for a message, in the order they started."""
        rows = self.outbox.query(
            "SELECT provider, started_at, ended_at, outcome, code, request_id FROM attempt "
            "WHERE message_id=? ORDER BY started_at, rowid",
            (message_id,),
        )
        return [
            {"provider": p, "started_at": s, "ended_at": e, "outcome": o, "code": c,
             "request_id": r, "ms": round((e - s) * 1000)}
            for p, s, e, o, c, r in rows
        ]  # fmt: skip

    def story(self, message_id: str, show_phone: bool = False) -> dict[str, Any] | None:
        """The message, its history, attempts and receipts; None when there is no such id."""
        row = self.outbox.get(message_id)
        if row is None:
            return None
        out = view(row.to_dict(), show_phone)
        out["history"] = self.outbox.history(row.id)
        out["provider_calls"] = self.attempts(row.id)  # "attempts" is the count
        out["receipts"] = self.outbox.receipts_for(row.id)
        return out

    def find(self, q: Find, show_phone: bool = False) -> dict[str, Any]:
        """``{"messages": [...], "next_cursor": id or None}``, newest first."""
        where, args = [], []  # type: list[str], list[Any]
        for cond, value in (
            ("phone=?", q.phone),
            ("created_at>=?", q.since),
            ("created_at<?", q.until),
            ("status=?", q.status.value if q.status else None),
            ("template_id=?", q.template),
            ("scene=?", q.scene),
            ("id<?", q.cursor),
        ):
            if value is not None:
                where.append(cond)
                args.append(value)
        ids = [
            r[0]
            for r in self.outbox.query(
                "SELECT id FROM message"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY id DESC LIMIT ?",
                (*args, q.limit + 1),
            )
        ]
        more = len(ids) > q.limit
        rows = [self.outbox.get(i) for i in ids[: q.limit]]
        messages = [view(r.to_dict(), show_phone) for r in rows if r is not None]
        return {"messages": messages, "next_cursor": ids[q.limit - 1] if more else None}


def view(record: dict[str, Any], show_phone: bool) -> dict[str, Any]:
    """A record as people see it: the recipient masked unless asked for."""
    phone = record.get("phone")
    if isinstance(phone, str) and not show_phone:
        return {**record, "phone": mask(phone)}
    return dict(record)
