"""placement: a phrase, when present, must sit at the end (or start) of the message.

Providers want the opt-out line last (Aliyun: 「拒收请回复R」 at the end). Trailing noise
(punctuation, spaces, emoji) after the phrase is fine.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.normalize import is_filler
from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.rule_types.matcher import Matcher
from engine.verdict import Finding


class Placement(Rule):
    """Runtime ``placement`` rule."""

    __slots__ = ("at", "match")

    def __init__(self, meta: RuleMeta, match: Matcher, at: str) -> None:
        super().__init__(meta, match.triggers())
        self.match, self.at = match, at

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report a phrase that is present but not in its place."""
        if self.at == "end":
            last = self.match.last_end(ctx)
            if last is None or last.end >= ctx.end_of_content:
                return ()
            return (ctx.finding(self.meta, last.start, last.end),)
        first = self.match.first(ctx)
        if first is None:
            return ()
        lead = ctx.text[: first.start]
        if all(is_filler(c) for c in lead):
            return ()
        return (ctx.finding(self.meta, first.start, first.end),)
