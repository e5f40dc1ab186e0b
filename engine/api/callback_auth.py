"""Who may push receipts and replies: a signed push, or an unsigned provider on a path token.

Signed (the default): ``X-Xinshi-Timestamp`` and ``X-Xinshi-Signature`` over the body with
XINSHI_CALLBACK_SECRET (engine/dispatch/callback_signing.py). Providers that cannot sign are
listed in XINSHI_CALLBACK_UNSIGNED and call ``/v1/dispatch/{kind}/{provider}/{token}``, where
the token is a ``callbacks:`` key, from an address in XINSHI_CALLBACK_ALLOW_IPS. Every refusal
is a JSON 401/403 that says what is missing.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable

from fastapi import Request

from engine.api.keys import Scope, scopes_of
from engine.api.metrics import CALLBACKS_REFUSED
from engine.api.requests import ApiError
from engine.api.settings import Settings
from engine.dispatch.callback_signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    CallbackAuthError,
    SeenSignatures,
    verify,
)

log = logging.getLogger("xinshi.api")
KNOWN_PROVIDERS = frozenset({"aliyun", "tencent"})


def check_signed(request: Request, body: bytes, settings: Settings, seen: SeenSignatures) -> None:
    """Refuse a push that is not signed with XINSHI_CALLBACK_SECRET, is stale or is a replay."""
    if "key" in request.query_params:
        raise ApiError(
            401,
            "key_not_accepted",
            "callbacks no longer take ?key=: sign them (X-Xinshi-Signature) or, for a provider "
            "that cannot sign, use /v1/dispatch/{receipts|inbound}/{provider}/{token}",
            "key",
        )
    if settings.callback_secret is None:
        raise ApiError(
            403,
            "callbacks_disabled",
            "signed callbacks are off: set XINSHI_CALLBACK_SECRET (the sender signs with it)",
        )
    try:
        verify(
            settings.callback_secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            seen,
            settings.callback_window_s,
        )
    except CallbackAuthError as exc:
        raise ApiError(401, exc.code, exc.message) from None
    # a replay cache that cannot be written (sqlite3.Error, OSError) propagates: the dispatch
    # routes' StorageGuard answers 503 storage_unavailable and /readyz fails until it is back


def check_token(request: Request, provider: str, token: str, settings: Settings) -> None:
    """Refuse an unsigned push unless the provider may send one, from a listed address."""
    if provider not in settings.callback_unsigned:
        raise ApiError(
            403,
            "unsigned_not_allowed",
            f"unsigned callbacks from {provider!r} are off: sign them, or add {provider!r} to "
            "XINSHI_CALLBACK_UNSIGNED with its addresses in XINSHI_CALLBACK_ALLOW_IPS",
            "provider",
        )
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not any(address in net for net in settings.callback_allow_ips):
        raise ApiError(
            403,
            "address_not_allowed",
            f"callbacks from {host or 'an unknown address'} are refused: add the provider's "
            "callback addresses to XINSHI_CALLBACK_ALLOW_IPS",
        )
    presented = token.encode("utf-8", "surrogateescape")
    if Scope.CALLBACKS not in scopes_of(settings.api_keys, presented):
        raise ApiError(401, "unauthorized", "the callback token is not a 'callbacks:' key")


def callback_guard(
    settings: Settings, seen: Callable[[], SeenSignatures]
) -> Callable[[Request], Awaitable[None]]:
    """The dependency of the callback routes: a path ``{token}`` or else a signed body."""

    async def dependency(request: Request) -> None:
        token = request.path_params.get("token")
        provider = str(request.path_params.get("provider"))
        try:
            if token is not None:
                check_token(request, provider, token, settings)
            else:
                check_signed(request, await request.body(), settings, seen())
        except ApiError as exc:  # a refused push is a receipt lost until someone notices
            _refused(request, provider, exc)
            raise

    return dependency


def _refused(request: Request, provider: str, exc: ApiError) -> None:
    """Log and count a refused callback (never its token, signature or body)."""
    known = provider if provider in KNOWN_PROVIDERS else "other"  # bounded metric labels
    kind = "inbound" if "/inbound/" in request.url.path else "receipts"
    CALLBACKS_REFUSED.labels(kind, known, exc.code).inc()
    host = request.client.host if request.client else "?"
    log.warning("callback refused: %s from %s (provider %s, %d %s): %s", kind, host, known,
                exc.status, exc.code, exc.message)  # fmt: skip
