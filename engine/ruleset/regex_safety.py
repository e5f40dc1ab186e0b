"""Static linearity lint for rule regexes: refuse shapes that make backtracking blow up.

Python's ``re`` backtracks. A rule regex stays linear in the length of the message when it has
none of these shapes (``problems`` reports each with the fragment and a fix):

- **nested**: a repeat of a part that can match text of different lengths, ``(?:\\s*x)*`` or
  ``(?:a|ab)+``: the same text splits many ways, exponential time.
- **adjacent**: a repeat followed, through items that can match its characters or nothing,
  by another repeat that can match one of its characters (``\\s*:?\\s*``): each split of a
  run is tried, polynomial time per start position. Allowed when one has at most 20
  iterations and the other is bounded (``[^,]{0,20}?\\d{1,10}``), or one has at most 8 (a few
  scans of the rest per start), or a lookbehind right after the first keeps it from ending
  in what the second starts with (``[^,]{0,20}?(?<!\\d)\\d+``).
- **chain**: three or more bounded repeats of one character class whose iteration counts
  multiply past 441 (``\\s{0,20}\\s{0,20}\\s{0,20}``), even when each pair is allowed.
- **start**: an unbounded repeat that can begin the match inside a run of its own characters
  (``[a-z0-9-]+\\.com``, ``[¥￥]?\\s*\\d+``): ``search`` tries every position of the run and
  each attempt scans the rest of it, quadratic time. Bounding it or guarding its start with a
  lookbehind (``(?<![a-z0-9-])``, ``\\d(?<!\\d\\d)``) fixes it.
- **lookaround**: an unbounded repeat inside a lookaround, which can scan the rest of the
  message at every position it is tried.

Character sets are compared exactly (literals, ranges, ``\\d\\s\\w`` and negations, with
IGNORECASE case folding) over the Basic Multilingual Plane; every class that can match an
astral character is taken to match all of them, which only ever reports more.
"""

from __future__ import annotations

import re
import re._constants as _c
import re._parser as _parser
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from engine.rule_types.literals import parse_pattern
from engine.ruleset.charsets import (
    Item,
    Ranges,
    case_closed,
    complement,
    difference,
    in_set,
    intersect,
    overlap,
    union,
)
from engine.ruleset.errors import RuleFileError

if TYPE_CHECKING:
    from engine.ruleset.load import PackRule

_Middle = list[tuple[Ranges, ...]]  # ways through the items between two repeats

BOUND = 100  # a repeat with at most this many iterations is bounded (a domain label is 63)
SMALL = 20  # two overlapping bounded adjacent repeats are fine when one has at most this many
TINY = 8  # ... and an unbounded one next to one with at most this many
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)
_ASSERTS = (_c.ASSERT, _c.ASSERT_NOT)
_ADJACENT = (
    "two adjacent repeats '{a}' and '{b}' can match the same characters, so matching can take "
    "polynomial time. Merge them into one, or bound them ({{0,20}})"
)
_CHAIN = (
    "the repeats from '{a}' to '{b}' can all match the same characters, so together they can "
    "split a run hundreds of ways and matching can take polynomial time. Merge them into one"
)
_NESTED = (
    "the repeat '{a}' repeats a part that can match text of different lengths, so one text "
    "splits many ways and matching can take exponential time. Repeat a fixed-width part "
    "(e.g. one character class) or write the inner part out"
)
_START = (
    "the unbounded repeat '{a}' can start the match anywhere in a run of the characters it "
    "matches, so searching takes quadratic time. Bound it ({{1,20}}){guard}"
)
_LOOKAROUND = (
    "the lookaround '{b}' contains the unbounded repeat '{a}', which can scan the rest of the "
    "message at every position it is tried. Bound it ({{0,20}})"
)


def pattern_errors(rule: PackRule) -> list[RuleFileError]:
    """One error per unsafe shape in any ``patterns:`` list of a rule, at the pattern's line."""
    raw = rule.doc.data["rules"][rule.index]
    out = []
    for path, pattern in _patterns(raw, ()):
        for problem in problems(pattern):
            line = rule.doc.line_of("rules", rule.index, *path)
            what = f"pattern '{pattern}': {problem}"
            out.append(RuleFileError(rule.path, line, rule.full_id, what))
    return out


Path = tuple[str | int, ...]


def _patterns(node: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "examples":
                continue
            if key == "patterns" and isinstance(value, list):
                for i, p in enumerate(value):
                    if isinstance(p, str):
                        yield (*path, key, i), p
            else:
                yield from _patterns(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _patterns(value, (*path, i))


def problems(pattern: str) -> list[str]:
    """Why ``pattern`` can take more than linear time (empty when it cannot)."""
    try:
        parsed = parse_pattern(pattern)  # shared with the gates' literals
    except re.error:
        return []  # reported as an invalid regex elsewhere
    lint = _Lint(dotall=bool(parsed.state.flags & re.DOTALL))
    items = list(parsed)
    lint.visit(items, [], top=True)
    lint.starts(items)
    return list(dict.fromkeys(lint.found))


class _Lint:
    def __init__(self, dotall: bool) -> None:
        self.dotall = dotall
        self.found: list[str] = []
        self.ways = 1
        self.large: list[tuple[Item, list[tuple[list[Item], int]]]] = []  # repeat, its path

    # -- nested, adjacent, lookaround ---------------------------------------------------
    def visit(
        self,
        items: list[Item],
        cont: list[tuple[list[Item], int]],
        top: bool,
        path: list[tuple[list[Item], int]] | None = None,
        look: Item | None = None,
    ) -> None:
        path = path or []
        for i, item in enumerate(items):
            op, av = item
            after = [(items, i + 1), *cont]
            here = [*path, (items, i)]
            if op in _REPEATS:
                lo, hi, body = av
                if hi > 1 and _variable(body):
                    self.found.append(_NESTED.format(a=render([item])))
                if hi > BOUND:
                    if look is not None:
                        self.found.append(_LOOKAROUND.format(a=render([item]), b=render([look])))
                    elif top:
                        self.large.append((item, here))
                if hi - lo >= 1 and op is not _c.POSSESSIVE_REPEAT:
                    self._adjacent(item, after)
                self.visit(list(body), after, top, here, look)
            elif op is _c.SUBPATTERN:
                self.visit(list(av[-1]), after, top, here, look)
            elif op is _c.ATOMIC_GROUP:
                self.visit(list(av), after, top, here, look)
            elif op is _c.BRANCH:
                for alt in av[1]:
                    self.visit(list(alt), after, top, here, look)
            elif op in _ASSERTS:
                self.visit(list(av[1]), [], False, None, item)

    def _adjacent(self, rep: Item, after: list[tuple[list[Item], int]]) -> None:
        chars = self.chars(list(rep[1][2]))
        middle: _Middle = [()]
        guarded = True  # still right after ``rep``
        # ways to split a run among rep and the bounded one-class repeats after it
        self.ways = rep[1][1] + 1 if _one_class(rep[1][2]) and rep[1][1] <= BOUND else 0
        for items, j in after:
            for op, av in items[j:]:
                if guarded and op is _c.ASSERT_NOT and av[0] == -1 and len(av[1]) == 1:
                    # (?<!\d) right after the repeat: it cannot end in a digit, so only the
                    # other characters can be taken over by the next repeat
                    chars = difference(chars, self.chars(list(av[1])))
                    continue
                guarded = False
                passed = self._scan((op, av), chars, middle, rep)
                if passed is None:
                    return
                middle = passed

    def _scan(self, item: Item, chars: Ranges, middle: _Middle, rep: Item) -> _Middle | None:
        """Report repeats at the start of ``item`` that can split a run with ``rep``.

        ``middle``: the ways through the items between the two, each a tuple of the character
        sets a run must pass (items that cannot match nothing). The later repeat splits a run
        many ways only if it can also take every one of them (``\\w*name\\w*``); in
        ``[^,]{0,30}?\\d+\\s*`` each split's run of spaces ends at the next required digit.
        Returns the ways after ``item``, None when a run of ``chars`` cannot get past it.
        """
        op, av = item
        if op in _REPEATS:
            lo, hi, body = av
            if (
                hi - lo >= 1
                and overlap(chars, self.first(list(body)))
                and _spans(middle, self.chars(list(body)))
            ):
                self.ways *= hi + 1 if _one_class(body) and hi <= BOUND else 1
                if _costly(rep[1][1], hi):
                    self.found.append(_ADJACENT.format(a=render([rep]), b=render([item])))
                elif self.ways > (SMALL + 1) ** 2:
                    self.found.append(_CHAIN.format(a=render([rep]), b=render([item])))
            through = self._scan_seq(list(body), chars, middle, rep)
            return middle if lo == 0 else through
        if op in (_c.SUBPATTERN, _c.ATOMIC_GROUP):
            inner = list(av[-1] if op is _c.SUBPATTERN else av)
            return self._scan_seq(inner, chars, middle, rep)
        if op is _c.BRANCH:
            before, most = self.ways, self.ways
            outs: list[_Middle | None] = []
            for alt in av[1]:  # each alternative splits the run on its own
                self.ways = before
                outs.append(self._scan_seq(list(alt), chars, middle, rep))
                most = max(most, self.ways)
            self.ways = most
            paths = list(dict.fromkeys(w for o in outs if o is not None for w in o))
            return (paths if len(paths) <= 64 else [()]) if paths else None
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY):
            common = intersect(chars, self.chars([item]))
            return [(*way, common) for way in middle] if common else None
        return middle  # zero-width (anchors, lookarounds) or a backreference

    def _scan_seq(
        self, items: list[Item], chars: Ranges, middle: _Middle | None, rep: Item
    ) -> _Middle | None:
        for item in items:
            if middle is None:
                return None
            middle = self._scan(item, chars, middle, rep)
        return middle

    # -- start ---------------------------------------------------------------------------
    def starts(self, items: list[Item]) -> None:
        """Report unbounded repeats that a search can reach from inside a run of their chars."""
        for rep, path in self.large:
            chars = self.chars(list(rep[1][2]))
            allowed: Ranges | None = chars
            for seq, index in path:
                allowed = self._advance(seq[:index], allowed)
                if not allowed:
                    break
            if allowed and overlap(allowed, chars):
                body = list(rep[1][2])
                one = len(body) == 1 and body[0][0] in (_c.LITERAL, _c.IN, _c.NOT_LITERAL)
                guard = f" or guard its start: '(?<!{render(body)}){render([rep])}'" if one else ""
                self.found.append(_START.format(a=render([rep]), guard=guard))

    def _advance(self, items: list[Item], allowed: Ranges | None) -> Ranges | None:
        """The run characters still possible after ``items`` (None or empty: none)."""
        for op, av in items:
            if not allowed:
                return None
            if op in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY):
                if not overlap(allowed, self.chars([(op, av)])):
                    return None
            elif op is _c.AT:
                if av in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING):
                    return None
            elif op in _ASSERTS:
                allowed = self._guard(op, av, allowed)
            elif op in _REPEATS:
                if av[0] > 0:
                    allowed = self._advance(list(av[2]), allowed)
            elif op in (_c.SUBPATTERN, _c.ATOMIC_GROUP):
                allowed = self._advance(list(av[-1] if op is _c.SUBPATTERN else av), allowed)
            elif op is _c.BRANCH:
                outs = [self._advance(list(alt), allowed) for alt in av[1]]
                allowed = union([o for o in outs if o])
        return allowed

    def _guard(self, op: Any, av: Any, allowed: Ranges) -> Ranges | None:
        """A lookaround inside a run of ``allowed`` characters sees only such characters."""
        body = list(av[1])
        if not body or any(o not in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY) for o, _ in body):
            return allowed  # not a fixed run of single characters: no conclusion
        common = self.chars([body[0]])
        for item in body[1:]:
            common = intersect(common, self.chars([item]))
        if op is _c.ASSERT_NOT:
            return difference(allowed, common)
        return intersect(allowed, common) if len(body) == 1 else allowed

    # -- characters ----------------------------------------------------------------------
    def first(self, items: list[Item]) -> Ranges:
        """The characters a match of ``items`` can start with."""
        out: list[Ranges] = []
        for op, av in items:
            if op in _REPEATS:
                out.append(self.first(list(av[2])))
                if av[0] > 0 and not _nullable(av[2]):
                    break
            elif op in (_c.SUBPATTERN, _c.ATOMIC_GROUP):
                inner = list(av[-1] if op is _c.SUBPATTERN else av)
                out.append(self.first(inner))
                if not _nullable(inner):
                    break
            elif op is _c.BRANCH:
                out.extend(self.first(list(alt)) for alt in av[1])
                if not all(not _nullable(alt) for alt in av[1]):
                    continue
                break
            elif op in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY, _c.GROUPREF):
                out.append(self.chars([(op, av)]))
                break
        return union(out)

    def chars(self, items: list[Item]) -> Ranges:
        """Every character that ``items`` can match at any position (lookarounds aside)."""
        out: list[Ranges] = []
        for op, av in items:
            if op is _c.LITERAL:
                out.append(case_closed(((av, av),)))
            elif op is _c.NOT_LITERAL:
                out.append(complement(case_closed(((av, av),))))
            elif op is _c.ANY:
                out.append(((0, 0x10FFFF),) if self.dotall else ((0, 9), (11, 0x10FFFF)))
            elif op is _c.IN:
                out.append(in_set(tuple(av)))
            elif op in _REPEATS:
                out.append(self.chars(list(av[2])))
            elif op is _c.SUBPATTERN:
                out.append(self.chars(list(av[-1])))
            elif op is _c.ATOMIC_GROUP:
                out.append(self.chars(list(av)))
            elif op is _c.BRANCH:
                out.extend(self.chars(list(alt)) for alt in av[1])
            elif op is _c.GROUPREF_EXISTS:
                out.extend(self.chars(list(p)) for p in av[1:] if p is not None)
            elif op is _c.GROUPREF:
                out.append(((0, 0x10FFFF),))
        return union(out)


def _one_class(body: Any) -> bool:
    return len(body) == 1 and body[0][0] in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY)


def _costly(a: int, b: int) -> bool:
    """Two overlapping repeats of at most ``a`` and ``b`` iterations: each of the ways to split
    a run costs a scan of the rest, so both must be bounded and one of them small."""
    return min(a, b) > (TINY if max(a, b) > BOUND else SMALL)


def _spans(middle: _Middle, chars: Ranges) -> bool:
    """Tell whether some way through ``middle`` has only sets that ``chars`` can also match."""
    return any(all(overlap(step, chars) for step in way) for way in middle)


def _nullable(items: Any) -> bool:
    """Tell whether parsed items can match the empty string."""
    return bool(_parser.SubPattern(_parser.State(), list(items)).getwidth()[0] == 0)


def _variable(body: Any) -> bool:
    """Tell whether a repeated part can match strings of different lengths."""
    lo, hi = body.getwidth()
    return bool(lo != hi)


# -- fragments for error messages ---------------------------------------------------------
_CATEGORY_TEXT = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}
_AT_TEXT = {
    _c.AT_BEGINNING: "^",
    _c.AT_BEGINNING_STRING: r"\A",
    _c.AT_END: "$",
    _c.AT_END_STRING: r"\Z",
    _c.AT_BOUNDARY: r"\b",
    _c.AT_NON_BOUNDARY: r"\B",
}
_LOOK = {(_c.ASSERT, 1): "(?=", (_c.ASSERT_NOT, 1): "(?!", (_c.ASSERT, -1): "(?<="}
_SPECIAL = set(".^$*+?{}[]\\|()")


def render(items: list[Item]) -> str:
    """Regex text for parsed items (close to what the rule author wrote)."""
    return "".join(_render(op, av) for op, av in items)


def _esc(ch: str, inside: bool = False) -> str:
    if ch == "\n":
        return r"\n"
    special = set("\\]^-") if inside else _SPECIAL
    return "\\" + ch if ch in special else ch


def _render(op: Any, av: Any) -> str:
    if op is _c.LITERAL:
        return _esc(chr(av))
    if op is _c.NOT_LITERAL:
        return f"[^{_esc(chr(av), True)}]"
    if op is _c.ANY:
        return "."
    if op is _c.IN:
        if len(av) == 1 and av[0][0] is _c.CATEGORY:
            return _CATEGORY_TEXT.get(av[0][1], "?")
        parts = []
        for k, (o, a) in enumerate(av):
            if o is _c.NEGATE:
                parts.append("^")
            elif o is _c.LITERAL:
                parts.append("-" if a == 45 and k == len(av) - 1 else _esc(chr(a), True))
            elif o is _c.RANGE:
                parts.append(f"{_esc(chr(a[0]), True)}-{_esc(chr(a[1]), True)}")
            elif o is _c.CATEGORY:
                parts.append(_CATEGORY_TEXT.get(a, "?"))
        return f"[{''.join(parts)}]"
    if op is _c.AT:
        return _AT_TEXT.get(av, "")
    if op is _c.SUBPATTERN:
        inner = render(list(av[-1]))
        return f"({inner})" if av[0] else f"(?:{inner})"
    if op is _c.ATOMIC_GROUP:
        return f"(?>{render(list(av))})"
    if op is _c.BRANCH:
        return "(?:" + "|".join(render(list(alt)) for alt in av[1]) + ")"
    if op in _REPEATS:
        lo, hi, body = av
        inner = render(list(body))
        if len(body) > 1 or body[0][0] in _REPEATS:
            inner = f"(?:{inner})"
        quant = {(0, _c.MAXREPEAT): "*", (1, _c.MAXREPEAT): "+", (0, 1): "?"}.get((lo, hi))
        if quant is None:
            quant = f"{{{lo}}}" if lo == hi else f"{{{lo},}}" if hi == _c.MAXREPEAT else ""
            quant = quant or f"{{{lo},{hi}}}"
        lazy = {_c.MIN_REPEAT: "?", _c.POSSESSIVE_REPEAT: "+"}.get(op, "")
        return inner + quant + lazy
    if op in _ASSERTS:
        return _LOOK.get((op, av[0]), "(?<!") + render(list(av[1])) + ")"
    if op is _c.GROUPREF:
        return f"\\{av}"
    return "(?...)"
