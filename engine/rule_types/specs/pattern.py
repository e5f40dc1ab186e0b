"""pattern: regex matches on the folded text, optionally checked by a validator.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.pattern``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.rule_types.base import Builder, Rule, RuleMeta, context_zones
from engine.rule_types.pattern import (
    VALIDATORS,
    PatternRule,
)
from engine.rule_types.specs.base import RuleSpec
from engine.rule_types.specs.matcher import MatcherSpec


class PatternSpec(RuleSpec):
    """YAML fields of a ``pattern`` rule."""

    KIND: ClassVar[str] = "pattern"
    kind: Literal["pattern"] = "pattern"
    patterns: list[str] = Field(min_length=1)
    # luhn: bank card check digit; cn_id: ID number checksum; price_per_day_below: named
    # groups price/days (or price2/days2) give a price per day below ``threshold``
    validate_with: Literal["luhn", "cn_id", "price_per_day_below"] | None = None
    threshold: float = 0.0
    original: bool = False  # run on the original text (special symbols the fold would hide)
    when: MatcherSpec | None = None
    unless: MatcherSpec | None = None

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        match = MatcherSpec(patterns=self.patterns, original=self.original).compile(
            build, meta.id, meta.zones
        )
        when = self.when.compile(build, meta.id, context_zones(meta.zones)) if self.when else None
        unless = self.unless.compile(build, meta.id, meta.zones) if self.unless else None
        check = VALIDATORS[self.validate_with] if self.validate_with else None
        return PatternRule(meta, match, when, unless, check, self.threshold)
