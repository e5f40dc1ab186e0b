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
    evasion: str | None = None  # how the words were disguised (engine.spellings.EVASIONS)


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
