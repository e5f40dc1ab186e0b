"""POST /v1/events: an event of a scene -> the scene's message, queued with its timing. Thin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from engine.api import bodies
from engine.api.auth import Scope, require
from engine.api.bodies import EventIn
from engine.api.limits import error_body
from engine.api.requests import read_json
from engine.dispatch import IntakeError
from engine.dispatch.records import view
from engine.dispatch.scenes import SceneError
from engine.dispatch.triggers import Event, Triggers
from engine.message import MessageError, parse_send_at

# what each outcome means, for people reading the answer
REASONS = {
    "queued": None,
    "capped": "the recipient already had this scene's quota (cap in rules/dispatch/scenes.yaml)",
    "suppressed": "the recipient replied to opt out of this signature's marketing",
}


def _err(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(error_body(code, message, field), status, media_type="application/json")


def _occurred(value: str | None) -> datetime | None:
    try:
        return parse_send_at(value)
    except MessageError as exc:
        message = exc.message.replace("send_at", "occurred_at", 1)
        raise MessageError("occurred_at", message) from None


def answer(result: Any) -> dict[str, Any]:
    """A Triggered as the API shows it: the message's phone masked, the outcome explained."""
    out: dict[str, Any] = result.to_dict()
    if out["message"] is not None:
        out["message"] = view(out["message"], show_phone=False)
    out["reason"] = REASONS.get(out["outcome"])
    return out


def add_event_routes(router: APIRouter, triggers: Callable[[], Triggers]) -> None:
    """Register POST /v1/events on ``router``; ``triggers`` opens the scene book on first use."""

    @router.post(
        "/v1/events",
        summary="Send a scene's message for an event (idempotent)",
        dependencies=[Depends(require(Scope.DISPATCH))],
        **bodies.EVENT,
    )
    async def events(request: Request) -> Response:
        data = await read_json(request)
        try:
            body = EventIn.model_validate(data)
            key = request.headers.get("idempotency-key") or body.idempotency_key or ""
            event = Event(key, body.scene, body.phone, body.params, _occurred(body.occurred_at))
            result = triggers().trigger(event)
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(str(p) for p in e["loc"])
            what = "unknown field" if e["type"] == "extra_forbidden" else e["msg"]
            return _err(422, "invalid_request", f"{field}: {what}", field)
        except MessageError as exc:
            return _err(422, "invalid_request", exc.message, exc.field)
        except IntakeError as exc:
            return _err(422, exc.code, exc.message, exc.field)
        except SceneError as exc:  # the server's scenes file: xinshi rules check says more
            return _err(503, "scenes_unavailable", f"the scenes file cannot be used: {exc}")
        status = 201 if result.created else 200
        return Response(orjson.dumps(answer(result)), status, media_type="application/json")
