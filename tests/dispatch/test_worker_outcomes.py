"""The worker against the real fake provider (two wire formats, one process): what an unknown
code, a failing provider pair and a lost answer do to a message (issue 15, item 3).

The worker's loop is driven step by step (claim, send, record, reconcile), so each step's effect
on the record is asserted without waiting for timers.
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
from engine.dispatch.providers.tencent import TencentProvider
from engine.dispatch.templates import load_templates
from engine.dispatch.worker import Worker
from engine.ruleset import RuleSet, load_ruleset
from tests.dispatch.conftest import StoreAt
from tests.processes import HTTP, fake_provider

NOW = time.time() - 60  # queued a minute ago (the worker stamps answers with the wall clock)


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fake_provider(tmp_path_factory.mktemp("fake") / "fake.log") as url:
        yield url


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_ruleset()


def _worker(store_at: StoreAt, tmp_path: Path, fake: str, ruleset: RuleSet) -> Worker:
    outbox = Outbox(store_at("outbox.db"))
    providers = [AliyunProvider(fake, timeout=2), TencentProvider(fake, timeout=2)]
    events = EventWriter(tmp_path / "events", "s")
    return Worker(outbox, providers, load_templates(), ruleset, default_policies(), events)


def _queue(w: Worker, phone: str, ruleset: RuleSet) -> str:
    text = "【信使商城】您的订单1111000123已支付成功，我们将尽快发货。"
    msg = NewMessage(f"k-{phone}", "h", Lane.NOTICE, phone, "信使商城", "order_confirmed",
                     {"order": "1111000123"}, text, ruleset.version, NOW, None)  # fmt: skip
    ((row, _),) = w.outbox.enqueue_many([msg], now=NOW)
    return row.id


async def _step(w: Worker) -> int:
    """One pass of the loop: claim and send what is due, record, reconcile what is unknown."""
    now = time.time()
    rows = w.outbox.claim(Lane.NOTICE, 10, now, 30)
    for row in rows:
        await w._send_one(row)
    w.flush()
    later = time.time()  # the worker's maintenance runs after the answers are recorded
    for row in w.outbox.unknown(10, later + 1):
        await w.reconcile(row, later)
    return len(rows)


def _calls(fake: str) -> int:
    r = HTTP.get(f"{fake}/_stats", timeout=5)
    assert r.status_code == 200
    return int(r.json()["calls"])


def test_a_code_nobody_knows_is_reconciled_then_retried_until_attempts_run_out(
    store_at: StoreAt, tmp_path: Path, fake: str, ruleset: RuleSet
) -> None:
    w = _worker(store_at, tmp_path, fake, ruleset)
    mid = _queue(w, "+8613800000011", ruleset)

    async def run() -> list[str]:
        seen = []
        for _ in range(10):
            await _step(w)
            row = w.outbox.get(mid)
            assert row is not None
            seen.append(row.status.value)
            if row.status is Status.FAILED:
                break
        for p in w.providers:
            await p.aclose()
        return seen

    seen = asyncio.run(run())
    row = w.outbox.get(mid)
    assert row is not None and row.status is Status.FAILED
    assert row.last_code == "retries_exhausted" and row.attempts == 6  # notice: 6 attempts
    assert seen[0] == "queued"  # not failed for good on the first unknown answer
    history = w.outbox.history(mid)
    assert history[1]["status"] == "unknown" and history[1]["detail"] == "isv.SOMETHING_NEW"
    assert [h["code"] for h in history].count("reconciled_not_sent") == 5


def test_failing_over_is_immediate_once_then_the_lane_backs_off(
    store_at: StoreAt, tmp_path: Path, fake: str, ruleset: RuleSet
) -> None:
    w = _worker(store_at, tmp_path, fake, ruleset)
    mid = _queue(w, "+8613800000003", ruleset)  # HTTP 500 from both providers
    before = _calls(fake)

    async def run() -> None:
        assert await _step(w) == 1  # Aliyun: 500
        first = w.outbox.get(mid)
        assert first is not None and first.status is Status.QUEUED
        assert first.not_before <= time.time()  # the other provider, at once
        assert await _step(w) == 1  # Tencent: 500
        second = w.outbox.get(mid)
        assert second is not None and second.status is Status.QUEUED
        # notice's 120 s backoff before attempt 3, with equal jitter: between 60 and 120 s
        assert time.time() + 60 - 5 <= second.not_before <= time.time() + 120
        assert await _step(w) == 0  # nothing due: no tight loop between providers
        for p in w.providers:
            await p.aclose()

    asyncio.run(run())
    assert _calls(fake) - before == 2
    attempts = w.outbox.query("SELECT provider FROM attempt WHERE message_id=?", (mid,))
    assert [a[0] for a in attempts] == ["aliyun", "tencent"]


def test_wrong_credentials_fail_over_instead_of_failing_the_message(
    store_at: StoreAt, tmp_path: Path, fake: str, ruleset: RuleSet
) -> None:
    w = _worker(store_at, tmp_path, fake, ruleset)
    mid = _queue(w, "+8613800000012", ruleset)

    async def run() -> None:
        await _step(w)
        for p in w.providers:
            await p.aclose()

    asyncio.run(run())
    row = w.outbox.get(mid)
    assert row is not None and row.status is Status.QUEUED and row.last_code == "failover"
    assert w.outbox.history(mid)[-1]["detail"] == "InvalidAccessKeyId.NotFound"
