"""`xinshi serve --workers 2`: forked workers share one loaded ruleset and one metrics view."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_forked_workers_answer_and_stop_cleanly() -> None:
    port = _free_port()
    env = {**os.environ, "XINSHI_WATCH_RULES": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        kids = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(kids) == 2
        with httpx.Client(base_url=url) as client:
            for _ in range(20):  # new connections land on either worker
                r = client.post(
                    "/v1/check",
                    json={"text": "【信使商城】全场最低价"},
                    headers={"connection": "close"},
                )
                assert r.json()["verdict"] == "block"
            metrics = client.get("/metrics").text
        assert (
            'xinshi_http_requests_total{method="POST",route="/v1/check",status="200"} 20.0'
            in metrics
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert b"2 forked workers" in out
