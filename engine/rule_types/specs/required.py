"""required / conditional: the message must contain one of some phrases.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.required``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import model_validator

from engine.rule_types.base import Builder, Rule, RuleMeta, context_zones
from engine.rule_types.required import Required
from engine.rule_types.specs.base import RuleSpec
from engine.rule_types.specs.matcher import MatcherSpec


class RequiredSpec(RuleSpec):
    """YAML fields of a ``required`` rule."""

    KIND: ClassVar[str] = "required"
    kind: Literal["required"] = "required"
    any: MatcherSpec
    unless: MatcherSpec | None = None
    point_at: Literal["start", "end", "text"] = "end"

    @model_validator(mode="after")
    def _has_phrases(self) -> RequiredSpec:
        if self.any.empty():
            raise ValueError("any needs at least one of words, lists or patterns")
        return self

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        unless = self.unless.compile(build, meta.id, meta.zones) if self.unless else None
        return Required(
            meta, self.any.compile(build, meta.id, meta.zones), None, unless, self.point_at
        )


class ConditionalSpec(RequiredSpec):
    """YAML fields of a ``conditional`` rule: ``required`` plus a mandatory ``when``."""

    KIND: ClassVar[str] = "conditional"
    kind: Literal["conditional"] = "conditional"  # type: ignore[assignment]
    when: MatcherSpec

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        unless = self.unless.compile(build, meta.id, meta.zones) if self.unless else None
        when = self.when.compile(build, meta.id, context_zones(meta.zones))
        return Required(
            meta, self.any.compile(build, meta.id, meta.zones), when, unless, self.point_at
        )
