"""forbidden: every hit of the rule's words or patterns is a finding.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.forbidden``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from engine.rule_types.base import Builder, Rule, RuleMeta, context_zones
from engine.rule_types.forbidden import Forbidden
from engine.rule_types.specs.base import RuleSpec
from engine.rule_types.specs.matcher import MatcherSpec


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
