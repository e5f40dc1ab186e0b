"""What a scan finds: hits of list words, grouped per list, and the facts that pick rules.

An allow phrase excuses only the deny hits inside it (``Hits.of``); ``Cover`` answers "is
this span inside one of those" in O(log n), so thousands of hits stay cheap.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import NamedTuple

from engine.match.lists import Entry
from engine.normalize import Normalized

# Trigger ids beside list and gate ids: facts about a message that decide which rules run.
EVASIVE = -1  # a hit was disguised (symbols between characters, variant spelling)
HAS_DOT = -2  # the folded text has a "." (a link is possible)
LONG = -3  # more than 70 characters (more than one segment)
LATIN = -4  # mostly ASCII text

# A hit may span noise characters (最*低*价) but not arbitrary stretches of them: at most
# this many removed characters per character of the word.
MAX_NOISE_PER_CHAR = 3


class Hit(NamedTuple):
    """A list word found in a message: skeleton span, original span, and how it was found."""

    start: int
    end: int
    orig_start: int
    orig_end: int
    entry: Entry
    evasion: str | None  # an engine.spellings.EVASIONS name, or None for the plain word

    def overlaps(self, other: Hit) -> bool:
        """Tell whether two hits share at least one skeleton character."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: Hit) -> bool:
        """Tell whether every skeleton character of ``other`` lies inside this hit."""
        return self.start <= other.start and other.end <= self.end


class Hits:
    """All hits of one message, grouped by list, and the gate lists whose literals occur."""

    __slots__ = ("by_list", "gates", "norm")

    def __init__(self, norm: Normalized, by_list: dict[int, list[Hit]], gates: set[int]) -> None:
        self.norm = norm
        self.by_list = by_list
        self.gates = gates

    def of(self, list_ids: Iterable[int], allow_ids: Iterable[int] = ()) -> list[Hit]:
        """Hits of ``list_ids`` that no hit of ``allow_ids`` contains, in text order.

        An allow phrase excuses only the deny hits inside it: 冷冻柜 excuses 冻 but 你 does
        not excuse 操你妈, and 最低气温 does not excuse a 全网最低价 that merely touches it.
        """
        found: list[Hit] = []
        for lid in list_ids:
            found.extend(self.by_list.get(lid, ()))
        if not found:
            return found
        allowed = [h for aid in allow_ids for h in self.by_list.get(aid, ())]
        if allowed:
            inside = Cover(allowed)
            found = [h for h in found if not inside.covers(h.start, h.end)]
        found.sort(key=lambda h: (h.start, -h.end))
        return found

    def any(self, list_ids: Iterable[int]) -> bool:
        """Tell whether any of ``list_ids`` has a hit."""
        return not self.by_list.keys().isdisjoint(list_ids)

    def triggered(self) -> set[int]:
        """Ids of every list with a hit, every gate that is open, and the message facts."""
        ids = self.by_list.keys() | self.gates
        text = self.norm.original
        if "." in self.norm.folded.text:
            ids.add(HAS_DOT)
        if len(text) > 70:
            ids.add(LONG)
        if len(text.encode("ascii", "ignore")) * 10 >= len(text) * 8 and text:
            ids.add(LATIN)
        return ids


class Cover:
    """Spans, ready to tell whether one of them contains a given span (O(log n) each).

    Adversarial text can hold thousands of hits and allow phrases; comparing every pair
    would be quadratic.
    """

    __slots__ = ("_max_end", "_starts")

    def __init__(self, hits: Iterable[Hit]) -> None:
        spans = sorted((h.start, h.end) for h in hits)
        self._starts = [st for st, _ in spans]
        self._max_end: list[int] = []
        top = -1
        for _, end in spans:
            top = max(top, end)
            self._max_end.append(top)

    def covers(self, start: int, end: int) -> bool:
        """Tell whether some span starts at or before ``start`` and ends at or after ``end``."""
        k = bisect_right(self._starts, start)
        return k > 0 and self._max_end[k - 1] >= end


_new_hit = tuple.__new__  # builds a Hit without NamedTuple's argument handling
