"""Each lane's reserved send slots: a real worker against a provider that never answers.

The provider is a loopback socket that accepts connections and never replies (a hung provider,
without a process to start). Every send then stays in flight, so each lane holds exactly its
slots in ``sending`` and leaves the rest queued: OTP 16, alert 16, notice 64, marketing 32
(bench/README "dispatch.py"). A flood in one lane never takes another lane's slots.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from engine.dispatch.events import EventWriter
from engine.dispatch.lanes import default_policies
from engine.dispatch.message import LANES, Lane
from engine.dispatch.outbox import NewMessage, Outbox
from engine.dispatch.providers import make_provider
from engine.dispatch.templates import load_templates
from engine.dispatch.worker import Worker
from engine.message import BEIJING
from engine.ruleset import RuleSet, load_ruleset
from tests.dispatch.conftest import StoreAt

SLOTS = {Lane.OTP: 16, Lane.ALERT: 16, Lane.NOTICE: 64, Lane.MARKETING: 32}
QUEUED = 80  # per lane: more than any lane's slots
RULES = """\
category: fraud
rules:
  - {id: demo, kind: forbidden, severity: block, match: {words: [违禁词]}, message: 含违禁词,
     suggestion: 删除, source: 测试, examples: {flag: [违禁词], pass: [你好]}}
"""

TEMPLATES = "templates:\n" + "".join(
    f"  t_{lane.value}:\n    lane: {lane.value}\n    sign_name: 信使商城\n"
    f"    text: 【信使商城】您的订单已发货。\n    providers:\n"
    f"      aliyun: {{code: SMS_90000{i}}}\n"
    for i, lane in enumerate(LANES, start=1)
)


@pytest.fixture
def hanging() -> Iterator[str]:
    """A provider address whose requests are accepted by the kernel and never answered."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(512)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def ruleset(tmp_path: Path) -> RuleSet:
    """A one-rule ruleset: the queued texts carry its version, so nothing is re-checked."""
    root = tmp_path / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "packs" / "demo.yaml").write_text(RULES, encoding="utf-8")
    return load_ruleset(root)


def _open_now() -> tuple[datetime, datetime]:
    """Marketing hours around the current Beijing time, so marketing sends whenever this runs."""
    here = datetime.now(BEIJING)
    return here - timedelta(hours=1), here + timedelta(hours=1)


def test_each_lane_holds_exactly_its_slots_in_flight(
    store_at: StoreAt, tmp_path: Path, ruleset: RuleSet, hanging: str
) -> None:
    (tmp_path / "templates.yaml").write_text(TEMPLATES, encoding="utf-8")
    book = load_templates(tmp_path / "templates.yaml")
    outbox = Outbox(store_at("o.sqlite"))
    outbox.enqueue_many(
        NewMessage(f"{lane.value}-{i}", "h", lane, f"+86138{i:08d}", "信使商城",
                   f"t_{lane.value}", {}, "【信使商城】您的订单已发货。", ruleset.version, 0, None)
        for lane in LANES
        for i in range(QUEUED)
    )  # fmt: skip
    start_, end = _open_now()
    policies = default_policies((start_.time(), end.time()))

    def counts() -> dict[Lane, int]:
        rows = outbox.query("SELECT lane, count(*) FROM message WHERE status='sending' GROUP BY 1")
        return {Lane(lane): int(n) for lane, n in rows}

    async def scenario() -> dict[Lane, int]:
        provider = make_provider(f"aliyun={hanging}", timeout=60)
        worker = Worker(
            outbox, [provider], book, ruleset, policies, EventWriter(tmp_path / "e", "s")
        )
        stop_ = asyncio.Event()
        run = asyncio.create_task(worker.run(stop_))
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not run.done():
                got = counts()
                if all(got.get(lane, 0) >= SLOTS[lane] for lane in LANES):
                    await asyncio.sleep(0.2)  # a few more polls: nothing beyond the slots
                    return counts()
                await asyncio.sleep(0.02)
            if run.done():
                run.result()  # the worker crashed: show why
            return counts()
        finally:
            run.cancel()
            for task in list(worker.tasks):
                task.cancel()
            await asyncio.gather(run, *worker.tasks, return_exceptions=True)
            await provider.aclose()

    assert asyncio.run(scenario()) == SLOTS
    queued = outbox.query("SELECT lane, count(*) FROM message WHERE status='queued' GROUP BY 1")
    assert {Lane(lane): int(n) for lane, n in queued} == {
        lane: QUEUED - SLOTS[lane] for lane in LANES
    }
