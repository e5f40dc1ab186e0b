"""normalize -> match -> rules -> verdict, for one message."""

from __future__ import annotations

import gc
from datetime import date, datetime
from time import perf_counter, thread_time
from typing import Any

from engine.match import SEGMENTER, Hits
from engine.message import BEIJING, Message, make_message
from engine.normalize import normalize
from engine.rule_types.context import Context
from engine.ruleset import RuleSet, shipped_ruleset
from engine.verdict import Finding, Verdict, decide

_SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}


class _Pauses:
    """Seconds spent on work that is no message's fault: garbage collection (a full
    collection takes ~40 ms here) and loading jieba once."""

    def __init__(self) -> None:
        self.gc = 0.0
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = perf_counter()
        else:
            self.gc += perf_counter() - self._started

    def total(self) -> float:
        """Seconds paused so far (compare two readings)."""
        return self.gc + SEGMENTER.setup_seconds


_PAUSES = _Pauses()


def _day(msg: Message) -> date:
    """The Beijing date that decides which dated rules are in force."""
    return (msg.send_at or datetime.now(BEIJING)).astimezone(BEIJING).date()


def check(message: Message | str, ruleset: RuleSet | None = None) -> Verdict:
    """Check one message against a ruleset (the shipped rules by default)."""
    rs = ruleset if ruleset is not None else shipped_ruleset()
    msg = make_message(message) if isinstance(message, str) else message
    rs.validate(msg)
    budget = rs.budget
    if budget is not None:
        limit = budget.seconds(len(msg.text))
        wall0, cpu0, paused0 = perf_counter(), thread_time(), _PAUSES.total()
    norm = normalize(msg.text)
    hits: Hits = rs.lexicon.scan(norm)
    ctx = Context(msg, norm, hits, rs.profile(msg.profile), rs.global_allow)
    findings: list[Finding] = []
    day = _day(msg) if rs.dated else None
    rules = rs.by_type[msg.type].select(hits.triggered())
    for i, rule in enumerate(rules):
        if rule.scoped and not rule.meta.applies(msg, day):
            continue
        findings.extend(rule.evaluate(ctx))
        # Wall time first (cheap); CPU time of this thread, less pauses, decides, so a worker
        # that is descheduled or collects garbage does not turn a message into a review.
        if (
            budget is not None
            and perf_counter() - wall0 > limit
            and thread_time() - cpu0 - (_PAUSES.total() - paused0) > limit
        ):
            limit_ms, skipped = round(limit * 1e3), len(rules) - i - 1
            findings.append(ctx.finding(budget.meta, 0, 0, limit_ms=limit_ms, skipped=skipped))
            break
    findings.sort(key=lambda f: (f.start, _SEVERITY_ORDER[f.severity.value], f.rule_id))
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
