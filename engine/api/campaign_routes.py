"""Campaign endpoints of the complaint kill switch: list campaigns, resume a paused one. Thin.

    GET  /v1/dispatch/campaigns                  every campaign, paused first, and why
    POST /v1/dispatch/campaigns/{name}/resume    {"reason": "...", "by": "..."}: release once
    POST /v1/dispatch/signatures/{name}/resume   the same for a signature whose rate tripped
    POST /v1/dispatch/templates/{name}/resume    ... and for a template (engine.dispatch.holds)

Both need an admin key (they read and change what marketing goes out).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from engine.api import bodies
from engine.api.auth import Scope, require
from engine.api.bodies import ResumeIn
from engine.api.limits import error_body
from engine.api.metrics import CAMPAIGN_PAUSES
from engine.api.requests import read_json
from engine.dispatch.campaigns import (
    CampaignError,
    Trip,
    held_without_campaign_total,
    list_campaigns,
    resume,
)
from engine.dispatch.holds import list_scopes
from engine.dispatch.outbox import Outbox


def count_trips(trips: list[Trip]) -> None:
    """Raise the pause metric for each campaign a request paused."""
    for trip in trips:
        CAMPAIGN_PAUSES.labels(trip.signal).inc()


def _json(data: object, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _err(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(error_body(code, message, field), status, media_type="application/json")


def add_campaign_routes(router: APIRouter, outbox: Callable[[], Outbox]) -> None:
    """Add the campaign routes to the dispatch router."""
    admin = [Depends(require(Scope.ADMIN))]

    @router.get(
        "/v1/dispatch/campaigns",
        dependencies=admin,
        summary="Campaigns and their kill-switch state: paused ones first, and why",
    )
    async def campaigns() -> Response:
        """Every campaign the kill switch has seen: `state` (active, paused), `signal`
        (complaint, opt_out, provider_code), `figure`, `threshold`, `paused_at`, `held`, what
        holds it now (`held_by`, `holds`), and the last `resumed_at`, `resumed_by`, `reason`
        (rules/dispatch/complaints.yaml); the paused signatures and templates; and the held
        marketing of no campaign (`held_without_campaign`)."""
        box = outbox()
        return _json({"campaigns": list_campaigns(box), "paused_scopes": list_scopes(box),
                      "held_without_campaign": held_without_campaign_total(box)})  # fmt: skip

    @router.post(
        "/v1/dispatch/campaigns/{name}/resume",
        dependencies=admin,
        summary="Resume a paused campaign (reason required): its held messages, once",
        **bodies.RESUME,
    )
    async def resume_campaign(name: str, request: Request) -> Response:
        """Put the held messages of a paused campaign back in the queue, once: `released` is
        how many; 0 when it is not paused (resumed already, or by a concurrent call). The
        override: every hold of it is removed, whatever placed it (`released_holds`). The
        reason and `by` are recorded."""
        return await _resume(name, request, "campaign")

    @router.post(
        "/v1/dispatch/signatures/{name}/resume",
        dependencies=admin,
        summary="Resume a signature whose rate tripped, and the campaigns it paused, once",
        **bodies.RESUME,
    )
    async def resume_signature(name: str, request: Request) -> Response:
        """The signature is active again and removed from every campaign's holds: a campaign
        it alone held is resumed (its held messages released once); one still held by another
        source (its own signals, a template) stays paused, listed in `still_held`."""
        return await _resume(name, request, "signature")

    @router.post(
        "/v1/dispatch/templates/{name}/resume",
        dependencies=admin,
        summary="Resume a template whose rate tripped, and the campaigns it paused, once",
        **bodies.RESUME,
    )
    async def resume_template(name: str, request: Request) -> Response:
        """As the signature's resume, for a template."""
        return await _resume(name, request, "template")

    async def _resume(name: str, request: Request, kind: str) -> Response:
        try:
            body = ResumeIn.model_validate(await read_json(request))
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(str(p) for p in e["loc"]) or "reason"
            what = "unknown field" if e["type"] == "extra_forbidden" else e["msg"]
            return _err(422, "invalid_request", f"{field}: {what}. Send {{\"reason\": \"why it "
                        "is safe to send again\", \"by\": \"who\"}", field)  # fmt: skip
        try:
            out = resume(outbox(), name, body.reason, (body.by or "api").strip()[:64] or "api",
                         time.time(), kind)  # fmt: skip
        except CampaignError as exc:
            return _err(404 if exc.code == "not_found" else 422, exc.code, exc.message, exc.field)
        return _json(out)
