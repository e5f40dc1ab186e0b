"""A message the provider accepted but never reported on ends as ``no_receipt`` (issue 15,
item 2): final after the receipt timeout, shown in /metrics, and still moved on by a receipt
that comes late."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from engine.dispatch.events import EventWriter
from engine.dispatch.lanes import default_policies
from engine.dispatch.message import Lane, Status
from engine.dispatch.outbox import NewMessage, Outbox, Receipt
from engine.dispatch.templates import load_templates
from engine.dispatch.worker import Worker, WorkerOptions
from engine.ruleset import load_ruleset
from tests.conftest import RULES
from tests.dispatch.conftest import StoreAt
from tests.processes import HTTP, serving

HOUR = 3600.0
T0 = time.time() - 100 * HOUR


def _accepted(outbox: Outbox, key: str, at: float) -> str:
    msg = NewMessage(key, "h", Lane.NOTICE, "+8613812345678", "信使商城", "order_confirmed",
                     {}, "【信使商城】您的订单已支付成功", "v1", at, None)  # fmt: skip
    ((row, _),) = outbox.enqueue_many([msg], now=at)
    assert outbox.claim(Lane.NOTICE, 1, at, 30)[0].id == row.id
    assert outbox.accept(row.id, "aliyun", f"ref-{key}", "OK", now=at + 1)
    return row.id


def test_only_messages_past_the_timeout_end_without_a_receipt(
    store_at: StoreAt, tmp_path: Path
) -> None:
    outbox = Outbox(store_at("outbox.db"))
    old = _accepted(outbox, "old", T0)  # accepted at T0 + 1
    edge = _accepted(outbox, "edge", T0 + 28 * HOUR)  # accepted exactly 72 h before `now`
    fresh = _accepted(outbox, "fresh", T0 + 90 * HOUR)
    delivered = _accepted(outbox, "delivered", T0)
    outbox.apply_receipts([Receipt("aliyun", "ref-delivered", None, None, True, "DELIVERED",
                                   None, "{}")], now=T0 + 5)  # fmt: skip
    now = T0 + 28 * HOUR + 1 + 72 * HOUR

    assert outbox.expire_receipts(now, 72 * HOUR) == [old]
    statuses = {mid: outbox.get(mid).status for mid in (old, edge, fresh, delivered)}  # type: ignore[union-attr]
    assert statuses == {old: Status.NO_RECEIPT, edge: Status.ACCEPTED, fresh: Status.ACCEPTED,
                        delivered: Status.DELIVERED}  # fmt: skip
    assert outbox.history(old)[-1] == {"at": now, "status": "no_receipt", "code": "no_receipt",
                                       "detail": None}  # fmt: skip
    assert outbox.open_counts() == {"accepted": 2, "no_receipt": 1}
    assert outbox.expire_receipts(now, 72 * HOUR) == []  # once

    # a receipt that still comes tells the truth: delivered after all
    matched = outbox.apply_receipts(
        [Receipt("aliyun", "ref-old", None, None, True, "DELIVERED", None, "{}")], now=now + 9
    )
    assert matched == [old]
    row = outbox.get(old)
    assert row is not None and row.status is Status.DELIVERED and row.last_code == "DELIVERED"


def test_the_worker_marks_them_in_its_maintenance_and_logs_it(
    store_at: StoreAt, tmp_path: Path, caplog: object
) -> None:
    import logging

    outbox = Outbox(store_at("outbox.db"))
    mid = _accepted(outbox, "lost", time.time() - 10)
    options = WorkerOptions(receipt_timeout_s=5.0)
    worker = Worker(outbox, [], load_templates(), load_ruleset(RULES), default_policies(),
                    EventWriter(tmp_path / "events", "s"), options)  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="xinshi.dispatch"):  # type: ignore[attr-defined]
        asyncio.run(worker.maintain(time.time()))
    row = outbox.get(mid)
    assert row is not None and row.status is Status.NO_RECEIPT
    text = caplog.text  # type: ignore[attr-defined]
    assert f"1 messages got no receipt within 0 h: now no_receipt (first {mid})" in text


def test_metrics_show_open_and_receiptless_messages(tmp_path: Path) -> None:
    data = tmp_path / "data"
    outbox = Outbox(data / "dispatch.sqlite")
    _accepted(outbox, "a", T0)
    _accepted(outbox, "b", T0)
    _accepted(outbox, "c", time.time())
    outbox.expire_receipts(time.time(), 72 * HOUR)
    outbox.close()
    env = {"XINSHI_DATA_DIR": str(data), "XINSHI_WATCH_RULES": "0",
           "XINSHI_DISPATCH_SECRET": "no-receipt-test-dispatch-secret"}  # fmt: skip
    with serving(RULES, tmp_path / "server.log", env) as url:
        r = HTTP.get(f"{url}/metrics", timeout=10)
    assert r.status_code == 200
    values = {
        line.split("{")[1].split("}")[0]: float(line.split()[-1])
        for line in r.text.splitlines()
        if line.startswith("xinshi_dispatch_messages{")
    }
    assert values == {'status="queued"': 0, 'status="sending"': 0, 'status="unknown"': 0,
                      'status="accepted"': 1, 'status="no_receipt"': 2,
                      'status="held"': 0}  # fmt: skip
