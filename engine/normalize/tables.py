"""Fold tables built once per process from Unicode data, OpenCC and TR39 confusables.

``tables()`` returns them (~0.2 s to build; ``prime_tables`` takes an unpickled copy from the
ruleset cache instead): per code point, what it folds to (NFKC, width, case, traditional ->
simplified, radicals and letters drawn as emoji), which characters are noise, which undo an
evasion, and the look-alike letters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

from engine.normalize.view import _CJK

# Code point ranges scanned when the fold tables are built: the BMP, math letters (𝐱), the
# emoji and symbol planes, and the emoji tag characters. Characters outside are left as is.
_SCAN_RANGES = ((0x0000, 0x10000), (0x1D400, 0x1D800), (0x1F000, 0x1FB00), (0xE0000, 0xE0080))
_CJK_RANGES = ((0x3400, 0xA000), (0xF900, 0xFB00))

# Sentence punctuation ends a word: a list word may skip ``*``, spaces or emoji between its
# characters, but never a comma or full stop (请勿回复。验证码 is not 回复验证码). These stay
# in the skeleton (after folding: full-width ，！？ become , ! ?).
HARD_BREAKS = frozenset(",!?;:\n\r\u3001\u3002\uff61")


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
        if len(out) != len(text):
            return text
        return _ZHANG.sub("账", out) if "帐" in out else out


# 帐 for 账 in money words (帐户, 帐号, 转帐, 安全帐户): an older spelling the general standard
# character list (通用规范汉字表, 2013) no longer uses for accounts, and OpenCC leaves as is. 帐
# keeps its own sense elsewhere (蚊帐, 帐篷). One character for one: offsets stay as they are.
_ZHANG = re.compile("帐(?=[户号单目款本务])|(?<=[转对记算查入出结报赊欠销挂])帐")


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
