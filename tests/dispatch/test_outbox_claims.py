"""The outbox on its own (no rules, no servers): every stored row and status a worker,
a receipt or an operator sees, checked column by column on a real SQLite file.

tests/dispatch/test_outbox.py walks the outbox through intake; these tests drive
engine.dispatch.outbox directly, so each status guard, COALESCE and boundary has a case.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from engine.dispatch.message import Lane, Status
from engine.dispatch.outbox import (
    DAY,
    DEFAULT_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    NewMessage,
    Outbox,
    OutboxError,
    Receipt,
    new_id,
)
from tests.dispatch.conftest import StoreAt

ATTEMPT_COLS = "message_id, provider, started_at, ended_at, outcome, code, request_id"
RECEIPT_COLS = (
    "provider, provider_ref, out_id, phone, delivered, code, reported_at, received_at, "
    "message_id, raw"
)
T0 = 1_800_000_000.0  # a fixed clock: every time the outbox stores is one a test passed in
PHONE = "+8613812345678"


@pytest.fixture
def outbox(store_at: StoreAt, tmp_path: Path) -> Outbox:
    box = Outbox(store_at("dispatch.sqlite"))
    yield box
    box.close()


def _msg(key: str = "k1", *, lane: Lane = Lane.NOTICE, **kw: object) -> NewMessage:
    fields: dict[str, object] = {
        "idem_key": key, "body_hash": f"hash-{key}", "lane": lane, "phone": PHONE,
        "sign_name": "信使商城", "template_id": "order_confirmed", "params": {"order": "1234"},
        "rendered_text": "【信使商城】您的订单1234已支付成功。", "ruleset_version": "v-abc",
        "not_before": T0, "expires_at": None,
    }  # fmt: skip
    fields.update(kw)
    return NewMessage(**fields)  # type: ignore[arg-type]


def _one(outbox: Outbox, sql: str, args: tuple[object, ...] = ()) -> tuple[object, ...]:
    rows = outbox.query(sql, args)
    assert len(rows) == 1, rows
    return rows[0]


def _history(outbox: Outbox, mid: str) -> list[tuple[object, ...]]:
    return [(h["at"], h["status"], h["code"], h["detail"]) for h in outbox.history(mid)]


def _raw(outbox: Outbox, sql: str, args: tuple[object, ...] = ()) -> None:
    """A write the outbox has no method for (an operator's fix-up), on its own connection."""
    other = Outbox(outbox.target)
    with other.transaction() as db:
        db.execute(sql, args)
    other.close()


# -- opening -------------------------------------------------------------------------------


def test_opening_creates_the_directory_wal_and_sync_level(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "dispatch.sqlite"
    box = Outbox(path)
    assert path.exists() and box.path == path
    assert box.query("PRAGMA journal_mode") == [("wal",)]
    assert box.query("PRAGMA synchronous") == [(1,)]  # NORMAL
    assert box.query("PRAGMA busy_timeout") == [(10000,)]
    box.enqueue(_msg(), now=T0)
    box.close()
    with pytest.raises(sqlite3.ProgrammingError):
        box.counts()
    durable = Outbox(path, durable=True)  # reopening keeps the rows (schema is IF NOT EXISTS)
    assert durable.query("PRAGMA synchronous") == [(2,)]  # FULL
    assert durable.counts() == {"queued": 1}
    durable.close()


def test_one_outbox_is_shared_between_threads(outbox: Outbox) -> None:
    # the API serves requests on worker threads and the dispatch worker runs lanes in threads
    done: list[object] = []

    def other_thread() -> None:
        try:
            done.append(outbox.enqueue(_msg("from-thread"), now=T0)[1])
        except Exception as exc:  # reported by the assertion below
            done.append(exc)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert done == [True] and outbox.counts() == {"queued": 1}


def test_new_ids_are_time_ordered_hex() -> None:
    a, b = new_id(T0), new_id(T0 + 0.001)
    assert len(a) == 24 and a[:12] == f"{int(T0 * 1000):012x}" and int(a, 16) >= 0
    assert a < b and a[12:] != new_id(T0)[12:]


# -- enqueue -------------------------------------------------------------------------------


def test_enqueue_stores_every_field_and_its_history(outbox: Outbox) -> None:
    msg = _msg(
        "k1", lane=Lane.MARKETING, expires_at=T0 + 3600, experiment="exp", variant="B",
        carrier_hint="中国移动", links=(("AbCd2345", "https://m.example.cn/a"),),
        not_before=T0 + 60,
    )  # fmt: skip
    row, created = outbox.enqueue(msg, now=T0)
    assert created and row.status is Status.QUEUED and row.lane is Lane.MARKETING
    assert (row.idem_key, row.phone, row.sign_name, row.template_id) == (
        "k1", PHONE, "信使商城", "order_confirmed"
    )  # fmt: skip
    assert row.params == {"order": "1234"} and row.rendered_text == msg.rendered_text
    assert (row.ruleset_version, row.experiment, row.variant, row.carrier_hint) == (
        "v-abc", "exp", "B", "中国移动"
    )  # fmt: skip
    assert (row.not_before, row.expires_at, row.created_at, row.attempts) == (
        T0 + 60, T0 + 3600, T0, 0
    )  # fmt: skip
    assert (row.provider, row.provider_ref, row.last_code) == (None, None, None)
    assert row.id[:12] == f"{int(T0 * 1000):012x}"
    stored = _one(outbox, "SELECT body_hash, priority, final_at, lease_until FROM message")
    assert stored == ("hash-k1", 2, None, None)
    assert _history(outbox, row.id) == [(T0, "queued", None, None)]
    assert outbox.link("AbCd2345") == (row.id, "https://m.example.cn/a")
    assert _one(outbox, "SELECT created_at FROM link") == (T0,)
    assert outbox.link("nope") is None
    assert outbox.get(row.id) == row and outbox.get("no-such-id") is None


@pytest.mark.parametrize(
    ("lane", "priority"),
    [(Lane.OTP, 0), (Lane.ALERT, 0), (Lane.NOTICE, 1), (Lane.MARKETING, 2)],
)
def test_priority_follows_the_lane(outbox: Outbox, lane: Lane, priority: int) -> None:
    outbox.enqueue(_msg(lane=lane), now=T0)
    assert _one(outbox, "SELECT lane, priority FROM message") == (lane.value, priority)


def test_enqueue_without_a_clock_uses_now(outbox: Outbox) -> None:
    before = time.time()
    row, _ = outbox.enqueue(_msg())
    assert before <= row.created_at <= time.time()


def test_same_key_same_body_returns_the_first_row(outbox: Outbox) -> None:
    first, created = outbox.enqueue(_msg("k1"), now=T0)
    again, created_again = outbox.enqueue(_msg("k1", rendered_text="ignored"), now=T0 + 5)
    assert created and not created_again and again == first
    assert _history(outbox, first.id) == [(T0, "queued", None, None)]  # nothing new recorded
    assert outbox.counts() == {"queued": 1}


def test_same_key_different_body_is_refused_with_the_first_id(outbox: Outbox) -> None:
    first, _ = outbox.enqueue(_msg("k1"), now=T0)
    with pytest.raises(OutboxError) as exc:
        outbox.enqueue(_msg("k1", body_hash="other"), now=T0)
    assert exc.value.code == "idempotency_conflict" and exc.value.field == "idempotency_key"
    assert exc.value.message == (
        f"idempotency key 'k1' was already used for a different message ({first.id}). "
        "Use a new key for a new message"
    )
    assert str(exc.value) == exc.value.message


def test_enqueue_many_is_one_transaction(outbox: Outbox) -> None:
    with pytest.raises(OutboxError):
        outbox.enqueue_many([_msg("a"), _msg("b"), _msg("a", body_hash="x")], now=T0)
    assert outbox.counts() == {}  # the two good ones were rolled back with the bad one
    out = outbox.enqueue_many([_msg("a"), _msg("b")], now=T0)
    assert [(r.idem_key, created) for r, created in out] == [("a", True), ("b", True)]


def test_a_nested_transaction_joins_the_outer_one(outbox: Outbox) -> None:
    with pytest.raises(RuntimeError), outbox.transaction():
        outbox.enqueue(_msg("a"), now=T0)
        with outbox.transaction():
            outbox.enqueue(_msg("b"), now=T0)
        assert outbox.counts() == {"queued": 2}  # visible inside, not yet committed
        raise RuntimeError("the caller fails after both writes")
    assert outbox.counts() == {}
    with outbox.transaction():
        outbox.enqueue(_msg("a"), now=T0)
        with pytest.raises(RuntimeError), outbox.transaction():
            outbox.enqueue(_msg("b"), now=T0)
            raise RuntimeError("inner")
        outbox.enqueue(_msg("c"), now=T0)
    assert sorted(r[0] for r in outbox.query("SELECT idem_key FROM message")) == ["a", "b", "c"]
    outbox.enqueue(_msg("d"), now=T0)  # a later write opens a new transaction and commits
    other = Outbox(outbox.target)
    assert other.counts() == {"queued": 4}
    other.close()


# -- suppression ---------------------------------------------------------------------------


def test_marketing_to_an_opted_out_number_is_suppressed_at_once(outbox: Outbox) -> None:
    outbox.suppress(PHONE, "信使商城", "reply", "inbound:aliyun", T0 - 10)
    assert outbox.is_suppressed(PHONE, "信使商城") and not outbox.is_suppressed(PHONE, "别家")
    assert not outbox.is_suppressed("+8613900000000", "信使商城")
    row, created = outbox.enqueue(_msg("m", lane=Lane.MARKETING), now=T0)
    assert created and row.status is Status.SUPPRESSED and row.last_code == "opted_out"
    assert _one(outbox, "SELECT final_at FROM message") == (T0,)
    assert _history(outbox, row.id) == [(T0, "suppressed", "opted_out", None)]
    notice, _ = outbox.enqueue(_msg("n", lane=Lane.NOTICE), now=T0)  # service messages go out
    assert notice.status is Status.QUEUED and notice.last_code is None
    other, _ = outbox.enqueue(_msg("o", lane=Lane.MARKETING, sign_name="别家"), now=T0)
    assert other.status is Status.QUEUED


def test_an_opt_out_from_everything_covers_every_signature(outbox: Outbox) -> None:
    outbox.suppress(PHONE, "*", "reply", "api", T0)
    assert outbox.is_suppressed(PHONE, "任何签名")
    row, _ = outbox.enqueue(_msg(lane=Lane.MARKETING, sign_name="任何签名"), now=T0)
    assert row.status is Status.SUPPRESSED


def test_suppressing_again_renews_the_entry(outbox: Outbox) -> None:
    outbox.suppress(PHONE, "信使商城", "reply", "inbound:aliyun", T0)
    _raw(outbox, "UPDATE suppression SET removed_at=?", (T0 + 1,))  # lifted by an operator
    assert not outbox.is_suppressed(PHONE, "信使商城")
    outbox.suppress(PHONE, "信使商城", "complaint", "api", T0 + 2)
    assert outbox.is_suppressed(PHONE, "信使商城")
    rows = outbox.query(
        "SELECT phone, scope, reason, source, created_at, removed_at FROM suppression"
    )
    assert rows == [(PHONE, "信使商城", "complaint", "api", T0 + 2, None)]


def test_replies_are_kept(outbox: Outbox) -> None:
    before = time.time()
    outbox.record_inbound("aliyun", PHONE, "信使商城", "TD", True, '{"x": 1}')
    outbox.record_inbound("tencent", PHONE, None, "谢谢", False, "{}")
    rows = outbox.query(
        "SELECT provider, phone, sign_name, text, optout, raw, received_at FROM inbound"
    )
    assert [r[:6] for r in rows] == [
        ("aliyun", PHONE, "信使商城", "TD", 1, '{"x": 1}'),
        ("tencent", PHONE, None, "谢谢", 0, "{}"),
    ]
    assert all(before <= r[6] <= time.time() for r in rows)


# -- claiming ------------------------------------------------------------------------------


def test_due_is_per_lane_and_inclusive(outbox: Outbox) -> None:
    outbox.enqueue(_msg(not_before=T0 + 10), now=T0)
    assert not outbox.due(Lane.NOTICE, T0 + 9.999)
    assert outbox.due(Lane.NOTICE, T0 + 10) and outbox.due(Lane.NOTICE, T0 + 11)
    assert not outbox.due(Lane.OTP, T0 + 11)
    outbox.claim(Lane.NOTICE, 1, T0 + 11, 30)
    assert not outbox.due(Lane.NOTICE, T0 + 11)  # sending, not queued


def test_claim_takes_the_oldest_due_and_leases_them(outbox: Outbox) -> None:
    for key, nb in [("late", T0 + 30), ("first", T0 + 5), ("second", T0 + 10), ("future", T0 + 99)]:
        outbox.enqueue(_msg(key, not_before=nb), now=T0)
    outbox.enqueue(_msg("otp", lane=Lane.OTP), now=T0)
    assert outbox.claim(Lane.NOTICE, 0, T0 + 50, 30) == []
    assert outbox.claim(Lane.NOTICE, -1, T0 + 50, 30) == []
    assert outbox.counts() == {"queued": 5}
    rows = outbox.claim(Lane.NOTICE, 2, T0 + 50, 30)
    assert [r.idem_key for r in rows] == ["first", "second"]
    assert all(r.status is Status.SENDING and r.attempts == 1 for r in rows)
    leases = outbox.query("SELECT idem_key, lease_until FROM message WHERE status='sending'")
    assert sorted(leases) == [("first", T0 + 80), ("second", T0 + 80)]
    rest = outbox.claim(Lane.NOTICE, 10, T0 + 30, 30)  # not_before == now is due
    assert [r.idem_key for r in rest] == ["late"]
    assert outbox.claim(Lane.NOTICE, 10, T0 + 50, 30) == []  # future is not due yet
    assert outbox.counts() == {"sending": 3, "queued": 2}


def test_claim_returns_rows_sorted_by_not_before(outbox: Outbox) -> None:
    keys = [f"k{i}" for i in range(6)]
    for i, key in enumerate(keys):  # inserted newest first
        outbox.enqueue(_msg(key, not_before=T0 + 60 - i), now=T0)
    rows = outbox.claim(Lane.NOTICE, 6, T0 + 60, 30)
    assert [r.not_before for r in rows] == sorted(r.not_before for r in rows)
    assert [r.idem_key for r in rows] == keys[::-1]


def test_a_dead_lease_becomes_unknown_after_it_ends(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0, 30)
    assert outbox.expire_leases(T0 + 30) == []  # a lease ending now has not expired
    assert outbox.expire_leases(T0 + 30.5) == [row.id]
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.UNKNOWN and got.last_code == "lease_expired"
    assert _one(outbox, "SELECT lease_until FROM message") == (None,)
    assert _history(outbox, row.id)[-1] == (T0 + 30.5, "unknown", "lease_expired", None)
    assert outbox.expire_leases(T0 + 99) == []


def test_unknown_lists_rows_quiet_since_before(outbox: Outbox) -> None:
    a, _ = outbox.enqueue(_msg("a"), now=T0)
    b, _ = outbox.enqueue(_msg("b"), now=T0)
    c, _ = outbox.enqueue(_msg("c"), now=T0)
    outbox.claim(Lane.NOTICE, 3, T0, 10)
    outbox.expire_leases(T0 + 20)  # all three unknown since T0 + 20
    outbox.move(c.id, Status.UNKNOWN, expect=[Status.UNKNOWN], now=T0 + 40)  # c touched later
    assert outbox.unknown(10, T0 + 20) == []
    assert sorted(r.id for r in outbox.unknown(10, T0 + 21)) == sorted([a.id, b.id])
    assert len(outbox.unknown(1, T0 + 99)) == 1
    assert sorted(r.id for r in outbox.unknown(10, T0 + 99)) == sorted([a.id, b.id, c.id])


# -- status moves ----------------------------------------------------------------------------


def test_move_changes_only_an_expected_status(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    assert not outbox.move(row.id, Status.FAILED, code="X", now=T0 + 1)  # queued, not sending
    assert outbox.get(row.id) == row
    outbox.claim(Lane.NOTICE, 1, T0, 30)
    assert outbox.move(
        row.id, Status.QUEUED, code="isp_busy", detail="retry later", not_before=T0 + 60, now=T0 + 2
    )
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.QUEUED and got.not_before == T0 + 60
    assert got.last_code == "isp_busy"
    stored = _one(outbox, "SELECT last_error, lease_until, final_at FROM message")
    assert stored == ("retry later", None, None)  # not final: no final_at
    assert _history(outbox, row.id)[-1] == (T0 + 2, "queued", "isp_busy", "retry later")
    assert outbox.move(row.id, Status.EXPIRED, expect=[Status.SENDING, Status.QUEUED], now=T0 + 3)
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.EXPIRED
    assert got.last_code == "isp_busy" and got.not_before == T0 + 60  # kept when not given
    assert _one(outbox, "SELECT last_error, final_at FROM message") == (None, T0 + 3)
    assert _history(outbox, row.id)[-1] == (T0 + 3, "expired", None, None)
    assert not outbox.move(row.id, Status.QUEUED, expect=[Status.SENDING, Status.QUEUED])
    assert not outbox.move("no-such-id", Status.FAILED, expect=list(Status))
    assert len(outbox.history(row.id)) == 3


def test_move_without_a_clock_uses_now(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    before = time.time()
    assert outbox.move(row.id, Status.BLOCKED, expect=[Status.QUEUED])
    (at,) = _one(outbox, "SELECT final_at FROM message")
    assert isinstance(at, float) and before <= at <= time.time()
    (blocked,) = [h for h in outbox.history(row.id) if h["status"] == "blocked"]
    assert before <= blocked["at"] <= time.time()


def test_accept_records_the_provider_once(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0, 30)
    assert outbox.accept(row.id, "aliyun", "BIZ-1", "OK", now=T0 + 1)
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.ACCEPTED
    assert (got.provider, got.provider_ref, got.last_code) == ("aliyun", "BIZ-1", "OK")
    assert _one(outbox, "SELECT accepted_at, lease_until FROM message") == (T0 + 1, None)
    assert _history(outbox, row.id)[-1] == (T0 + 1, "accepted", "OK", "BIZ-1")
    # a second response (a retry that the provider also took) keeps the first ref and time
    assert outbox.accept(row.id, "aliyun", "BIZ-2", "OK2", now=T0 + 5)
    got = outbox.get(row.id)
    assert got is not None and got.provider_ref == "BIZ-1" and got.last_code == "OK2"
    assert _one(outbox, "SELECT accepted_at FROM message") == (T0 + 1,)
    assert not outbox.accept("no-such-id", "aliyun", "BIZ-3", "OK", now=T0)


@pytest.mark.parametrize("status", [Status.QUEUED, Status.SENDING, Status.UNKNOWN])
def test_accept_moves_a_pending_message_to_accepted(outbox: Outbox, status: Status) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    if status is not Status.QUEUED:
        outbox.claim(Lane.NOTICE, 1, T0, 30)
    if status is Status.UNKNOWN:
        outbox.expire_leases(T0 + 31)
    outbox.accept(row.id, "tencent", None, "Ok", now=T0 + 40)
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.ACCEPTED and got.provider_ref is None


def test_accept_never_moves_a_delivered_message_back(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    ok = Receipt("aliyun", "BIZ-1", row.id, PHONE, True, "DELIVERED", "2027-01-15 08:00", "{}")
    assert outbox.apply_receipts([ok], now=T0 + 2) == [row.id]
    assert outbox.accept(row.id, "aliyun", "BIZ-1", "OK", now=T0 + 3)  # the response came late
    got = outbox.get(row.id)
    # the receipt's code stays: for a failure receipt it is the reason people read (MK:0001)
    assert got is not None and got.status is Status.DELIVERED and got.last_code == "DELIVERED"
    assert _one(outbox, "SELECT accepted_at, final_at FROM message") == (T0 + 2, T0 + 2)


def test_record_attempt_appends_one_row_per_call(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    outbox.record_attempt(row.id, "aliyun", T0, T0 + 0.2, "transient", "isp.BUSY", "req-1")
    outbox.record_attempt(row.id, "tencent", T0 + 1, T0 + 1.1, "accepted", "Ok", None)
    assert outbox.query(f"SELECT {ATTEMPT_COLS} FROM attempt ORDER BY started_at") == [
        (row.id, "aliyun", T0, T0 + 0.2, "transient", "isp.BUSY", "req-1"),
        (row.id, "tencent", T0 + 1, T0 + 1.1, "accepted", "Ok", None),
    ]


def test_sent_since_counts_accepted_messages_of_the_lane(outbox: Outbox) -> None:
    for key, lane, at in [("a", Lane.OTP, T0), ("b", Lane.OTP, T0 + 10), ("c", Lane.NOTICE, T0 + 10),
                          ("d", Lane.OTP, None)]:  # fmt: skip
        row, _ = outbox.enqueue(_msg(key, lane=lane), now=T0)
        if at is not None:
            outbox.accept(row.id, "aliyun", f"R-{key}", "OK", now=at)
    outbox.enqueue(_msg("e", lane=Lane.OTP, phone="+8613900000000"), now=T0)
    assert outbox.sent_since(PHONE, Lane.OTP, T0) == 2
    assert outbox.sent_since(PHONE, Lane.OTP, T0 + 10) == 1  # inclusive
    assert outbox.sent_since(PHONE, Lane.OTP, T0 + 10.5) == 0
    assert outbox.sent_since(PHONE, Lane.NOTICE, T0) == 1
    assert outbox.sent_since("+8613900000000", Lane.OTP, T0) == 0


# -- receipts ----------------------------------------------------------------------------------


def test_a_receipt_by_out_id_delivers_and_is_stored(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0, 30)
    rc = Receipt("aliyun", "BIZ-9", row.id, PHONE, True, "DELIVERED", "2027-01-15 08:00", '{"r":1}')
    assert outbox.apply_receipts([rc], now=T0 + 4) == [row.id]
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.DELIVERED and got.last_code == "DELIVERED"
    assert (got.provider, got.provider_ref) == ("aliyun", "BIZ-9")  # filled from the receipt
    assert _one(outbox, "SELECT accepted_at, final_at FROM message") == (T0 + 4, T0 + 4)
    assert _history(outbox, row.id)[-1] == (T0 + 4, "delivered", "DELIVERED", "receipt")
    assert outbox.query(f"SELECT {RECEIPT_COLS} FROM receipt") == [
        ("aliyun", "BIZ-9", row.id, PHONE, 1, "DELIVERED", "2027-01-15 08:00", T0 + 4, row.id,
         '{"r":1}')
    ]  # fmt: skip
    assert outbox.receipts_for(row.id) == [
        {"provider": "aliyun", "provider_ref": "BIZ-9", "delivered": 1, "code": "DELIVERED",
         "reported_at": "2027-01-15 08:00", "received_at": T0 + 4}
    ]  # fmt: skip


def test_a_failed_receipt_by_provider_ref_is_undelivered(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0, 30)
    outbox.accept(row.id, "tencent", "SN-1", "Ok", now=T0 + 1)
    # an out_id the outbox does not know falls back to the provider's reference
    bad = Receipt("tencent", "SN-1", "unknown-out-id", PHONE, False, "MK:0001", None, "{}")
    assert outbox.apply_receipts([bad], now=T0 + 5) == [row.id]
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.UNDELIVERED and got.last_code == "MK:0001"
    assert _one(outbox, "SELECT accepted_at, final_at FROM message") == (T0 + 1, T0 + 5)
    assert _history(outbox, row.id)[-1] == (T0 + 5, "undelivered", "MK:0001", "receipt")
    # the same reference from another provider is someone else's message
    other = Receipt("aliyun", "SN-1", None, PHONE, True, "DELIVERED", None, "{}")
    assert outbox.apply_receipts([other], now=T0 + 6) == []
    assert _one(outbox, "SELECT COUNT(*) FROM receipt WHERE message_id IS NULL") == (1,)


def test_a_final_status_ignores_later_receipts(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0, 30)
    outbox.accept(row.id, "aliyun", "B1", "OK", now=T0 + 1)
    ok = Receipt("aliyun", "B1", None, PHONE, True, "DELIVERED", None, "{}")
    late = Receipt("aliyun", "B1", None, PHONE, False, "UNDELIV", None, "{}")
    assert outbox.apply_receipts([ok, late], now=T0 + 2) == [row.id]
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.DELIVERED and got.last_code == "DELIVERED"
    assert len(outbox.receipts_for(row.id)) == 2 and len(outbox.history(row.id)) == 3
    for final in (Status.FAILED, Status.EXPIRED, Status.BLOCKED):
        r, _ = outbox.enqueue(_msg(f"x-{final}"), now=T0)
        outbox.move(r.id, final, expect=[Status.QUEUED], now=T0)
        rc = Receipt("aliyun", None, r.id, PHONE, True, "DELIVERED", None, "{}")
        assert outbox.apply_receipts([rc], now=T0 + 3) == []
        got = outbox.get(r.id)
        assert got is not None and got.status is final


def test_a_receipt_without_ids_is_kept_as_an_orphan(outbox: Outbox) -> None:
    outbox.enqueue(_msg(), now=T0)
    rc = Receipt("aliyun", None, None, PHONE, True, "DELIVERED", None, "{}")
    assert outbox.apply_receipts([rc], now=T0) == []
    assert outbox.match_orphans() == 1  # nothing to match it by: it stays
    assert outbox.counts() == {"queued": 1}


def test_receipts_without_a_clock_use_now(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    before = time.time()
    rc = Receipt("aliyun", "B", row.id, PHONE, True, "DELIVERED", None, "{}")
    assert outbox.apply_receipts([rc]) == [row.id]
    (at,) = _one(outbox, "SELECT final_at FROM message")
    assert isinstance(at, float) and before <= at <= time.time()


def test_an_orphan_receipt_delivers_when_the_send_response_arrives(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg(), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0, 30)
    orphan = Receipt("tencent", "SN-7", None, "+8613812345678", False, "MK:0005", "t", "{raw}")
    assert outbox.apply_receipts([orphan], now=T0 + 1) == []
    assert outbox.accept(row.id, "tencent", "SN-7", "Ok", now=T0 + 2)
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.UNDELIVERED and got.last_code == "MK:0005"
    # matched when the answer is recorded, on the same clock (history stays in time order)
    assert _one(outbox, "SELECT final_at FROM message") == (T0 + 2,)
    assert _history(outbox, row.id)[-1][1:] == ("undelivered", "MK:0005", "receipt")
    assert outbox.receipts_for(row.id) == [
        {"provider": "tencent", "provider_ref": "SN-7", "delivered": 0, "code": "MK:0005",
         "reported_at": "t", "received_at": T0 + 1}
    ]  # fmt: skip
    assert outbox.match_orphans() == 0


def test_match_orphans_links_receipts_once_a_reference_is_known(outbox: Outbox) -> None:
    a, _ = outbox.enqueue(_msg("a"), now=T0)
    b, _ = outbox.enqueue(_msg("b"), now=T0)
    outbox.claim(Lane.NOTICE, 2, T0, 30)
    early = [
        Receipt("aliyun", "REF-A", None, PHONE, True, "DELIVERED", None, "{}"),
        Receipt("aliyun", "REF-B", None, PHONE, False, "UNDELIV", None, "{}"),
        Receipt("aliyun", None, None, PHONE, True, "DELIVERED", None, "{}"),  # never matchable
    ]
    assert outbox.apply_receipts(early, now=T0 + 1) == []
    # references stored without the accept path (a reconciliation wrote them)
    _raw(outbox, "UPDATE message SET provider='aliyun', provider_ref='REF-A' WHERE id=?", (a.id,))
    _raw(outbox, "UPDATE message SET provider='aliyun', provider_ref='REF-B' WHERE id=?", (b.id,))
    assert outbox.match_orphans() == 1
    got_a, got_b = outbox.get(a.id), outbox.get(b.id)
    assert got_a is not None and got_a.status is Status.DELIVERED
    assert got_b is not None and got_b.status is Status.UNDELIVERED
    assert [r["code"] for r in outbox.receipts_for(b.id)] == ["UNDELIV"]
    assert outbox.match_orphans() == 1


# -- retention -------------------------------------------------------------------------------


def test_retention_under_the_floor_is_refused_with_the_fix(outbox: Outbox) -> None:
    with pytest.raises(OutboxError) as exc:
        outbox.purge(T0, MIN_RETENTION_DAYS - 1)
    assert exc.value.code == "retention_too_short" and exc.value.field == "retention_days"
    assert exc.value.message == (
        "retention of 152 days is below the legal floor of 153 days (5 months, MIIT Order 31). "
        f"Use at least 153; the default is {DEFAULT_RETENTION_DAYS}"
    )
    assert outbox.purge(T0, MIN_RETENTION_DAYS) == 0  # the floor itself is allowed


def test_purge_deletes_old_records_in_chunks_and_keeps_the_rest(tmp_path: Path) -> None:
    # SQLite deletes row by row; PostgreSQL drops whole days (test_postgres.py)
    outbox = Outbox(tmp_path / "dispatch.sqlite")
    now = time.time()
    cutoff = now - 186 * DAY
    old = []
    for i in range(5):
        row, _ = outbox.enqueue(
            _msg(f"old{i}", links=((f"code{i}", "https://x.cn"),)), now=cutoff - 1 - i
        )
        old.append(row)
        outbox.record_attempt(row.id, "aliyun", T0, T0, "accepted", "OK", None)
        rc = Receipt("aliyun", None, row.id, PHONE, True, "DELIVERED", None, "{}")
        outbox.apply_receipts([rc], now=cutoff - 1)
    edge, _ = outbox.enqueue(_msg("edge"), now=cutoff)  # exactly at the cutoff: kept
    outbox.apply_receipts(
        [Receipt("aliyun", "X", None, PHONE, True, "D", None, "{}")], now=cutoff - 1
    )
    outbox.apply_receipts([Receipt("aliyun", "Y", None, PHONE, True, "D", None, "{}")], now=cutoff)
    outbox.suppress("+8613900000001", "s", "reply", "api", T0)
    outbox.suppress("+8613900000002", "s", "reply", "api", T0)
    outbox.suppress("+8613900000003", "s", "reply", "api", T0)
    _raw(outbox, "UPDATE suppression SET removed_at=? WHERE phone LIKE '%1'", (cutoff - 1,))
    _raw(outbox, "UPDATE suppression SET removed_at=? WHERE phone LIKE '%2'", (cutoff,))
    outbox.record_inbound("aliyun", PHONE, None, "TD", True, "{}")  # received now (real clock)
    _raw(
        outbox,
        "INSERT INTO inbound VALUES ('aliyun', ?, NULL, 'old', 1, ?, '{}')",
        (PHONE, cutoff - 1),
    )

    assert outbox.purge(now, 186, chunk=2) == 5  # three chunks: 2, 2, 1
    assert [r[0] for r in outbox.query("SELECT idem_key FROM message")] == ["edge"]
    for table in ("history", "attempt", "link"):
        rows = outbox.query(f"SELECT message_id FROM {table}")
        assert {r[0] for r in rows} <= {edge.id}, table
    assert outbox.query("SELECT provider_ref FROM receipt") == [("Y",)]
    assert outbox.query("SELECT text FROM inbound") == [("TD",)]
    phones = sorted(r[0] for r in outbox.query("SELECT phone FROM suppression"))
    assert phones == ["+8613900000002", "+8613900000003"]
    assert all(outbox.get(r.id) is None for r in old)


def test_purge_by_exactly_one_chunk_stops(outbox: Outbox) -> None:
    for i in range(4):
        outbox.enqueue(_msg(f"k{i}"), now=T0)
    assert outbox.purge(T0 + 200 * DAY, 186, chunk=2) == 4
    assert outbox.counts() == {}
    assert outbox.purge(T0 + 200 * DAY, 186) == 0


def test_a_claimed_row_carries_its_claim_time(outbox: Outbox) -> None:
    # a provider lookup asks for the day the message was sent: its claim time, not its queue time
    row, _ = outbox.enqueue(_msg("claimed"), now=T0)
    assert row.claimed_at is None
    (claimed,) = outbox.claim(Lane.NOTICE, 1, T0 + 5, 30)
    assert claimed.claimed_at == T0 + 5
    stored = outbox.get(row.id)
    assert stored is not None and stored.claimed_at == T0 + 5


def test_a_message_held_back_does_not_stop_the_claim(outbox: Outbox) -> None:
    # admit holds back the oldest due message (deferred an hour); the two after it are claimed
    ids = [outbox.enqueue(_msg(f"held-{i}"), now=T0 + i)[0].id for i in range(3)]

    class Wait:
        status: Status | None = Status.QUEUED
        code: str | None = "quiet_hours"
        not_before: float | None = T0 + 3600

    class Send:
        status: Status | None = None
        code: str | None = None
        not_before: float | None = None

    def admit(row: object, sent_since: object) -> Wait | Send:
        return Wait() if getattr(row, "id", None) == ids[0] else Send()

    claimed = outbox.claim(Lane.NOTICE, 3, T0 + 10, 30, admit=admit)
    assert sorted(r.id for r in claimed) == sorted(ids[1:])
    held = outbox.get(ids[0])
    assert held is not None and (held.status, held.not_before) == (Status.QUEUED, T0 + 3600)


def test_an_answer_after_its_receipt_is_recorded_just_before_the_receipt(outbox: Outbox) -> None:
    # the delivery receipt raced the provider's answer: the history (in time order) says the
    # provider accepted the message just before it reported it delivered, not after
    row, _ = outbox.enqueue(_msg("raced"), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0 + 1, 30)
    rc = Receipt("fake", None, row.id, PHONE, True, "DELIVRD", None, "raw")
    assert outbox.apply_receipts([rc], now=T0 + 20) == [row.id]
    assert outbox.accept(row.id, "fake", "ref-1", "0000", now=T0 + 30)
    history = _history(outbox, row.id)
    assert [h[1] for h in history][-2:] == ["accepted", "delivered"]
    assert history[-2][0] == (T0 + 20) - 0.001 and history[-1][0] == T0 + 20
    # no receipt yet: the answer is recorded when it came
    other, _ = outbox.enqueue(_msg("plain"), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0 + 1, 30)
    outbox.accept(other.id, "fake", "ref-2", "0000", now=T0 + 30)
    assert _history(outbox, other.id)[-1][:2] == (T0 + 30, "accepted")


def test_a_released_message_goes_back_to_the_queue_untried(outbox: Outbox) -> None:
    row, _ = outbox.enqueue(_msg("released"), now=T0)
    (claimed,) = outbox.claim(Lane.NOTICE, 1, T0 + 1, 30)
    assert claimed.attempts == 1
    assert outbox.release(row.id, T0 + 100, "circuit_open", T0 + 2)
    back = outbox.get(row.id)
    assert back is not None
    assert (back.status, back.attempts, back.not_before, back.last_code, back.claimed_at) == (
        Status.QUEUED, 0, T0 + 100, "circuit_open", None,
    )  # fmt: skip
    history = _history(outbox, row.id)
    assert history[-1] == (T0 + 2, "queued", "circuit_open", None)
    # only a message being sent is released; nothing else is written
    assert not outbox.release(row.id, T0 + 200, "circuit_open", T0 + 3)
    again = outbox.get(row.id)
    assert again is not None and again.not_before == T0 + 100
    assert _history(outbox, row.id) == history
    assert _one(outbox, "SELECT lease_until FROM message WHERE id=?", (row.id,)) == (None,)


def test_accepted_messages_without_a_receipt_end_no_receipt_oldest_first(outbox: Outbox) -> None:
    ids = []
    for i in range(3):
        row, _ = outbox.enqueue(_msg(f"nr-{i}"), now=T0)
        outbox.claim(Lane.NOTICE, 1, T0 + 1, 30)
        outbox.accept(row.id, "fake", f"ref-{i}", "0000", now=T0 + 10 * (i + 1))
        ids.append(row.id)
    sending, _ = outbox.enqueue(_msg("nr-sending"), now=T0)
    outbox.claim(Lane.NOTICE, 1, T0 + 1, 30)
    assert outbox.open_counts() == {"accepted": 3, "sending": 1}
    # accepted at T0+10, +20, +30; now T0+100, timeout 75 s: accepted before T0+25
    assert outbox.expire_receipts(T0 + 100, 75, limit=1) == [ids[0]]
    assert outbox.expire_receipts(T0 + 100, 75) == [ids[1]]
    assert outbox.expire_receipts(T0 + 100, 75) == []
    first = outbox.get(ids[0])
    assert first is not None and (first.status, first.last_code) == (
        Status.NO_RECEIPT,
        "no_receipt",
    )
    assert _one(outbox, "SELECT final_at FROM message WHERE id=?", (ids[0],)) == (T0 + 100,)
    assert _history(outbox, ids[0])[-1] == (T0 + 100, "no_receipt", "no_receipt", None)
    third = outbox.get(ids[2])
    assert third is not None and third.status == Status.ACCEPTED
    assert outbox.open_counts() == {"accepted": 1, "sending": 1, "no_receipt": 2}
    # a late receipt still moves a no_receipt message on
    late = Receipt("fake", "ref-0", ids[0], PHONE, True, "DELIVRD", None, "raw")
    assert outbox.apply_receipts([late], now=T0 + 200) == [ids[0]]
    done = outbox.get(ids[0])
    assert done is not None and done.status == Status.DELIVERED
    assert outbox.open_counts() == {"accepted": 1, "sending": 1, "no_receipt": 1}
    assert sending.id not in outbox.expire_receipts(T0 + 10_000, 1)


def test_heartbeats_count_live_workers_and_forget_long_gone_ones(
    store_at: StoreAt, tmp_path: Path
) -> None:
    outbox = Outbox(store_at("hb.db"))
    assert outbox.heartbeat("a", 100.0, 10.0) == 1
    assert outbox.heartbeat("b", 101.0, 10.0) == 2
    assert outbox.heartbeat("a", 105.0, 10.0) == 2  # a again: still two workers
    assert outbox.heartbeat("a", 111.0, 10.0) == 2  # b seen exactly 10 s ago: still live
    assert outbox.heartbeat("a", 111.5, 10.0) == 1  # b last seen 10.5 s ago: not live
    assert outbox.query("SELECT id FROM worker ORDER BY id") == [("a",), ("b",)]  # kept a while
    assert outbox.heartbeat("a", 201.5, 10.0) == 1  # b gone 100.5 s (> 10 x live): forgotten
    assert outbox.query("SELECT id FROM worker ORDER BY id") == [("a",)]
    assert outbox.heartbeat("c", 202.0, 10.0) == 2
    outbox.leave("a")
    assert outbox.heartbeat("c", 203.0, 10.0) == 1  # a left: its share goes back at once
    assert outbox.heartbeat("d", 213.0, 10.0) == 2  # c seen exactly 10 s ago counts


def test_purge_ages_out_the_kill_switch_rows(outbox: Outbox) -> None:
    """Signals and the pause/resume log are kept as long as the send records; per-minute send
    counts only as long as a rate window can reach (8 days)."""
    now = T0 + 400 * DAY
    cutoff = now - 186 * DAY
    for at in (cutoff - 1, cutoff):
        _raw(outbox, "INSERT INTO campaign_signal VALUES ('c', 'complaint', 'm', 'x', ?)", (at,))
        _raw(outbox, "INSERT INTO campaign_log VALUES ('c', ?, 'paused', 'w', 'x', 1)", (at,))
    minute = int(now // 60)
    for m in (minute - 8 * 1440 - 1, minute - 8 * 1440, minute):
        _raw(outbox, "INSERT INTO send_count VALUES ('signature s', ?, 5)", (m,))
    outbox.purge(now, 186)
    assert outbox.query("SELECT at FROM campaign_signal") == [(cutoff,)]
    assert outbox.query("SELECT at FROM campaign_log") == [(cutoff,)]
    kept = sorted(r[0] for r in outbox.query("SELECT minute FROM send_count"))
    assert kept == [minute - 8 * 1440, minute]
