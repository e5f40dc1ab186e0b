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
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import opencc

from engine.normalize.apart import (
    ISOLATED_HINT,
    ISOLATED_RUN,
    REVERSE_CUE,
    REVERSE_HINT,
    _join,
    _reverse,
)
from engine.normalize.pinyin import Readings, _read_pinyin
from engine.normalize.view import Mark, View

# Code point ranges scanned when the fold tables are built: the BMP, math letters (𝐱), the
# emoji and symbol planes, and the emoji tag characters. Characters outside are left as is.
_SCAN_RANGES = ((0x0000, 0x10000), (0x1D400, 0x1D800), (0x1F000, 0x1FB00), (0xE0000, 0xE0080))
_CJK_RANGES = ((0x3400, 0xA000), (0xF900, 0xFB00))

# Sentence punctuation ends a word: a list word may skip ``*``, spaces or emoji between its
# characters, but never a comma or full stop (请勿回复。验证码 is not 回复验证码). These stay
# in the skeleton (after folding: full-width ，！？ become , ! ?).
HARD_BREAKS = frozenset(",!?;:\n\r\u3001\u3002\uff61")

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


class _Tables:
    """Translate tables built once per process from Unicode data and OpenCC."""

    def __init__(self) -> None:
        t2s = _opencc_char_map()
        noise: list[int] = []
        fmt: dict[int, None] = {}
        one: dict[int, str] = {}
        multi: dict[int, str] = {}
        evasive: dict[int, str] = {}  # characters whose fold undoes an evasion -> its name
        toned: list[int] = []
        for lo, hi in _SCAN_RANGES:
            for cp in range(lo, hi):
                ch = chr(cp)
                cat = unicodedata.category(ch)
                if _is_noise_category(cat) and ch not in HARD_BREAKS:
                    noise.append(cp)
                    if cat == "Cf":
                        fmt[cp] = None
                        continue
                    if cat in ("Mn", "Me") and not _is_variation_selector(cp):
                        # a combining stroke, underline or dot after each character
                        # (到̣期̣, 每̶周̶): dropped, so regexes read the bare characters
                        fmt[cp] = None
                        evasive[cp] = "combining_mark"
                        continue
                folded = _fold_char(ch, t2s)
                if folded == ch:
                    continue
                if len(folded) == 1:
                    one[cp] = folded
                    if folded.isascii() and folded.isalpha() and not ch.isascii():
                        base = unicodedata.normalize("NFD", ch)
                        if len(base) > 1 and all(c in _TONE_MARKS for c in base[1:]):
                            toned.append(cp)  # a pinyin letter with its tone mark: ǎ
                    if _RADICALS[0] <= cp < _RADICALS[1]:
                        evasive[cp] = "radical"  # Kangxi radicals: NFKC gives the character
                    elif 0x1F100 <= cp < 0x1F200 and folded.isalpha():
                        evasive[cp] = "homoglyph"  # a letter drawn as an emoji: 🅤
                elif folded:
                    multi[cp] = folded
        # CJK Radicals Supplement (⻔ ⻩ ⻢): no NFKC decomposition; Unicode's confusables
        # (TR39) give the character each one is drawn like.
        for cp, target in _radical_table(one).items():
            one[cp] = target
            evasive[cp] = "radical"
        self.fold_one = one
        self.evasive = evasive
        self.toned = frozenset(chr(cp) for cp in toned)
        self.toned_letter = re.compile(f"[{_char_class(toned)}]")
        self.evasive_chars = re.compile(f"[{_char_class(sorted(evasive))}]")
        self.evasive_bmp = re.compile(f"[{_char_class([c for c in evasive if c < 0x10000])}]")
        # The same one-for-one folds as a list indexed by BMP code point: str.translate finds
        # an unmapped character by indexing instead of a dict miss (a KeyError per character).
        bmp: list[str] = [chr(cp) for cp in range(0x10000)]
        for cp, out in one.items():
            if cp < 0x10000:
                bmp[cp] = out
        self.fold_bmp = bmp
        self.fold_multi = multi
        self.format_chars = fmt
        self.noise_run = re.compile(f"[{_char_class(noise)}]+")
        # Without the ranges past the BMP, the class is one bitmap test per character:
        # used when the text has no character past U+FFFF (``wide`` finds those).
        self.noise_run_bmp = re.compile(f"[{_char_class([cp for cp in noise if cp < 0x10000])}]+")
        self.wide = re.compile("[\U00010000-\U0010ffff]")
        # Format characters are dropped and multi-character folds change the length:
        # both take the slow path that records an index per character.
        self.needs_slow = re.compile(f"[{_char_class([*fmt, *multi])}]")
        self._opencc = opencc.OpenCC("t2s")
        looks = lookalike_table(self.fold_one)
        self.lookalikes: dict[int, str] = {ord(k): v for k, v in looks.items()}
        self.lookalike = re.compile(
            f"[{_char_class(sorted(self.lookalikes))}]" if looks else "(?!)"
        )
        opening = [cp for cp in range(0x10000) if unicodedata.category(chr(cp)) in ("Ps", "Pi")]
        closing = [cp for cp in range(0x10000) if unicodedata.category(chr(cp)) in ("Pe", "Pf")]
        quotes = [ord('"'), ord("'")]
        self.bracketed = re.compile(
            f"[{_char_class(opening + quotes)}][{_CJK}][{_char_class(closing + quotes)}]"
        )
        narrow = [cp for cp in self.lookalikes if cp < 0x10000]  # a bitmap test, as noise_run_bmp
        self.lookalike_bmp = re.compile(f"[{_char_class(narrow)}]" if narrow else "(?!)")

    def t2s_phrases(self, text: str) -> str:
        """Convert with OpenCC's phrase tables (回覆 -> 回复) when the length is kept."""
        try:
            out: str = self._opencc.convert(text)
        except UnicodeEncodeError:  # lone surrogates: OpenCC needs valid UTF-8
            return text
        return out if len(out) == len(text) else text


# Letters TR39 does not list as confusable with a Latin one, which spam writes for one in
# contact labels: νχ for vx (ν is listed), ǫǫ / ϙ / ɋ for QQ.
_EXTRA_LOOKALIKES = {"χ": "x", "ǫ": "q", "ϙ": "q", "ɋ": "q"}


def lookalike_table(fold_one: dict[int, str]) -> dict[str, str]:
    """Letters and digits that look like an ASCII one or a Chinese character -> that one.

    From Unicode's confusables data as shipped by ``confusable-homoglyphs`` (TR39): Cyrillic
    and Greek letters in Latin words (wеchat with a Cyrillic е), CJK radicals that stand for
    a character. ASCII, Chinese characters and characters that folding already changes are
    left alone; so are symbols (× is not x).
    """
    import json
    from importlib import resources

    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    out: dict[str, str] = dict(_EXTRA_LOOKALIKES)
    for ch, glyphs in data.items():
        if len(ch) != 1 or ch.isascii() or ord(ch) in fold_one or _is_cjk(ch):
            continue
        if unicodedata.category(ch)[0] not in "LN" and not 0x2E80 <= ord(ch) < 0x2FE0:
            continue
        for g in glyphs:
            target = g["c"]
            if len(target) != 1:
                continue
            target = fold_one.get(ord(target), target)
            if target == ch:
                continue
            if (target.isascii() and target.isalnum()) or _is_cjk(target):
                out[ch] = target.lower()
                break
    return out


_RADICALS = (0x2E80, 0x2FE0)  # CJK Radicals Supplement and Kangxi Radicals


def _is_variation_selector(cp: int) -> bool:
    # emoji and ideographic variation selectors: they pick a glyph, and fill every emoji
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _radical_table(fold_one: dict[int, str]) -> dict[int, str]:
    """CJK Radicals Supplement characters -> the unified ideograph TR39 says they look like."""
    return {
        ord(ch): target
        for ch, target in lookalike_table(fold_one).items()
        if 0x2E80 <= ord(ch) < 0x2F00 and _is_cjk(target)
    }


def _is_cjk(ch: str) -> bool:
    return any(lo <= ord(ch) < hi for lo, hi in _CJK_RANGES)


def _is_noise_category(cat: str) -> bool:
    return cat[0] in "ZCPS" or cat in ("Mn", "Me")


# Pinyin's tone marks and the accents that look like them (grave, acute, circumflex, tilde,
# macron, breve, diaeresis, caron). Not the ogonek or hooks: ǫ stands in for q, not o.
_TONE_MARKS = frozenset("\u0300\u0301\u0302\u0303\u0304\u0306\u0308\u030c")


_LETTER_SYMBOL = re.compile(r"(?:CIRCLED|SQUARED) LATIN (?:CAPITAL|SMALL) LETTER ([A-Z])")


def _fold_char(ch: str, t2s: dict[str, str]) -> str:
    out = unicodedata.normalize("NFKC", ch).casefold()
    if out == ch and 0x1F100 <= ord(ch) < 0x1F200:
        # Letters drawn as emoji that NFKC leaves alone (🅤, 🅦🅔🅘🅧🅘🅝): the letter
        m = _LETTER_SYMBOL.search(unicodedata.name(ch, ""))
        if m:
            return m.group(1).lower()
    out = "".join(t2s.get(c, c) for c in out)
    if len(out) > 1:
        # Parenthesised and circled forms (㈤ -> (五), ⑴ -> (1)) keep only their content.
        kept = "".join(c for c in out if not _is_noise_category(unicodedata.category(c)))
        out = kept or ch
    if len(out) == 1 and not out.isascii():
        # A Latin letter with accents or tone marks reads as the letter: tone-marked pinyin
        # (wēi xìn, dǔbó) is the pinyin the spelling tables know
        base = unicodedata.normalize("NFD", out)
        if base[0].isascii() and base[0].isalpha() and all(c in _TONE_MARKS for c in base[1:]):
            out = base[0]
    return out


def _opencc_char_map() -> dict[str, str]:
    converter = opencc.OpenCC("t2s")  # character table; phrases are handled per message
    chars = [chr(cp) for lo, hi in _CJK_RANGES for cp in range(lo, hi)]
    converted = converter.convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - OpenCC keeps one line per line
        raise RuntimeError("OpenCC changed the number of lines while converting characters")
    return {a: b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


def _char_class(cps: list[int]) -> str:
    """Compress sorted code points into a regex character class body."""
    parts: list[str] = []
    cps = sorted(cps)
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(parts)


_PRIMED: list[_Tables] = []  # tables unpickled by engine.ruleset.cache, used if not built yet


@lru_cache(maxsize=1)
def tables() -> _Tables:
    """Return the process-wide translate tables (built on first use, ~0.2 s)."""
    return _PRIMED[0] if _PRIMED else _Tables()


def prime_tables(cached: object) -> None:
    """Use tables a cache unpickled instead of building them (ignored once built)."""
    if isinstance(cached, _Tables) and not _PRIMED and tables.cache_info().currsize == 0:
        _PRIMED.append(cached)


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


class EmojiNames(NamedTuple):
    """Emoji with a short Chinese name (CLDR), and where one touches a Chinese character."""

    names: dict[str, str]
    # a character that may be one of ``names``: past the BMP, or one of the few below it
    # (a bitmap test: a class of the emoji themselves is a slow range search per character)
    candidate: re.Pattern[str]

    def beside_cjk(self, text: str) -> list[int]:
        """Indices of the emoji of ``names`` next to a Chinese character in ``text``."""
        out = []
        for m in self.candidate.finditer(text):
            i = m.start()
            if m.group() not in self.names:
                continue
            after = i + 2 if text[i + 1 : i + 2] == "\ufe0f" else i + 1
            if (i and _is_cjk(text[i - 1])) or (after < len(text) and _is_cjk(text[after])):
                out.append(i)
                if len(out) == _EMOJI_MAX:
                    break
        return out


_EMOJI_MAX = 16  # emoji beside a Chinese character read per message (each: a few scans)


@lru_cache(maxsize=1)
def emoji_names() -> EmojiNames:
    """Emoji -> Chinese short name, from engine/data/emoji_zh.tsv (CLDR, see its header)."""
    from importlib import resources

    text = resources.files("engine").joinpath("data/emoji_zh.tsv").read_text(encoding="utf-8")
    names = dict(
        line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    narrow = _char_class(sorted(ord(e) for e in names if ord(e) < 0x10000))
    return EmojiNames(names, re.compile(f"[{narrow}]|[\U00010000-\U0010ffff]"))


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
