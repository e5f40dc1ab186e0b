"""Double-11 on one machine: 100,000 order confirmations plus a steady stream of OTPs.

Starts the fake provider (Aliyun wire format, realistic latency), the API (receipts) and one
worker as real processes on 127.0.0.1, queues the confirmations in bulk, posts OTPs through
POST /v1/messages at a steady rate while the flood drains, and prints throughput, OTP
enqueue->accepted p50/p99 and whether the send record matches what the provider accepted.

    .venv/bin/python bench/dispatch.py [--count 100000] [--otp-rate 20] [--latency-ms 20]
        [--workers 1] [--lost 0 --lookup-latency-ms 400] [--backend sqlite|postgres]

``--workers N`` runs N worker processes on the one outbox. ``--backend postgres`` puts it in a
throwaway PostgreSQL cluster (Debian's initdb/pg_ctl, synchronous commits as in production)
started for the run (tests/pg.py). ``--lost N`` adds N messages
whose provider answer was lost (``unknown``, looked up while the flood drains; the fake's status
query takes ``--lookup-latency-ms``): reconciliation runs beside sending, so OTP latency should
not move.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from engine.dispatch import DispatchSettings, Intake, Outbox, SendRequest, load_templates
from engine.ruleset import load_ruleset

KEY = "bench-key"
MAGIC = {f"{i:04d}" for i in range(1, 100)}  # the fake's magic endings (0001-0012 so far)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    args: list[str], log: Path, env: dict[str, str], ready: str | None
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    while ready:
        try:
            httpx.get(ready, timeout=1)
            break
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit(log.read_text()) from None
            time.sleep(0.2)
    return proc


def _phones(n: int, prefix: str) -> list[str]:
    out, i = [], 0
    while len(out) < n:
        num = f"{prefix}{i:08d}"
        if num[-4:] not in MAGIC:
            out.append(num)
        i += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--otp-rate", type=float, default=20.0, help="OTPs per second during the flood")
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=1, help="worker processes on one outbox")
    ap.add_argument("--lost", type=int, default=0, help="messages to reconcile during the flood")
    ap.add_argument("--lookup-latency-ms", type=float, default=400.0)
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    a = ap.parse_args()
    cluster = None
    if a.backend == "postgres":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.pg import Cluster

        cluster = Cluster(durable=True)

    tmp = Path(tempfile.mkdtemp(prefix="xinshi-bench-"))
    data = tmp / "data"
    env = {**os.environ, "XINSHI_DATA_DIR": str(data), "XINSHI_API_KEYS": KEY,
           "XINSHI_CALLBACK_SECRET": "bench-callback-secret-0123",
           "XINSHI_WATCH_RULES": "0", "XINSHI_DISPATCH_SECRET": "bench-dispatch-secret-0123"}  # fmt: skip
    if cluster is not None:
        env["XINSHI_DATABASE_URL"] = cluster.admin_url()
    fp, ap_ = _port(), _port()
    fake, api = f"http://127.0.0.1:{fp}", f"http://127.0.0.1:{ap_}"
    procs = [
        _start(
            [
                "dispatch",
                "fake-provider",
                "--port",
                str(fp),
                "--latency-ms",
                str(a.latency_ms),
                "--callback",
                f"{api}/v1/dispatch",
                "--receipt-delay",
                "1",
                "--lookup-latency-ms",
                str(a.lookup_latency_ms),
            ],
            tmp / "fake.log",
            env,
            f"{fake}/_stats",
        ),
        _start(["serve", "--port", str(ap_)], tmp / "api.log", env, f"{api}/healthz"),
    ]
    try:
        ruleset = load_ruleset()
        settings = DispatchSettings.from_env(data)
        outbox = Outbox(env.get("XINSHI_DATABASE_URL") or settings.outbox_target)
        intake = Intake(
            outbox, load_templates(), lambda: ruleset, settings.secret, settings.link_base
        )

        t0 = time.perf_counter()
        reqs = [
            SendRequest(f"d11-{i}", p, "order_confirmed", {"order": f"1111{i:06d}"})
            for i, p in enumerate(_phones(a.count, "137"))
        ]
        prepared = [intake.prepare(r) for r in reqs]  # validate + render + check every text
        t_check = time.perf_counter() - t0
        for i in range(0, len(prepared), 10_000):
            outbox.enqueue_many(prepared[i : i + 10_000])
        t_enqueue = time.perf_counter() - t0
        print(
            f"queued {a.count:,} confirmations in {t_enqueue:.1f} s (checking every rendered text: {t_check:.1f} s)"
        )

        if a.lost:  # claimed by a worker that died before the provider answered
            lost = [
                intake.prepare(SendRequest(f"lost-{i}", p, "order_confirmed", {"order": "1"}))
                for i, p in enumerate(_phones(a.lost, "136"))
            ]
            outbox.enqueue_many(lost)
            t = time.time()
            claimed = outbox.claim(lost[0].lane, a.lost, t, 0.0)
            outbox.expire_leases(t + 0.001)
            print(f"{len(claimed):,} messages with a lost answer, to reconcile during the flood")
        workers = [
            _start(
                [
                    "dispatch",
                    "worker",
                    "--provider",
                    f"aliyun={fake}",
                    "--provider",
                    f"tencent={fake}",
                    "--reconcile-after",
                    "0",
                ],
                tmp / f"worker{n}.log",
                env,
                None,
            )
            for n in range(a.workers)
        ]
        procs += workers
        worker = workers[0]
        start = time.time()
        stop = threading.Event()
        otp_ids: list[str] = []

        def otps() -> None:
            phones = iter(_phones(100_000, "158"))
            with httpx.Client(
                base_url=api, headers={"Authorization": f"Bearer {KEY}"}, timeout=10
            ) as c:
                nxt = time.monotonic()
                while not stop.is_set():
                    p = next(phones)
                    r = c.post(
                        "/v1/messages",
                        json={
                            "idempotency_key": f"otp-{p}",
                            "phone": p,
                            "template": "login_code",
                            "params": {"code": p[-6:]},
                        },
                    )
                    otp_ids.append(r.json()["id"])
                    nxt += 1 / a.otp_rate
                    time.sleep(max(0.0, nxt - time.monotonic()))

        th = threading.Thread(target=otps, daemon=True)
        th.start()
        while True:
            (done,) = outbox.query(
                "SELECT COUNT(*) FROM message WHERE lane='notice' AND status NOT IN ('queued','sending','unknown')"
            )[0]
            if done >= a.count + a.lost:
                break
            if worker.poll() is not None:
                raise SystemExit((tmp / "worker0.log").read_text()[-3000:])
            time.sleep(0.5)
        flood_s = time.time() - start
        stop.set()
        th.join()
        time.sleep(2)  # the last OTPs and receipts
        lat = sorted(
            r[0]
            for r in outbox.query(
                "SELECT accepted_at - created_at FROM message WHERE lane='otp' AND accepted_at IS NOT NULL"
            )
        )
        n_otp = len(otp_ids)
        stats = httpx.get(f"{fake}/_stats", timeout=30).json()
        (accepted_rows,) = outbox.query(
            "SELECT COUNT(*) FROM message WHERE accepted_at IS NOT NULL"
        )[0]
        (delivered,) = outbox.query("SELECT COUNT(*) FROM message WHERE status='delivered'")[0]
        (orphans,) = outbox.query("SELECT COUNT(*) FROM receipt WHERE message_id IS NULL")[0]
        counts = outbox.counts()

        def pct(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000

        print(
            f"sent {a.count:,} confirmations in {flood_s:.1f} s = {a.count / flood_s:,.0f} msg/s (fake latency {a.latency_ms:.0f} ms, {a.workers} worker(s) on {a.backend}, {a.lost} lookups of {a.lookup_latency_ms:.0f} ms)"
        )
        print(
            f"OTPs during the flood: {n_otp} at {a.otp_rate:.0f}/s; enqueue->accepted p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms, max {lat[-1] * 1000:.0f} ms (accepted {len(lat)})"
        )
        print(
            f"provider accepted {stats['accepted']:,} ({stats['unique']:,} unique, {len(stats['duplicates'])} duplicates); send records with accepted_at: {accepted_rows:,} -> {'MATCH' if accepted_rows == stats['unique'] == stats['accepted'] else 'MISMATCH'}"
        )
        print(f"receipts: {delivered:,} delivered so far, {orphans} unmatched; statuses {counts}")
        if outbox.path is not None:
            print(f"records: {outbox.path} ({outbox.path.stat().st_size / 1e6:.0f} MB)")
        else:
            (size,) = outbox.query("SELECT pg_database_size(current_database())")[0]
            print(f"records: {outbox.where} ({size / 1e6:.0f} MB)")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
        if cluster is not None:
            cluster.remove()


if __name__ == "__main__":
    main()
