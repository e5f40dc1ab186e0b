"""Findings -> Verdict: allow, review or block, with segments and the ruleset version."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple


class Severity(StrEnum):
    """How bad a finding is. block -> block, warn -> review, info -> allow with a note."""

    BLOCK = "block"
    WARN = "warn"
    INFO = "info"


class Decision(StrEnum):
    """What to do with the message."""

    ALLOW = "allow"
    REVIEW = "review"
    BLOCK = "block"


class Finding(NamedTuple):
    """One problem, pointed at the characters ``text[start:end]`` of the original message."""

    rule_id: str
    category: str
    severity: Severity
    start: int
    end: int
    matched: str
    message: str
    suggestion: str
    source: str
    evasion: str | None = None  # how the text was disguised (the README lists the names)
    related: tuple[str, ...] = ()  # rules whose findings on the same characters merged into this
    frame: str | None = None  # the frame (rules/frames.yaml) that made this finding a note

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """This finding's rule and the rules merged into it."""
        return (self.rule_id, *self.related)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one message. The field names are the stable output contract."""

    id: str | None
    verdict: Decision
    findings: tuple[Finding, ...]
    segments: int
    chars: int
    ruleset_version: str  # content hash of the rule files
    ruleset_commit: str | None = None  # git commit of the rules, when they are in a checkout
    # engagement block, only from engine.score.check_scored; absent from to_dict() when None
    score: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the verdict as plain JSON-ready data."""
        findings = []
        for f in self.findings:
            item = f._asdict()
            item["severity"] = f.severity.value
            item["related"] = list(f.related)
            findings.append(item)
        return {
            "id": self.id,
            "verdict": self.verdict.value,
            "findings": findings,
            "segments": self.segments,
            "chars": self.chars,
            "ruleset_version": self.ruleset_version,
            "ruleset_commit": self.ruleset_commit,
            **({"score": self.score} if self.score is not None else {}),
        }

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings that block the message."""
        return tuple(f for f in self.findings if f.severity is Severity.BLOCK)


def decide(findings: list[Finding]) -> Decision:
    """Block on any block finding, review on any warn, otherwise allow."""
    severities = {f.severity for f in findings}
    if Severity.BLOCK in severities:
        return Decision.BLOCK
    if Severity.WARN in severities:
        return Decision.REVIEW
    return Decision.ALLOW


# Categories about how a message is written rather than what it says: on the same characters a
# content finding (contact_diversion, fraud ...) explains the problem better.
FORM_CATEGORIES = frozenset({"format", "length"})
_RANK = {Severity.BLOCK: 0, Severity.WARN: 1, Severity.INFO: 2}


def _specificity(f: Finding) -> tuple[int, int, int, str]:
    """Sort key: the finding that best explains a stretch of text comes first."""
    return (_RANK[f.severity], f.category in FORM_CATEGORIES, f.start - f.end, f.rule_id)


def merge_findings(findings: list[Finding]) -> list[Finding]:
    """One finding per problem: findings on the same span, or inside another finding's span,
    become one.

    The kept finding is the most specific: higher severity first, then a content category
    over a form one (format, length), then the wider span, then the rule id. It keeps its
    rule, message, fix and source, lists the other rules in ``related``, and points at the
    outer span (so deleting it removes what every merged finding pointed at); its
    ``evasion`` is its own or the first one a merged finding saw. Findings about something
    missing (``start == end``) are never merged. Returns findings in text order.
    """
    spans = sorted(
        (f for f in findings if f.end > f.start), key=lambda f: (f.start, -f.end, _specificity(f))
    )
    if len(spans) < 2:
        return sorted(findings, key=_order)
    groups: list[list[Finding]] = []
    outer_end = -1
    for f in spans:
        if groups and f.end <= outer_end:  # inside the group's outer (first, widest) finding
            groups[-1].append(f)
        else:
            groups.append([f])
            outer_end = f.end
    out = [f for f in findings if f.end == f.start]
    for group in groups:
        if len(group) == 1:
            out.append(group[0])
            continue
        outer = group[0]
        group.sort(key=_specificity)
        keep = group[0]
        related: list[str] = []
        for other in group[1:]:
            for rid in other.rule_ids:
                if rid != keep.rule_id and rid not in related:
                    related.append(rid)
        evasion = keep.evasion or next((g.evasion for g in group if g.evasion), None)
        out.append(
            keep._replace(
                start=outer.start,
                end=outer.end,
                matched=outer.matched,
                related=(*keep.related, *related),
                evasion=evasion,
            )
        )
    return sorted(out, key=_order)


def _order(f: Finding) -> tuple[int, int, str]:
    return (f.start, _RANK[f.severity], f.rule_id)
