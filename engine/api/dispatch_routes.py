"""Dispatch endpoints: send (idempotent), status, provider callbacks, click redirects. Thin."""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.api.auth import Scope, require
from engine.api.callback_auth import callback_guard
from engine.api.limits import error_body
from engine.api.settings import Settings
from engine.dispatch import (
    DispatchSettings,
    Intake,
    IntakeError,
    Outbox,
    SendRequest,
    load_templates,
)
from engine.dispatch.approval import ApprovalError
from engine.dispatch.callback_signing import SeenSignatures
from engine.dispatch.events import EventWriter
from engine.dispatch.message import Status
from engine.dispatch.optout import OptOutWords, apply_inbound, load_optout_words
from engine.dispatch.providers import CALLBACKS
from engine.dispatch.providers.base import Callbacks
from engine.message import MessageError, parse_send_at
from engine.reload import RulesetHolder


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _err(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(error_body(code, message, field), status, media_type="application/json")


class _SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idempotency_key: str | None = None
    phone: str
    template: str
    params: dict[str, Any] = {}
    approval: str | None = None
    send_at: str | None = None
    expires_at: str | None = None
    experiment: str | None = None
    variant: str | None = None
    track_links: bool = False


class _ConversionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: str
    value_fen: int = Field(ge=0)


class _ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: str
    params: dict[str, Any] = {}


class Dispatch:
    """What the routes share, opened on first use; settings and secret read at start-up."""

    def __init__(self, holder: RulesetHolder, settings: DispatchSettings) -> None:
        self.holder, self.settings = holder, settings  # read before the workers fork

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.settings.outbox_path)

    @cached_property
    def intake(self) -> Intake:
        s = self.settings
        book = load_templates(s.templates)
        return Intake(
            self.outbox, book, lambda: self.holder.ruleset, s.secret, s.link_base, s.approval_ttl_s
        )

    @cached_property
    def events(self) -> EventWriter:
        return EventWriter(self.settings.events_dir, self.settings.recipient_salt)

    @cached_property
    def optout(self) -> OptOutWords:
        return load_optout_words()

    @cached_property
    def seen(self) -> SeenSignatures:
        return SeenSignatures(self.settings.data_dir / "callbacks.sqlite")


async def _read(request: Request) -> tuple[Any, Response | None]:
    raw = await request.body()
    try:
        return orjson.loads(raw), None
    except orjson.JSONDecodeError as exc:
        return None, _err(400, "invalid_json", f"body is not valid JSON: {exc}")


def _model_error(exc: ValidationError) -> Response:
    e = exc.errors()[0]
    field = ".".join(str(p) for p in e["loc"])
    what = "unknown field" if e["type"] == "extra_forbidden" else e["msg"]
    return _err(422, "invalid_request", f"{field}: {what}", field)


DISPATCH, ADMIN = [Depends(require(Scope.DISPATCH))], [Depends(require(Scope.ADMIN))]


def dispatch_router(
    holder: RulesetHolder, settings: Settings, dispatch: DispatchSettings
) -> APIRouter:
    """The dispatch routes; each declares its key scope (engine/api/auth.py)."""
    router = APIRouter()
    d = Dispatch(holder, dispatch)

    callbacks = [Depends(callback_guard(settings, lambda: d.seen))]

    async def callback(provider: str, request: Request) -> tuple[Callbacks, Any] | Response:
        """A provider push (already verified): known provider, JSON body — or the error."""
        if provider not in CALLBACKS:
            return _err(404, "not_found", f"unknown provider {provider!r}", "provider")
        data, bad = await _read(request)
        return bad if bad is not None else (CALLBACKS[provider], data)

    @router.post("/v1/approvals", summary="Check a template's text; an approval token if allowed",
                 dependencies=DISPATCH)  # fmt: skip
    async def approvals(request: Request) -> Response:
        data, bad = await _read(request)
        if bad:
            return bad
        try:
            body = _ApproveIn.model_validate(data)
            verdict, approval = d.intake.approval(body.template, body.params)
        except ValidationError as exc:
            return _model_error(exc)
        except IntakeError as exc:
            return _err(422, exc.code, exc.message, exc.field)
        except ApprovalError as exc:
            verdict_out = exc.verdict.to_dict() if exc.verdict else None
            return _json({"error": {"code": exc.code, "message": exc.message, "field": "params"},
                          "verdict": verdict_out}, 422)  # fmt: skip
        return _json({"approval": approval.token, "expires_at": approval.expires_at,
                      "verdict": verdict.to_dict()})  # fmt: skip

    @router.post("/v1/messages", summary="Queue an approved message (idempotent)",
                 dependencies=DISPATCH)  # fmt: skip
    async def send(request: Request) -> Response:
        data, bad = await _read(request)
        if bad:
            return bad
        try:
            body = _SendIn.model_validate(data)
            key = request.headers.get("idempotency-key") or body.idempotency_key or ""
            req = SendRequest(
                key, body.phone, body.template, body.params, body.approval,
                parse_send_at(body.send_at), parse_send_at(body.expires_at),
                body.experiment, body.variant, body.track_links,
            )  # fmt: skip
            row, created = d.intake.submit(req)
        except ValidationError as exc:
            return _model_error(exc)
        except MessageError as exc:
            return _err(422, "invalid_request", exc.message, exc.field)
        except IntakeError as exc:
            return _err(422, exc.code, exc.message, exc.field)
        out = row.to_dict()
        if row.status is Status.SUPPRESSED:
            out["reason"] = "the recipient replied to opt out of this signature's marketing"
        return _json(out, 201 if created else 200)

    @router.get("/v1/messages/{message_id}", summary="A message's record, history and receipts",
                dependencies=ADMIN)  # fmt: skip
    async def status(message_id: str, request: Request) -> Response:
        row = d.outbox.get(message_id)
        if row is None:
            return _err(404, "not_found", f"no message {message_id!r}", "message_id")
        return _json({**row.to_dict(), "history": d.outbox.history(row.id),
                      "receipts": d.outbox.receipts_for(row.id)})  # fmt: skip

    @router.post(
        "/v1/dispatch/receipts/{provider}",
        summary="Delivery receipts (provider push)",
        dependencies=callbacks,
    )
    @router.post("/v1/dispatch/receipts/{provider}/{token}", include_in_schema=False,
                 dependencies=callbacks)  # fmt: skip
    async def receipts(provider: str, request: Request) -> Response:
        got = await callback(provider, request)
        if isinstance(got, Response):
            return got
        cb, data = got
        now = time.time()
        for mid in d.outbox.apply_receipts(cb.parse_receipts(data), now):
            row = d.outbox.get(mid)
            if row is not None and row.status in (Status.DELIVERED, Status.UNDELIVERED):
                event = "delivered" if row.status is Status.DELIVERED else "failed"
                d.events.write(event, row, ts=now)
        return _json(dict(cb.ack))

    @router.post(
        "/v1/dispatch/inbound/{provider}",
        summary="User replies (MO; opt-outs)",
        dependencies=callbacks,
    )
    @router.post("/v1/dispatch/inbound/{provider}/{token}", include_in_schema=False,
                 dependencies=callbacks)  # fmt: skip
    async def inbound(provider: str, request: Request) -> Response:
        got = await callback(provider, request)
        if isinstance(got, Response):
            return got
        cb, data = got
        apply_inbound(d.outbox, d.optout, cb.parse_inbound(data))
        return _json(dict(cb.ack))

    @router.post("/v1/conversions", summary="Record a conversion (A/B event with value_fen)",
                 dependencies=DISPATCH)  # fmt: skip
    async def conversion(request: Request) -> Response:
        data, bad = await _read(request)
        if bad:
            return bad
        try:
            body = _ConversionIn.model_validate(data)
        except ValidationError as exc:
            return _model_error(exc)
        row = d.outbox.get(body.message_id)
        if row is None:
            return _err(404, "not_found", f"no message {body.message_id!r}", "message_id")
        d.events.write("converted", row, ts=time.time(), value_fen=body.value_fen)
        return _json({"recorded": True}, 201)

    @router.get("/r/{code}", summary="Short link: record a click, redirect")
    async def click(code: str) -> Response:
        hit = d.outbox.link(code) if code.isalnum() and len(code) <= 16 else None
        if hit is None:
            return _err(404, "not_found", "unknown link", "code")
        row = d.outbox.get(hit[0])
        if row is not None:
            d.events.write("clicked", row, ts=time.time())
        return RedirectResponse(hit[1], status_code=302)

    return router
