"""Real processes on 127.0.0.1 for the tests: free ports, `xinshi ...` subprocesses, servers."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

# For tests that call a server many times: each request opens a new connection, as
# httpx.get() does, but without building a client and its TLS context per call (30-60 ms of
# CPU each, which adds up in polling loops and competes with the servers under test).
HTTP = httpx.Client(headers={"connection": "close"}, timeout=30)


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 32768


_EPHEMERAL_LOW = _ephemeral_low()
_PICK = random.SystemRandom()  # never the seeded `random`: parallel suites must not pick alike
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port nothing listens on right now, never one this process handed out before.

    Picked below the kernel's ephemeral range: a port from ``bind(0)`` is an ephemeral one, which
    any outgoing connection (the suite's own HTTP clients, other suites on the machine) may take
    between this check and the server's bind, and the server then fails to listen.
    """
    low = max(1024, _EPHEMERAL_LOW - 12_000)
    for _ in range(500):
        port = _PICK.randrange(low, _EPHEMERAL_LOW)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {low}-{_EPHEMERAL_LOW - 1} after 500 tries")


def xinshi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m engine.cli ARGS` (the xinshi command) to the end, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


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
    deadline = time.monotonic() + 300  # a give-up limit: a loaded machine starts slowly
    # one client for the whole poll: httpx.get() builds a client (and its TLS context) per call,
    # ~30-60 ms of CPU that, ten times a second, competes with the server that is starting
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            try:
                client.get(ready)
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


@contextmanager
def fake_provider(log: Path, *args: str) -> Iterator[str]:
    """Run `xinshi dispatch fake-provider` on a free port (1 ms latency unless ``args`` say
    otherwise, later options win); yield its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = ["dispatch", "fake-provider", "--port", str(port), "--latency-ms", "1", *args]
    proc = start(cmd, log, {}, f"{url}/_stats")
    try:
        yield url
    finally:
        stop(proc)
