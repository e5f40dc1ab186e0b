"""Real processes on 127.0.0.1 for the tests: free ports, `xinshi ...` subprocesses, servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    args: list[str], log: Path, env: dict[str, str], ready: str | None = None
) -> subprocess.Popen[bytes]:
    """Start `python -m engine.cli ARGS`; wait until ``ready`` answers (if given)."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
    if ready is None:
        return proc
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            httpx.get(ready, timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(log.read_text())


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process started by ``start`` and wait for it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()


@contextmanager
def serving(rules: Path, log: Path, env: dict[str, str], *args: str) -> Iterator[str]:
    """Run `xinshi serve` on a free port with these rules; yield its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = ["serve", "--port", str(port), "--rules", str(rules), *args]
    env = {"XINSHI_DATA_DIR": str(log.parent / "xinshi-data"), **env}  # serve writes its secret
    proc = start(cmd, log, env, ready=f"{url}/readyz")
    try:
        yield url
    finally:
        stop(proc)
