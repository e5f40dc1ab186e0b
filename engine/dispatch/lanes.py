"""Lanes: per-lane quiet hours, per-recipient caps, retries and expiry. Pure: no I/O here.

``admit`` decides before a send (send now, wait until, or refuse); ``after`` decides what a
provider outcome means for the message (reference §4.6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from functools import cache

from engine.dispatch.config import parse_hours
from engine.dispatch.message import Lane, OutboxRow, Outcome, Status
from engine.message import BEIJING

HOUR, DAY = 3600.0, 86400.0


@dataclass(frozen=True, slots=True)
class LanePolicy:
    """How one lane behaves."""

    lane: Lane
    slots: int  # concurrent sends reserved for this lane (never borrowed by another)
    hours: tuple[dtime, dtime] | None  # allowed window, Beijing time; None: any time
    caps: tuple[tuple[float, int], ...]  # (window seconds, max accepted per recipient)
    max_attempts: int
    backoff_s: tuple[float, ...]  # wait before attempt 2, 3, ...
    resend_unknown_after: float | None  # OTP only: a lost answer may be re-sent blindly
    throttled_defer_s: float | None  # provider per-number limit: wait this long (None: fail)


def default_policies(
    marketing_hours: tuple[dtime, dtime] = (dtime(8), dtime(21)),
) -> dict[Lane, LanePolicy]:
    """The lane defaults (reference §6.6); marketing waits outside its hours."""
    return {
        Lane.OTP: LanePolicy(Lane.OTP, 16, None, ((60, 1), (HOUR, 5), (DAY, 10)), 2, (2.0,),
                             10.0, None),
        Lane.ALERT: LanePolicy(Lane.ALERT, 16, None, (), 5, (5.0, 30.0, 120.0, 600.0),
                               None, 600.0),
        Lane.NOTICE: LanePolicy(Lane.NOTICE, 64, None, ((DAY, 50),), 6,
                                (30.0, 120.0, 600.0, 1800.0, 1800.0), None, HOUR),
        Lane.MARKETING: LanePolicy(Lane.MARKETING, 32, marketing_hours, ((DAY, 3),), 2,
                                   (300.0,), None, DAY),
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a message: ``status`` QUEUED with ``not_before`` means wait."""

    status: Status | None  # None: send now
    code: str | None = None
    not_before: float | None = None


SEND = Decision(None)


def in_window(now: float, hours: tuple[dtime, dtime]) -> bool:
    """Whether ``now`` falls in the Beijing-time window [start, end)."""
    t = datetime.fromtimestamp(now, BEIJING).time()
    start, end = hours
    return start <= t < end if start <= end else (t >= start or t < end)


def next_open(now: float, hours: tuple[dtime, dtime]) -> float:
    """The next moment the window opens (now if it is open)."""
    if in_window(now, hours):
        return now
    here = datetime.fromtimestamp(now, BEIJING)
    opening = datetime.combine(here.date(), hours[0], BEIJING)
    if opening <= here:
        opening += timedelta(days=1)
    return opening.timestamp()


@cache
def window_hours(text: str) -> tuple[dtime, dtime]:
    """A stored send window ("09:00-20:00", Beijing time) as times."""
    return parse_hours(text)


def admit(
    row: OutboxRow, policy: LanePolicy, now: float, sent_since: Callable[[float], int]
) -> Decision:
    """Expiry, quiet hours (the lane's, then the scene's window), then per-recipient caps."""
    if row.expires_at is not None and now >= row.expires_at:
        return Decision(Status.EXPIRED, "expired")
    for hours, code in (
        (policy.hours, "quiet_hours"),
        (window_hours(row.send_window) if row.send_window else None, "scene_window"),
    ):
        if hours is not None and not in_window(now, hours):
            opens = next_open(now, hours)
            if row.expires_at is not None and opens >= row.expires_at:
                return Decision(Status.EXPIRED, f"expired_in_{code}")
            return Decision(Status.QUEUED, code, opens)
    for window, limit in policy.caps:
        if sent_since(now - window) >= limit:
            if policy.lane is Lane.OTP:  # a late code is useless: tell the caller now
                return Decision(Status.FAILED, f"recipient_cap_{int(window)}s")
            return Decision(Status.QUEUED, f"recipient_cap_{int(window)}s", now + window)
    return SEND


def after(
    row: OutboxRow,
    policy: LanePolicy,
    outcome: Outcome,
    now: float,
    can_fail_over: bool,
    jitter: float = 0.0,
) -> Decision:
    """What a provider outcome means for the message (accepted is handled by the caller).

    ``jitter`` in [0, 1) shortens each wait by up to a half ("equal jitter"), so messages that
    failed together do not all come back in the same second.
    """
    spread = 1 - 0.5 * jitter
    retry_at = now + spread * policy.backoff_s[min(row.attempts, len(policy.backoff_s)) - 1]
    attempts_left = row.attempts < policy.max_attempts
    if outcome in (Outcome.PERMANENT, Outcome.CONTENT):
        return Decision(Status.FAILED, outcome.value)
    if outcome is Outcome.SUPPRESSED:
        return Decision(Status.SUPPRESSED, "provider_blacklist")
    if outcome is Outcome.RECIPIENT_THROTTLED:  # never fail over: it would spam through a side door
        if policy.throttled_defer_s is None:
            return Decision(Status.FAILED, outcome.value)
        return Decision(Status.QUEUED, outcome.value, now + policy.throttled_defer_s)
    if outcome is Outcome.WINDOW:
        return Decision(
            Status.QUEUED, outcome.value, next_open(now, policy.hours or (dtime(8), dtime(21)))
        )
    if outcome is Outcome.ACCOUNT:
        if can_fail_over and attempts_left:
            return Decision(Status.QUEUED, "failover", now)
        return (
            Decision(Status.QUEUED, outcome.value, now + spread * HOUR)
            if attempts_left
            else Decision(Status.FAILED, outcome.value)
        )
    if outcome is Outcome.PROVIDER_THROTTLED:  # the provider is busy, not down: same provider,
        # later (failing over would move the whole flood to the other provider)
        if attempts_left:
            return Decision(Status.QUEUED, outcome.value, retry_at)
        return Decision(Status.FAILED, "retries_exhausted")
    if outcome is Outcome.TRANSIENT:
        if attempts_left:
            return Decision(Status.QUEUED, outcome.value, now if can_fail_over else retry_at)
        return Decision(Status.FAILED, "retries_exhausted")
    # unknown: only OTP may be re-sent without knowing; everything else is reconciled
    if policy.resend_unknown_after is not None and attempts_left:
        return Decision(Status.QUEUED, "unknown_resend", now + policy.resend_unknown_after)
    return Decision(Status.UNKNOWN, "no_response")
