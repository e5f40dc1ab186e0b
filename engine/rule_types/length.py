"""length: billed length and segments (see ``engine.segments``).

Checks (one per rule): ``max`` (longer than ``max_chars``), ``segments`` (a note when the
message bills as more than one segment), ``boundary`` (a few characters over a segment
boundary: trimming them saves a segment), ``gsm7`` (mostly Latin text that a few characters
push into UCS-2, for international numbers).
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.match import LATIN, LONG
from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.segments import count_non_gsm7, international_length, non_gsm7_chars
from engine.verdict import Finding


class LengthRule(Rule):
    """Runtime ``length`` rule."""

    __slots__ = ("check", "max_chars", "slack")

    def __init__(self, meta: RuleMeta, check: str, max_chars: int, slack: int) -> None:
        # "max" may be set below 70 by a profile, so only the others wait for LONG/LATIN
        trigger = {"segments": LONG, "boundary": LONG, "gsm7": LATIN}.get(check)
        super().__init__(meta, None if trigger is None else frozenset((trigger,)))
        self.check, self.max_chars, self.slack = check, max_chars, slack

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report the length issue this rule checks."""
        size = ctx.size
        n = size.chars
        if self.check == "max":
            if n <= self.max_chars:
                return ()
            return (ctx.finding(self.meta, self.max_chars, n, n=n, limit=self.max_chars),)
        if self.check == "segments":
            if size.segments <= 1:
                return ()
            return (ctx.finding(self.meta, 0, 0, n=n, segments=size.segments),)
        if self.check == "boundary":
            if size.segments <= 1:
                return ()
            fits = (
                size.single_limit if size.segments == 2 else size.part_limit * (size.segments - 1)
            )
            over = n - fits
            if not 0 < over <= self.slack:
                return ()
            return (ctx.finding(self.meta, fits, n, n=n, over=over, segments=size.segments),)
        return self._gsm7(ctx)

    def _gsm7(self, ctx: Context) -> Iterable[Finding]:
        text = ctx.text
        if len(text.encode("ascii", "ignore")) * 10 < len(text) * 8:
            return ()  # mostly non-ASCII (Chinese): UCS-2 whatever we do
        if count_non_gsm7(text, len(text) // 10) > len(text) // 10:
            return ()  # not "mostly Latin": Chinese text is UCS-2 anyway
        bad = non_gsm7_chars(text)
        if not bad:
            return ()
        skip = set(bad)
        gsm = international_length("".join(c for i, c in enumerate(text) if i not in skip))
        return [
            ctx.finding(self.meta, i, i + 1, gsm_segments=gsm.segments, n=len(text)) for i in bad
        ]
