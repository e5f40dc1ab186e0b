"""The shipped lane defaults, lane by lane, as README "Dispatch" and reference §4.6/§6.6 state them.

Each expected value is written out here (retry schedule, throttling deferral, blind re-send, caps,
expiry edges), never read from ``default_policies()``: changing a default must fail a test. Every
test builds its policies afresh, so a changed default is seen (a module-level copy would not be).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as dtime

import pytest

from engine.dispatch.config import parse_hours
from engine.dispatch.lanes import SEND, Decision, admit, after, default_policies
from engine.dispatch.message import Lane, OutboxRow, Outcome, Status
from engine.message import BEIJING

DAY = datetime(2026, 11, 11, tzinfo=BEIJING)
HOUR_S, DAY_S = 3600.0, 86400.0


def _at(h: int, m: int = 0, s: int = 0) -> float:
    return (DAY + timedelta(hours=h, minutes=m, seconds=s)).timestamp()


NOON = _at(12)


def _row(lane: Lane, attempts: int = 1, expires: float | None = None) -> OutboxRow:
    return OutboxRow(
        id="m", idem_key="k", lane=lane, phone="+8613812345678", sign_name="信使商城",
        template_id="t", params={}, rendered_text="x", ruleset_version="v", status=Status.SENDING,
        not_before=0, expires_at=expires, attempts=attempts, created_at=0,
    )  # fmt: skip


def _after(
    lane: Lane, outcome: Outcome, attempts: int = 1, failover: bool = False, now: float = NOON
) -> tuple[Status | None, str | None, float | None]:
    d = after(_row(lane, attempts), default_policies()[lane], outcome, now, failover)
    return d.status, d.code, d.not_before


def _admit(lane: Lane, now: float, sent: int = 0, expires: float | None = None) -> Decision:
    return admit(_row(lane, expires=expires), default_policies()[lane], now, lambda _: sent)


# lane -> the wait before attempt 2, 3, ... after a transient error; the last attempt fails
RETRIES = {
    Lane.OTP: [2.0],  # 2 tries, a code is useless a minute later
    Lane.ALERT: [5.0, 30.0, 120.0, 600.0],  # 5 tries within ~10 min
    Lane.NOTICE: [30.0, 120.0, 600.0, 1800.0, 1800.0],  # 6 tries, 30 s -> 30 min
    Lane.MARKETING: [300.0],  # 2 tries
}


@pytest.mark.parametrize("lane", list(RETRIES))
def test_transient_errors_back_off_then_give_up(lane: Lane) -> None:
    waits = RETRIES[lane]
    for attempt, wait in enumerate(waits, start=1):
        assert _after(lane, Outcome.TRANSIENT, attempt) == (
            Status.QUEUED, "transient", NOON + wait,
        ), attempt  # fmt: skip
    last = len(waits) + 1
    assert _after(lane, Outcome.TRANSIENT, last) == (Status.FAILED, "retries_exhausted", None)


@pytest.mark.parametrize("lane", list(RETRIES))
def test_a_transient_error_fails_over_at_once_while_attempts_remain(lane: Lane) -> None:
    assert _after(lane, Outcome.TRANSIENT, 1, failover=True) == (Status.QUEUED, "transient", NOON)
    last = len(RETRIES[lane]) + 1
    assert _after(lane, Outcome.TRANSIENT, last, failover=True)[0] is Status.FAILED


# a per-number provider limit: never fail over; OTP fails fast, others wait (§4.6)
THROTTLED = {
    Lane.OTP: (Status.FAILED, None),
    Lane.ALERT: (Status.QUEUED, NOON + 600),
    Lane.NOTICE: (Status.QUEUED, NOON + HOUR_S),
    Lane.MARKETING: (Status.QUEUED, NOON + DAY_S),  # tomorrow
}


@pytest.mark.parametrize("lane", list(THROTTLED))
@pytest.mark.parametrize("failover", [False, True])
def test_recipient_throttling_defers_per_lane_and_never_fails_over(
    lane: Lane, failover: bool
) -> None:
    status, not_before = THROTTLED[lane]
    got = _after(lane, Outcome.RECIPIENT_THROTTLED, 1, failover)
    assert got == (status, "recipient_throttled", not_before)


@pytest.mark.parametrize("lane", list(RETRIES))
def test_no_answer_is_re_sent_blindly_only_for_an_otp_with_a_try_left(lane: Lane) -> None:
    first = _after(lane, Outcome.UNKNOWN, 1, failover=True)
    if lane is Lane.OTP:
        assert first == (Status.QUEUED, "unknown_resend", NOON + 10)  # after ~10 s
        assert _after(lane, Outcome.UNKNOWN, 2) == (Status.UNKNOWN, "no_response", None)
    else:
        assert first == (Status.UNKNOWN, "no_response", None)  # reconcile, never re-send


@pytest.mark.parametrize("lane", list(RETRIES))
def test_an_account_error_fails_over_or_waits_an_hour_until_attempts_run_out(lane: Lane) -> None:
    last = len(RETRIES[lane]) + 1
    assert _after(lane, Outcome.ACCOUNT, 1, failover=True) == (Status.QUEUED, "failover", NOON)
    assert _after(lane, Outcome.ACCOUNT, 1) == (Status.QUEUED, "account", NOON + HOUR_S)
    for failover in (False, True):
        assert _after(lane, Outcome.ACCOUNT, last, failover) == (Status.FAILED, "account", None)


@pytest.mark.parametrize(
    ("lane", "now", "opens"),
    [
        (Lane.NOTICE, _at(21, 30), _at(8) + DAY_S),  # a lane without hours: 08:00-21:00
        (Lane.NOTICE, _at(7), _at(8)),
        (Lane.ALERT, _at(6, 59, 59), _at(8)),
        (Lane.MARKETING, _at(22), _at(8) + DAY_S),
    ],
)
def test_a_provider_window_refusal_waits_for_0800_beijing(
    lane: Lane, now: float, opens: float
) -> None:
    assert _after(lane, Outcome.WINDOW, now=now) == (Status.QUEUED, "window", opens)


def test_a_provider_window_refusal_waits_for_the_configured_marketing_hours() -> None:
    policy = default_policies(parse_hours("09:00-22:00"))[Lane.MARKETING]
    d = after(_row(Lane.MARKETING), policy, Outcome.WINDOW, _at(22, 30), True)
    assert (d.status, d.code, d.not_before) == (Status.QUEUED, "window", _at(9) + DAY_S)
    d = after(_row(Lane.MARKETING), policy, Outcome.WINDOW, _at(8, 30), True)
    assert d.not_before == _at(9)


@pytest.mark.parametrize("lane", list(RETRIES))
@pytest.mark.parametrize(
    ("outcome", "status", "code"),
    [
        (Outcome.PERMANENT, Status.FAILED, "permanent"),
        (Outcome.CONTENT, Status.FAILED, "content"),
        (Outcome.SUPPRESSED, Status.SUPPRESSED, "provider_blacklist"),
    ],
)
def test_final_outcomes_end_the_message_on_every_lane(
    lane: Lane, outcome: Outcome, status: Status, code: str
) -> None:
    assert _after(lane, outcome, 1, failover=True) == (status, code, None)


# per-recipient caps (README: OTP 1/min, 5/h, 10/day; notice 50/day; marketing 3/day)
CAPS = {
    Lane.OTP: [(60, 1), (3600, 5), (86400, 10)],
    Lane.ALERT: [],
    Lane.NOTICE: [(86400, 50)],
    Lane.MARKETING: [(86400, 3)],
}


@pytest.mark.parametrize("lane", list(CAPS))
def test_each_lane_caps_exactly_these_windows(lane: Lane) -> None:
    policy = default_policies()[lane]
    for window, limit in CAPS[lane]:

        def sent(count: int, window: int = window):  # type: ignore[no-untyped-def]
            return lambda since: count if since <= NOON - window else 0

        assert admit(_row(lane), policy, NOON, sent(limit - 1)) is SEND, (window, limit)
        d = admit(_row(lane), policy, NOON, sent(limit))
        expected = (Status.FAILED, None) if lane is Lane.OTP else (Status.QUEUED, NOON + window)
        assert (d.status, d.code, d.not_before) == (
            expected[0], f"recipient_cap_{window}s", expected[1],
        )  # fmt: skip
    if not CAPS[lane]:
        assert _admit(lane, NOON, sent=100_000) is SEND


@pytest.mark.parametrize("lane", list(CAPS))
def test_only_marketing_waits_for_its_hours(lane: Lane) -> None:
    night = _admit(lane, _at(23, 30))
    if lane is Lane.MARKETING:
        assert (night.status, night.code, night.not_before) == (
            Status.QUEUED, "quiet_hours", _at(8) + DAY_S,
        )  # fmt: skip
    else:
        assert night is SEND


@pytest.mark.parametrize("lane", list(CAPS))
def test_a_message_expires_at_its_expiry_instant(lane: Lane) -> None:
    assert _admit(lane, NOON, expires=NOON + 0.001) is SEND
    for now in (NOON, NOON + 1):
        d = _admit(lane, now, expires=NOON)
        assert (d.status, d.code, d.not_before) == (Status.EXPIRED, "expired", None)


def test_marketing_expires_when_the_window_opens_no_earlier_than_its_expiry() -> None:
    opens = _at(8) + DAY_S
    for expires in (opens, opens - 1):
        d = _admit(Lane.MARKETING, _at(23, 30), expires=expires)
        assert (d.status, d.code, d.not_before) == (
            Status.EXPIRED, "expired_in_quiet_hours", None,
        )  # fmt: skip
    d = _admit(Lane.MARKETING, _at(23, 30), expires=opens + 1)
    assert (d.status, d.code, d.not_before) == (Status.QUEUED, "quiet_hours", opens)


def test_an_empty_marketing_window_is_refused_with_a_fix() -> None:
    with pytest.raises(ValueError, match=r"'08:00-08:00' is an empty window.*e\.g\. 08:00-21:00"):
        parse_hours("08:00-08:00")
    assert parse_hours("22:00-06:00") == (dtime(22), dtime(6))  # across midnight is fine
