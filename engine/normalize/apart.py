"""Text written apart or backwards, undone in the folded view: single characters separated by
lines, spaces, dots or brackets are joined, and a clause a cue marks as backwards is reversed."""

from __future__ import annotations

import re
import unicodedata
from itertools import islice, pairwise
from typing import TYPE_CHECKING

from engine.normalize.view import _CJK, Mark, View, _is_alnum

if TYPE_CHECKING:
    from engine.normalize.tables import _Tables


# Characters written apart, one at a time, so that no word of two is left: one per line
# (司\n美\n格\n鲁\n肽), between spaces, dots or 、 (上、门、服、务), or each in brackets
# ((消)(除), 【无】【删】). A run of single characters between such separators is joined
# in the folded view (regexes and word lists read 消除, 上门服务). Sentence punctuation
# (, . ! ? ; :) never joins: "是，否，好" stays three answers. Linear: the classes are
# disjoint, so the run is read once.
_WORD = f"{_CJK}\uf900-\ufaffa-z0-9"
_STRONG = ",!?;:\u3002\uff61\u2026"  # "." parts single characters (稳.赚); not digits
ISOLATED_RUN = re.compile(
    rf"(?<![{_WORD}])[{_WORD}](?:[^{_WORD}{_STRONG}]{{1,4}}[{_WORD}])+(?![{_WORD}])"
)
# A single character between separators (a run has one past the text's first character):
# a fraction of ISOLATED_RUN's cost, true for 1 message in 4
ISOLATED_HINT = re.compile(rf"[^{_WORD}][{_WORD}][^{_WORD}{_STRONG}]")
_LINE_BREAK = re.compile(f"(?<=[{_CJK}])[ \t\u3000]*\r?\n[ \t\u3000]*(?=[{_CJK}])")
_IS_CJK_CHAR = re.compile(f"[{_CJK}\uf900-\ufaff]")
_WORD_CHAR = re.compile(f"[{_WORD}]")
_TWO_CJK = re.compile(f"[{_CJK}\uf900-\ufaff][^{_CJK}\uf900-\ufaff]*[{_CJK}\uf900-\ufaff]")


# Work per message on text written apart is bounded: a run of single characters longer than
# the longest message (500 characters) is left as it is (the skeleton still drops its noise for
# word lists), and at most _JOIN_UNITS bracketed characters or broken lines are read.
_JOIN_REACH = 520
_JOIN_UNITS = 256


def _join(folded: View, t: _Tables) -> tuple[View, list[Mark]]:
    """Drop the separators of characters written apart; the marks say where and how."""
    text = folded.text
    drop: list[tuple[int, int]] = []  # folded spans to delete (may overlap)
    spans: list[tuple[int, int, str]] = []  # folded spans joined, with the evasion
    for m in ISOLATED_RUN.finditer(text):
        if m.end() - m.start() <= _JOIN_REACH:  # longer: junk no message holds (see below)
            _join_run(text, m.start(), m.end(), drop, spans)
    if "\n" in text:
        # a word broken over two lines with one character on one of them (丢\n失，, 麻\n将)
        for m in islice(_LINE_BREAK.finditer(text), _JOIN_UNITS):
            a, b = m.start() - 1, m.end()
            alone_before = a == 0 or not _WORD_CHAR.match(text, a - 1)
            alone_after = b + 1 >= len(text) or not _WORD_CHAR.match(text, b + 1)
            if alone_before or alone_after:
                drop.append(m.span())
                spans.append((a, b + 1, "vertical"))
    units = list(islice(t.bracketed.finditer(text), _JOIN_UNITS))
    i = 0
    while i < len(units):
        # two or more bracketed characters close together: (消)(除), (存)9(年), 「满」「意」
        j = i
        while j + 1 < len(units) and units[j + 1].start() - units[j].end() <= 2:
            j += 1
        if j > i:
            for u in units[i : j + 1]:
                drop.append((u.start(), u.start() + 1))
                drop.append((u.end() - 1, u.end()))
            spans.append((units[i].start(), units[j].end(), "bracketed"))
        i = j + 1
    if not drop:
        return folded, []
    drop.sort()
    old = folded._starts
    pieces: list[str] = []
    starts: list[int] = []
    pos = 0
    for a, b in drop:
        if a > pos:  # the kept stretch before this deletion, by slices (long runs: C speed)
            pieces.append(text[pos:a])
            starts.extend(old[pos:a] if old is not None else range(pos, a))
        pos = max(pos, b)
    pieces.append(text[pos:])
    starts.extend(old[pos:] if old is not None else range(pos, len(text)))
    view = View("".join(pieces), starts=tuple(starts))

    def orig(i: int) -> int:
        return old[i] if old is not None else i

    return view, [(orig(s), orig(e - 1) + 1, kind) for s, e, kind in spans]


def _join_run(
    text: str, start: int, end: int, drop: list[tuple[int, int]], spans: list[tuple[int, int, str]]
) -> None:
    """Join one run of single characters, and the word on either side when the same
    separator reaches it (缴纳入、职、体、检、费 -> 缴纳入职体检费)."""
    if not _TWO_CJK.search(text, start, end):
        return  # 1、2、3 or a b c: lists and initials, not a word written apart
    chars = [m.start() for m in _WORD_CHAR.finditer(text, start, end)]
    gaps = [(a + 1, b) for a, b in pairwise(chars)]
    seps = {text[a:b] for a, b in gaps}
    if len(seps) == 1:
        (sep,) = seps
        n = len(sep)
        # the word before and after, when the same separator parts it from the run
        if (
            text[start - n : start] == sep
            and start - n > 0
            and _IS_CJK_CHAR.match(text, start - n - 1)
        ):
            gaps.append((start - n, start))
            start -= n + 1
        if text[end : end + n] == sep and _IS_CJK_CHAR.match(text, end + n):
            gaps.append((end, end + n))
            end += n + 1
    if len(chars) < 3 and len(gaps) < 2:
        return  # two characters apart (张 三) with no word joined on either side
    # between two digits or letters the separator stays: 1.2%, 1 2 3 are not one number
    gaps = [(a, b) for a, b in gaps if not (_is_alnum(text[a - 1]) and _is_alnum(text[b]))]
    removed = "".join(text[a:b] for a, b in gaps)
    drop.extend(gaps)
    kind = "vertical" if "\n" in removed or "\r" in removed else "noise"
    if kind == "noise" and any(unicodedata.category(c) in ("Ps", "Pe") for c in set(removed)):
        kind = "bracketed"
    spans.append((start, end, kind))


# A cue that says to read the text before it backwards: 高最率过通市全（倒着读）,
# 复修信征(反过来念), 本回月个三（倒序）; or, followed by a colon, the text after it.
REVERSE_CUE = re.compile(
    r"[(\[【〔「<《]?(?:倒着|反着|逆着|倒过来|反过来|反向|倒序|逆序|从右往左|从后往前)[读念看]?[)\]】〕」>》]?"
    r"(?P<colon>[:：])?"
)
REVERSE_HINT = re.compile("[倒反逆右后]")  # a character every cue has: a bitmap test
# Where the clause read backwards ends: sentence punctuation, brackets, quotes, a new line.
_CLAUSE_END = re.compile(r"[,.!?;:。！？；：、\n\r()\[\]【】〔〕「」『』<>《》\"'“”‘’ ]")


_OPENERS = "([【〔「<《"
_CLOSERS = ")]】〕」>》"


def _reverse(folded: View) -> tuple[View, list[Mark]]:
    """Read the clause a reversal cue points at backwards, in place; marks say where."""
    text = folded.text
    order = list(folded._starts) if folded._starts is not None else list(range(len(text)))
    chars = list(text)
    spans: list[tuple[int, int]] = []
    for m in REVERSE_CUE.finditer(text):
        cue = m.group()
        if not (
            m.group("colon")
            or cue[0] in _OPENERS
            or cue[-1] in _CLOSERS
            or m.end() == len(text)
            or _CLAUSE_END.match(text, m.end())
        ):
            continue  # 按时间倒序排列: a word in a sentence, not a cue set apart
        if m.group("colon"):
            lo = hi = m.end()
            while hi < len(text) and not _CLAUSE_END.match(text, hi):
                hi += 1
        else:
            lo = hi = m.start()
            while lo > 0 and not _CLAUSE_END.match(text, lo - 1):
                lo -= 1
        if hi - lo < 2 or (spans and lo < spans[-1][1]):
            continue
        chars[lo:hi] = chars[lo:hi][::-1]
        order[lo:hi] = order[lo:hi][::-1]
        spans.append((lo, hi))
    if not spans:
        return folded, []
    view = View("".join(chars), starts=tuple(order), permuted=True)
    marks = [(min(order[lo:hi]), max(order[lo:hi]) + 1, "reversed") for lo, hi in spans]
    return view, marks
