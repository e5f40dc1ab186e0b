"""placement: a phrase, when present, must sit at the end (or start) of the message.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.placement``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.placement import Placement
from engine.rule_types.specs.base import RuleSpec
from engine.rule_types.specs.matcher import MatcherSpec


class PlacementSpec(RuleSpec):
    """YAML fields of a ``placement`` rule."""

    KIND: ClassVar[str] = "placement"
    kind: Literal["placement"] = "placement"
    match: MatcherSpec
    at: Literal["start", "end"] = "end"

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        return Placement(meta, self.match.compile(build, meta.id), self.at)
