"""API keys with scopes, and the one dependency each route declares to require one.

``XINSHI_API_KEYS="check:k1,admin:k2,dispatch:k3,callbacks:k4"``; a bare key (``k``) keeps its
old meaning minus callbacks: check + read + admin + dispatch. Scopes:

    check      POST /v1/check, /v1/check/batch, /v1/variants (only with XINSHI_KEYED_CHECKS=1)
    read       rules, catalog, A/B reports and charts, the provider scorecard, /metrics,
               /openapi.json, /docs (only with
               XINSHI_KEYED_CHECKS=1, unless listed in XINSHI_PUBLIC); any check, admin or
               dispatch key reads
    admin      POST /v1/rules/reload, GET /v1/messages and /v1/messages/{id} (send records),
               GET /v1/dispatch/campaigns, POST /v1/dispatch/campaigns/{name}/resume
    dispatch   POST /v1/messages, /v1/approvals, /v1/conversions
    callbacks  the path token of providers that cannot sign their callbacks

Keys are compared as bytes with ``hmac.compare_digest``: a header or query value in any
encoding is a 401, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import Request

from engine.api.keys import Scope, scopes_of
from engine.api.requests import ApiError

__all__ = ["Scope", "require"]

if TYPE_CHECKING:
    from engine.api.settings import Settings


def _bearer(request: Request) -> bytes:
    # Starlette decodes header bytes as latin-1: encoding back gives the bytes that were sent
    header = request.headers.get("authorization", "").encode("latin-1")
    scheme, _, token = header.strip().partition(b" ")
    if scheme.lower() != b"bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send an API key as 'Authorization: Bearer KEY'")
    return token.strip()


def _open(scope: Scope, settings: Settings, public: str | None) -> bool:
    if scope in (Scope.CHECK, Scope.READ) and not settings.keyed_checks:
        return True
    return public is not None and public in settings.public


def require(scope: Scope, public: str | None = None) -> Callable[[Request], None]:
    """A dependency refusing a request without a key of ``scope`` (401, or 403 if none exists).

    ``public``: the XINSHI_PUBLIC name that opens this read endpoint.
    """

    def dependency(request: Request) -> None:
        settings: Settings = request.app.state.settings
        if _open(scope, settings, public):
            return
        if not any(scope in scopes for scopes in settings.api_keys.values()):
            raise ApiError(
                403,
                f"{scope.value}_disabled",
                f"{scope.value} endpoints are off: add a key with scope "
                f"'{scope.value}' to XINSHI_API_KEYS (e.g. {scope.value}:KEY)",
            )
        scopes = scopes_of(settings.api_keys, _bearer(request))
        if not scopes:
            raise ApiError(401, "unauthorized", "the API key is not valid")
        if scope not in scopes:
            have = ", ".join(sorted(s.value for s in scopes))
            raise ApiError(
                403,
                "forbidden",
                f"this key has scope {have}; this endpoint needs a '{scope.value}' key",
            )

    return dependency
