"""Character sets of parsed regex items, as sorted code point ranges (for the regex lint).

Exact over the Basic Multilingual Plane, with IGNORECASE case folding (the rules compile with
it). A class that can match any astral character (``\\d``, ``\\w``, negations) is taken to
match all of them: comparisons then only ever find more overlap, never less.
"""

from __future__ import annotations

import re
import re._constants as _c
from functools import lru_cache
from typing import Any

Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive code point ranges
Item = tuple[Any, Any]
_ASTRAL: Ranges = ((0x10000, 0x10FFFF),)


@lru_cache(maxsize=512)
def in_set(items: tuple[Item, ...]) -> Ranges:
    negate = bool(items) and items[0][0] is _c.NEGATE
    parts: list[Ranges] = []
    for op, av in items[1:] if negate else items:
        if op is _c.LITERAL:
            parts.append(((av, av),))
        elif op is _c.RANGE:
            parts.append(((av[0], av[1]),))
        elif op is _c.CATEGORY:
            parts.append(_category(av))
    positive = case_closed(union(parts))
    return complement(positive) if negate else positive


_CATEGORY_REGEX = {
    _c.CATEGORY_DIGIT: (r"\d", True),
    _c.CATEGORY_NOT_DIGIT: (r"\D", True),
    _c.CATEGORY_SPACE: (r"\s", False),
    _c.CATEGORY_NOT_SPACE: (r"\S", True),
    _c.CATEGORY_WORD: (r"\w", True),
    _c.CATEGORY_NOT_WORD: (r"\W", True),
}


@lru_cache(maxsize=16)
def _category(cat: Any) -> Ranges:
    """Exact BMP ranges of a category; all astral characters when it has any (see module)."""
    regex, astral = _CATEGORY_REGEX.get(cat, (r"[\s\S]", True))
    bmp = "".join(map(chr, range(0x10000)))
    found = tuple((m.start(), m.end() - 1) for m in re.finditer(regex + "+", bmp))
    return found + _ASTRAL if astral else found


def case_closed(ranges: Ranges) -> Ranges:
    """Add the other case of every cased letter (the rules compile with IGNORECASE)."""
    extra: list[tuple[int, int]] = []
    for lo, hi in ranges:
        for a, b, shift in ((65, 90, 32), (97, 122, -32)):
            s, e = max(lo, a), min(hi, b)
            if s <= e:
                extra.append((s + shift, e + shift))
        if hi - lo < 512:
            for cp in range(max(lo, 128), min(hi, 0xFFFF) + 1):
                for other in (chr(cp).lower(), chr(cp).upper()):
                    if len(other) == 1 and other != chr(cp):
                        extra.append((ord(other), ord(other)))
    return union([ranges, tuple(extra)]) if extra else ranges


def union(parts: list[Ranges]) -> Ranges:
    spans = sorted(r for part in parts for r in part)
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= 0x10FFFF:
        out.append((nxt, 0x10FFFF))
    return tuple(out)


def intersect(a: Ranges, b: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def difference(a: Ranges, b: Ranges) -> Ranges:
    return intersect(a, complement(b))


def overlap(a: Ranges | None, b: Ranges) -> bool:
    return bool(a) and bool(intersect(a or (), b))
