"""required / conditional: the message must contain one of some phrases.

``required``: always (for the message types the rule covers). ``conditional``: only when the
``when`` matcher hits, e.g. an air-ticket offer must disclose refund/change terms (退改).
A missing phrase is pointed at where it belongs (``point_at``) or, for conditional rules, at
the words that made it necessary.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.rule_types.matcher import Matcher
from engine.verdict import Finding


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
