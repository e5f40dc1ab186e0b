"""Event-triggered sends: an event of a scene -> its template (or A/B variant), rendered,
checked, queued with the scene's timing and cap (POST /v1/events, xinshi dispatch trigger).

Every accepted event is recorded under its idempotency key (table ``scene_event``) with what
became of it — ``queued``, ``capped`` (the recipient had this scene's quota) or ``suppressed``
(opted out) — so a retry answers what the first delivery got and never queues twice. The cap
is counted and the message queued in one write transaction (PostgreSQL: under a lock on the
recipient and scene), so two events racing for the last slot cannot both take it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson

from engine.dispatch.intake import Intake, IntakeError, SendRequest
from engine.dispatch.lanes import next_open
from engine.dispatch.message import OutboxRow, Status
from engine.dispatch.outbox import NewMessage, OutboxError
from engine.dispatch.phone import PhoneError, normalize_cn
from engine.dispatch.scenes import Scene, SceneBook
from engine.message import BEIJING

# statuses of a message the recipient never got: they do not use up the scene's cap
_NOT_SENT = ("failed", "suppressed", "expired", "blocked")
OUTCOMES = ("queued", "capped", "suppressed")
MAX_AHEAD_S = 366 * 86400.0  # an event dated further ahead is a mistake (a year typo)


@dataclass(frozen=True)
class Event:
    """Something that happened to a recipient, for a scene (not yet validated)."""

    idempotency_key: str
    scene: str
    phone: str
    params: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None  # None: now

    def body_hash(self) -> str:
        """What makes two deliveries of a key 'the same event'."""
        when = self.occurred_at.isoformat() if self.occurred_at else None
        data = {"scene": self.scene, "phone": self.phone, "params": self.params,
                "occurred_at": when}  # fmt: skip
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class Triggered:
    """What became of an event."""

    idempotency_key: str
    scene: str
    outcome: str  # queued | capped | suppressed
    code: str | None
    not_before: float | None  # when the message may go out (queued)
    message: OutboxRow | None
    created: bool  # False: a retry of an event already taken

    def to_dict(self) -> dict[str, Any]:
        """The public view (API, CLI); the message's own record under ``message``."""
        return {
            "idempotency_key": self.idempotency_key,
            "scene": self.scene,
            "outcome": self.outcome,
            "code": self.code,
            "not_before": self.not_before,
            "duplicate": not self.created,
            "message": None if self.message is None else self.message.to_dict(),
        }


class Triggers:
    """Turns events into queued messages, by scene."""

    def __init__(self, intake: Intake, scenes: SceneBook) -> None:
        self.intake, self.scenes = intake, scenes
        self.outbox = intake.outbox

    def trigger(self, event: Event, now: float | None = None) -> Triggered:
        """Queue an event's message (idempotent on its key); IntakeError says what to fix."""
        now = time.time() if now is None else now
        key = event.idempotency_key
        if not key or len(key) > 128:
            raise IntakeError(
                "invalid_request",
                "idempotency_key is required (1-128 characters), e.g. birthday-2026-u123",
                "idempotency_key",
            )
        seen = self._seen(event)
        if seen is not None:
            return seen
        scene = self.scenes.get(event.scene)
        if scene is None:
            raise IntakeError("unknown_scene", self.scenes.unknown(event.scene), "scene")
        try:
            phone = normalize_cn(event.phone)
        except PhoneError as exc:
            raise IntakeError("invalid_phone", str(exc), "phone") from None
        template, variant = scene.pick(phone)
        params = self._params(scene, template, event.params)
        occurred = event.occurred_at.timestamp() if event.occurred_at else now
        if occurred > now + MAX_AHEAD_S:
            raise IntakeError(
                "invalid_request",
                "occurred_at is more than a year ahead: send the event when it happens, or "
                "close to it (a future occurred_at waits until then)",
                "occurred_at",
            )
        base = max(now, occurred + scene.delay_s)
        not_before = next_open(base, scene.hours) if scene.hours is not None else base
        expires = None if scene.expires_after_s is None else not_before + scene.expires_after_s
        req = SendRequest(
            f"event:{key}", event.phone, template, params,
            send_at=datetime.fromtimestamp(not_before, BEIJING),
            expires_at=None if expires is None else datetime.fromtimestamp(expires, BEIJING),
            experiment=scene.experiment, variant=variant, campaign=scene.id,
        )  # fmt: skip
        msg = replace(self.intake.prepare(req, now), scene=scene.id, send_window=scene.window)
        try:
            return self._queue(event, scene, msg, now)
        except OutboxError as exc:
            raise IntakeError(exc.code, exc.message, exc.field) from None

    def _params(self, scene: Scene, template: str, given: dict[str, Any]) -> dict[str, Any]:
        """The chosen template's parameters; the event must carry every variable any of the
        scene's templates takes (whichever variant a recipient draws), and no other."""
        book = self.intake.book
        needed = list(dict.fromkeys(v for t in scene.templates for v in book.get(t).variables))
        missing = [v for v in needed if v not in given]
        if missing:
            raise IntakeError(
                "missing_params",
                f"scene {scene.id!r} needs params {', '.join(missing)} (it takes: "
                f"{', '.join(needed)}). Add them to the event",
                f"params.{missing[0]}",
            )
        extra = sorted(set(given) - set(needed))
        if extra:
            raise IntakeError(
                "invalid_template",
                f"scene {scene.id!r} has no parameter {extra[0]!r} (it takes: "
                f"{', '.join(needed) or 'none'})",
                f"params.{extra[0]}",
            )
        own = book.get(template).variables
        return {k: v for k, v in given.items() if k in own}

    def _seen(self, event: Event) -> Triggered | None:
        """The answer an event with this key already got (IntakeError if its body differs)."""
        rows = self.outbox.query(
            "SELECT scene, body_hash, outcome, code, not_before, message_id FROM scene_event "
            "WHERE idem_key=?",
            (event.idempotency_key,),
        )
        if not rows:
            return None
        scene, body_hash, outcome, code, not_before, mid = rows[0]
        if body_hash != event.body_hash():
            raise IntakeError(
                "idempotency_conflict",
                f"idempotency key {event.idempotency_key!r} was already used for a different "
                f"event (scene {scene!r}). Use a new key for a new event",
                "idempotency_key",
            )
        row = self.outbox.get(str(mid)) if mid else None
        return Triggered(event.idempotency_key, scene, outcome, code, not_before, row, False)

    def _queue(self, event: Event, scene: Scene, msg: NewMessage, now: float) -> Triggered:
        key, phone = event.idempotency_key, msg.phone
        with self.outbox.transaction() as db:
            if self.outbox.postgres:  # one event at a time per recipient and scene
                db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 19))",
                           (f"{phone}:{scene.id}",)).fetchall()  # fmt: skip
            cur = db.execute(
                "INSERT INTO scene_event (idem_key, scene, phone, body_hash, outcome, "
                "created_at) VALUES (?,?,?,?,'queued',?) ON CONFLICT DO NOTHING",
                (key, scene.id, phone, event.body_hash(), now),
            )
            if cur.rowcount == 0:  # the same key, delivered twice at once: the first one won
                taken = None
            else:
                marks = ",".join("?" * len(_NOT_SENT))
                (n,) = db.execute(
                    f"SELECT COUNT(*) FROM message WHERE phone=? AND scene=? AND not_before>? "
                    f"AND not_before<? AND status NOT IN ({marks})",
                    (phone, scene.id, msg.not_before - scene.cap_per_s,
                     msg.not_before + scene.cap_per_s, *_NOT_SENT),
                ).fetchone()  # fmt: skip
                if int(n) >= scene.cap_count:
                    code = f"scene_cap_{scene.cap_count}_per_{int(scene.cap_per_s)}s"
                    db.execute("UPDATE scene_event SET outcome='capped', code=? WHERE idem_key=?",
                               (code, key))  # fmt: skip
                    taken = Triggered(key, scene.id, "capped", code, None, None, True)
                else:
                    row, _ = self.outbox.enqueue(msg, now)
                    outcome = "suppressed" if row.status is Status.SUPPRESSED else "queued"
                    db.execute(
                        "UPDATE scene_event SET outcome=?, code=?, message_id=?, not_before=? "
                        "WHERE idem_key=?",
                        (outcome, row.last_code, row.id, row.not_before, key),
                    )
                    taken = Triggered(key, scene.id, outcome, row.last_code, row.not_before,
                                      row, True)  # fmt: skip
        if taken is None:
            seen = self._seen(event)
            assert seen is not None
            return seen
        return taken
