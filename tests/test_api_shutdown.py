"""SIGTERM: requests in flight finish (up to XINSHI_SHUTDOWN_TIMEOUT), then the server exits 0."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import time
from pathlib import Path

import httpx
import orjson

from tests.processes import HTTP, free_port, start

TEXTS = ["【信使商城】全场最低价，回T退订", "【信使】您的验证码是123456，5分钟内有效。", "你好"]


def _slow_batch(port: int, messages: int) -> tuple[socket.socket, bytes]:
    """A connection some worker has accepted, with a batch request half uploaded."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    # a full request first: once it is answered, a worker holds this connection
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    assert resp.status == 200 and resp.read() == b'{"status":"ok"}'
    items = [{"id": str(i), "text": TEXTS[i % 3]} for i in range(messages)]
    body = orjson.dumps({"messages": items})
    head = (
        "POST /v1/check/batch HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    half = len(body) // 2
    sock.sendall(head + body[:half])
    return sock, body[half:]


def _in_flight(url: str) -> float:
    text = HTTP.get(f"{url}/metrics", headers={"connection": "close"}, timeout=10).text
    found = re.search(r"^xinshi_http_requests_in_flight (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def _wait_in_flight(url: str, n: int) -> None:
    deadline = time.monotonic() + 120
    while _in_flight(url) < n + 1:  # + the /metrics request itself
        assert time.monotonic() < deadline, "the slow requests never reached the server"
        time.sleep(0.05)


def test_sigterm_lets_requests_in_flight_finish(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {"XINSHI_WATCH_RULES": "0", "PROMETHEUS_MULTIPROC_DIR": "", "XINSHI_MAX_BATCH": "2000"}
    proc = start(["serve", "--port", str(port), "--workers", "2"], log, env, f"{url}/readyz")
    try:
        slow = [_slow_batch(port, 2000) for _ in range(3)]
        _wait_in_flight(url, len(slow))
        proc.send_signal(signal.SIGTERM)
        for sock, rest in slow:
            sock.sendall(rest)  # the client finishes uploading after the stop began
        for sock, _ in slow:
            resp = http.client.HTTPResponse(sock)
            resp.begin()
            assert resp.status == 200
            data = orjson.loads(resp.read())
            assert data["count"] == 2000
            assert all("verdict" in r for r in data["results"])
            assert data["results"][0]["verdict"] == "block"  # 全场最低价: an absolute claim
            assert sock.recv(1) == b""  # then the stopping worker closes the connection
            sock.close()
        assert proc.wait(timeout=30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    try:
        HTTP.get(f"{url}/healthz", timeout=2)
        raise AssertionError("the server still answers after it exited")
    except httpx.ConnectError:
        pass


def test_the_drain_is_bounded_by_the_shutdown_timeout(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {"XINSHI_WATCH_RULES": "0", "XINSHI_SHUTDOWN_TIMEOUT": "1"}
    proc = start(["serve", "--port", str(port)], log, env, f"{url}/readyz")
    try:
        sock, _rest = _slow_batch(port, 10)  # never finished by the client
        _wait_in_flight(url, 1)
        stopped_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
        took = time.monotonic() - stopped_at
        # bounded by the 1 s setting, not the 10 s default; the slack is for a busy machine
        assert 0.9 < took < 9.5, f"exited after {took:.1f} s"
        sock.close()
    finally:
        if proc.poll() is None:
            proc.kill()
