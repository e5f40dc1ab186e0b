"""obfuscation: a listed word disguised with inserted symbols or an evasive spelling.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.obfuscation``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.obfuscation import _ALL, Obfuscation
from engine.rule_types.specs.base import RuleSpec
from engine.spellings import Evasion


class ObfuscationSpec(RuleSpec):
    """YAML fields of an ``obfuscation`` rule."""

    KIND: ClassVar[str] = "obfuscation"
    kind: Literal["obfuscation"] = "obfuscation"
    evasions: list[Evasion] = Field(default_factory=lambda: list(_ALL))

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule; the lists are bound once all rules are compiled."""
        return Obfuscation(meta, frozenset(self.evasions))
