"""Circuit breaker per provider, jittered backoff and provider throttling (issue 15, item 3).

The breaker's states are asserted on its own (a pure object with the clock passed in), then the
worker against a real fake provider and a dead address: once the dead primary's breaker opens,
messages go straight to the failover provider without paying the primary's error first, and a
message that can only go to the dead provider waits untried.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.dispatch.breaker import Breaker, State
from engine.dispatch.events import EventWriter
from engine.dispatch.lanes import default_policies
from engine.dispatch.message import Lane, Outcome, Status
from engine.dispatch.outbox import NewMessage, Outbox
from engine.dispatch.providers.aliyun import AliyunProvider
from engine.dispatch.providers.tencent import TencentProvider
from engine.dispatch.templates import load_templates
from engine.dispatch.worker import Bucket, Worker
from engine.ruleset import RuleSet, load_ruleset
from tests.dispatch.conftest import StoreAt
from tests.processes import HTTP, fake_provider


def test_it_opens_after_the_threshold_and_probes_once_when_the_cooldown_ends() -> None:
    b = Breaker(threshold=3, cooldown_s=10, max_cooldown_s=35)
    for i in range(2):
        b.record(Outcome.TRANSIENT, 100.0 + i)
        assert b.state is State.CLOSED and b.allows(101.0)
    b.record(Outcome.UNKNOWN, 102.0)  # the third sick answer in a row
    assert b.state is State.OPEN and b.reopens_at(102.0) == 112.0
    assert not b.allows(111.9)
    assert b.allows(112.0) and b.state is State.HALF_OPEN  # the probe
    assert not b.allows(112.1)  # one probe at a time
    b.record(Outcome.TRANSIENT, 113.0)  # the probe failed: open again, cooldown doubled
    assert b.state is State.OPEN and b.until == 133.0
    assert b.allows(133.0)
    b.record(Outcome.TRANSIENT, 134.0)
    assert b.until == 134.0 + 35  # 40 s capped at max_cooldown_s
    assert b.allows(169.0)
    b.record(Outcome.ACCEPTED, 169.5)  # the probe went through: closed, counts reset
    assert b.state is State.CLOSED and b.failures == 0 and b.opened == 0
    b.record(Outcome.TRANSIENT, 170.0)
    b.record(Outcome.TRANSIENT, 171.0)
    assert b.state is State.CLOSED  # two in a row again: not yet


def test_message_level_answers_say_the_provider_is_healthy() -> None:
    b = Breaker(threshold=2)
    for outcome in (Outcome.PERMANENT, Outcome.CONTENT, Outcome.SUPPRESSED,
                    Outcome.RECIPIENT_THROTTLED, Outcome.PROVIDER_THROTTLED, Outcome.WINDOW,
                    Outcome.ACCOUNT):  # fmt: skip
        b.record(Outcome.TRANSIENT, 1.0)
        b.record(outcome, 2.0)  # resets the run of failures
        assert b.state is State.CLOSED and b.failures == 0, outcome


def test_late_answers_while_open_do_not_stretch_the_cooldown() -> None:
    b = Breaker(threshold=2, cooldown_s=10)
    b.record(Outcome.TRANSIENT, 0.0)
    b.record(Outcome.TRANSIENT, 1.0)
    for t in (2.0, 3.0, 4.0):  # answers of sends that started before it opened
        b.record(Outcome.TRANSIENT, t)
    assert b.state is State.OPEN and b.until == 11.0


def test_jitter_shortens_the_cooldown_by_up_to_a_half() -> None:
    b = Breaker(threshold=1, cooldown_s=100)
    b.record(Outcome.TRANSIENT, 0.0, jitter=0.999)
    assert 50.0 < b.until <= 50.1


def test_a_throttled_bucket_halves_its_rate_then_climbs_back() -> None:
    bucket = Bucket(100.0)
    bucket.slow_down()
    bucket.slow_down()
    assert bucket.rate == 25.0
    bucket.last -= 5.0  # five seconds later: +10 % of 100 per second, capped at 100

    asyncio.run(bucket.take())
    assert bucket.rate == pytest.approx(75.0, abs=0.5)
    for _ in range(10):
        bucket.slow_down()
    assert bucket.rate == 1.0  # never below one send per second


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fake_provider(tmp_path_factory.mktemp("fake") / "fake.log") as url:
        yield url


@pytest.fixture
def dead() -> Iterator[str]:
    """An address where nothing listens: every call is connection refused (transient)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


TEMPLATES = """\
templates:
  both:
    lane: notice
    sign_name: 信使商城
    text: 【信使商城】您的订单已发货。
    providers:
      aliyun: {code: SMS_900002}
      tencent: {id: "900002", params: []}
  aliyun_only:
    lane: notice
    sign_name: 信使商城
    text: 【信使商城】您的订单已签收。
    providers:
      aliyun: {code: SMS_900003}
"""


def test_an_open_primary_is_skipped_and_a_message_only_it_can_send_waits_untried(
    store_at: StoreAt, tmp_path: Path, fake: str, dead: str
) -> None:
    ruleset: RuleSet = load_ruleset()
    (tmp_path / "templates.yaml").write_text(TEMPLATES, encoding="utf-8")
    outbox = Outbox(store_at("outbox.db"))
    providers = [AliyunProvider(dead, timeout=2), TencentProvider(fake, timeout=2)]
    worker = Worker(outbox, providers, load_templates(tmp_path / "templates.yaml"), ruleset,
                    default_policies(), EventWriter(tmp_path / "events", "s"))  # fmt: skip
    now = time.time()
    msgs = [NewMessage(f"k{i}", "h", Lane.NOTICE, f"+861391234{i:04d}", "信使商城",
                       "both" if i < 8 else "aliyun_only", {}, "【信使商城】您的订单已发货。",
                       ruleset.version, now - 10 + i * 0.01, None)
            for i in range(9)]  # fmt: skip
    outbox.enqueue_many(msgs, now=now - 10)
    calls_before = int(HTTP.get(f"{fake}/_stats", timeout=5).json()["calls"])

    async def run() -> None:
        for row in outbox.claim(Lane.NOTICE, 9, time.time(), 30):
            await worker._send_one(row)  # one at a time: the breaker sees each answer in turn
            worker.flush()
        for p in providers:
            await p.aclose()

    asyncio.run(run())
    breaker = worker.breakers["aliyun"]
    assert breaker.state is State.OPEN and breaker.failures == 5
    tried = outbox.query("SELECT message_id, provider FROM attempt ORDER BY started_at, rowid")
    # the first five paid the dead primary (and went back to the queue for failover) ...
    assert [p for _, p in tried[:5]] == ["aliyun"] * 5
    # ... from then on the rest went straight to Tencent, never to the open primary
    assert [p for _, p in tried[5:]] == ["tencent"] * 3
    assert int(HTTP.get(f"{fake}/_stats", timeout=5).json()["calls"]) - calls_before == 3
    only = outbox.query("SELECT id FROM message WHERE template_id='aliyun_only'")[0][0]
    row = outbox.get(only)
    assert row is not None and row.status is Status.QUEUED and row.attempts == 0
    assert row.last_code == "circuit_open" and row.not_before >= breaker.until - 0.001
    assert outbox.history(only)[-1]["code"] == "circuit_open"
