"""Impact replay: run a corpus through two rulesets and report what an edit changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.check import check
from engine.message import Message
from engine.ruleset import RuleSet

EXAMPLES_KEPT = 3


@dataclass
class RuleDelta:
    """How one rule's findings changed: messages it now flags, and messages it no longer flags."""

    added: int = 0
    removed: int = 0
    added_examples: list[str] = field(default_factory=list)
    removed_examples: list[str] = field(default_factory=list)


@dataclass
class Impact:
    """The effect of replacing ``old`` rules with ``new`` on a corpus."""

    old_version: str
    new_version: str
    total: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    rules: dict[str, RuleDelta] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        """Messages whose verdict changed."""
        return sum(n for (a, b), n in self.transitions.items() if a != b)


def replay(old: RuleSet, new: RuleSet, messages: Iterable[Message]) -> Impact:
    """Check every message with both rulesets and tally the differences."""
    impact = Impact(old.version, new.version)
    for msg in messages:
        a, b = check(msg, old), check(msg, new)
        impact.total += 1
        key = (a.verdict.value, b.verdict.value)
        impact.transitions[key] += 1
        if key[0] != key[1]:
            _keep(impact.examples.setdefault(key, []), msg)
        old_rules = {r for f in a.findings for r in f.rule_ids}  # merged ones too
        new_rules = {r for f in b.findings for r in f.rule_ids}
        for rule_id in new_rules - old_rules:
            delta = impact.rules.setdefault(rule_id, RuleDelta())
            delta.added += 1
            _keep(delta.added_examples, msg)
        for rule_id in old_rules - new_rules:
            delta = impact.rules.setdefault(rule_id, RuleDelta())
            delta.removed += 1
            _keep(delta.removed_examples, msg)
    return impact


def _keep(bucket: list[str], msg: Message) -> None:
    if len(bucket) < EXAMPLES_KEPT:
        bucket.append(f"{msg.id}: {msg.text}" if msg.id else msg.text)
