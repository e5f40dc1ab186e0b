"""Normalize message text for matching, keeping a map back to the original characters.

Two views are built from the original text:

* ``folded``: NFKC, full-width -> half-width, case folding and traditional -> simplified,
  character by character, with zero-width and other format characters and combining marks
  removed, radicals read as their character (⻩ -> 黄), single characters written apart
  joined (one per line, between 、 or spaces, each in brackets), a clause a cue marks as
  backwards (倒着读) reversed, and tone-marked pinyin of a word the ruleset knows read as
  the word. Regex rules run on this view; ``Normalized.marks`` says where an evasion was
  undone, so findings can name it.
* ``skeleton``: ``folded`` without "noise" (spaces, punctuation, symbols, emoji, combining
  marks), so that ``最 低 价``, ``最*低*价`` and ``微❤信`` read ``最低价`` / ``微信``.
  Word lists match on this view.

Every character of a view remembers the index of the original character it came from, so a
span found in a view maps back to the exact characters of the original text.

Layout: view.py (a string mapped to its source, and marks), tables.py (the per-process fold
tables), apart.py (text written apart or backwards), pinyin.py (tone-marked pinyin read as the
word), emoji.py (emoji by Chinese name); this module builds the views.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from engine.normalize.apart import (
    ISOLATED_HINT,
    ISOLATED_RUN,
    REVERSE_CUE,
    REVERSE_HINT,
    _join,
    _reverse,
)
from engine.normalize.emoji import EmojiNames, emoji_names
from engine.normalize.pinyin import Readings, _read_pinyin
from engine.normalize.tables import (
    HARD_BREAKS,
    _is_noise_category,
    _Tables,
    lookalike_table,
    prime_tables,
    tables,
)
from engine.normalize.view import Mark, View

__all__ = [
    "HARD_BREAKS",
    "SQUEEZE",
    "SQUEEZE_HINT",
    "EmojiNames",
    "Mark",
    "Normalized",
    "Readings",
    "View",
    "char_rank",
    "emoji_names",
    "fold",
    "fold_char",
    "is_filler",
    "lookalike_table",
    "normalize",
    "normalize_word",
    "prime_tables",
    "tables",
    "tone_marked",
    "unconfuse",
]


# Evasions inside a word, removed from the skeleton for a second automaton pass: a Chinese
# character repeated (加微微信) or one Latin letter or digit between two Chinese characters
# (全网最1低价, 傻1逼). Numbers stay: a run of digits (满200减50) and a digit before a unit
# or measure word (3天2晚, 有3张, 1月5日) are not insertions. Linear: fixed-width lookarounds.
_CJK = "\u3400-\u9fff"
_UNITS = (
    "个件张元块角分天日月年号时点周次折倍位名人条份瓶盒支袋套只台把本杯罐包"
    "片双副枚箱斤克米层楼栋室期届页章节级等岁秒晚夜场万千百亿"
)
# The letter of an opt-out reply (回T退订, 回复R拒收) is not an insertion either.
SQUEEZE = re.compile(
    rf"(?<=([{_CJK}]))\1+"
    rf"|(?<=[{_CJK}])(?:(?<![回复])[a-z]|[0-9](?![{_UNITS}]))(?=[{_CJK}])"
)
# The same test as one forward match: about half the cost of SQUEEZE.search, and most
# messages have nothing to squeeze.
SQUEEZE_HINT = re.compile(rf"([{_CJK}])(?:\1|(?<![回复])[a-z][{_CJK}]|[0-9](?![{_UNITS}])[{_CJK}])")


@dataclass(frozen=True, slots=True)
class Normalized:
    """The original text with its folded and skeleton views."""

    original: str
    folded: View
    skeleton: View
    plain: str | None = None  # skeleton text before look-alike letters were folded, if any
    # Evasions undone while folding (combining marks dropped, radicals folded, characters
    # written one per line or in brackets joined): disjoint original spans, in text order.
    marks: tuple[Mark, ...] = ()
    mark_starts: tuple[int, ...] = ()

    def evasion_in(self, start: int, end: int) -> str | None:
        """The evasion of the first mark that overlaps the original span [start, end)."""
        k = bisect_left(self.mark_starts, end) - 1  # the last mark that starts before ``end``
        if k < 0 or self.marks[k][1] <= start:
            return None
        while k > 0 and self.marks[k - 1][1] > start:  # disjoint: earlier ones end earlier
            k -= 1
        return self.marks[k][2]

    def skeleton_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a skeleton span to the original text."""
        fs, fe = self.skeleton.to_source(start, end)  # skeleton -> folded
        if self.folded.is_source:
            return fs, fe
        return self.folded.to_source(fs, fe)

    def folded_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span to the original text."""
        return self.folded.to_source(start, end)

    def skeleton_bounds(self, start: int, end: int) -> tuple[int, int]:
        """The skeleton span of the original span [start, end): its skeleton characters."""
        skel, folded = self.skeleton, self.folded
        if folded.is_source:
            if skel._removed is None:
                return min(start, len(skel.text)), min(end, len(skel.text))
            noise = skel._removed
            head = len(noise.sub("", folded.text[:start])) if start else 0
            tail = len(noise.sub("", folded.text[end:])) if end < len(folded.text) else 0
            return head, len(skel.text) - tail
        starts = self.skeleton_starts() or ()
        if folded.permuted:  # part read backwards: the skeleton characters of the span
            inside = [i for i, p in enumerate(starts) if start <= p < end]
            return (inside[0], inside[-1] + 1) if inside else (0, 0)
        return bisect_left(starts, start), bisect_left(starts, end)

    def skeleton_starts(self) -> list[int] | tuple[int, ...] | None:
        """Original index of every skeleton character; None when they are the same indices.

        A non-empty skeleton span [start, end) maps to ``(m[start], m[end - 1] + 1)``, as
        ``skeleton_span`` does; this builds the map once for the many hits of a message.
        """
        skel, folded = self.skeleton, self.folded
        starts = folded._starts
        if skel._removed is None or skel._source is None:
            return starts  # skeleton is folded; folded is the original or has an index list
        pos: list[int] = []
        prev = 0
        for m in skel._removed.finditer(skel._source):
            s = m.start()
            if s > prev:
                pos.extend(range(prev, s))
            prev = m.end()
        pos.extend(range(prev, len(skel._source)))
        if starts is not None:
            return [starts[p] for p in pos]
        return pos


@lru_cache(maxsize=1)
def char_rank() -> dict[str, int]:
    """Chinese characters by frequency in text, most common first (0), from jieba's dictionary.

    Automata are built in this order: pyahocorasick scans a node's children linearly, in
    insertion order, so common characters first means few comparisons per character.
    """
    from importlib import resources

    text = resources.files("engine").joinpath("data/char_rank.txt").read_text(encoding="utf-8")
    chars = "".join(line for line in text.splitlines() if not line.startswith("#"))
    return {ch: i for i, ch in enumerate(chars)}


def fold_char(ch: str) -> str:
    """Fold one character the way ``normalize`` does (may return '' or several chars)."""
    t = tables()
    if ord(ch) in t.format_chars:
        return ""
    return t.fold_multi.get(ord(ch)) or t.fold_one.get(ord(ch), ch)


def fold(text: str) -> str:
    """Fold width, case and traditional characters, one character for one (no mapping kept)."""
    return _fold_one(text, tables())


def _fold_one(text: str, t: _Tables) -> str:
    out = text.translate(t.fold_bmp)  # leaves characters past the BMP as they are
    if t.wide.search(out) and t.wide.search(text):
        return text.translate(t.fold_one)
    return out


def unconfuse(text: str) -> str:
    """Replace look-alike letters with the ASCII or Chinese one they imitate, one for one."""
    t = tables()
    if (t.lookalike if t.wide.search(text) else t.lookalike_bmp).search(text) is None:
        return text
    return text.translate(t.lookalikes)


def tone_marked(text: str) -> bool:
    """Tell whether ``text`` may hold pinyin with tones: a tone mark (ǎ, ē, ǜ) or numbers
    (wen3zhuan4)."""
    if tables().toned_letter.search(text) is not None:
        return True
    return _LETTER_DIGIT.search(text) is not None and _NUMBERED_HINT.search(text) is not None


_LETTER_DIGIT = re.compile(r"[a-zA-Z][1-5]")
_NUMBERED_HINT = re.compile(r"[a-zA-Z][1-5] ?[a-zA-Z]{1,6}[1-5]")


def is_filler(ch: str) -> bool:
    """Tell whether a character is punctuation, space, symbol or emoji (no content)."""
    return _is_noise_category(unicodedata.category(ch))


def normalize(text: str, readings: Readings | None = None) -> Normalized:
    """Build the folded and skeleton views of ``text``.

    ``readings``: Chinese words by their pinyin; tone-marked pinyin of one of them
    (wěnzhuàn, bǎo dǐ huí gòu) is read as the word in the folded view.
    """
    t = tables()
    folded = _fold(text, t)
    marks: list[Mark] = []
    evasive = t.evasive_chars if t.wide.search(text) else t.evasive_bmp
    if evasive.search(text):
        ev = t.evasive
        marks = [(m.start(), m.end(), ev[ord(m.group())]) for m in evasive.finditer(text)]
    ftext = folded.text
    if (
        (ISOLATED_HINT.search(ftext) and ISOLATED_RUN.search(ftext))
        or t.bracketed.search(ftext)
        or "\n" in ftext
    ):
        folded, joined = _join(folded, t)
        if joined:
            marks = _merge_marks(marks + joined)
    if REVERSE_HINT.search(folded.text) and REVERSE_CUE.search(folded.text):
        folded, backwards = _reverse(folded)
        if backwards:
            marks = _merge_marks(marks + backwards)
    if readings is not None and readings.words and tone_marked(text):
        folded, read = _read_pinyin(text, folded, readings, t.toned, t.toned_letter)
        if read:
            marks = _merge_marks(marks + read)
    wide = t.wide.search(folded.text) is not None
    noise = t.noise_run if wide else t.noise_run_bmp
    stripped = noise.sub("", folded.text)
    plain = None
    if (t.lookalike if wide else t.lookalike_bmp).search(stripped):
        plain, stripped = stripped, stripped.translate(t.lookalikes)  # one for one: same map
    if len(stripped) == len(folded.text):
        skeleton = View(stripped)
    else:
        skeleton = View(stripped, source=folded.text, removed=noise)
    if not marks:
        return Normalized(original=text, folded=folded, skeleton=skeleton, plain=plain)
    return Normalized(text, folded, skeleton, plain, tuple(marks), tuple(m[0] for m in marks))


def _merge_marks(marks: list[Mark]) -> list[Mark]:
    """Sort marks and merge overlapping ones (the first one's evasion is kept)."""
    marks.sort()
    out: list[Mark] = []
    for s, e, kind in marks:
        if out and s < out[-1][1]:
            ps, pe, pk = out[-1]
            out[-1] = (ps, max(pe, e), pk)
        else:
            out.append((s, e, kind))
    return out


def _fold(text: str, t: _Tables) -> View:
    if t.needs_slow.search(text):
        return _fold_slow(text, t)
    return View(t.t2s_phrases(_fold_one(text, t)))


def _fold_slow(text: str, t: _Tables) -> View:
    chars: list[str] = []
    starts: list[int] = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp in t.format_chars:
            continue
        out = t.fold_multi.get(cp) or t.fold_one.get(cp, ch)
        chars.append(out)
        starts.extend([i] * len(out))
    return View(t.t2s_phrases("".join(chars)), starts=tuple(starts))


def normalize_word(word: str) -> str:
    """Normalize a list word to the skeleton form the automaton matches on."""
    return normalize(word).skeleton.text
