"""Cold-start times of the `xinshi` command: the figures issue 14 sets targets for.

Each figure is the median (and max) wall time of N fresh processes (default 5), with the CPU
time (user + system) beside it: on a shared machine the wall time also counts waiting for a
core, the CPU time does not.

    --help, --version                       target <= 0.2 s
    check TEXT, empty ruleset cache         (every run compiles the rules)
    check TEXT, warm ruleset cache          target <= 0.3 s
    serve, first start (after check cached the rules: runs every example, remembers the verdict)
    serve: start until /readyz answers      target <= 2 s

The cache lives in a temporary XINSHI_CACHE_DIR, so your own ~/.cache/xinshi is untouched.

    python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

TEXT = "【信使商城】验证码386512，5分钟内有效，请勿泄露给他人。"
XINSHI = [sys.executable, "-m", "engine.cli"]


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    cpu0, t0 = _cpu(), time.perf_counter()
    proc = subprocess.run([*XINSHI, *args], env=env, capture_output=True, check=False)
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    if proc.returncode not in (0, 1, 3):  # e.g. --version on a build without it
        print(f"xinshi {' '.join(args)}: exit {proc.returncode}: {proc.stderr.decode()[:200]}")
        return float("nan"), float("nan")
    return wall, cpu


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], data: Path) -> tuple[float, float]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/readyz"
    env = {**env, "XINSHI_DATA_DIR": str(data)}
    cpu0, t0 = _cpu(), time.perf_counter()
    proc = subprocess.Popen(
        [*XINSHI, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"xinshi serve exited:\n{proc.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.02)
            if time.perf_counter() - t0 > 60:
                raise SystemExit("xinshi serve: not ready after 60 s")
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return wall, _cpu() - cpu0  # CPU includes the shutdown: an upper bound


def _line(name: str, samples: list[tuple[float, float]], target: float | None) -> str:
    walls = [w for w, _ in samples]
    cpus = [c for _, c in samples]
    if any(w != w for w in walls):  # NaN: the command failed
        return f"{name:<28} failed"
    med = statistics.median(walls)
    mark = ""
    if target is not None:
        mark = f"  (target {target:.1f} s: {'ok' if med <= target else 'MISSED'})"
    return (
        f"{name:<28} median {med:6.3f} s  max {max(walls):6.3f} s  "
        f"cpu median {statistics.median(cpus):6.3f} s{mark}"
    )


def main() -> None:
    """Print the cold-start figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="xinshi-startup-"))
    cache = tmp / "cache"
    env = {**os.environ, "XINSHI_CACHE_DIR": str(cache), "PYTHONDONTWRITEBYTECODE": "0"}
    check = ["check", TEXT, "--type", "verification"]
    try:
        _run(["--help"], env)  # .pyc files written, page cache warm: what a user sees
        rows = [
            ("--help", [_run(["--help"], env) for _ in range(args.runs)], 0.2),
            ("--version", [_run(["--version"], env) for _ in range(args.runs)], 0.2),
        ]
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(_run(check, env))
        rows.append(("check TEXT, cold cache", cold, None))
        rows.append(("check TEXT, warm cache", [_run(check, env) for _ in range(args.runs)], 0.3))
        rows.append(("serve ready, first start", [_serve(env, tmp / "data")], None))
        serve = [_serve(env, tmp / "data") for _ in range(args.runs)]
        rows.append(("serve ready", serve, 2.0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.runs} fresh processes each; load average {os.getloadavg()[0]:.1f}")
    for name, samples, target in rows:
        print(_line(name, samples, target))


if __name__ == "__main__":
    main()
