"""Tone-marked or tone-numbered pinyin of a word the ruleset knows, read as the word in the
folded view (wěnzhuàn -> 稳赚)."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from typing import NamedTuple

from engine.normalize.apart import _IS_CJK_CHAR
from engine.normalize.view import Mark, View


class Readings(NamedTuple):
    """Chinese words by their toneless pinyin, for reading tone-marked pinyin as the word."""

    words: dict[str, str]  # syllables joined by spaces ("wen zhuan") -> the word (稳赚)
    syllables: frozenset[str]  # every toneless syllable (ü written u): to split a run
    longest: int  # syllables in the longest word
    # one to three characters of a word, by their pinyin -> (word, first, past last): a
    # word written partly in pinyin (稳zhuàn不赔, niúgǔ内参) is read when the rest matches
    parts: dict[str, tuple[tuple[str, int, int], ...]]
    prefixes: frozenset[str]  # the first two syllables of every key of ``words``


# Letters, possibly one space apart: a stretch of pinyin (wěnzhuàn, wēi xìn)
_LETTER_RUN = re.compile(r"[a-z]+(?: [a-z]+)*")
# Pinyin with tone numbers: two syllables or more, each ending in its tone (wen3zhuan4)
NUMBERED_PINYIN = re.compile(r"(?<![a-z0-9])(?:[a-z]{1,6}[1-5] ?){1,}[a-z]{1,6}[1-5](?![a-z0-9])")
_NUMBERED_SYLLABLE = re.compile(r"[a-z]{1,6}[1-5]")


def _letters(ftext: str, start: int, end: int) -> str:
    """The letters of a syllable's span (its tone number dropped)."""
    return ftext[start:end].rstrip("12345")


_SYLLABLE_MAX = 6  # letters in the longest syllable (zhuang, shuang)
_PINYIN_RUN = 300  # characters: a longer stretch of letters is not pinyin of a message
_PINYIN_PIECE = 48  # letters without a space: a dozen syllables at most
_PINYIN_SYLLABLES = 200  # syllables read per message


def _toned_runs(text: str, folded: View, toned_letter: re.Pattern[str]) -> list[tuple[int, int]]:
    """Folded spans of the stretches of letters (one space apart) that hold a tone mark."""
    ftext = folded.text
    starts = folded._starts
    where: dict[int, int] | None = None
    if starts is not None and folded.permuted:
        where = {o: i for i, o in enumerate(starts)}
    out: list[tuple[int, int]] = []
    for m in toned_letter.finditer(text):
        o = m.start()
        if starts is None:
            q = o
        elif where is not None:
            q = where.get(o, -1)
        else:
            q = bisect_left(starts, o)
        if q < 0 or q >= len(ftext) or (out and q < out[-1][1]):
            continue  # inside a stretch already found
        m2 = _LETTER_RUN.match(ftext, _run_start(ftext, q))
        if m2 is None or m2.end() <= q:
            continue
        if m2.end() - m2.start() <= _PINYIN_RUN:
            out.append(m2.span())
        else:
            out.append((m2.end(), m2.end()))  # junk: skip the rest of the stretch
    return [(a, b) for a, b in out if b > a]


def _run_start(ftext: str, q: int) -> int:
    """Where the stretch of letters (one space apart) around ``q`` starts, looking back at
    most _PINYIN_RUN characters."""
    lo = q
    limit = max(0, q - _PINYIN_RUN)
    while lo > limit and (
        "a" <= ftext[lo - 1] <= "z"
        or (ftext[lo - 1] == " " and lo > 1 and "a" <= ftext[lo - 2] <= "z")
    ):
        lo -= 1
    while lo < q and ftext[lo] == " ":
        lo += 1
    return lo


def _read_pinyin(
    text: str,
    folded: View,
    readings: Readings,
    toned: frozenset[str],
    toned_letter: re.Pattern[str],
) -> tuple[View, list[Mark]]:
    """Replace tone-marked pinyin of a known word with the word (wěnzhuàn -> 稳赚)."""
    ftext = folded.text
    old, old_ends = folded._starts, folded._ends

    def orig(i: int) -> int:
        return old[i] if old is not None else i

    def orig_end(i: int) -> int:
        if old_ends is not None:
            return old_ends[i]
        return orig(i) + 1

    # Bounded work: letter runs longer than any message (adversarial a1a1…, āāā…) are not
    # pinyin, and a message reads at most _PINYIN_SYLLABLES syllables.
    groups: list[list[tuple[int, int]]] = []  # runs of syllables: folded span of each
    budget = _PINYIN_SYLLABLES
    for a, b in _toned_runs(text, folded, toned_letter):
        syl: list[tuple[int, int]] = []
        for piece in re.finditer("[a-z]+", ftext[a:b]):
            lo, hi = a + piece.start(), a + piece.end()
            split = (
                _syllables(ftext, lo, hi, readings, text, orig, toned)
                if hi - lo <= _PINYIN_PIECE
                else None
            )
            if split is None:
                syl = []
                break
            syl.extend(split)
        budget -= len(syl)
        if budget < 0:
            break
        groups.append(syl)
    for m in NUMBERED_PINYIN.finditer(ftext):
        # wen3zhuan4, wen3 zhuan4: each syllable ends with its tone number
        if m.end() - m.start() > _PINYIN_RUN:
            continue
        syl = [(p.start(), p.end()) for p in _NUMBERED_SYLLABLE.finditer(ftext, *m.span())]
        budget -= len(syl)
        if budget < 0:
            break
        if all(ftext[s : e - 1] in readings.syllables for s, e in syl):
            groups.append(syl)
    groups.sort()
    swaps: list[tuple[int, int, str, list[tuple[int, int]]]] = []  # folded span, word, letters
    for syl in groups:
        if swaps and syl and syl[0][0] < swaps[-1][1]:
            continue
        part = _part_of_word(ftext, syl, readings) if 0 < len(syl) <= 3 else None
        if part is not None:
            swaps.append((syl[0][0], syl[-1][1], part, syl))
            continue
        letters = [_letters(ftext, s, e) for s, e in syl]
        i = 0
        while i + 1 < len(syl):
            if f"{letters[i]} {letters[i + 1]}" not in readings.prefixes:
                i += 1  # no word starts with these two syllables
                continue
            for n in range(min(readings.longest, len(syl) - i), 1, -1):
                key = " ".join(letters[i : i + n])
                word = readings.words.get(key)
                if word is not None and len(word) == n:
                    swaps.append((syl[i][0], syl[i + n - 1][1], word, syl[i : i + n]))
                    i += n
                    break
            else:
                i += 1
    if not swaps:
        return folded, []
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    marks: list[Mark] = []
    pos = 0
    for a, b, word, syl in swaps:
        for i in range(pos, a):
            chars.append(ftext[i])
            starts.append(orig(i))
            ends.append(orig_end(i))
        for ch, (s, e) in zip(word, syl, strict=True):
            chars.append(ch)
            starts.append(min(orig(i) for i in range(s, e)))
            ends.append(max(orig_end(i) for i in range(s, e)))
        marks.append((starts[-len(word)], ends[-1], "pinyin"))
        pos = b
    for i in range(pos, len(ftext)):
        chars.append(ftext[i])
        starts.append(orig(i))
        ends.append(orig_end(i))
    view = View("".join(chars), starts=tuple(starts), permuted=True, ends=tuple(ends))
    return view, marks


def _part_of_word(ftext: str, syl: list[tuple[int, int]], readings: Readings) -> str | None:
    """The characters a run of pinyin stands for inside a word whose other characters are
    written around it (稳zhuàn不赔 -> 赚); the longest such word wins."""
    a, b = syl[0][0], syl[-1][1]
    if not (a and _IS_CJK_CHAR.match(ftext, a - 1)) and not _IS_CJK_CHAR.match(ftext, b):
        return None
    key = " ".join(_letters(ftext, s, e) for s, e in syl)
    best: tuple[str, int, int] | None = None
    for word, i, j in readings.parts.get(key, ()):
        if (
            a - i >= 0
            and ftext[a - i : a] == word[:i]
            and ftext[b : b + len(word) - j] == word[j:]
            and (best is None or len(word) > len(best[0]))
        ):
            best = (word, i, j)
    return best[0][best[1] : best[2]] if best is not None else None


def _syllables(
    ftext: str,
    a: int,
    b: int,
    readings: Readings,
    text: str,
    orig: Callable[[int], int],
    toned: frozenset[str],
) -> list[tuple[int, int]] | None:
    """Split letters [a, b) into pinyin syllables, each with at most one tone mark (the
    fewest syllables that do); None when they are not pinyin."""
    n = b - a
    marks = [0]  # tone marks before each letter
    for k in range(a, b):
        marks.append(marks[-1] + (text[orig(k)] in toned))
    best: list[tuple[int, int] | None] = [None] * (n + 1)  # (syllables, back pointer)
    best[0] = (0, 0)
    for i in range(n):
        here = best[i]
        if here is None:
            continue
        for j in range(i + 1, min(n, i + _SYLLABLE_MAX) + 1):
            if marks[j] - marks[i] > 1:
                break  # two tone marks: two syllables
            if ftext[a + i : a + j] not in readings.syllables:
                continue
            prev = best[j]
            if prev is None or here[0] + 1 < prev[0]:
                best[j] = (here[0] + 1, i)
    if best[n] is None:
        return None
    out: list[tuple[int, int]] = []
    j = n
    while j > 0:
        entry = best[j]
        assert entry is not None
        out.append((a + entry[1], a + j))
        j = entry[1]
    return out[::-1]
