"""A string whose characters each know where they came from in the original text, and the
marks that say where an evasion was undone (engine.normalize builds both)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_CJK = "\u3400-\u9fff"


class View:
    """A normalized string whose characters each know their index in a source string.

    Either ``starts`` lists the source index of every character (views with multi-character
    folds), or ``removed`` is the regex whose matches were deleted from ``source``; the map
    is then built on first use, as run offsets searched by bisection.
    """

    __slots__ = ("_ends", "_keys", "_removed", "_shift", "_source", "_starts", "permuted", "text")

    def __init__(
        self,
        text: str,
        *,
        source: str | None = None,
        removed: re.Pattern[str] | None = None,
        starts: tuple[int, ...] | None = None,
        permuted: bool = False,
        ends: tuple[int, ...] | None = None,
    ) -> None:
        self.text = text
        self._source = source
        self._removed = removed
        self._starts = starts
        # ``starts`` alone does not map spans: part of the text was read backwards (倒着读),
        # or a character stands for several (稳 for wěn); spans map by min(starts), max(ends)
        self.permuted = permuted
        self._ends = ends  # source index past each character (with ``permuted``; None: +1)
        self._keys: list[int] | None = None
        self._shift: list[int] = []

    @property
    def is_source(self) -> bool:
        """Tell whether the view has the same characters at the same indices as its source."""
        return self._starts is None and self._removed is None

    def _position(self, i: int) -> int:
        if self._starts is not None:
            if i < len(self._starts):
                return self._starts[i]
            return self._starts[-1] + 1 if self._starts else 0
        if self._removed is None or self._source is None:
            return i
        if self._keys is None:
            keys: list[int] = []
            removed = 0
            for m in self._removed.finditer(self._source):
                keys.append(m.start() - removed)  # first view index shifted by this run
                removed += m.end() - m.start()
                self._shift.append(removed)
            self._keys = keys
        k = bisect_right(self._keys, i)
        return i + (self._shift[k - 1] if k else 0)

    def count_before(self, i: int) -> int:
        """How many characters of the view come from source characters before index ``i``,
        0 <= i <= len(source) (``starts`` in order, or a ``removed`` view; O(log n) once the
        map is built)."""
        if self._starts is not None:
            return bisect_left(self._starts, i)
        if self._removed is None or self._source is None:
            return i
        self._position(0)  # builds the run map: keys and cumulative shifts
        keys, shift = self._keys or [], self._shift
        # run k of removed characters starts at source index keys[k] + shift[k - 1]
        lo, hi = 0, len(keys)
        while lo < hi:
            mid = (lo + hi) // 2
            if keys[mid] + (shift[mid - 1] if mid else 0) < i:
                lo = mid + 1
            else:
                hi = mid
        if not lo:
            return i
        k = lo - 1  # the last run that starts before i
        run_start = keys[k] + (shift[k - 1] if k else 0)
        run_end = keys[k] + shift[k]
        return i - shift[k] if i >= run_end else run_start - (shift[k - 1] if k else 0)

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map the view span [start, end) to a span of the source string."""
        if start >= end:
            pos = self._position(start)
            return pos, pos
        if self.permuted and self._starts is not None and end <= len(self._starts):
            span = self._starts[start:end]
            if self._ends is not None:
                return min(span), max(self._ends[start:end])
            return min(span), max(span) + 1
        return self._position(start), self._position(end - 1) + 1


Mark = tuple[int, int, str]  # original span where an evasion was undone, and its name


def _is_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
