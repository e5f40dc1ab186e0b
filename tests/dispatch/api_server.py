"""`xinshi serve` alone (no fake provider, no worker) with a data directory, for API-only tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.processes import free_port, start, stop

KEY = "dispatch-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


class Api:
    """A running server: its URL, process and data directory."""

    def __init__(self, url: str, proc: subprocess.Popen[bytes], data: Path, log: Path) -> None:
        self.url, self.proc, self.data, self.log = url, proc, data, log


@contextmanager
def api_server(tmp: Path, data: Path | None = None) -> Iterator[Api]:
    """Serve the API on a free loopback port with its own data directory."""
    data = data or tmp / "data"
    port = free_port()
    env = {
        "XINSHI_DATA_DIR": str(data),
        "XINSHI_API_KEYS": KEY,
        "XINSHI_WATCH_RULES": "0",
        "XINSHI_DISPATCH_SECRET": "dispatch-test-secret-0123",  # the length main requires
        "XINSHI_RECIPIENT_SALT": "salt",
    }
    url = f"http://127.0.0.1:{port}"
    log = tmp / "api.log"
    proc = start(["serve", "--port", str(port)], log, env, f"{url}/healthz")
    try:
        yield Api(url, proc, data, log)
    finally:
        stop(proc)
