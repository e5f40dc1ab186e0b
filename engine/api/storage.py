"""The data directory's health: a storage error is a 503, and /readyz fails until storage is back.

A full disk, a read-only or missing data directory, an outbox that cannot be written or a
PostgreSQL server (XINSHI_DATABASE_URL) that went away makes the storage raise. The dispatch
routes answer those with 503 ``storage_unavailable`` (what failed, how to fix it) instead of a
500; nothing was written, so the caller retries. From then on /readyz answers 503 and probes
the storage (a real database write and a real file write) on each call; the first probe that
succeeds makes the service ready again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from engine.api.limits import error_body
from engine.dispatch.backend import DatabaseUrlError, storage_errors

log = logging.getLogger("xinshi.api")
RETRY_AFTER_S = 5


def describe(exc: BaseException) -> str:
    """One line on a storage error and how to fix it."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, DatabaseUrlError) or type(exc).__module__.startswith("psycopg"):
        return (
            f"the outbox database does not answer ({detail}). Check that the PostgreSQL "
            "server in XINSHI_DATABASE_URL runs and accepts connections, then retry; nothing "
            "was recorded"
        )
    return (
        f"the data directory cannot be written ({detail}). Free disk space, make "
        "XINSHI_DATA_DIR a writable directory, then retry; nothing was recorded"
    )


class StorageGuard:
    """Remembers the last storage failure; /readyz probes until a write succeeds again."""

    def __init__(self) -> None:
        self.failure: str | None = None
        self._probe: Callable[[], None] = lambda: None
        self._opened: Callable[[], bool] = lambda: False

    def attach(self, probe: Callable[[], None], opened: Callable[[], bool]) -> None:
        """Use ``probe`` (a real write) once storage is ``opened``."""
        self._probe, self._opened = probe, opened

    def failed(self, exc: BaseException) -> Response:
        """Record a storage error; the 503 the caller gets."""
        self.failure = describe(exc)
        # the open SQLite connection is kept: it still reads, and writes again once space is
        # back (reopening a WAL database needs writes of its own)
        log.warning("storage unavailable: %s", exc)
        return Response(
            error_body("storage_unavailable", self.failure),
            503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
            media_type="application/json",
        )

    def unavailable(self) -> str | None:
        """Why storage is down now (probing it when in use or after a failure), or None."""
        if self.failure is None and not self._opened():
            return None  # a check-only server never touches the data directory
        try:
            self._probe()
        except storage_errors() as exc:
            self.failure = describe(exc)
            return self.failure
        self.failure = None
        return None

    def route_class(self) -> type[APIRoute]:
        """An APIRoute whose handler answers storage errors with this guard's 503."""
        guard = self

        class StorageRoute(APIRoute):
            def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
                handler = super().get_route_handler()

                async def guarded(request: Request) -> Response:
                    try:
                        return await handler(request)
                    except storage_errors() as exc:
                        return guard.failed(exc)

                return guarded

        return StorageRoute
