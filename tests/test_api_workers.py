"""`xinshi serve --workers 2`: forked workers share one loaded ruleset and one metrics view."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.processes import free_port, start, stop


def test_two_forked_workers_answer_and_stop_cleanly(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {"XINSHI_WATCH_RULES": "0", "PROMETHEUS_MULTIPROC_DIR": ""}  # serve picks a fresh dir
    proc = start(["serve", "--port", str(port), "--workers", "2"], log, env, f"{url}/readyz")
    try:
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
        stop(proc)  # SIGTERM: the parent stops its workers and exits 0
    out = log.read_text()
    assert proc.returncode == 0, out
    assert "2 forked workers" in out
