"""contact: phone numbers, QQ numbers, WeChat IDs, e-mail addresses and links, in any form.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.contact``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.normalize import fold
from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.contact import (
    ContactKind,
    ContactRule,
    Evasion,
)
from engine.rule_types.contact_scan import LABEL_LITERALS
from engine.rule_types.specs.base import RuleSpec


class ContactSpec(RuleSpec):
    """YAML fields of a ``contact`` rule."""

    KIND: ClassVar[str] = "contact"
    kind: Literal["contact"] = "contact"
    kinds: list[ContactKind] = Field(min_length=1)
    allow_words: list[str] = Field(default_factory=list)
    invite_words: list[str] = Field(default_factory=list)
    only_invited: bool = False
    evasions: list[Evasion] | None = None
    window: int = Field(default=12, ge=1, le=40)

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        return ContactRule(
            meta,
            build.gate(LABEL_LITERALS, meta.id),
            frozenset(self.kinds),
            tuple(fold(w).lower() for w in self.allow_words),
            tuple(fold(w).lower() for w in self.invite_words),
            self.only_invited,
            frozenset(self.evasions) if self.evasions is not None else None,
            self.window,
        )
