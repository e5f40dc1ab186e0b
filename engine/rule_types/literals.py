"""Required literals of a regex: a cheap gate before running it.

``(?:机票|航班).{0,30}?\\d+元`` cannot match a text that contains neither 机票 nor 航班, and a
substring test (``in``) costs tens of nanoseconds where the regex costs microseconds. Most
messages match no pattern of most rules, so most regexes are never run.
"""

from __future__ import annotations

import re
import re._constants as _c  # Python 3.11+: the parser behind re.compile
import re._parser as _parser
from typing import Any


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Strings one of which every match of ``pattern`` contains (lower case), or None."""
    try:
        parsed = _parser.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    found = _sequence(list(parsed))
    if not found or any(not lit for lit in found):
        return None
    return tuple(sorted({lit.lower() for lit in found}))


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
