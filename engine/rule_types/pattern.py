"""pattern: regex matches on the folded text, optionally checked by a validator.

Validators keep regexes honest about numbers: a bank card must pass the Luhn check and an
18-digit ID number its ISO 7064 checksum before it counts as one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.rule_types.matcher import Matcher, Span, merge_spans
from engine.verdict import Finding


def luhn(digits: str) -> bool:
    """Tell whether a digit string passes the Luhn check (bank cards)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def cn_id(value: str) -> bool:
    """Tell whether an 18-character mainland ID number has a valid check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10x98765432"[total % 11] == value[17].lower()


def price_per_day_below(m: re.Match[str], threshold: float) -> bool:
    """Tell whether a match's ``price`` divided by its ``days`` is below ``threshold``."""
    groups = m.groupdict()
    price = groups.get("price") or groups.get("price2")
    days = groups.get("days") or groups.get("days2")
    if not price or not days or int(days) == 0:
        return False
    return float(price) / int(days) < threshold


def luhn_match(m: re.Match[str], _: float) -> bool:
    """Tell whether a match's digits pass the Luhn check."""
    return luhn(_alnum(m.group(0)))


def cn_id_match(m: re.Match[str], _: float) -> bool:
    """Tell whether a match is an ID number with a valid check character."""
    return cn_id(_alnum(m.group(0)))


# named functions, not lambdas: a compiled ruleset is pickled (engine.ruleset.cache)
Validator = Callable[[re.Match[str], float], bool]
VALIDATORS: dict[str, Validator] = {
    "luhn": luhn_match,
    "cn_id": cn_id_match,
    "price_per_day_below": price_per_day_below,
}


class PatternRule(Rule):
    """Runtime ``pattern`` rule."""

    __slots__ = ("check", "match", "threshold", "unless", "when")

    def __init__(
        self,
        meta: RuleMeta,
        match: Matcher,
        when: Matcher | None,
        unless: Matcher | None,
        check: Validator | None,
        threshold: float,
    ) -> None:
        super().__init__(meta, match.triggers())
        self.match, self.when, self.unless, self.check = match, when, unless, check
        self.threshold = threshold

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report each regex match that passes the validator."""
        spans = self.match.spans(ctx) if self.check is None else self._validated(ctx)
        if not spans:
            return ()
        if self.when is not None and not self.when.found(ctx):
            return ()
        if self.unless is not None and self.unless.found(ctx):
            return ()
        return [ctx.finding(self.meta, s.start, s.end) for s in spans]

    def _validated(self, ctx: Context) -> list[Span]:
        if not self.match.found(ctx):
            return []
        text = ctx.text if self.match.on_original else ctx.folded
        out = []
        for rx in self.match.regexes:
            for m in rx.finditer(text):
                if m.end() > m.start() and self.check is not None and self.check(m, self.threshold):
                    s, e = m.span() if self.match.on_original else ctx.norm.folded_span(*m.span())
                    out.append(Span(s, e))
        return merge_spans(self.match.inside(ctx, out))


_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _alnum(text: str) -> str:
    return _NOT_ALNUM.sub("", text)
