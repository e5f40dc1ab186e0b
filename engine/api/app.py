"""The HTTP API (FastAPI): parse, call the engine, render. No business logic here.

Every error is JSON ``{"error": {"code", "message", "field"}}``; no input produces a 500.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from engine.api import docs, metrics, pages
from engine.api.ab_routes import AB, AB_LIST
from engine.api.ab_routes import router as ab_router
from engine.api.auth import Scope, require
from engine.api.limits import BodyLimit
from engine.api.logs import install as install_log_masking
from engine.api.playground_routes import CATALOG, VARIANTS
from engine.api.playground_routes import router as playground_router
from engine.api.requests import ApiError
from engine.api.requests import error_response as _error
from engine.api.requests import json_response as _json
from engine.api.requests import parse_message as _message
from engine.api.requests import read_json as _body
from engine.api.requests import run_check as _verdict
from engine.api.rule_sync import LocalRules
from engine.api.settings import Settings
from engine.api.storage import StorageGuard
from engine.check import check
from engine.dispatch.backend import storage_errors
from engine.dispatch.config import DispatchSettings, check_database
from engine.extras import missing_extras, missing_message
from engine.message import MessageError
from engine.reload import RulesetHolder
from engine.ruleset import RuleSet, default_rules_dir
from engine.score import score as engagement
from engine.verdict import Verdict

log = logging.getLogger("xinshi.api")

DOCS_ASSETS = "/docs/assets"
CHECK, BATCH, RULES, RELOAD = "/v1/check", "/v1/check/batch", "/v1/rules", "/v1/rules/reload"
ROUTES = frozenset(
    {CHECK, BATCH, RULES, RELOAD, AB, "/healthz", "/readyz", "/metrics", "/openapi.json"}
    | {VARIANTS, CATALOG, AB_LIST, *pages.PAGES}
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API around one RulesetHolder (hot-reloaded when watch_rules is on)."""
    settings = settings or Settings.from_env()
    install_log_masking()
    # the approval secret is loaded (created once, atomically) here, before any worker forks
    dispatch_settings = DispatchSettings.from_env()
    if dispatch_settings.database_url:  # a wrong URL or password fails here, before listening
        check_database(dispatch_settings.database_url)
    holder = RulesetHolder(settings.rules_dir or default_rules_dir())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # app.state.rules: LocalRules, or server.run's WorkerRules in a forked worker
        await app.state.rules.start()
        yield
        await app.state.rules.stop()

    app = FastAPI(
        title="Xinshi (信使) pre-send check API",
        version="1",
        description=docs.DESCRIPTION,
        lifespan=lifespan,
        default_response_class=Response,
        openapi_url=None,  # served below, behind the read scope
        docs_url=None,
        redoc_url=None,
    )
    app.state.holder = holder
    app.state.settings = settings
    storage = StorageGuard()  # dispatch storage errors -> 503; /readyz fails until it is back
    check_key, admin_key = [Depends(require(Scope.CHECK))], [Depends(require(Scope.ADMIN))]
    app.state.rules = LocalRules(holder, settings.watch_rules)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> Response:
        return _error(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Response:
        err = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in err["loc"] if p != "body") or None
        return _error(ApiError(422, "invalid_request", f"{field}: {err['msg']}", field))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(ApiError(exc.status_code, code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:  # pragma: no cover
        log.exception("unhandled error on %s", request.url.path)
        return _error(ApiError(500, "internal", "internal error; it has been logged"))

    @app.post(CHECK, summary="Check one message", dependencies=check_key, **docs.CHECK)
    async def check_one(request: Request, score: bool = False) -> Response:
        msg = _message(await _body(request), settings)
        verdict = _verdict(msg, holder)
        if score:  # ?score=true: add the engagement block (predicted click rate, reasons, rewrites)
            block = engagement(msg, None, holder.ruleset).to_dict()
            verdict = dataclasses.replace(verdict, score=block)
        metrics.count((verdict,))
        return _json(verdict.to_dict())

    @app.post(
        BATCH, summary="Check up to XINSHI_MAX_BATCH messages", dependencies=check_key, **docs.BATCH
    )
    async def check_batch(request: Request) -> Response:
        data = await _body(request)
        items = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ApiError(
                422, "invalid_request", 'send {"messages": [{"text": "..."}, ...]}', "messages"
            )
        if isinstance(data, dict) and set(data) - {"messages"}:
            extra = sorted(set(data) - {"messages"})[0]
            raise ApiError(422, "invalid_request", f"unknown field {extra!r}", extra)
        if len(items) > settings.max_batch:
            limit = settings.max_batch
            what = f"{len(items)} messages; the limit is {limit} per request. Split the batch"
            raise ApiError(413, "batch_too_large", what, "messages")
        ruleset = holder.ruleset  # one ruleset for the whole batch, even across a reload
        # Off the event loop: 1,000 messages at the per-message CPU budget would otherwise
        # hold /healthz and every other request of this worker for seconds.
        results, verdicts = await run_in_threadpool(_check_all, items, settings, ruleset)
        metrics.count(verdicts)
        return _json(
            {"count": len(results), "ruleset_version": ruleset.version, "results": results}
        )

    @app.get(
        RULES,
        summary="Loaded rules and the last reload",
        dependencies=[Depends(require(Scope.READ, "rules"))],
        **docs.RULES,
    )
    async def rules(request: Request) -> Response:
        return _json(docs.rules_report(holder))

    @app.post(RELOAD, summary="Reload rules now (admin key)", dependencies=admin_key, **docs.RELOAD)
    async def reload(request: Request) -> Response:
        status = await app.state.rules.reload()  # off the event loop; reaches every worker
        metrics.RELOADS.labels("ok" if status.ok else "refused").inc()
        return _json(docs.rules_report(holder), status=200 if status.ok else 409)

    @app.get("/healthz", summary="Liveness", **docs.HEALTH)
    async def healthz() -> Response:
        return _json({"status": "ok"})

    missing = missing_extras()

    @app.get("/readyz", summary="Readiness: rules loaded, storage writable", **docs.HEALTH)
    async def readyz() -> Response:
        version = holder.ruleset.version  # what this worker serves
        workers = {"pid": os.getpid(), "workers": app.state.rules.workers()}
        down = await run_in_threadpool(storage.unavailable)
        if down is not None:
            error = {"code": "storage_unavailable", "message": down, "field": None}
            body = {"status": "unavailable", "ruleset_version": version, **workers, "error": error}
            return _json(body, 503)
        body = {"status": "ready", "ruleset_version": version, **workers}
        if missing:  # features this install leaves out; their routes answer 501
            body["missing_extras"] = missing
        return _json(body)

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        dependencies=[Depends(require(Scope.READ, "metrics"))],
    )
    async def prometheus() -> Response:
        target = dispatch_settings.outbox_target
        if isinstance(target, str) or target.exists():  # a sending install: its open messages
            try:
                metrics.dispatch_counts(target)
            except storage_errors() as exc:  # /readyz reports storage; the page still answers
                log.warning("metrics: outbox not readable: %s", exc)
        body, ctype = metrics.exposition()
        return Response(body, media_type=ctype)

    openapi_key = [Depends(require(Scope.READ, "openapi"))]

    @app.get("/openapi.json", include_in_schema=False, dependencies=openapi_key)
    async def openapi() -> Response:
        return _json(docs.with_components(app.openapi()))

    @app.get("/docs", include_in_schema=False, dependencies=openapi_key)
    async def swagger() -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=app.title,
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    # Swagger UI's files from a package, not a CDN: /docs works offline and from mainland China
    app.mount(DOCS_ASSETS, StaticFiles(directory=docs.swagger_ui_dir()), name="docs-assets")

    app.include_router(ab_router, dependencies=[Depends(require(Scope.READ, "ab"))])
    app.include_router(playground_router)
    app.include_router(pages.router)
    app.mount("/static", pages.static_files(), name="static")
    try:  # the 'dispatch' extra (phonenumbers, aiohttp, ...) may not be installed
        from engine.api.dispatch_routes import dispatch_router

        app.include_router(dispatch_router(holder, settings, dispatch_settings, storage))
    except ImportError as exc:
        message = missing_message(exc, "dispatch")
        if message is None:
            raise
        log.info("dispatch routes answer 501: %s", message)
        app.include_router(_missing_extra_router(DISPATCH_PATHS, message))
    limits = {BATCH: settings.max_batch_body_bytes}
    app.add_middleware(BodyLimit, limit_for=lambda path: limits.get(path, settings.max_body_bytes))
    app.add_middleware(metrics.RequestMetrics, routes=ROUTES)
    return app


# the dispatch routes (engine.api.dispatch_routes), answered with 501 without the extra
DISPATCH_PATHS = (
    "/v1/approvals",
    "/v1/messages",
    "/v1/messages/{message_id}",
    "/v1/conversions",
    "/v1/providers/scorecard",
    "/v1/dispatch/{rest:path}",
    "/r/{code}",
)


def _missing_extra_router(paths: tuple[str, ...], message: str) -> APIRouter:
    """Routes that answer 501 ``extra_missing`` with ``message`` (which names the extra)."""
    router = APIRouter()

    async def missing() -> Response:
        return _error(ApiError(501, "extra_missing", message))

    for path in paths:
        router.add_api_route(
            path, missing, methods=["GET", "POST"], include_in_schema=False, response_model=None
        )
    return router


def _check_all(
    items: list[Any], settings: Settings, ruleset: RuleSet
) -> tuple[list[dict[str, Any]], list[Verdict]]:
    """Check each batch item; a bad item becomes an error entry in its place."""
    results: list[dict[str, Any]] = []
    verdicts: list[Verdict] = []
    for i, item in enumerate(items):
        where = f"messages.{i}."
        try:
            msg = _message(item, settings, where)
            verdict = check(msg, ruleset)
        except ApiError as exc:
            err = {"code": exc.code, "message": exc.message, "field": exc.field}
            results.append({"id": _item_id(item), "error": err})
            continue
        except MessageError as exc:
            field = f"{where}{exc.field}"
            err = {"code": "invalid_message", "message": exc.message, "field": field}
            results.append({"id": _item_id(item), "error": err})
            continue
        verdicts.append(verdict)
        results.append(verdict.to_dict())
    return results, verdicts


def _item_id(item: Any) -> str | None:
    mid = item.get("id") if isinstance(item, dict) else None
    return None if mid is None else str(mid)
