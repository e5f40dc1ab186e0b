"""length: billed length and segments (see ``engine.segments``).

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.length``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.length import LengthRule
from engine.rule_types.specs.base import RuleSpec


class LengthSpec(RuleSpec):
    """YAML fields of a ``length`` rule."""

    KIND: ClassVar[str] = "length"
    kind: Literal["length"] = "length"
    check: Literal["max", "segments", "boundary", "gsm7"]
    max_chars: int = Field(default=500, ge=1)
    slack: int = Field(default=5, ge=1)

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        return LengthRule(meta, self.check, self.max_chars, self.slack)
