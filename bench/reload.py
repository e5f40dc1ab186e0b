"""Benchmark /v1/check under a bounded load while the rules change and reload every second.

Starts `xinshi serve --workers 2` on a free loopback port with a copy of the shipped rules.
Every second it adds one word to a deny list (written in two halves with a 100 ms pause, as an
editor or a slow copy would) and calls POST /v1/rules/reload; the server's watcher sees the
change too. Meanwhile an open-loop client sends /v1/check at a fixed rate (default 200 req/s
for 20 s) over 32 keep-alive connections (new ones land on either worker), each text carrying one of the recent words.

Prints the latency p50/p99/max (measured from each request's scheduled start, so a stalled
server cannot hide behind a stalled client) and the number of responses whose
ruleset_version does not match their findings: a version must be the hash of a snapshot the
bench wrote in full, and the text's word must be flagged exactly when that snapshot holds it.

    python bench/reload.py [--rate 200] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson

from engine.ruleset import Snapshot, default_rules_dir, take

LIST = "lists/forbidden_industry_banned.txt"
RULE = "forbidden_industry.banned_categories"
KEY = "bench-reload-key"
TEXT = "【信使商城】本周新品上架，欢迎选购{word}。拒收请回复R"
SYLLABLES = "甲乙丙丁戊己庚辛壬癸"


def word(k: int) -> str:
    """The k-th word the bench adds (k >= 1): distinct, and no word contains another."""
    return f"测速词{SYLLABLES[k // 10 % 10]}{SYLLABLES[k % 10]}{SYLLABLES[k // 100 % 10]}"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rules:
    """The rules copy the bench edits: which words each written version holds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.added = 0
        self.words_in: dict[str, int] = {take(root).version: 0}  # version -> words held

    def add_word(self) -> None:
        """Append the next word, in two halves with a pause in the middle of the word."""
        path = self.root / LIST
        old = path.read_bytes()
        new = old + f"{word(self.added + 1)}\n".encode()
        cut = len(old) + len("测速".encode())
        # register the version of the finished file before the server can see any of it
        files = {**take(self.root).files, LIST: new}
        self.words_in[Snapshot(self.root, files).version] = self.added + 1
        with path.open("wb") as f:
            f.write(new[:cut])
            f.flush()
            time.sleep(0.1)
            f.write(new[cut:])
        self.added += 1


def editor(rules: Rules, url: str, stop: threading.Event, results: list[int]) -> None:
    """Change the rules and call the reload endpoint once a second (not waiting for it)."""
    auth = {"Authorization": f"Bearer {KEY}"}
    calls: list[threading.Thread] = []

    def reload() -> None:
        try:
            r = httpx.post(f"{url}/v1/rules/reload", headers=auth, timeout=60)
            results.append(r.status_code)
        except httpx.HTTPError:
            results.append(0)

    next_at = time.monotonic() + 1.0
    while not stop.wait(max(0.0, next_at - time.monotonic())):
        next_at += 1.0
        rules.add_word()
        calls.append(threading.Thread(target=reload))
        calls[-1].start()
    for call in calls:
        call.join()


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, body: bytes
) -> tuple[int, bytes]:
    """One HTTP/1.1 keep-alive request on an open connection: (status, body).

    A few lines of asyncio instead of an HTTP client library: at 200 req/s on 2 shared cores
    httpx's own CPU cost (several ms per request) would be what the bench measures.
    """
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return int(status_line.split()[1]), await reader.readexactly(length)


async def load(
    port: int, rules: Rules, rate: int, seconds: int, connections: int = 32
) -> tuple[list[float], int, int]:
    """Send rate*seconds checks on a fixed schedule; (latencies, mismatches, errors)."""
    latencies: list[float] = []
    mismatches = errors = 0
    rng = random.Random(7)
    jobs: asyncio.Queue[float | None] = asyncio.Queue()

    async def connection() -> None:
        nonlocal mismatches, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (at := await jobs.get()) is not None:
            k = rng.randint(max(1, rules.added - 2), rules.added + 1)  # some not yet added
            w = word(k)
            body = orjson.dumps({"text": TEXT.format(word=w), "type": "marketing"})
            try:
                status, raw = await _post(reader, writer, "/v1/check", body)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append(time.perf_counter() - at)
            if status != 200:
                errors += 1
                continue
            data = orjson.loads(raw)
            held = rules.words_in.get(data["ruleset_version"])  # None: never written in full
            flagged = any(f["rule_id"] == RULE and f["matched"] == w for f in data["findings"])
            if held is None or flagged != (k <= held):
                mismatches += 1
        writer.close()

    clients = [asyncio.create_task(connection()) for _ in range(connections)]
    start = time.perf_counter() + 0.5
    for i in range(rate * seconds):  # open loop: a job waits in the queue if all are busy
        at = start + i / rate
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        jobs.put_nowait(at)
    for _ in clients:
        jobs.put_nowait(None)
    await asyncio.gather(*clients)
    return latencies, mismatches, errors


def main() -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=200, help="requests per second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--no-reload", action="store_true", help="baseline: the same load, rules unchanged"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="xinshi-bench-reload-"))
    root = tmp / "rules"
    shutil.copytree(default_rules_dir(), root)
    rules = Rules(root)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "XINSHI_API_KEYS": KEY, "XINSHI_RULES": str(root)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cmd = [sys.executable, "-m", "engine.cli", "serve", "--port", str(port)]
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [*cmd, "--workers", str(args.workers)], stdout=log, stderr=log, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"server did not start; see {tmp / 'server.log'}")
            time.sleep(0.2)
        print(f"server ready after {time.monotonic() - deadline + 120:.1f} s", file=sys.stderr)
        stop = threading.Event()
        reloads: list[int] = []
        thread = threading.Thread(target=editor, args=(rules, url, stop, reloads))
        if not args.no_reload:
            thread.start()
        try:
            latencies, mismatches, errors = asyncio.run(load(port, rules, args.rate, args.seconds))
        finally:
            stop.set()
            if thread.is_alive():
                thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else float("nan")
    print(f"server: {args.workers} workers; load: {args.rate} req/s for {args.seconds} s")
    print(f"rule changes, each followed by POST /v1/rules/reload: {rules.added} "
          f"({sum(s == 200 for s in reloads)} reloads answered 200)")  # fmt: skip
    print(f"responses: {len(ms)}, errors: {errors}")
    print(
        f"/v1/check latency p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, "
        f"max {ms[-1]:.1f} ms"
    )
    print(f"responses whose version does not match their findings: {mismatches}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
