"""Required literals of a regex: a cheap gate before running it.

``(?:机票|航班).{0,30}?\\d+元`` cannot match a text that contains neither 机票 nor 航班, and a
substring test (``in``) costs tens of nanoseconds where the regex costs microseconds. Most
messages match no pattern of most rules, so most regexes are never run.
"""

from __future__ import annotations

import _sre
import re
import re._constants as _c  # Python 3.11+: the parser behind re.compile
import re._parser as _parser
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4096)
def parse_pattern(pattern: str) -> Any:
    """``re``'s parse tree of a rule pattern (ignoring case), read and never changed by
    this module and the regex lint: a ruleset build asks for each pattern five times."""
    return _parser.parse(pattern, re.IGNORECASE)


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Strings one of which every match of ``pattern`` contains (lower case), or None."""
    try:
        parsed = parse_pattern(pattern)
    except re.error:
        return None
    found = _sequence(list(parsed))
    if not found or any(not lit for lit in found):
        return None
    return tuple(sorted({lit.lower() for lit in found}))


def required_groups(pattern: str) -> list[tuple[str, ...]]:
    """Every set of strings of which each match of ``pattern`` contains one (lower case):
    a literal run, a branch whose every alternative has one, a group or a repeat of at least
    one, along the pattern. ``required_literals`` picks the best one; a regex whose every
    group is present is the only one worth running (``\\d+个?月.{0,6}回报`` needs 月 and 回报).
    """
    try:
        parsed = parse_pattern(pattern)
    except re.error:
        return []
    found: list[list[str]] = []
    _groups(list(parsed), found)
    out: dict[tuple[str, ...], None] = {}
    for group in found:
        if group and all(group):
            out[tuple(sorted({lit.lower() for lit in group}))] = None
    return list(out)


def _groups(items: list[tuple[Any, Any]], out: list[list[str]]) -> None:
    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            out.append(["".join(run)])
            run = []
        if op is _c.SUBPATTERN:
            _groups(list(av[-1]), out)
        elif op is _c.BRANCH:
            alts = [_sequence(list(branch)) for branch in av[1]]
            if all(alts):
                out.append([lit for a in alts if a for lit in a])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            _groups(list(av[2]), out)
    if run:
        out.append(["".join(run)])


def _sequence(items: list[tuple[Any, Any]]) -> list[str] | None:
    best: list[str] | None = None
    run: list[str] = []

    def consider(cand: list[str] | None) -> None:
        nonlocal best
        if cand and all(cand) and (best is None or _score(cand) > _score(best)):
            best = cand

    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            consider(["".join(run)])
            run = []
        if op is _c.SUBPATTERN:
            consider(_sequence(list(av[-1])))
        elif op is _c.BRANCH:
            alts = [_sequence(list(branch)) for branch in av[1]]
            if all(a for a in alts):
                consider([lit for a in alts if a for lit in a])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            consider(_sequence(list(av[2])))
    if run:
        consider(["".join(run)])
    return best


def _score(cand: list[str]) -> tuple[int, int]:
    # Longer shortest literal is more selective; fewer alternatives is cheaper to test.
    return (min(len(c) for c in cand), -len(cand))


def gate_for(patterns: list[str]) -> tuple[str, ...] | None:
    """Literals one of which any match of any pattern contains, or None if some has none."""
    lits: set[str] = set()
    for p in patterns:
        req = required_literals(p)
        if req is None:
            return None
        lits.update(req)
    return tuple(sorted(lits))


def first_chars(patterns: list[str]) -> str | None:
    """A one-character-class regex of every character a match of any pattern can start
    with, or None when that set is unbounded (``.``, ``[^…]``, ``\\d``…) or some pattern can
    match the empty string.

    A text with none of those characters cannot match: one search for a character class
    (C speed, no backtracking) replaces an alternation that Python's ``re`` tries at every
    position. The gate literals cannot cover patterns whose first characters are symbols
    the skeleton drops (✈, ➕, @); this test runs on the same text as the patterns.
    """
    parts: set[str] = set()
    for p in patterns:
        try:
            parsed = parse_pattern(p)
        except re.error:
            return None
        found = _first(list(parsed))
        if found is None or found[1]:
            return None
        parts.update(found[0])
    if not parts:
        return None
    return "[" + "".join(sorted(parts)) + "]"


def guarded(pattern: str) -> str:
    r"""``pattern`` behind a look-ahead for the characters its matches can start with
    (``first_chars``), when it starts with a look-around; else ``pattern`` itself.

    The same matches, spans and groups (the look-ahead holds wherever a match can start and
    takes no characters). It is only faster: ``re`` skips an alternative of an alternation by
    its first character when that is a literal or a class, but runs a leading look-behind
    (``(?<!\d)1[3-9]\d{9}``, ``(?<![a-z0-9])(?:tg|telegram|…)``) at every position, which
    made such alternatives the costliest part of the combined searches.
    """
    try:
        items = list(parse_pattern(pattern))
    except re.error:
        return pattern
    if not items or items[0][0] not in (_c.ASSERT, _c.ASSERT_NOT):
        return pattern
    first = first_chars([pattern])
    if first is None:
        return pattern
    out = f"(?={first})(?:{pattern})"
    try:
        re.compile(out, re.IGNORECASE)
    except re.error:  # e.g. a global inline flag, only valid at the start
        return pattern
    return out


def prefilter_for(patterns: list[str]) -> str | None:
    """A case-sensitive regex that finds something in every case-folded text (the folded
    view) any of ``patterns`` matches with ``re.IGNORECASE``, or None.

    Per pattern: its required literals, else the few characters its matches can start with
    (``first_chars``). For the regexes no gate covers, because a literal is one the
    skeleton drops (``@``, ``.``, ``✈``, ``🟢``) or a pattern has none:
    ``tg|telegram|…|v|w|微|…`` finds nothing in most texts, where the first-character class
    of every pattern (t, p, v, …) finds a letter of nearly every link.

    Case-sensitive, so that ``re`` scans for the set of first characters in C instead of
    trying every branch at every position (an ignore-case alternation cost as much as the
    patterns). That is exact on the folded view: it has no upper-case letters, and an
    ignore-case search matches an uncased character only as itself and a lower-case ASCII
    letter only as itself, its capital, or one of ``İıſK``, which the prefilter also finds.
    Literals with any other cased character (ß, Greek) leave it to the caller (None).
    """
    needles: set[str] = set()
    for p in patterns:
        lits = required_literals(p)
        if lits is not None and all(map(_exact, lits)):
            needles.update(lits)
            continue
        first = first_chars([p])
        if first is None:
            return None
        chars = _class_chars(first)
        if chars is None or not all(map(_exact, chars)):
            return None
        needles.update(chars)
    if not needles:
        return None
    if any(ch in "iks" for lit in needles for ch in lit):
        needles.update(_CASE_ODD)
    return "|".join(re.escape(lit) for lit in sorted(needles, key=lambda n: (-len(n), n)))


# The characters other than A-Z that match a lower-case ASCII letter when ``re`` ignores case
# (i, i, s, k): tests/test_check_fast_paths.py checks the list against every code point.
_CASE_ODD = ("İ", "ı", "ſ", "K")
_CLASS_MAX = 64  # characters a first-character class may expand to


def _exact(literal: str) -> bool:
    """Whether an ignore-case search finds ``literal`` in a case-folded text only as itself
    (or with one of _CASE_ODD)."""
    return all(("a" <= ch <= "z") or not _sre.unicode_iscased(ord(ch)) for ch in literal)


def _class_chars(cls: str) -> list[str] | None:
    """The characters of a ``first_chars`` class, or None past _CLASS_MAX."""
    out: list[str] = []
    for lo, hi in re.findall(r"\\U([0-9a-f]{8})(?:-\\U([0-9a-f]{8}))?", cls):
        a = int(lo, 16)
        b = int(hi, 16) if hi else a
        if len(out) + b - a + 1 > _CLASS_MAX:
            return None
        out.extend(chr(c) for c in range(a, b + 1))
    return out


def _char(code: int) -> str:
    return f"\\U{code:08x}"


def _first(items: list[tuple[Any, Any]]) -> tuple[set[str], bool] | None:
    """The class fragments a match of ``items`` can start with, and whether it can be empty."""
    acc: set[str] = set()
    for op, av in items:
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero-width
        if op is _c.LITERAL:
            acc.add(_char(av))
            return acc, False
        if op is _c.IN:
            for iop, iav in av:
                if iop is _c.LITERAL:
                    acc.add(_char(iav))
                elif iop is _c.RANGE:
                    acc.add(f"{_char(iav[0])}-{_char(iav[1])}")
                else:
                    return None  # NEGATE, categories (\d, \w: nearly every text has one)
            return acc, False
        if op is _c.SUBPATTERN:
            if av[1] or av[2]:
                return None  # inline flags inside
            sub = _first(list(av[-1]))
        elif op is _c.BRANCH:
            sub_parts: set[str] = set()
            nullable = False
            for branch in av[1]:
                got = _first(list(branch))
                if got is None:
                    return None
                sub_parts |= got[0]
                nullable = nullable or got[1]
            sub = (sub_parts, nullable)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            got = _first(list(av[2]))
            sub = None if got is None else (got[0], got[1] or av[0] == 0)
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            sub = _first(list(av))
        else:
            return None  # ANY, NOT_LITERAL, CATEGORY, back-references, ...
        if sub is None:
            return None
        acc |= sub[0]
        if not sub[1]:
            return acc, False
    return acc, True
