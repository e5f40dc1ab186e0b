"""A circuit breaker per provider: closed, open, half-open. Pure: the caller passes the clock.

A provider that keeps failing (HTTP 5xx, connection errors, timeouts) stops being called: after
``threshold`` failures in a row the breaker opens and the worker routes around it (failover) or
leaves the messages queued. After ``cooldown_s`` (doubled on each failed probe, up to
``max_cooldown_s``, with jitter so workers do not probe in step) one probe goes through
(half-open): success closes the breaker, failure opens it again. Answers that say nothing about
the provider's health (a bad number, a content filter, a per-number limit) leave it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.dispatch.message import Outcome

# outcomes that say the provider itself is unwell; ACCEPTED and the message-level outcomes
# (permanent, content, suppressed, recipient limits, window) say it is answering
SICK = frozenset({Outcome.TRANSIENT, Outcome.UNKNOWN})


class State(StrEnum):
    """Where a breaker is."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class Breaker:
    """One provider's breaker."""

    threshold: int = 5
    cooldown_s: float = 30.0
    max_cooldown_s: float = 300.0
    state: State = State.CLOSED
    failures: int = 0  # in a row
    opened: int = 0  # times opened since it last closed (the cooldown doubles each time)
    until: float = 0.0  # open until then
    probing: bool = False  # half-open: the one probe is in flight

    def allows(self, now: float) -> bool:
        """Whether a send may go to this provider now (taking the half-open probe if so)."""
        if self.state is State.OPEN and now >= self.until:
            self._to(State.HALF_OPEN, now)
        if self.state is State.CLOSED:
            return True
        if self.state is State.HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def reopens_at(self, now: float) -> float:
        """When a send may next be tried (now when it is closed or half-open)."""
        return self.until if self.state is State.OPEN else now

    def record(self, outcome: Outcome, now: float, jitter: float = 0.0) -> None:
        """Count one answer; ``jitter`` in [0, 1) shortens the next cooldown by up to a half."""
        if outcome not in SICK:
            self.failures, self.opened, self.probing = 0, 0, False
            if self.state is not State.CLOSED:
                self._to(State.CLOSED, now)
            return
        self.failures += 1
        if self.state is State.OPEN:  # answers of sends started before it opened
            return
        if self.state is State.HALF_OPEN or self.failures >= self.threshold:
            self.opened += 1
            cooldown = min(self.max_cooldown_s, self.cooldown_s * 2 ** (self.opened - 1))
            self.until = now + cooldown * (1 - 0.5 * jitter)
            self.probing = False
            self._to(State.OPEN, now)

    def _to(self, state: State, now: float) -> None:
        self.state = state
