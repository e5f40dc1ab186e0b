"""link: URLs in the message, their hosts and how many there are.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.link``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.link import (
    LinkRule,
)
from engine.rule_types.specs.base import RuleSpec


class LinkSpec(RuleSpec):
    """YAML fields of a ``link`` rule."""

    KIND: ClassVar[str] = "link"
    kind: Literal["link"] = "link"
    check: Literal[
        "any", "raw_ip", "shortener", "short_code", "listed", "not_allowlisted", "count", "download"
    ]
    domains: list[str] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list)  # files under rules/lists with domains
    max_links: int = Field(default=1, ge=0)

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        domains = {d.strip().lower() for d in self.domains}
        for name in self.lists:
            domains.update(w.strip().lower() for w in build.file_words(name))
        return LinkRule(meta, self.check, frozenset(domains), self.max_links)
