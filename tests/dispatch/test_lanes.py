"""Lanes (pure): quiet hours, caps, expiry, what each provider outcome leads to; opt-out words."""

from __future__ import annotations

import asyncio
from datetime import datetime
from datetime import time as dtime
from pathlib import Path

import pytest

from engine.dispatch.config import parse_hours
from engine.dispatch.events import EventWriter
from engine.dispatch.lanes import SEND, admit, after, default_policies, next_open
from engine.dispatch.message import Lane, OutboxRow, Outcome, Status
from engine.dispatch.optout import load_optout_words
from engine.dispatch.outbox import NewMessage, Outbox
from engine.dispatch.templates import load_templates
from engine.dispatch.worker import Worker
from engine.message import BEIJING
from engine.ruleset import RuleSet
from tests.dispatch.conftest import StoreAt

P = default_policies()


def _at(hhmm: str) -> float:
    return datetime.fromisoformat(f"2026-11-11T{hhmm}:00").replace(tzinfo=BEIJING).timestamp()


def _row(lane: Lane, attempts: int = 1, expires: float | None = None) -> OutboxRow:
    return OutboxRow(
        id="m", idem_key="k", lane=lane, phone="+8613812345678", sign_name="信使商城",
        template_id="t", params={}, rendered_text="x", ruleset_version="v", status=Status.SENDING,
        not_before=0, expires_at=expires, attempts=attempts, created_at=0,
    )  # fmt: skip


def _none(_: float) -> int:
    return 0


def test_marketing_waits_for_0800_beijing_and_is_configurable() -> None:
    d = admit(_row(Lane.MARKETING), P[Lane.MARKETING], _at("23:30"), _none)
    assert d.status is Status.QUEUED and d.code == "quiet_hours"
    assert d.not_before == _at("08:00") + 86400
    assert admit(_row(Lane.MARKETING), P[Lane.MARKETING], _at("10:00"), _none) is SEND
    assert admit(_row(Lane.NOTICE), P[Lane.NOTICE], _at("23:30"), _none) is SEND  # notices any time
    late = default_policies(parse_hours("09:00-22:00"))[Lane.MARKETING]
    assert admit(_row(Lane.MARKETING), late, _at("21:30"), _none) is SEND
    assert next_open(_at("08:30"), (dtime(9), dtime(22))) == _at("09:00")


def test_bad_hours_say_how_to_write_them() -> None:
    with pytest.raises(ValueError, match=r"Write them like 08:00-21:00 \(Beijing time\)"):
        parse_hours("8am-9pm")


def test_a_campaign_that_would_only_open_after_it_ends_expires() -> None:
    d = admit(_row(Lane.MARKETING, expires=_at("23:50")), P[Lane.MARKETING], _at("23:30"), _none)
    assert d.status is Status.EXPIRED


def test_caps_fail_an_otp_fast_but_defer_a_notice() -> None:
    def many(_: float) -> int:
        return 50

    otp = admit(_row(Lane.OTP), P[Lane.OTP], _at("10:00"), lambda since: 1)
    assert otp.status is Status.FAILED and otp.code == "recipient_cap_60s"
    notice = admit(_row(Lane.NOTICE), P[Lane.NOTICE], _at("10:00"), many)
    assert notice.status is Status.QUEUED and notice.not_before == _at("10:00") + 86400


@pytest.mark.parametrize(
    ("lane", "outcome", "attempts", "failover", "status", "code"),
    [
        (Lane.NOTICE, Outcome.UNKNOWN, 1, True, Status.UNKNOWN, "no_response"),  # reconcile, never blind
        (Lane.OTP, Outcome.UNKNOWN, 1, True, Status.QUEUED, "unknown_resend"),  # only OTP may re-send
        (Lane.NOTICE, Outcome.TRANSIENT, 1, False, Status.QUEUED, "transient"),
        (Lane.NOTICE, Outcome.TRANSIENT, 6, False, Status.FAILED, "retries_exhausted"),
        (Lane.NOTICE, Outcome.RECIPIENT_THROTTLED, 1, True, Status.QUEUED, "recipient_throttled"),
        (Lane.OTP, Outcome.RECIPIENT_THROTTLED, 1, True, Status.FAILED, "recipient_throttled"),
        (Lane.NOTICE, Outcome.ACCOUNT, 1, True, Status.QUEUED, "failover"),
        (Lane.NOTICE, Outcome.PERMANENT, 1, True, Status.FAILED, "permanent"),
        (Lane.MARKETING, Outcome.CONTENT, 1, True, Status.FAILED, "content"),
        (Lane.MARKETING, Outcome.SUPPRESSED, 1, True, Status.SUPPRESSED, "provider_blacklist"),
        (Lane.MARKETING, Outcome.WINDOW, 1, True, Status.QUEUED, "window"),
    ],
)  # fmt: skip
def test_each_outcome_leads_where_the_reference_says(
    lane: Lane, outcome: Outcome, attempts: int, failover: bool, status: Status, code: str
) -> None:
    d = after(_row(lane, attempts), P[lane], outcome, _at("10:00"), failover)
    assert (d.status, d.code) == (status, code)
    if outcome is Outcome.TRANSIENT and status is Status.QUEUED:
        assert d.not_before == _at("10:00") + 30  # backoff, not a hot loop


@pytest.mark.parametrize(
    ("reply", "optout"),
    [
        ("TD", True),
        ("ｔｄ", True),
        ("R ", True),
        ("退订", True),
        ("不要再发了，退订！", True),
        ("t.", True),
        ("好的", False),
        ("Thanks", False),
        ("收到", False),
    ],
)
def test_opt_out_words(reply: str, optout: bool) -> None:
    assert load_optout_words().matches(reply) is optout


def test_text_approved_under_old_rules_is_rechecked_before_sending(
    store_at: StoreAt, tmp_path: Path, ruleset: RuleSet
) -> None:
    outbox = Outbox(store_at("o.sqlite"))
    stale = NewMessage(
        "k1",
        "h",
        Lane.MARKETING,
        "+8613812345678",
        "信使商城",
        "double11",
        {},
        "【信使商城】全网最低价，加V信领券！",
        "old-version",
        0,
        None,
    )
    fine = NewMessage(
        "k2",
        "h",
        Lane.NOTICE,
        "+8613812345678",
        "信使商城",
        "nope",
        {},
        "【信使商城】您的订单1已支付成功，我们将尽快发货。",
        "old-version",
        0,
        None,
    )
    (a, _), (b, _) = outbox.enqueue_many([stale, fine])
    worker = Worker(
        outbox, [], load_templates(), ruleset, default_policies(), EventWriter(tmp_path / "ev", "s")
    )
    for row in outbox.claim(Lane.MARKETING, 5, 1, 30) + outbox.claim(Lane.NOTICE, 5, 1, 30):
        asyncio.run(worker._send_one(row))
    got_a, got_b = outbox.get(a.id), outbox.get(b.id)
    assert (
        got_a is not None and got_a.status is Status.BLOCKED and got_a.last_code == "rules_changed"
    )
    assert (
        got_b is not None
        and got_b.status is Status.FAILED
        and got_b.last_code == "no_provider_template"
    )


# jittered backoff and provider throttling (issue 15, item 3)


def _failed_row(attempts: int) -> OutboxRow:
    return OutboxRow(
        id="m", idem_key="m", lane=Lane.NOTICE, phone="+8613812345678", sign_name="s",
        template_id="t", params={}, rendered_text="x", ruleset_version="v",
        status=Status.SENDING, not_before=0, expires_at=None, attempts=attempts, created_at=0,
    )  # fmt: skip


@pytest.mark.parametrize(("jitter", "wait"), [(0.0, 120.0), (0.5, 90.0), (0.999, 60.06)])
def test_backoff_waits_spread_between_half_and_all_of_the_lanes_step(
    jitter: float, wait: float
) -> None:
    policy = default_policies()[Lane.NOTICE]  # steps 30, 120, 600 ...
    d = after(_failed_row(2), policy, Outcome.TRANSIENT, 1000.0, False, jitter)
    assert d.status is Status.QUEUED and d.code == "transient"
    assert d.not_before == pytest.approx(1000.0 + wait, abs=0.01)


def test_provider_throttling_waits_for_the_same_provider_and_never_fails_over() -> None:
    policy = default_policies()[Lane.NOTICE]
    d = after(_failed_row(1), policy, Outcome.PROVIDER_THROTTLED, 1000.0, True, 0.0)
    assert (d.status, d.code, d.not_before) == (Status.QUEUED, "provider_throttled", 1030.0)
    last = after(_failed_row(6), policy, Outcome.PROVIDER_THROTTLED, 1000.0, True, 0.0)
    assert (last.status, last.code) == (Status.FAILED, "retries_exhausted")


def test_an_account_error_without_failover_waits_a_jittered_hour() -> None:
    policy = default_policies()[Lane.NOTICE]
    d = after(_failed_row(1), policy, Outcome.ACCOUNT, 1000.0, False, 0.5)
    assert (d.status, d.code, d.not_before) == (Status.QUEUED, "account", 1000.0 + 0.75 * 3600)
    over = after(_failed_row(1), policy, Outcome.ACCOUNT, 1000.0, True, 0.5)
    assert (over.status, over.code, over.not_before) == (Status.QUEUED, "failover", 1000.0)
