"""Per-recipient caps hold when several workers claim at once (issue 15, item 1).

A cap counts what the recipient got or is about to get: messages the provider accepted and
messages claimed by any worker and still in flight. It is decided inside the claim's write
transaction, so two workers claiming together cannot both see room for one more message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.dispatch.lanes import DAY, Decision, admit, default_policies
from engine.dispatch.message import Lane, OutboxRow, Status
from engine.dispatch.outbox import NewMessage, Outbox
from tests.dispatch.conftest import Stack, StoreAt, stop
from tests.dispatch.test_end_to_end import AUTH, _get, _send, _wait
from tests.processes import HTTP

PHONE = "+8613812345600"
T0 = 1_800_000_000.0  # 2027-01-15 16:00 Beijing: inside marketing hours
POLICIES = default_policies()


def _queue(outbox: Outbox, lane: Lane, n: int, prefix: str) -> list[str]:
    msgs = [
        NewMessage(
            f"{prefix}-{i}",
            f"h-{prefix}-{i}",
            lane,
            PHONE,
            "信使商城",
            "t",
            {},
            f"【信使商城】第{i}条",
            "v1",
            T0 - 10 + i,
            None,
        )
        for i in range(n)
    ]
    return [row.id for row, _ in outbox.enqueue_many(msgs, now=T0 - 20)]


def _gate(lane: Lane, now: float = T0) -> Callable[[OutboxRow, Callable[[float], int]], Decision]:
    def gate(row: OutboxRow, sent_since: Callable[[float], int]) -> Decision:
        return admit(row, POLICIES[lane], now, sent_since)

    return gate


def _claim_together(path: Path | str, lane: Lane, workers: int) -> list[OutboxRow]:
    """``workers`` connections (as separate worker processes have) claim at the same moment."""
    boxes = [Outbox(path) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    got: list[OutboxRow] = []
    lock = threading.Lock()

    def run(box: Outbox) -> None:
        barrier.wait()
        for _ in range(3):  # each worker comes back for more, as its loop does
            rows = box.claim(lane, 1, T0, 30, _gate(lane))
            with lock:
                got.extend(rows)

    threads = [threading.Thread(target=run, args=(b,)) for b in boxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for b in boxes:
        b.close()
    return got


def test_four_marketing_messages_to_one_number_claimed_by_two_workers_send_three(
    store_at: StoreAt,
    tmp_path: Path,
) -> None:
    outbox = Outbox(store_at("outbox.db"))
    ids = _queue(outbox, Lane.MARKETING, 4, "mk")
    claimed = _claim_together(outbox.target, Lane.MARKETING, workers=2)
    assert sorted(r.id for r in claimed) == sorted(ids[:3])  # oldest first, none twice
    held = outbox.get(ids[3])
    assert held is not None and held.status is Status.QUEUED
    assert held.not_before == T0 + DAY  # waits a day: the cap is 3 a day
    assert held.attempts == 0  # held back is not an attempt
    assert outbox.history(ids[3])[-1]["code"] == "recipient_cap_86400s"


def test_a_double_tapped_otp_sends_once_and_fails_the_second_fast(
    store_at: StoreAt, tmp_path: Path
) -> None:
    outbox = Outbox(store_at("outbox.db"))
    ids = _queue(outbox, Lane.OTP, 2, "otp")
    claimed = _claim_together(outbox.target, Lane.OTP, workers=2)
    assert [r.id for r in claimed] == [ids[0]]
    second = outbox.get(ids[1])
    assert second is not None and second.status is Status.FAILED
    assert second.last_code == "recipient_cap_60s"


@pytest.mark.parametrize(
    ("first_ends", "second_sends"),
    [
        (Status.SENDING, False),  # in flight: counted
        (Status.UNKNOWN, False),  # answer lost: the provider may have it, counted
        (Status.FAILED, True),  # refused by the provider: never reached the phone
    ],
)
def test_an_in_flight_message_counts_against_the_cap_until_it_is_known_not_sent(
    store_at: StoreAt, tmp_path: Path, first_ends: Status, second_sends: bool
) -> None:
    outbox = Outbox(store_at("outbox.db"))
    first, second = _queue(outbox, Lane.OTP, 2, "otp")
    (claimed,) = outbox.claim(Lane.OTP, 1, T0, 30, _gate(Lane.OTP))
    assert claimed.id == first
    if first_ends is not Status.SENDING:
        assert outbox.move(first, first_ends, code="x", now=T0)
    got = outbox.claim(Lane.OTP, 1, T0 + 1, 30, _gate(Lane.OTP))
    assert [r.id for r in got] == ([second] if second_sends else [])


def test_an_accepted_message_counts_only_inside_its_window(
    store_at: StoreAt, tmp_path: Path
) -> None:
    outbox = Outbox(store_at("outbox.db"))
    first, second = _queue(outbox, Lane.OTP, 2, "otp")
    outbox.claim(Lane.OTP, 1, T0, 30, _gate(Lane.OTP))
    assert outbox.accept(first, "aliyun", "ref-1", "OK", now=T0)
    assert outbox.claim(Lane.OTP, 1, T0 + 59, 30, _gate(Lane.OTP, T0 + 59)) == []
    second_row = outbox.get(second)
    assert second_row is not None and second_row.status is Status.FAILED  # a late code is useless

    third = _queue(outbox, Lane.OTP, 1, "otp-later")[0]
    assert [r.id for r in outbox.claim(Lane.OTP, 1, T0 + 61, 30, _gate(Lane.OTP, T0 + 61))] == [
        third
    ]


def test_an_older_outbox_file_gains_the_claim_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    outbox = Outbox(path)
    (mid,) = _queue(outbox, Lane.NOTICE, 1, "n")
    outbox.close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE message DROP COLUMN claimed_at")  # as the first release made it
    db.commit()
    db.close()
    reopened = Outbox(path)
    (row,) = reopened.claim(Lane.NOTICE, 1, T0, 30, _gate(Lane.NOTICE))
    assert row.id == mid and row.status is Status.SENDING  # nothing stored was lost


@pytest.mark.slow
def test_two_worker_processes_keep_the_caps(stack: Stack) -> None:
    phone = "13812345601"
    marketing = []
    for i in range(4):
        r = _send(stack, f"mk-cap-{i}", phone, "double11", name="尊敬的会员",
                  url="https://m.xinshi-mall.cn/1111")  # fmt: skip
        assert r.status_code == 201, r.text
        marketing.append(r.json()["id"])
    otps = []
    for i in range(2):  # a double tap on "send code"
        r = HTTP.post(f"{stack.api}/v1/messages", headers=AUTH, timeout=10, json={
            "idempotency_key": f"otp-cap-{i}", "phone": phone, "template": "login_code",
            "params": {"code": f"38651{i}"}})  # fmt: skip
        assert r.status_code == 201, r.text
        otps.append(r.json()["id"])
    stack.env["XINSHI_MARKETING_HOURS"] = "00:00-23:59:59"
    workers = [stack.worker("--reconcile-after", "0.5") for _ in range(2)]
    try:
        _wait(lambda: sum(_get(stack, i)["status"] == "delivered" for i in marketing) == 3)
        _wait(lambda: {_get(stack, i)["status"] for i in otps} == {"delivered", "failed"})
    finally:
        for w in workers:
            stop(w)
    held = [_get(stack, i) for i in marketing if _get(stack, i)["status"] != "delivered"]
    assert len(held) == 1 and held[0]["status"] == "queued"
    assert held[0]["code"] == "recipient_cap_86400s"
    failed = next(_get(stack, i) for i in otps if _get(stack, i)["status"] == "failed")
    assert failed["code"] == "recipient_cap_60s"
    stats = stack.stats()
    assert stats["unique"] == 4 and stats["duplicates"] == []  # 3 marketing + 1 OTP reached it


def test_one_claim_counts_the_rows_it_took_before(store_at: StoreAt) -> None:
    """Two OTPs to one number in a single claim: the second sees the first in flight."""
    outbox = Outbox(store_at("outbox.db"))
    ids = _queue(outbox, Lane.OTP, 2, "batch")
    claimed = outbox.claim(Lane.OTP, 2, T0, 30, _gate(Lane.OTP))
    assert [r.id for r in claimed] == [ids[0]]
    second = outbox.get(ids[1])
    assert second is not None and second.status is Status.FAILED


def test_a_cap_window_longer_than_the_batch_read_asks_the_database(store_at: StoreAt) -> None:
    """sent_since for a window before what a claim reads at once (2 days) still counts, and a
    message accepted exactly at the window's start is inside it."""
    outbox = Outbox(store_at("outbox.db"))
    (old,) = _queue(outbox, Lane.NOTICE, 1, "old")
    outbox.claim(Lane.NOTICE, 1, T0, 30)
    outbox.accept(old, "aliyun", "REF", "OK", now=T0 - 3 * DAY)  # accepted_at = T0 - 3 days
    (new,) = _queue(outbox, Lane.NOTICE, 1, "new")
    seen: dict[float, int] = {}

    def gate(row: OutboxRow, sent_since: Callable[[float], int]) -> Decision:
        for since in (T0 - 4 * DAY, T0 - 3 * DAY, T0 - 3 * DAY + 1, T0 - DAY):
            seen[since] = sent_since(since)
        return Decision(None, None, None)

    assert [r.id for r in outbox.claim(Lane.NOTICE, 5, T0, 30, gate)] == [new]
    assert seen == {T0 - 4 * DAY: 1, T0 - 3 * DAY: 1, T0 - 3 * DAY + 1: 0, T0 - DAY: 0}


def test_in_flight_at_the_window_start_counts(store_at: StoreAt) -> None:
    outbox = Outbox(store_at("outbox.db"))
    _first, second = _queue(outbox, Lane.NOTICE, 2, "edge")
    outbox.claim(Lane.NOTICE, 1, T0 - 5, 30)  # first claimed at T0 - 5, still in flight
    seen: list[int] = []

    def gate(row: OutboxRow, sent_since: Callable[[float], int]) -> Decision:
        seen.extend([sent_since(T0 - 5), sent_since(T0 - 4)])
        return Decision(None, None, None)

    assert [r.id for r in outbox.claim(Lane.NOTICE, 5, T0, 30, gate)] == [second]
    assert seen == [1, 0]
