"""Reconciliation runs beside sending, not inside it (issue 15, item 2).

A provider whose status query takes 400 ms, and 120 messages whose answer was lost: the worker's
loop keeps claiming while the lookups run, at most ``reconcile_concurrency`` at once, so an OTP
queued during the sweep goes out at once instead of waiting 120 x 400 ms = 48 s behind them.
Each message the provider never had is re-queued and sent once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.dispatch.events import EventWriter
from engine.dispatch.lanes import default_policies
from engine.dispatch.message import Lane, Status
from engine.dispatch.outbox import NewMessage, Outbox
from engine.dispatch.providers.aliyun import AliyunProvider
from engine.dispatch.templates import load_templates
from engine.dispatch.worker import Worker, WorkerOptions
from engine.ruleset import RuleSet, load_ruleset
from tests.dispatch.conftest import StoreAt
from tests.processes import HTTP, fake_provider

LOST = 120
LOOKUP_MS = 400
CONCURRENCY = 8


@pytest.fixture(scope="module")
def slow_queries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("fake") / "fake.log"
    with fake_provider(log, "--lookup-latency-ms", str(LOOKUP_MS)) as url:
        yield url


def _stats(fake: str) -> dict[str, object]:
    r = HTTP.get(f"{fake}/_stats", timeout=5)
    assert r.status_code == 200
    return dict(r.json())


def _message(key: str, lane: Lane, phone: str, version: str, now: float) -> NewMessage:
    if lane is Lane.OTP:
        text = "【信使商城】验证码386512，5分钟内有效，请勿泄露。"
        return NewMessage(key, "h", lane, phone, "信使商城", "login_code", {"code": "386512"},
                          text, version, now, None)  # fmt: skip
    text = "【信使商城】您的订单1111000123已支付成功，我们将尽快发货。"
    return NewMessage(key, "h", lane, phone, "信使商城", "order_confirmed",
                      {"order": "1111000123"}, text, version, now, None)  # fmt: skip


def test_an_otp_is_not_held_up_by_a_sweep_of_slow_lookups(
    store_at: StoreAt, tmp_path: Path, slow_queries: str
) -> None:
    ruleset: RuleSet = load_ruleset()
    outbox = Outbox(store_at("outbox.db"))
    t0 = time.time() - 120
    outbox.enqueue_many(
        [_message(f"lost-{i}", Lane.NOTICE, f"+861391{i:03d}5678", ruleset.version, t0)
         for i in range(LOST)],
        now=t0,
    )  # fmt: skip
    # a worker claimed them and died before the provider was called: each lease runs out
    assert len(outbox.claim(Lane.NOTICE, LOST, t0, 0.0)) == LOST
    assert len(outbox.expire_leases(t0 + 1)) == LOST
    options = WorkerOptions(reconcile_after_s=0.0, maintain_every_s=0.05, poll_s=0.005,
                            reconcile_concurrency=CONCURRENCY, lookup_qps=1000)  # fmt: skip
    worker = Worker(outbox, [AliyunProvider(slow_queries, timeout=5)], load_templates(), ruleset,
                    default_policies(), EventWriter(tmp_path / "events", "s"), options)  # fmt: skip

    async def run() -> tuple[float, int]:
        stop = asyncio.Event()
        loop = asyncio.create_task(worker.run(stop))
        deadline = time.time() + 10
        while _stats(slow_queries)["lookups"] == 0:  # the sweep has started
            assert time.time() < deadline, "no lookup started"
            await asyncio.sleep(0.02)
        queued = time.time()
        ((otp, _),) = outbox.enqueue_many(
            [_message("otp-1", Lane.OTP, "+8613912345678", ruleset.version, queued)], now=queued
        )
        while (row := outbox.get(otp.id)) is None or row.status is not Status.ACCEPTED:
            assert time.time() < deadline, "the OTP was not sent"
            await asyncio.sleep(0.01)
        waited = time.time() - queued
        still_unknown = outbox.counts().get("unknown", 0)
        deadline = time.time() + 30
        while outbox.counts().get("accepted", 0) < LOST + 1:  # re-queued and sent, once each
            assert time.time() < deadline, outbox.counts()
            await asyncio.sleep(0.05)
        stop.set()
        await loop
        for p in worker.providers:
            await p.aclose()
        return waited, still_unknown

    waited, still_unknown = asyncio.run(run())
    assert waited < 2.0, f"the OTP waited {waited:.2f} s behind the sweep"
    assert still_unknown > LOST // 2  # it went out while most lookups were still to come
    stats = _stats(slow_queries)
    assert 1 < int(stats["lookups_max_concurrent"]) <= CONCURRENCY  # type: ignore[call-overload]
    assert stats["duplicates"] == []
    assert outbox.counts() == {"accepted": LOST + 1}
    first = outbox.query("SELECT id FROM message WHERE idem_key=?", ("lost-0",))[0][0]
    assert [(h["status"], h["code"]) for h in outbox.history(first)] == [
        ("queued", None),
        ("unknown", "lease_expired"),
        ("queued", "reconciled_not_sent"),
        ("accepted", "OK"),
    ]
