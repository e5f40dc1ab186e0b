"""Dispatch endpoints: send (idempotent), status, provider callbacks, click redirects. Thin.

Each route declares its key scope; callbacks are signed (engine/api/callback_auth.py). Bodies
must be JSON (415 otherwise); storage errors, the replay cache's included, are a 503
(engine/api/storage.py).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from engine.api import bodies
from engine.api.auth import Scope, require
from engine.api.bodies import ApproveIn, ConversionIn, SendIn
from engine.api.callback_auth import callback_guard
from engine.api.campaign_routes import add_campaign_routes, count_trips
from engine.api.event_routes import add_event_routes
from engine.api.limits import error_body
from engine.api.pages import STATIC_DIR
from engine.api.requests import read_json
from engine.api.settings import Settings
from engine.api.storage import StorageGuard
from engine.dispatch import (
    DispatchSettings,
    Intake,
    IntakeError,
    Outbox,
    SendRequest,
    load_templates,
)
from engine.dispatch.approval import ApprovalError
from engine.dispatch.backend import storage_errors
from engine.dispatch.callback_signing import SeenSignatures
from engine.dispatch.campaigns import KillSwitch
from engine.dispatch.complaints import load_policy
from engine.dispatch.conversions import Conversions
from engine.dispatch.destinations import LinkError, vet
from engine.dispatch.events import EventWriter
from engine.dispatch.message import CHECK_TYPE, OutboxRow, Status
from engine.dispatch.optout import OptOutWords, apply_inbound, load_optout_words
from engine.dispatch.outbox import OutboxError
from engine.dispatch.providers import CALLBACKS
from engine.dispatch.providers.base import CallbackError, Callbacks
from engine.dispatch.records import QueryError, Records, make_find, parse_time, view
from engine.dispatch.scenes import SceneBook, load_scenes
from engine.dispatch.scorecard import ScorecardError, parse_by, parse_prices, scorecard
from engine.dispatch.triggers import Triggers
from engine.message import MessageError, parse_send_at
from engine.reload import RulesetHolder


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _err(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(error_body(code, message, field), status, media_type="application/json")


_FIND_PARAMS = frozenset({"phone", "since", "until", "status", "template", "scene", "limit",
                          "cursor", "show_phone"})  # fmt: skip
_SCORECARD_PARAMS = frozenset({"since", "by", "price"})


def _scorecard(outbox: Outbox, request: Request) -> Response:
    """GET /v1/providers/scorecard?since=7d&by=carrier,region&price=aliyun=4.5 (repeatable)."""
    qp = request.query_params
    unknown = sorted(set(qp) - _SCORECARD_PARAMS)
    if unknown:
        known = ", ".join(sorted(_SCORECARD_PARAMS))
        return _err(422, "invalid_request", f"unknown parameter {unknown[0]!r}; use {known}",
                    unknown[0])  # fmt: skip
    try:
        by = parse_by(qp.get("by"))
        since = parse_time(qp.get("since") or "7d", "since")
        prices = parse_prices([os.environ.get("XINSHI_PROVIDER_PRICES", "")])
        prices |= parse_prices(qp.getlist("price"))
    except (ScorecardError, QueryError) as exc:
        return _err(422, "invalid_request", exc.message, exc.field)
    return _json(scorecard(outbox, since, by, prices))


def _flag(request: Request, name: str) -> bool | Response:
    """A true/false query parameter (absent: false), or the 422 that says how to write it."""
    raw = request.query_params.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        return _err(422, "invalid_request", f"{name} is true or false", name)
    return raw in ("true", "1")


class Dispatch:
    """What the routes share, opened on first use; settings and secret read at start-up."""

    def __init__(self, holder: RulesetHolder, settings: DispatchSettings) -> None:
        self.holder, self.settings = holder, settings  # read before the workers fork
        # rules/dispatch/ is read here, once, so every worker serves the same files; a bad
        # file stops the start (file:line); a rules hot reload does not re-read them
        self.complaints = load_policy()
        self.book = load_templates(settings.templates)
        self.scenes: SceneBook = load_scenes(settings.scenes_path, self.book)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.settings.outbox_target)

    @cached_property
    def intake(self) -> Intake:
        s = self.settings
        return Intake(
            self.outbox, self.book, lambda: self.holder.ruleset, s.secret, s.link_base,
            s.approval_ttl_s,
        )  # fmt: skip

    @cached_property
    def triggers(self) -> Triggers:
        return Triggers(self.intake, self.scenes)

    @cached_property
    def events(self) -> EventWriter:
        return EventWriter(self.settings.events_dir, self.settings.recipient_salt)

    @cached_property
    def optout(self) -> OptOutWords:
        return load_optout_words()

    @cached_property
    def killswitch(self) -> KillSwitch:
        alerts = self.settings.data_dir / "alerts"
        return KillSwitch(self.outbox, self.complaints, self.optout, self.events, alerts)

    @cached_property
    def conversions(self) -> Conversions:
        return Conversions(self.outbox)

    @cached_property
    def seen(self) -> SeenSignatures:
        shared = self.outbox if self.settings.database_url else None  # every host's replays
        return SeenSignatures(self.settings.data_dir / "callbacks.sqlite", shared)

    def probe(self) -> None:
        """Write to the outbox, the events directory and, once opened, the replay cache for real
        (raises on a storage error)."""
        self.outbox.probe()
        if "seen" in self.__dict__:
            self.seen.probe()
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


DISPATCH, ADMIN = [Depends(require(Scope.DISPATCH))], [Depends(require(Scope.ADMIN))]


def dispatch_router(
    holder: RulesetHolder,
    settings: Settings,
    dispatch: DispatchSettings,
    storage: StorageGuard | None = None,
) -> APIRouter:
    """The dispatch routes; each declares its key scope (engine/api/auth.py).

    Every handler (and the callback guard's replay cache) runs inside ``storage``'s route
    class, so a storage error is a 503 ``storage_unavailable`` and /readyz fails until it is back.
    """
    storage = storage or StorageGuard()
    router = APIRouter(route_class=storage.route_class())
    d = Dispatch(holder, dispatch)
    storage.attach(d.probe, lambda: "outbox" in d.__dict__)

    callbacks = [Depends(callback_guard(settings, lambda: d.seen))]

    async def callback(provider: str, request: Request) -> tuple[Callbacks, Any] | Response:
        """A provider push (already verified): known provider, JSON body — or the error."""
        if provider not in CALLBACKS:
            return _err(404, "not_found", f"unknown provider {provider!r}", "provider")
        return CALLBACKS[provider], await read_json(request)

    @router.post(
        "/v1/approvals",
        summary="Check a template's text; an approval token if allowed",
        dependencies=DISPATCH,
        **bodies.APPROVE,
    )
    async def approvals(request: Request) -> Response:
        data = await read_json(request)
        try:
            body = ApproveIn.model_validate(data)
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

    @router.post(
        "/v1/messages",
        summary="Queue an approved message (idempotent)",
        dependencies=DISPATCH,
        **bodies.SEND,
    )
    async def send(request: Request) -> Response:
        data = await read_json(request)
        try:
            body = SendIn.model_validate(data)
            key = request.headers.get("idempotency-key") or body.idempotency_key or ""
            req = SendRequest(
                key, body.phone, body.template, body.params, body.approval,
                _when(body.send_at, "send_at"), _when(body.expires_at, "expires_at"),
                body.experiment, body.variant, body.track_links, body.campaign,
            )  # fmt: skip
            row, created = d.intake.submit(req)
        except ValidationError as exc:
            return _model_error(exc)
        except MessageError as exc:
            return _err(422, "invalid_request", exc.message, exc.field)
        except IntakeError as exc:
            return _err(422, exc.code, exc.message, exc.field)
        out = view(row.to_dict(), show_phone=False)
        if row.status is Status.SUPPRESSED:
            out["reason"] = "the recipient replied to opt out of this signature's marketing"
        if row.status is Status.HELD:
            out["reason"] = "its campaign is paused (xinshi dispatch campaigns): held until resumed"
        return _json(out, 201 if created else 200)

    add_event_routes(router, lambda: d.triggers)

    @router.get("/v1/messages/{message_id}",
                summary="A message's record, history, provider calls and receipts",
                dependencies=ADMIN)  # fmt: skip
    async def status(message_id: str, request: Request) -> Response:
        show = _flag(request, "show_phone")
        if isinstance(show, Response):
            return show
        story = Records(d.outbox).story(message_id, show)
        if story is None:
            return _err(404, "not_found", f"no message {message_id!r}", "message_id")
        return _json(story)

    @router.get("/v1/messages", summary="Search the send record, newest first (paginated)",
                dependencies=ADMIN)  # fmt: skip
    async def find(request: Request) -> Response:
        qp = request.query_params
        unknown = sorted(set(qp) - _FIND_PARAMS)
        if unknown:
            known = ", ".join(sorted(_FIND_PARAMS))
            return _err(422, "invalid_request", f"unknown parameter {unknown[0]!r}; use {known}",
                        unknown[0])  # fmt: skip
        show = _flag(request, "show_phone")
        if isinstance(show, Response):
            return show
        raw_limit = qp.get("limit", "50")
        if not raw_limit.isdigit():
            return _err(422, "invalid_request", "limit is a whole number, 1 to 500", "limit")
        try:
            q = make_find(qp.get("phone"), qp.get("since"), qp.get("until"), qp.get("status"),
                          qp.get("template"), int(raw_limit), qp.get("cursor"),
                          qp.get("scene"))  # fmt: skip
        except QueryError as exc:
            return _err(422, "invalid_request", exc.message, exc.field)
        return _json(Records(d.outbox).find(q, show))

    @router.get("/v1/providers/scorecard",
                summary="Provider scorecard: delivery rate, latency, failure codes, cost",
                dependencies=[Depends(require(Scope.READ, "providers"))])  # fmt: skip
    async def provider_scorecard(request: Request) -> Response:
        return _scorecard(d.outbox, request)

    @router.post(
        "/v1/dispatch/receipts/{provider}",
        summary="Delivery receipts (provider push)",
        dependencies=callbacks,
        **bodies.CALLBACK,
    )
    @router.post("/v1/dispatch/receipts/{provider}/{token}", include_in_schema=False,
                 dependencies=callbacks)  # fmt: skip
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
            if row is not None and row.status is Status.UNDELIVERED and row.last_code:
                trip = d.killswitch.on_code(mid, row.last_code, now)  # a carrier blacklist
                count_trips([trip] if trip else [])
        return _json(dict(cb.ack))

    @router.post(
        "/v1/dispatch/inbound/{provider}",
        summary="User replies (MO; opt-outs)",
        dependencies=callbacks,
        **bodies.CALLBACK,
    )
    @router.post("/v1/dispatch/inbound/{provider}/{token}", include_in_schema=False,
                 dependencies=callbacks)  # fmt: skip
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
        count_trips(d.killswitch.on_replies(parsed))  # complaints and opt-outs per campaign
        return _json(dict(cb.ack))

    add_campaign_routes(router, lambda: d.outbox)

    @router.post(
        "/v1/conversions",
        summary="Record a conversion (A/B event with value_fen; idempotent)",
        dependencies=DISPATCH,
        **bodies.CONVERSION,
    )
    async def conversion(request: Request) -> Response:
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
        except storage_errors() as exc:  # the reader still gets the page; /readyz reports it
            storage.failed(exc)
        return RedirectResponse(target, status_code=302)

    return router
