"""Scheduled sends: cron + time zone -> outbox rows, exactly once per firing.

A schedule is checked when it is created (its rendered text per recipient, like any send). The
worker's tick materialises due firings: the ``fire`` row (schedule, fire time) is the primary
key, so two ticks — or two workers — can never queue the same firing twice.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from croniter import croniter

from engine.dispatch.intake import Intake, IntakeError, SendRequest
from engine.dispatch.lanes import in_window
from engine.dispatch.message import Lane
from engine.dispatch.outbox import NewMessage, Outbox


@dataclass(frozen=True, slots=True)
class Schedule:
    """A created schedule and what the caller should know about it."""

    id: str
    cron: str
    tz: str
    next_fire_at: float
    recipients: int
    warnings: tuple[str, ...]


def _next(cron: str, tz: ZoneInfo, after: float) -> float:
    it = croniter(cron, datetime.fromtimestamp(after, tz))
    return float(it.get_next(datetime).timestamp())


def create(
    outbox: Outbox,
    intake: Intake,
    schedule_id: str,
    cron: str,
    template: str,
    recipients: list[tuple[str, dict[str, str]]],
    tz: str = "Asia/Shanghai",
    marketing_hours: tuple[dtime, dtime] | None = None,
    now: float | None = None,
) -> Schedule:
    """Check every recipient's text now and store the schedule (idempotent on its id)."""
    now = time.time() if now is None else now
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise IntakeError(
            "invalid_schedule", f"unknown time zone {tz!r}. Use e.g. Asia/Shanghai", "tz"
        ) from None
    if not croniter.is_valid(cron):
        raise IntakeError(
            "invalid_schedule",
            f"cron {cron!r} is not valid. Write 5 fields: minute hour day month weekday, "
            "e.g. '0 6 * * *' for every day at 06:00",
            "cron",
        )
    if not recipients:
        raise IntakeError(
            "invalid_schedule", "a schedule needs at least one recipient", "recipients"
        )
    stored: list[dict[str, object]] = []
    lane = Lane.NOTICE
    for i, (phone, params) in enumerate(recipients):
        msg = intake.prepare(SendRequest(f"{schedule_id}#{i}", phone, template, params), now)
        lane = msg.lane
        stored.append({"phone": msg.phone, "params": msg.params, "text": msg.rendered_text,
                       "lane": msg.lane.value, "sign": msg.sign_name,
                       "version": msg.ruleset_version, "carrier": msg.carrier_hint})  # fmt: skip
    first = _next(cron, zone, now)
    warnings: list[str] = []
    hours = marketing_hours
    if lane is Lane.MARKETING and hours is not None and not in_window(first, hours):
        warnings.append(
            "marketing may not be sent at this hour (Beijing time): each firing waits "
            "until the marketing window opens"
        )
    with outbox.transaction() as db:
        db.execute(
            "INSERT INTO schedule VALUES (?,?,?,?,?,?,1,?) ON CONFLICT(id) DO NOTHING",
            (schedule_id, cron, tz, template, orjson.dumps(stored).decode(), first, now),
        )
    return Schedule(schedule_id, cron, tz, first, len(stored), tuple(warnings))


def materialize_due(outbox: Outbox, now: float, ttl_s: float = 86400.0) -> int:
    """Queue every due firing once; return how many messages were queued."""
    queued = 0
    due = outbox.query(
        "SELECT id, cron, tz, template_id, messages_json, next_fire_at FROM schedule "
        "WHERE enabled=1 AND next_fire_at<=?",
        (now,),
    )
    for sid, cron, tz, template, messages_json, fire_at in due:
        zone = ZoneInfo(tz)
        with outbox.transaction() as db:
            cur = db.execute(
                "INSERT INTO fire VALUES (?,?,0) ON CONFLICT DO NOTHING", (sid, fire_at)
            )
            if cur.rowcount:  # this tick owns the firing
                stamp = datetime.fromtimestamp(fire_at, zone).isoformat()
                msgs = [
                    NewMessage(
                        idem_key=f"schedule:{sid}:{stamp}:{m['phone']}",
                        body_hash=hashlib.sha256(f"{sid}{stamp}{m['phone']}".encode()).hexdigest(),
                        lane=Lane(m["lane"]),
                        phone=m["phone"],
                        sign_name=m["sign"],
                        template_id=template,
                        params=m["params"],
                        rendered_text=m["text"],
                        ruleset_version=m["version"],
                        not_before=fire_at,
                        expires_at=fire_at + ttl_s,
                        carrier_hint=m["carrier"],
                    )
                    for m in orjson.loads(messages_json)
                ]
                queued += sum(created for _, created in outbox.enqueue_many(msgs, now))
                db.execute("UPDATE fire SET queued=? WHERE schedule_id=? AND fire_at=?",
                           (len(msgs), sid, fire_at))  # fmt: skip
            db.execute("UPDATE schedule SET next_fire_at=? WHERE id=?",
                       (_next(cron, zone, max(fire_at, now)), sid))  # fmt: skip
    return queued
