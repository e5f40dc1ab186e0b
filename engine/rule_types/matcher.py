"""Matchers: what a rule looks for — list words (skeleton view) and regexes (folded view)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from engine.rule_types.context import Context


_PLAIN = re.compile(r"^[\w\u3400-\u9fff]+$")


def _is_plain(pattern: str) -> bool:
    """A pattern of letters, digits and CJK only, with no regex syntax (lower case)."""
    return bool(_PLAIN.match(pattern)) and pattern == pattern.lower() and "_" not in pattern


def combine(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One alternation of all patterns: most messages match none, and one scan tells."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    except re.error:  # e.g. a global inline flag that is only valid at the start
        return None


class Span(NamedTuple):
    """A span of the original text found by a matcher."""

    start: int
    end: int
    evasion: str | None = None


_new_span = tuple.__new__  # Span without the NamedTuple constructor layer (hot loops)


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled MatcherSpec."""

    list_ids: tuple[int, ...]
    allow_ids: tuple[int, ...]
    regex: re.Pattern[str] | None  # all patterns in one; None when it would not compile
    regexes: tuple[re.Pattern[str], ...]
    gate: int | None  # gate list: literals one of which every regex match contains
    whole_word: bool
    on_original: bool = False
    zones: frozenset[str] | None = None  # parts of the message whose matches count
    also: Matcher | None = None  # must be found too (MatcherSpec.also)
    but_not: Matcher | None = None  # must not be found (MatcherSpec.but_not)
    # a text it finds nothing in matches no regex: the required literals or first characters
    # of each pattern (literals.prefilter_for, case-sensitive, folded view), else one class
    # of first characters (literals.first_chars); None when it cannot tell
    prefilter: re.Pattern[str] | None = None
    # per regex, the literal groups (skeleton forms) the skeleton must hold one of each for
    # it to match (literals.required_groups: 回报 and 月 for "\d+个?月.{0,6}回报"); None when
    # that tells no more than ``gate``. Tested only once the gate is open, with ``in``: as
    # gates in the automaton they cost every message more than they saved
    needs: tuple[tuple[tuple[str, ...], ...], ...] | None = None

    def _closed(self, ctx: Context) -> bool:
        """Tell whether the gates rule every regex out (it lacks one of its literals)."""
        if self.gate is not None and self.gate not in ctx.hits.gates:
            return True
        if self.needs is None:
            return False
        skel = ctx.norm.skeleton.text
        for groups in self.needs:
            for group in groups:
                for key in group:
                    if key in skel:
                        break
                else:
                    break  # a group none of whose literals is in the text
            else:
                return False  # every group of this regex is there: it may match
        return True

    def _may_match(self, text: str) -> bool:
        """Tell whether the regexes can match ``text``: their prefilter's test."""
        return self.prefilter is None or self.prefilter.search(text) is not None

    def _context_holds(self, ctx: Context) -> bool:
        """Tell whether the ``also``/``but_not`` conditions hold for the message."""
        if self.also is not None and not self.also.found(ctx):
            return False
        return self.but_not is None or not self.but_not.found(ctx)

    @property
    def _plain(self) -> bool:
        return self.also is None and self.but_not is None

    def inside(self, ctx: Context, spans: list[Span]) -> list[Span]:
        """The spans that lie inside the matcher's zones."""
        if self.zones is None or not spans:
            return spans
        allowed = ctx.zone_spans(self.zones)
        if len(allowed) == 1:  # the usual case: the body alone, or the whole message
            ((a, b),) = allowed
            return [s for s in spans if a <= s[0] and s[1] <= b]
        return [s for s in spans if any(a <= s.start and s.end <= b for a, b in allowed)]

    def triggers(self) -> frozenset[int] | None:
        """List and gate ids one of which must be hit for this matcher to match (None: any)."""
        ids = set(self.list_ids)
        if self.regexes:
            if self.gate is None:
                return None
            ids.add(self.gate)
        return frozenset(ids)

    def spans(self, ctx: Context) -> list[Span]:
        """Every match in the message, as original-text spans; overlapping ones merged."""
        out: list[Span] = []
        # a closed gate means no regex can match (the rule ran for a word hit)
        if self.regex is not None and not self._closed(ctx):
            folded = ctx.norm.folded
            if not self._may_match(ctx.text if self.on_original else folded.text):
                pass
            elif self.on_original or folded.is_source:
                text = ctx.text if self.on_original else folded.text
                out = [
                    _new_span(Span, (m.start(), m.end(), None))
                    for m in self.regex.finditer(text)
                    if m.end() > m.start()
                ]
            else:
                to_original = ctx.norm.folded_span
                out = [
                    Span(*to_original(m.start(), m.end()))
                    for m in self.regex.finditer(folded.text)
                    if m.end() > m.start()
                ]
        if self.list_ids and ctx.hits.any(self.list_ids):
            hits = ctx.hits.of(self.list_ids, self.allow_ids + ctx.global_allow)
            if self.whole_word:
                from engine.word_boundaries import on_word_boundaries

                hits = [h for h in hits if on_word_boundaries(ctx.norm, h)]
            listed = [_new_span(Span, (h.orig_start, h.orig_end, h.evasion)) for h in hits]
            out.extend(outside_links(ctx, listed) if listed else listed)
        if self.zones is not None:
            out = self.inside(ctx, out)
        if out and not self._plain and not self._context_holds(ctx):
            return []
        return merge_spans(out) if len(out) > 1 else out

    def first(self, ctx: Context) -> Span | None:
        """The earliest match, or None (one combined search instead of every match)."""
        if (
            self.regex is None
            or self.list_ids
            or self.whole_word
            or self.zones is not None
            or not self._plain
        ):
            spans = self.spans(ctx)
            return spans[0] if spans else None
        if self._closed(ctx):
            return None
        if not self._may_match(ctx.text if self.on_original else ctx.norm.folded.text):
            return None
        if self.on_original:
            m = self.regex.search(ctx.text)
            return Span(m.start(), m.end()) if m else None
        m = self.regex.search(ctx.norm.folded.text)
        return Span(*ctx.norm.folded_span(m.start(), m.end())) if m else None

    def last_end(self, ctx: Context) -> Span | None:
        """The match that ends last, or None (one pass of the combined regex)."""
        if (
            self.regex is None
            or self.list_ids
            or self.whole_word
            or self.zones is not None
            or not self._plain
        ):
            spans = self.spans(ctx)
            return max(spans, key=lambda s: s.end) if spans else None
        if self._closed(ctx):
            return None
        text = ctx.text if self.on_original else ctx.norm.folded.text
        if not self._may_match(text):
            return None
        last = None
        for m in self.regex.finditer(text):
            if m.end() > m.start():
                last = m
        if last is None:
            return None
        if self.on_original:
            return Span(last.start(), last.end())
        return Span(*ctx.norm.folded_span(last.start(), last.end()))

    def found(self, ctx: Context) -> bool:
        """Tell whether anything matches (cheaper than ``spans`` when it does)."""
        if self._plain:
            return self._found(ctx)
        return self._found(ctx) and self._context_holds(ctx)

    def _found(self, ctx: Context) -> bool:
        if self.zones is not None:
            return self._found_in_zones(ctx)
        if self.list_ids and not self.whole_word and ctx.hits.any(self.list_ids):
            # a word hit no allow phrase contains settles it without any regex; the global
            # allow-list counts here as in ``spans`` (冷冻柜 is no 冻 for a ``when`` either)
            allow = self.allow_ids + ctx.global_allow if ctx.global_allow else self.allow_ids
            if not allow or ctx.hits.of(self.list_ids, allow):
                return True
        if self.regexes:
            text = ctx.text if self.on_original else ctx.norm.folded.text
            if self._closed(ctx) or not self._may_match(text):
                pass
            elif self.regex is not None:
                if self.regex.search(text):
                    return True
            elif any(rx.search(text) for rx in self.regexes):
                return True
        return bool(self.list_ids) and ctx.hits.any(self.list_ids) and bool(self.spans(ctx))

    def _found_in_zones(self, ctx: Context) -> bool:
        """``found`` for a zoned matcher: stops at the first match inside the zones."""
        allowed = None
        if self.list_ids and ctx.hits.any(self.list_ids):
            allowed = ctx.zone_spans(self.zones or frozenset())
            for h in ctx.hits.of(self.list_ids, self.allow_ids + ctx.global_allow):
                if any(a <= h.orig_start and h.orig_end <= b for a, b in allowed):
                    if not self.whole_word:
                        return True
                    from engine.word_boundaries import on_word_boundaries

                    if on_word_boundaries(ctx.norm, h):
                        return True
        if not self.regexes or self._closed(ctx):
            return False
        text = ctx.text if self.on_original else ctx.norm.folded.text
        if not self._may_match(text):
            return False
        head = None
        if self.regex is not None:
            head = self.regex.search(text)
            if head is None:
                return False  # the common case: one search, no zones needed
        if allowed is None:
            allowed = ctx.zone_spans(self.zones or frozenset())
        to_original = None if self.on_original else ctx.norm.folded_span
        for rx in (self.regex,) if self.regex is not None else self.regexes:
            # the search's match is finditer's first: test it, then go on from its end
            # instead of searching the text again from the start
            matches: Iterable[re.Match[str]] = rx.finditer(text)
            if head is not None and head.end() > head.start():
                matches = chain((head,), rx.finditer(text, head.end()))
            for m in matches:
                if m.end() == m.start():
                    continue
                s, e = m.span() if to_original is None else to_original(m.start(), m.end())
                if any(a <= s and e <= b for a, b in allowed):
                    return True
        return False


def outside_links(ctx: Context, spans: list[Span]) -> list[Span]:
    """Drop word hits inside a link: a domain or path is no claim (xinshi-sale.top/1111 is not
    the superlative top1, read with the slash as noise)."""
    from engine.rule_types.link import find_links  # link imports this module

    links = find_links(ctx)
    if not links:
        return spans
    return [s for s in spans if not any(lk.start <= s[0] and s[1] <= lk.end for lk in links)]


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sort spans and merge overlapping ones (全网最低 + 最低价 -> 全网最低价).

    A merged span keeps the first evasion (in that order) of the spans it joins.
    """
    if len(spans) < 2:
        return spans
    spans.sort(key=_span_order)
    out: list[Span] = []
    cur = spans[0]
    cs, ce, cv = cur
    changed = False
    for s in islice(spans, 1, None):
        start, end, evasion = s
        if start < ce:
            if end > ce or (evasion and not cv):
                ce = end if end > ce else ce
                cv = cv or evasion
                changed = True
        else:
            out.append(_new_span(Span, (cs, ce, cv)) if changed else cur)
            cur, changed = s, False
            cs, ce, cv = s
    out.append(_new_span(Span, (cs, ce, cv)) if changed else cur)
    return out


def _span_order(s: Span) -> tuple[int, int]:
    return (s[0], -s[1])
