"""normalize -> match -> rules -> verdict, for one message."""

from __future__ import annotations

from datetime import date, datetime

from engine.match import Hits
from engine.message import BEIJING, Message, make_message
from engine.normalize import normalize
from engine.rule_types.context import Context
from engine.ruleset import RuleSet, shipped_ruleset
from engine.verdict import Finding, Verdict, decide, merge_findings


def _day(msg: Message) -> date:
    """The Beijing date that decides which dated rules are in force."""
    return (msg.send_at or datetime.now(BEIJING)).astimezone(BEIJING).date()


def check(message: Message | str, ruleset: RuleSet | None = None) -> Verdict:
    """Check one message against a ruleset (the shipped rules by default)."""
    rs = ruleset if ruleset is not None else shipped_ruleset()
    msg = make_message(message) if isinstance(message, str) else message
    rs.validate(msg)
    norm = normalize(msg.text)
    hits: Hits = rs.lexicon.scan(norm)
    ctx = Context(msg, norm, hits, rs.profile(msg.profile), rs.global_allow)
    findings: list[Finding] = []
    day = _day(msg) if rs.dated else None
    for rule in rs.by_type[msg.type].select(hits.triggered()):
        if rule.scoped and not rule.meta.applies(msg, day):
            continue
        findings.extend(rule.evaluate(ctx))
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
