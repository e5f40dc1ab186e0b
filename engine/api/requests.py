"""Request parsing shared by the API's routers: JSON bodies, messages, and JSON errors."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from engine.api.limits import error_body
from engine.api.settings import Settings
from engine.check import check
from engine.message import Message, MessageError, MessageIn
from engine.reload import RulesetHolder
from engine.verdict import Verdict


class ApiError(Exception):
    """An error answered as JSON with a status code."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def json_response(data: Any, status: int = 200) -> Response:
    """Return ``data`` as a JSON response."""
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def error_response(exc: ApiError) -> Response:
    """Return the standard error JSON for ``exc``."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    body = error_body(exc.code, exc.message, exc.field)
    return Response(body, exc.status, headers=headers, media_type="application/json")


async def read_json(request: Request) -> Any:
    """The request's JSON, with a specific error for each way it can be wrong."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        )
    raw = await request.body()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400,
            "invalid_utf8",
            f"body is not valid UTF-8 at byte {exc.start}. Encode text as UTF-8",
        ) from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from None


def parse_message(data: Any, settings: Settings, where: str = "") -> Message:
    """Validate one message object; ``where`` prefixes field names (messages.3.)."""
    if not isinstance(data, dict):
        raise ApiError(
            422,
            "invalid_message",
            'a message is a JSON object like {"text": "..."}',
            where.rstrip(".") or None,
        )
    try:
        msg = MessageIn.model_validate(data).to_message()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        what = (
            "unknown field (allowed: id, text, type, industry, send_at, profile)"
            if err["type"] == "extra_forbidden"
            else err["msg"]
        )
        raise ApiError(
            422, "invalid_message", f"{where}{field}: {what}", f"{where}{field}"
        ) from None
    except MessageError as exc:
        raise ApiError(422, "invalid_message", exc.message, f"{where}{exc.field}") from None
    if len(msg.text) > settings.max_text_chars:
        raise ApiError(
            422, "text_too_long",
            f"text has {len(msg.text)} characters; the limit is {settings.max_text_chars} "
            "(providers refuse SMS over 500)",
            f"{where}text",
        )  # fmt: skip
    return msg


def run_check(msg: Message, holder: RulesetHolder, where: str = "") -> Verdict:
    """Check ``msg`` with the serving rules; an unknown industry or profile is a 422."""
    try:
        return check(msg, holder.ruleset)
    except MessageError as exc:  # unknown industry or profile for these rules
        raise ApiError(422, "invalid_message", exc.message, f"{where}{exc.field}") from None
