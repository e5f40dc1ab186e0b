"""Dispatch endpoints: send (idempotent), status, provider callbacks, click redirects. Thin.

Bodies must be JSON (415 otherwise); storage errors are a 503 (engine/api/storage.py).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from engine.api import bodies
from engine.api.bodies import ApproveIn, ConversionIn, SendIn
from engine.api.limits import error_body
from engine.api.pages import STATIC_DIR
from engine.api.requests import read_json
from engine.api.settings import Settings
from engine.api.storage import STORAGE_ERRORS, StorageGuard
from engine.check import check
from engine.dispatch import (
    DispatchSettings,
    Intake,
    IntakeError,
    Outbox,
    SendRequest,
    load_templates,
)
from engine.dispatch.approval import ApprovalError, issue
from engine.dispatch.conversions import Conversions
from engine.dispatch.destinations import LinkError, vet
from engine.dispatch.events import EventWriter
from engine.dispatch.message import CHECK_TYPE, OutboxRow, Status
from engine.dispatch.optout import OptOutWords, apply_inbound, load_optout_words
from engine.dispatch.outbox import OutboxError
from engine.dispatch.providers import CALLBACKS
from engine.dispatch.providers.base import CallbackError, Callbacks
from engine.message import MessageError, make_message, parse_send_at, parse_type
from engine.reload import RulesetHolder


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _err(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(error_body(code, message, field), status, media_type="application/json")


class Dispatch:
    """What the routes share, opened on first use (the check API runs without a data dir)."""

    def __init__(self, holder: RulesetHolder) -> None:
        self.holder = holder

    @cached_property
    def settings(self) -> DispatchSettings:
        return DispatchSettings.from_env()

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.settings.outbox_path)

    @cached_property
    def intake(self) -> Intake:
        s = self.settings
        book = load_templates(s.templates)
        return Intake(self.outbox, book, lambda: self.holder.ruleset, s.secret, s.link_base)

    @cached_property
    def events(self) -> EventWriter:
        return EventWriter(self.settings.events_dir, self.settings.recipient_salt)

    @cached_property
    def optout(self) -> OptOutWords:
        return load_optout_words()

    @cached_property
    def conversions(self) -> Conversions:
        return Conversions(self.outbox)

    def probe(self) -> None:
        """Write to the outbox and the events directory for real (raises on a storage error)."""
        with self.outbox.transaction() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            db.execute(f"PRAGMA user_version={int(version)}")  # a header write, same value
        path = self.events.directory / f".probe-{os.getpid()}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"probe\n")
            os.fsync(fd)
        finally:
            os.close(fd)
            path.unlink(missing_ok=True)

    def link_target(self, code: str) -> tuple[str, OutboxRow] | None:
        """A short link's stored destination and message, if it still passes the link rules."""
        hit = self.outbox.link(code) if code.isalnum() and len(code) <= 16 else None
        row = None if hit is None else self.outbox.get(hit[0])
        if hit is None or row is None:
            return None
        short = next((v for v in row.params.values() if str(v).endswith(f"/r/{code}")), None)
        try:
            if short is None:
                raise LinkError("invalid_link", "the short link is not in the message")
            vet(row.rendered_text, str(short), hit[1], CHECK_TYPE[row.lane], self.holder.ruleset)
        except LinkError:
            return None
        return hit[1], row


def _when(value: str | None, field: str) -> datetime | None:
    try:
        return parse_send_at(value)
    except MessageError as exc:
        raise MessageError(field, exc.message.replace("send_at", field, 1)) from None


_NOT_FOUND_PAGE = STATIC_DIR / "link-not-found.html"


def _link_not_found(request: Request) -> Response:
    """404 for a short link: a page for browsers, the JSON error for everything else."""
    if "text/html" in request.headers.get("accept", ""):
        page = _NOT_FOUND_PAGE.read_bytes()
        return Response(page, 404, media_type="text/html; charset=utf-8")
    message = "unknown link: no short link with this code, or its destination is not allowed"
    return _err(404, "not_found", message, "code")


def _model_error(exc: ValidationError) -> Response:
    e = exc.errors()[0]
    field = ".".join(str(p) for p in e["loc"])
    what = "unknown field" if e["type"] == "extra_forbidden" else e["msg"]
    return _err(422, "invalid_request", f"{field}: {what}", field)


def dispatch_router(
    authorize: Callable[[Request, bool], None],
    holder: RulesetHolder,
    settings: Settings,
    storage: StorageGuard | None = None,
) -> APIRouter:
    """The dispatch routes, behind the same API keys as the rest of the API."""
    storage = storage or StorageGuard()
    router = APIRouter(route_class=storage.route_class())
    d = Dispatch(holder)
    storage.attach(d.probe, lambda: "outbox" in d.__dict__)

    def callback_auth(request: Request) -> Response | None:
        # providers call a configured URL: the key may come as ?key=... instead of a header
        key = request.query_params.get("key")
        if key and settings.api_keys:
            if any(hmac.compare_digest(key, k) for k in settings.api_keys):
                return None
            return _err(401, "unauthorized", "the API key is not valid")
        authorize(request, True)
        return None

    async def callback(provider: str, request: Request) -> tuple[Callbacks, Any] | Response:
        """A provider push: known provider, valid key, JSON body — or the error response."""
        if provider not in CALLBACKS:
            return _err(404, "not_found", f"unknown provider {provider!r}", "provider")
        if (denied := callback_auth(request)) is not None:
            return denied
        return CALLBACKS[provider], await read_json(request)

    @router.post(
        "/v1/approvals",
        summary="Check a text and get an approval token if allowed",
        **bodies.APPROVE,
    )
    async def approvals(request: Request) -> Response:
        authorize(request, True)
        data = await read_json(request)
        try:
            body = ApproveIn.model_validate(data)
            msg_type = parse_type(body.type)
            verdict = check(make_message(body.text, type=msg_type), holder.ruleset)
            approval = issue(verdict, body.text, msg_type, d.settings.secret)
        except ValidationError as exc:
            return _model_error(exc)
        except MessageError as exc:
            return _err(422, "invalid_message", exc.message, exc.field)
        except ApprovalError as exc:
            return _json({"error": {"code": exc.code, "message": exc.message, "field": "text"},
                          "verdict": verdict.to_dict()}, 422)  # fmt: skip
        return _json({"approval": approval.token, "verdict": verdict.to_dict()})

    @router.post("/v1/messages", summary="Queue an approved message (idempotent)", **bodies.SEND)
    async def send(request: Request) -> Response:
        authorize(request, True)
        data = await read_json(request)
        try:
            body = SendIn.model_validate(data)
            key = request.headers.get("idempotency-key") or body.idempotency_key or ""
            req = SendRequest(
                key, body.phone, body.template, body.params, body.approval,
                _when(body.send_at, "send_at"), _when(body.expires_at, "expires_at"),
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

    @router.get("/v1/messages/{message_id}", summary="A message's record, history and receipts")
    async def status(message_id: str, request: Request) -> Response:
        authorize(request, True)
        row = d.outbox.get(message_id)
        if row is None:
            return _err(404, "not_found", f"no message {message_id!r}", "message_id")
        return _json({**row.to_dict(), "history": d.outbox.history(row.id),
                      "receipts": d.outbox.receipts_for(row.id)})  # fmt: skip

    @router.post(
        "/v1/dispatch/receipts/{provider}",
        summary="Delivery receipts (provider push)",
        **bodies.CALLBACK,
    )
    async def receipts(request: Request, provider: str = bodies.PROVIDER) -> Response:
        got = await callback(provider, request)
        if isinstance(got, Response):
            return got
        cb, data = got
        now = time.time()
        try:
            parsed = cb.parse_receipts(data)
        except CallbackError as exc:
            return _err(422, "invalid_callback", exc.message, exc.field)
        for mid in d.outbox.apply_receipts(parsed, now):
            row = d.outbox.get(mid)
            if row is not None and row.status in (Status.DELIVERED, Status.UNDELIVERED):
                event = "delivered" if row.status is Status.DELIVERED else "failed"
                d.events.write(event, row, ts=now)
        return _json(dict(cb.ack))

    @router.post(
        "/v1/dispatch/inbound/{provider}", summary="User replies (MO; opt-outs)", **bodies.CALLBACK
    )
    async def inbound(request: Request, provider: str = bodies.PROVIDER) -> Response:
        got = await callback(provider, request)
        if isinstance(got, Response):
            return got
        cb, data = got
        try:
            parsed = cb.parse_inbound(data)
        except CallbackError as exc:
            return _err(422, "invalid_callback", exc.message, exc.field)
        apply_inbound(d.outbox, d.optout, parsed)
        return _json(dict(cb.ack))

    @router.post(
        "/v1/conversions",
        summary="Record a conversion (A/B event with value_fen; idempotent)",
        **bodies.CONVERSION,
    )
    async def conversion(request: Request) -> Response:
        authorize(request, True)
        data = await read_json(request)
        try:
            body = ConversionIn.model_validate(data)
        except ValidationError as exc:
            return _model_error(exc)
        row = d.outbox.get(body.message_id)
        if row is None:
            return _err(404, "not_found", f"no message {body.message_id!r}", "message_id")
        key = request.headers.get("idempotency-key") or body.idempotency_key or ""
        try:
            conv, created = d.conversions.record(row.id, key, body.value_fen)
        except OutboxError as exc:
            return _err(422, exc.code, exc.message, exc.field)
        # a retry writes the same event again (same ts): `xinshi ab ingest` keeps one
        d.events.write("converted", row, ts=conv.at, value_fen=conv.value_fen)
        out = {"recorded": True, "message_id": row.id, "idempotency_key": key or None,
               "value_fen": conv.value_fen, "duplicate": not created}  # fmt: skip
        return _json(out, 201 if created else 200)

    @router.get("/r/{code}", summary="Short link: record a click, redirect to a vetted page")
    async def click(code: str, request: Request) -> Response:
        found = d.link_target(code)
        if found is None:
            return _link_not_found(request)
        target, row = found
        try:
            d.events.write("clicked", row, ts=time.time())
        except STORAGE_ERRORS as exc:  # the reader still gets the page; /readyz reports it
            storage.failed(exc)
        return RedirectResponse(target, status_code=302)

    return router
