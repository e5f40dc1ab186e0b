"""forbidden: every hit of the rule's words or patterns is a finding.

Optional ``when`` (another matcher that must also hit somewhere, e.g. a fraud lure together
with a link or a phone number) and ``unless`` (a matcher whose hit excuses the message).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from engine.rule_types.base import Builder, Rule, RuleMeta, RuleSpec, context_zones
from engine.rule_types.context import Context
from engine.rule_types.matcher import Matcher, MatcherSpec
from engine.verdict import Finding


class ForbiddenSpec(RuleSpec):
    """YAML fields of a ``forbidden`` rule."""

    KIND: ClassVar[str] = "forbidden"
    kind: Literal["forbidden"] = "forbidden"
    match: MatcherSpec
    when: MatcherSpec | None = None
    unless: MatcherSpec | None = None
    max_findings: int = Field(default=20, ge=1)

    @model_validator(mode="after")
    def _has_words(self) -> ForbiddenSpec:
        if self.match.empty():
            raise ValueError("match needs at least one of words, lists or patterns")
        return self

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        when = self.when.compile(build, meta.id, context_zones(meta.zones)) if self.when else None
        unless = self.unless.compile(build, meta.id, meta.zones) if self.unless else None
        return Forbidden(
            meta, self.match.compile(build, meta.id, meta.zones), when, unless, self.max_findings
        )


class Forbidden(Rule):
    """Runtime ``forbidden`` rule."""

    __slots__ = ("limit", "match", "unless", "when")

    def __init__(
        self,
        meta: RuleMeta,
        match: Matcher,
        when: Matcher | None,
        unless: Matcher | None,
        limit: int,
    ) -> None:
        super().__init__(meta, match.triggers())
        self.match, self.when, self.unless, self.limit = match, when, unless, limit

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report each match, if the ``when``/``unless`` context allows."""
        spans = self.match.spans(ctx)
        if not spans:
            return ()
        if self.when is not None and not self.when.found(ctx):
            return ()
        if self.unless is not None and self.unless.found(ctx):
            return ()
        return [ctx.finding(self.meta, s.start, s.end, s.evasion) for s in spans[: self.limit]]
