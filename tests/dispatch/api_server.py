"""`xinshi serve` alone (no fake provider, no worker) with a data directory, for API-only tests."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.dispatch.callback_signing import sign
from tests.processes import free_port, start, stop

KEY = "dispatch-test-key"  # a bare key: check, read, admin and dispatch scopes
AUTH = {"Authorization": f"Bearer {KEY}"}
CALLBACK_SECRET = b"api-server-callback-secret-0123"
DISPATCH_SECRET = "dispatch-test-secret-0123"  # the length main requires


def signed(body: bytes, content_type: str = "application/json") -> dict[str, str]:
    """Headers of a callback push of ``body`` signed now, as the fake provider signs it."""
    return {"Content-Type": content_type, **sign(CALLBACK_SECRET, int(time.time()), body)}


class Api:
    """A running server: its URL, process and data directory."""

    def __init__(
        self,
        url: str,
        proc: subprocess.Popen[bytes],
        data: Path,
        log: Path,
        database_url: str | None,
    ) -> None:
        self.url, self.proc, self.data, self.log = url, proc, data, log
        self.database_url = database_url

    @property
    def outbox_target(self) -> Path | str:
        """The outbox the server uses: its PostgreSQL URL, else the data directory's file."""
        return self.database_url or self.data / "dispatch.sqlite"


@contextmanager
def api_server(
    tmp: Path, data: Path | None = None, database_url: str | None = None
) -> Iterator[Api]:
    """Serve the API on a free loopback port with its own data directory (and the outbox in
    PostgreSQL when ``database_url`` is given)."""
    data = data or tmp / "data"
    port = free_port()
    env = {
        "XINSHI_DATA_DIR": str(data),
        "XINSHI_API_KEYS": KEY,
        "XINSHI_WATCH_RULES": "0",
        "XINSHI_DISPATCH_SECRET": DISPATCH_SECRET,
        "XINSHI_CALLBACK_SECRET": CALLBACK_SECRET.decode(),
        "XINSHI_RECIPIENT_SALT": "salt",
    }
    if database_url:
        env["XINSHI_DATABASE_URL"] = database_url
    url = f"http://127.0.0.1:{port}"
    log = tmp / "api.log"
    proc = start(["serve", "--port", str(port)], log, env, f"{url}/healthz")
    try:
        yield Api(url, proc, data, log, database_url)
    finally:
        stop(proc)
