"""forbidden: every hit of the rule's words or patterns is a finding.

Optional ``when`` (another matcher that must also hit somewhere, e.g. a fraud lure together
with a link or a phone number) and ``unless`` (a matcher whose hit excuses the message).
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.rule_types.matcher import Matcher
from engine.verdict import Finding


class Forbidden(Rule):
    """Runtime ``forbidden`` rule."""

    __slots__ = ("limit", "match", "unless", "when")

    def __init__(
        self,
        meta: RuleMeta,
        match: Matcher,
        when: Matcher | None,
        unless: Matcher | None,
        limit: int,
    ) -> None:
        super().__init__(meta, match.triggers())
        self.match, self.when, self.unless, self.limit = match, when, unless, limit

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report each match, if the ``when``/``unless`` context allows."""
        spans = self.match.spans(ctx)
        if not spans:
            return ()
        if self.when is not None and not self.when.found(ctx):
            return ()
        if self.unless is not None and self.unless.found(ctx):
            return ()
        return [ctx.finding(self.meta, s.start, s.end, s.evasion) for s in spans[: self.limit]]
