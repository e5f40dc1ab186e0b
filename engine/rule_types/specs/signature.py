"""signature: one 【签名】 of 2–12 characters at the start, naming the sender.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.signature``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.normalize import fold
from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.signature import (
    SignatureRule,
)
from engine.rule_types.specs.base import RuleSpec


class SignatureSpec(RuleSpec):
    """YAML fields of a ``signature`` rule."""

    KIND: ClassVar[str] = "signature"
    kind: Literal["signature"] = "signature"
    check: Literal["missing", "length", "charset", "generic", "extra_brackets", "not_approved"]
    min_len: int = Field(default=2, ge=1)
    max_len: int = Field(default=12, ge=1)
    names: list[str] = Field(default_factory=list)  # generic names, or the approved list

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        names = frozenset(fold(n.strip()) for n in self.names)
        return SignatureRule(meta, self.check, self.min_len, self.max_len, names)
