"""Benchmark the HTTP API on 127.0.0.1 with wrk (Debian package `wrk`).

Starts `xinshi serve` on a free loopback port, then runs bounded wrk loads against:
  /healthz          baseline: a trivial endpoint returning a constant, same server, same run
  /v1/check         one realistic message per request (rotating through 2,000 messages)
  /v1/check/batch   100 messages per request
and prints requests/s, p50/p99 latency, messages/s, and the CPU used by the load generator
and by the server. Targets (issue #4, 2-core machine): ≥ 2,000 req/s on /v1/check with
p99 ≤ 25 ms; ≥ 15,000 messages/s through /v1/check/batch.

    python bench/api.py [--workers 2] [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check import make_messages

LUA = """
local bodies = {}
local path = "%(path)s"
for line in io.lines("%(file)s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, bodies[i])
end
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of processes and their children, from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
    return total


def server_pids(root: int) -> list[int]:
    """The server process and its workers."""
    out = subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout
    kids = [int(x) for x in out.split()]
    grandkids = []
    for k in kids:
        more = subprocess.run(["pgrep", "-P", str(k)], capture_output=True, text=True).stdout
        grandkids += [int(x) for x in more.split()]
    return [root, *kids, *grandkids]


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict[str, float]:
    """Run wrk once; return req/s, latency percentiles (ms) and its own CPU use."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        cmd += ["-s", str(script)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {p: _ms(re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": lat["50"],
        "p99": lat["99"],
        "wrk_cpu": cpu / wall,
        "non2xx": float(errors.group(1)) if errors else 0.0,
    }


def _ms(m: re.Match[str] | None) -> float:
    if m is None:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")

    tmp = Path(tempfile.mkdtemp(prefix="xinshi-bench-"))
    messages = make_messages(2000, seed=5)
    one = tmp / "one.jsonl"
    one.write_text(
        "\n".join(
            json.dumps({"text": m.text, "type": m.type.value, "send_at": "2026-11-25T10:00"},
                       ensure_ascii=False)
            for m in messages
        ) + "\n", encoding="utf-8",
    )  # fmt: skip
    batch = tmp / "batch.jsonl"
    with batch.open("w", encoding="utf-8") as f:
        for i in range(0, len(messages), args.batch):
            chunk = [{"text": m.text, "type": m.type.value} for m in messages[i : i + args.batch]]
            f.write(json.dumps({"messages": chunk}, ensure_ascii=False) + "\n")
    scripts = {}
    for name, path, data in (("one", "/v1/check", one), ("batch", "/v1/check/batch", batch)):
        scripts[name] = tmp / f"{name}.lua"
        scripts[name].write_text(LUA % {"path": path, "file": data}, encoding="utf-8")

    port = free_port()
    env = {**os.environ, "XINSHI_WATCH_RULES": "0", "XINSHI_MAX_BATCH": str(max(args.batch, 1000))}
    server = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(port),
         "--workers", str(args.workers), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                sys.exit("server did not start")
            time.sleep(0.3)
        time.sleep(1.0 * args.workers)  # let every worker finish loading the rules
        wrk(f"{url}/v1/check", 2, args.connections, scripts["one"])  # warm up
        results = {}
        for name, path, script in (
            ("baseline /healthz", "/healthz", None),
            ("/v1/check", "/v1/check", scripts["one"]),
            (f"/v1/check/batch ({args.batch}/req)", "/v1/check/batch", scripts["batch"]),
        ):
            pids = server_pids(server.pid)
            cpu0, t0 = cpu_seconds(pids), time.perf_counter()
            results[name] = wrk(f"{url}{path}", args.seconds, args.connections, script)
            results[name]["server_cpu"] = (cpu_seconds(pids) - cpu0) / (time.perf_counter() - t0)
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"xinshi HTTP benchmark · 127.0.0.1 · {args.workers} worker(s) · wrk 1 thread, "
        f"{args.connections} connections, {args.seconds}s per run · {os.cpu_count()} cores"
    )
    for name, r in results.items():
        extra = ""
        if "batch" in name:
            extra = f" · {r['rps'] * args.batch:,.0f} msg/s (target ≥ 15,000)"
        elif "check" in name:
            extra = " (target ≥ 2,000 req/s, p99 ≤ 25 ms)"
        print(
            f"  {name:28s} {r['rps']:9,.0f} req/s · p50 {r['p50']:6.2f} ms · p99 {r['p99']:6.2f} ms"
            f" · non-2xx {r['non2xx']:.0f} · CPU: wrk {r['wrk_cpu']:.2f} core, "
            f"server {r['server_cpu']:.2f} core{extra}"
        )


if __name__ == "__main__":
    main()
