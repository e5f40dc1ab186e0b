"""normalize -> match -> rules -> verdict, for one message."""

from __future__ import annotations

import gc
from datetime import date, datetime
from time import perf_counter, thread_time
from typing import Any

from engine.match import Hits
from engine.message import BEIJING, Message, make_message
from engine.normalize import normalize, tone_marked
from engine.rule_types.context import Context
from engine.rule_types.frame import apply_frames
from engine.ruleset import RuleSet, shipped_ruleset
from engine.verdict import Finding, Verdict, decide, merge_findings
from engine.word_boundaries import SEGMENTER


class _Pauses:
    """Seconds spent on work that is no message's fault: garbage collection (a full
    collection takes ~40 ms here) and loading jieba once."""

    def __init__(self) -> None:
        self.gc = 0.0
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] == 0:
            return  # young collections take microseconds
        if phase == "start":
            self._started = perf_counter()
        else:
            self.gc += perf_counter() - self._started

    def total(self) -> float:
        """Seconds paused so far (compare two readings)."""
        return self.gc + SEGMENTER.setup_seconds


_PAUSES = _Pauses()
_MARK = 0.001  # seconds of wall time before a check starts reading its CPU clock


class _Meter:
    """Whether a check has used its CPU budget, reading clocks as rarely as that allows.

    The thread's CPU clock is a system call (1-9 µs on a VM); most checks end within
    ``_MARK`` of wall time and never read it. A longer one starts counting CPU there (so it
    may overrun by up to ``_MARK``); CPU time less pauses decides, so a worker that is
    descheduled or collects garbage does not turn a message into a review. After each CPU
    reading the next one waits until the wall clock could have let the rest of the budget go
    by (a thread's CPU time never runs ahead of the wall clock), so a check that was merely
    descheduled reads it a few times, not after every rule.
    """

    __slots__ = ("cpu0", "limit", "paused0", "wake")

    def __init__(self, limit: float | None) -> None:
        self.limit = limit if limit is not None else float("inf")
        self.wake = perf_counter() + _MARK if limit is not None else float("inf")
        self.cpu0 = self.paused0 = -1.0

    def over(self, now: float) -> bool:
        """Tell whether the CPU used since the mark exceeds the budget (call after ``wake``;
        ``now`` is the wall clock read for that test)."""
        if self.cpu0 < 0:
            self.cpu0, self.paused0 = thread_time(), _PAUSES.total()
            self.wake = now + self.limit
            return False
        used = thread_time() - self.cpu0 - (_PAUSES.total() - self.paused0)
        if used > self.limit:
            return True
        self.wake = now + (self.limit - used)
        return False


# Rules between two reads of the wall clock (itself a system call on some VMs, ~1 µs): a
# check notices an overrun at most this many rules late.
_EVERY = 4


def _day(msg: Message) -> date:
    """The Beijing date that decides which dated rules are in force."""
    return (msg.send_at or datetime.now(BEIJING)).astimezone(BEIJING).date()


def check(message: Message | str, ruleset: RuleSet | None = None) -> Verdict:
    """Check one message against a ruleset (the shipped rules by default)."""
    rs = ruleset if ruleset is not None else shipped_ruleset()
    msg = make_message(message) if isinstance(message, str) else message
    rs.validate(msg)
    budget = rs.budget
    meter = _Meter(budget.seconds(len(msg.text)) if budget is not None else None)
    # the pinyin readings only when a tone mark may need them (built on first use)
    norm = normalize(msg.text, rs.lexicon.readings if tone_marked(msg.text) else None)
    hits: Hits = rs.lexicon.scan(norm)
    ctx = Context(msg, norm, hits, rs.profile(msg.profile), rs.global_allow)
    findings: list[Finding] = []
    ctx.findings = findings  # late rules (kind: model) read what the others found
    day = _day(msg) if rs.dated else None
    rules = rs.by_type[msg.type].select_for(hits.triggered(), msg, day)
    for i, rule in enumerate(rules):
        findings.extend(rule.evaluate(ctx))
        if (
            budget is not None
            and i % _EVERY == _EVERY - 1
            and (now := perf_counter()) > meter.wake
            and meter.over(now)
        ):
            limit_ms, skipped = round(meter.limit * 1e3), len(rules) - i - 1
            findings.append(ctx.finding(budget.meta, 0, 0, limit_ms=limit_ms, skipped=skipped))
            break
    if rs.frames and findings:
        findings = apply_frames(ctx, findings, rs.frames)
    findings = merge_findings(findings)
    size = ctx.size
    return Verdict(
        id=msg.id,
        verdict=decide(findings),
        findings=tuple(findings),
        segments=size.segments,
        chars=size.chars,
        ruleset_version=rs.version,
        ruleset_commit=rs.commit,
    )
