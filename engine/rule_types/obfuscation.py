"""obfuscation: a listed word disguised with inserted symbols or an evasive spelling.

最*低*价, 加 V 信, 微❤信, 加威信, 加微微信, 发漂, dubo: providers treat the disguise itself
as a violation (Aliyun: 禁止使用…变体字、异体字、各类干扰符号). Looks at the hits of every
deny list used by the rules of ``categories`` (all deny lists when empty).
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.match import EVASIVE
from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.context import Context
from engine.rule_types.matcher import Span, merge_spans, outside_links
from engine.spellings import EVASIONS, Evasion
from engine.verdict import Finding

_ALL: tuple[Evasion, ...] = EVASIONS
_new_span = tuple.__new__  # Span without the NamedTuple constructor layer (hot loop)


class Obfuscation(Rule):
    """Runtime ``obfuscation`` rule."""

    __slots__ = ("evasions", "list_ids")

    def __init__(self, meta: RuleMeta, evasions: frozenset[str]) -> None:
        super().__init__(meta)
        self.evasions = evasions
        self.list_ids: tuple[int, ...] = ()

    def finish(self, build: Builder) -> None:
        """Watch every deny list of the ruleset."""
        self.list_ids = build.deny_ids()
        self.triggers = frozenset((EVASIVE,))

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report each disguised stretch of text once (overlapping hits merged)."""
        evasions = self.evasions
        spans = [
            _new_span(Span, (h.orig_start, h.orig_end, h.evasion))
            for h in ctx.hits.of(self.list_ids, ctx.global_allow)
            if h.evasion in evasions
        ]
        if spans:
            spans = outside_links(ctx, spans)  # a link's slashes and dots are no disguise
        return [ctx.finding(self.meta, s.start, s.end, s.evasion) for s in merge_spans(spans)]
