"""required / conditional: the message must contain one of some phrases.

``required``: always (for the message types the rule covers). ``conditional``: only when the
``when`` matcher hits, e.g. an air-ticket offer must disclose refund/change terms (退改).
A missing phrase is pointed at where it belongs (``point_at``) or, for conditional rules, at
the words that made it necessary.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

from pydantic import model_validator

from engine.rule_types.base import Builder, Rule, RuleMeta, RuleSpec, context_zones
from engine.rule_types.context import Context
from engine.rule_types.matcher import Matcher, MatcherSpec
from engine.verdict import Finding


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


class Required(Rule):
    """Runtime ``required`` and ``conditional`` rule."""

    __slots__ = ("any", "point_at", "unless", "when")

    def __init__(
        self,
        meta: RuleMeta,
        any_: Matcher,
        when: Matcher | None,
        unless: Matcher | None,
        point_at: str,
    ) -> None:
        super().__init__(meta, when.triggers() if when is not None else None)
        self.any, self.when, self.unless, self.point_at = any_, when, unless, point_at

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report a missing phrase."""
        # cheapest first: one combined search each, the trigger's span only when reporting
        if self.when is not None and not self.when.found(ctx):
            return ()
        if self.any.found(ctx):
            return ()
        if self.unless is not None and self.unless.found(ctx):
            return ()
        if self.when is not None:
            trigger = self.when.first(ctx)
            if trigger is not None:
                return (ctx.finding(self.meta, trigger.start, trigger.end, trigger.evasion),)
            return ()
        n = len(ctx.text)
        start, end = {"start": (0, 0), "end": (n, n), "text": (0, n)}[self.point_at]
        return (ctx.finding(self.meta, start, end),)
