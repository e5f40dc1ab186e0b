"""`xinshi serve --workers 2` on loopback: every worker serves the rules the parent accepted.

A rule file changes -> all workers serve its version within 2 s; a reload through the API
reaches both workers; a worker killed with SIGKILL comes back on the current rules; a file
written in two halves is never served half-written; a response's version always matches its
findings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from engine.ruleset import take
from tests.processes import free_port, start, stop

KEY = "reload-test-key"
PACK = """\
category: fraud
rules:
  - id: banned
    kind: forbidden
    severity: block
    match: {lists: [banned]}
    message: 含违禁词
    suggestion: 删除
    source: 测试
    examples: {flag: [违禁词], pass: [你好]}
"""
CONVERGE = 2.0  # seconds from the end of a write until every worker serves it


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "packs" / "demo.yaml").write_text(PACK, encoding="utf-8")
    (root / "lists" / "banned.txt").write_text("违禁词\n", encoding="utf-8")
    return root


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.proc, self.url, self.log = proc, url, log
        # "connection: close" on every request: each one opens a new connection, which the
        # kernel gives to either worker
        self.client = httpx.Client(base_url=url, headers={"connection": "close"}, timeout=10)

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return sorted(int(p) for p in out.stdout.split())

    def ready(self) -> dict[str, object]:
        r = self.client.get("/readyz")
        assert r.status_code == 200, r.text
        data: dict[str, object] = r.json()
        return data

    def check(self, text: str) -> tuple[str, str]:
        """(ruleset_version, verdict) over a new connection, so either worker may answer."""
        r = self.client.post("/v1/check", json={"text": text})
        assert r.status_code == 200, r.text
        body = r.json()
        return body["ruleset_version"], body["verdict"]

    def wait_converged(self, version: str, since: float, pids: int = 2) -> float:
        """Poll /readyz until ``pids`` live workers report ``version``; seconds since ``since``."""
        while True:
            workers = self.ready()["workers"]
            assert isinstance(workers, list)
            if len(workers) == pids and all(w["ruleset_version"] == version for w in workers):
                return time.monotonic() - since
            if time.monotonic() - since > 60:  # a give-up limit; CONVERGE is the requirement
                raise AssertionError(f"workers did not converge on {version}: {workers}")
            time.sleep(0.02)


@pytest.fixture
def serve(rules: Path, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def run(watch: bool = True, **env: str) -> Server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = tmp_path / f"server-{port}.log"
        env = {
            "XINSHI_WATCH_RULES": "1" if watch else "0",
            "XINSHI_API_KEYS": KEY,
            "PROMETHEUS_MULTIPROC_DIR": "",  # serve makes a fresh one
            **env,
        }
        args = ["serve", "--port", str(port), "--workers", "2", "--rules", str(rules)]
        proc = start(args, log, env, f"{url}/readyz")
        server = Server(proc, url, log)
        started.append(server)
        server.wait_converged(take(rules).version, time.monotonic())
        return server

    yield run
    for server in started:
        server.client.close()
        stop(server.proc)


def _add_word(rules: Path, word: str) -> str:
    path = rules / "lists" / "banned.txt"
    path.write_text(path.read_text(encoding="utf-8") + f"{word}\n", encoding="utf-8")
    return take(rules).version


def test_a_file_change_reaches_every_worker_within_2_s(
    serve: Callable[..., Server], rules: Path
) -> None:
    server = serve()
    v1 = take(rules).version
    assert server.check("新词甲") == (v1, "allow")
    v2 = _add_word(rules, "新词甲")
    took = server.wait_converged(v2, time.monotonic())
    assert took < CONVERGE, f"converged in {took:.2f} s"
    for _ in range(16):  # new connections land on either worker
        assert server.check("新词甲") == (v2, "block")
    metrics = server.client.get(f"{server.url}/metrics").text
    serving = [
        line
        for line in metrics.splitlines()
        if "xinshi_ruleset_info{" in line and line.endswith(" 1.0")
    ]
    assert len(serving) == 2 and all(f'version="{v2}"' in line for line in serving), serving

    # SIGKILL one worker: the parent forks a replacement that serves v2, not the start-up v1
    old = server.workers()
    os.kill(old[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not (set(server.workers()) - set(old)) and time.monotonic() < deadline:
        time.sleep(0.05)
    (new,) = set(server.workers()) - set(old)
    server.wait_converged(v2, time.monotonic())
    seen = None
    while seen is None and time.monotonic() < deadline:
        ready = server.ready()
        if ready["pid"] == new:
            seen = ready["ruleset_version"]
    assert seen == v2
    for _ in range(16):
        assert server.check("新词甲") == (v2, "block")


def test_a_reload_through_the_api_reaches_every_worker(
    serve: Callable[..., Server], rules: Path
) -> None:
    server = serve(watch=False)
    v2 = _add_word(rules, "新词乙")
    start_at = time.monotonic()
    r = server.client.post(
        f"{server.url}/v1/rules/reload", headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == v2 and r.json()["reload"]["ok"] is True
    assert server.wait_converged(v2, start_at) < CONVERGE + 0.5  # + the 300 ms quiet wait
    for _ in range(16):
        assert server.check("新词乙") == (v2, "block")

    # a broken edit is refused on every worker, and the reason is shown by each
    (rules / "packs" / "demo.yaml").write_text(PACK.replace("forbidden", "forbiden"), "utf-8")
    r = server.client.post(
        f"{server.url}/v1/rules/reload", headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    )
    assert r.status_code == 409
    refused_at = time.monotonic()
    # the worker that answered knows at once; the other learns at its next poll (< CONVERGE)
    for _ in range(8):
        while True:
            report = server.client.get(
                f"{server.url}/v1/rules", headers={"connection": "close"}
            ).json()
            if report["reload"]["ok"] is False or time.monotonic() - refused_at > CONVERGE:
                break
            time.sleep(0.02)
        assert report["version"] == v2 and report["reload"]["ok"] is False
        assert any("unknown kind 'forbiden'" in e for e in report["reload"]["errors"])


def test_a_file_written_in_two_halves_is_never_served_half_written(
    serve: Callable[..., Server], rules: Path
) -> None:
    server = serve()
    v1 = take(rules).version
    path = rules / "lists" / "banned.txt"
    full = path.read_bytes() + "半写词\n".encode()
    half = len(path.read_bytes()) + len("半写".encode())  # the list would hold "半写" alone
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def hammer() -> None:
        while not done.is_set():
            seen.append(server.check("这是半写词吗"))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        with path.open("wb") as f:
            f.write(full[:half])
            f.flush()
            time.sleep(0.15)  # the writer pauses mid-file
            f.write(full[half:])
        v2 = take(rules).version
        server.wait_converged(v2, time.monotonic())
        while sum(v == v2 for v, _ in seen) < 10:
            time.sleep(0.02)
    finally:
        done.set()
        thread.join()
    assert {v for v, _ in seen} <= {v1, v2}, set(seen)
    # the version always matches the findings: old rules allow the text, new rules block it
    assert all(verdict == ("block" if v == v2 else "allow") for v, verdict in seen), set(seen)
