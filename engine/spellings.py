"""Evasive spellings of deny words, generated once when a ruleset is built.

Each generated key stands for a list word written another way, and carries the name of the
evasion a finding reports (``Finding.evasion``):

* ``variant``, ``homophone``, ``homoglyph``, ``split_radical``: tables of canonical text ->
  spellings (rules/variants.yaml, rules/evasions.yaml). A deny word that contains the
  canonical text is also entered with one occurrence replaced by each spelling
  (发票 -> 发漂, 证 -> 讠正, 微 -> 嶶). A two-character homophone key is a piece of many
  everyday words (跟治 in 跟治疗师), so ``engine.match`` counts it only on jieba's word edges.
* ``numeral``: Chinese numerals written as digits (六合彩 -> 6合彩, 下三滥 -> 下3滥), for words
  that keep at least two other characters (第一 -> 第1 is everyday text, not an evasion).
* ``pinyin`` / ``initials``: words tagged ``[pinyin]`` / ``[initials]`` in their list file
  (赌博 -> dubo, 加微信 -> jiaweixin, jwx). A ``[pinyin]`` word is also entered with one
  character, or two adjacent ones, in pinyin (召回 -> 召hui, 不赔 -> bu赔, 预防流感 ->
  yufang流感). Only tagged words: short initials collide
  with ordinary Latin text.

Everything here runs at build time; a message is matched against the keys in one pass.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import islice, product
from typing import Any, Literal, get_args

import ahocorasick

from engine.normalize import char_rank, normalize_word
from engine.normalize.pinyin import Readings

# Names a finding may carry in ``evasion``, from the generated keys above, from the
# text-level views of engine.match (symbols, repeated or inserted characters, look-alikes,
# emoji for a character) and from the marks of engine.normalize (combining marks, radicals,
# characters written one per line or in brackets, a clause read backwards).
Evasion = Literal[
    "noise",
    "variant",
    "homophone",
    "homoglyph",
    "split_radical",
    "numeral",
    "pinyin",
    "initials",
    "repeat",
    "insertion",
    "combining_mark",
    "radical",
    "vertical",
    "bracketed",
    "reversed",
    "emoji",
]
EVASIONS: tuple[Evasion, ...] = get_args(Evasion)
TABLE_EVASIONS = ("homophone", "homoglyph", "split_radical")  # sections of rules/evasions.yaml
WORD_TAGS = ("boundary", "pinyin", "initials")  # markers a list word may carry

_NUMERALS = {
    "零": "0",
    "〇": "0",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_MIN_PINYIN = 4  # letters: shorter pinyin keys (e.g. "piao") are ordinary Latin text
_MIN_INITIALS = 3


class Spellings:
    """The spelling tables of a ruleset, ready to expand deny keys."""

    def __init__(self, tables: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        found: dict[str, list[tuple[str, str]]] = {}
        for label, table in tables.items():
            for canon, alts in table.items():
                c = normalize_word(canon)
                for alt in alts:
                    a = normalize_word(alt)
                    if c and a and a != c:
                        found.setdefault(c, []).append((a, label))
        self._auto: Any = ahocorasick.Automaton()
        for canon, pairs in found.items():
            self._auto.add_word(canon, (len(canon), tuple(pairs)))
        self._empty = not found
        if found:
            self._auto.make_automaton()

    def expand(self, key: str, tags: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
        """Yield (generated key, evasion) for one normalized deny key."""
        if len(key) < 2:
            return  # one character: a spelling of it would be an everyday character (枪 -> 抢)
        if not self._empty:
            for end, (n, pairs) in self._auto.iter(key):
                start = end - n + 1
                for alt, label in pairs:
                    yield key[:start] + alt + key[end + 1 :], label
        yield from _numerals(key)
        if "pinyin" in tags or "initials" in tags:
            syllables = pinyin_of(key)
            if syllables:
                if "pinyin" in tags and len(joined := "".join(syllables)) >= _MIN_PINYIN:
                    yield joined, "pinyin"
                if "pinyin" in tags:
                    yield from _one_in_pinyin(key, syllables)
                if "initials" in tags and len(syllables) >= _MIN_INITIALS:
                    yield "".join(s[0] for s in syllables), "initials"


def _one_in_pinyin(key: str, syllables: list[str]) -> Iterator[tuple[str, str]]:
    """One character, or two adjacent ones, written in pinyin (召hui, 只赚bu赔, yufang流感)."""
    if len(key) < 2:
        return
    for i, syllable in enumerate(syllables):
        if len(syllable) >= 2:
            yield key[:i] + syllable + key[i + 1 :], "pinyin"
        if len(key) >= 3 and i + 1 < len(key):
            yield key[:i] + syllable + syllables[i + 1] + key[i + 2 :], "pinyin"


def _numerals(key: str) -> Iterator[tuple[str, str]]:
    spots = [i for i, ch in enumerate(key) if ch in _NUMERALS]
    if not spots or len(key) - len(spots) < 2 or len(key) < 3:
        return
    yield "".join(_NUMERALS.get(ch, ch) for ch in key), "numeral"
    if len(spots) > 1:
        for i in spots:
            yield key[:i] + _NUMERALS[key[i]] + key[i + 1 :], "numeral"


def pinyin_of(word: str) -> list[str]:
    """Toneless pinyin syllables of a Chinese word; [] when a character has no reading."""
    if not word or not all("\u3400" <= ch <= "\u9fff" for ch in word):
        return []
    from pypinyin import Style, lazy_pinyin  # ~0.3 s to import: only rulesets that tag words

    syllables: list[str] = lazy_pinyin(word, style=Style.NORMAL)
    if len(syllables) != len(word) or not all(s.isascii() and s.isalpha() for s in syllables):
        return []
    return syllables


_COMBOS = 16  # pinyin readings kept per word (a character may have several: 行 xing, hang)


def readings_of(words: Iterable[str]) -> Readings:
    """Toneless pinyin -> word for the Chinese words of a ruleset (2 to 8 characters), every
    reading of a character that has several; tone-marked pinyin is read back through it."""
    per_char, syllables = _char_readings()
    rank = char_rank()  # the commoner word wins a reading that several words share
    out: dict[str, str] = {}
    costs: dict[str, int] = {}
    parts: dict[str, list[tuple[str, int, int]]] = {}
    longest = 0
    for word in words:
        if not 2 <= len(word) <= 8 or not all("\u3400" <= ch <= "\u9fff" for ch in word):
            continue
        options = [per_char.get(ch) or [] for ch in word]
        if not all(options):
            continue
        cost = sum(rank.get(ch, len(rank)) for ch in word)
        for combo in islice(product(*options), _COMBOS):
            key = " ".join(combo)
            if key not in out or cost < costs[key]:  # wei xin: 微信 before 威信
                out[key], costs[key] = word, cost
        longest = max(longest, len(word))
        for i in range(len(word)):
            for j in range(i + 1, min(i + 3, len(word)) + 1):
                if j - i == len(word):
                    continue  # the whole word: ``out``
                for combo in islice(product(*options[i:j]), _COMBOS // 2):
                    parts.setdefault(" ".join(combo), []).append((word, i, j))
    frozen = {k: tuple(v) for k, v in parts.items()}
    prefixes = frozenset(" ".join(k.split(" ")[:2]) for k in out)
    return Readings(out, syllables, longest, frozen, prefixes)


@lru_cache(maxsize=1)
def _char_readings() -> tuple[dict[str, list[str]], frozenset[str]]:
    """Each character's toneless readings (pypinyin's table; ü as u), and all syllables."""
    from pypinyin.pinyin_dict import pinyin_dict

    def toneless(reading: str) -> str:
        base = "".join(c for c in unicodedata.normalize("NFD", reading) if c.isascii())
        return base.lower()

    per_char: dict[str, list[str]] = {}
    syllables: set[str] = set()
    for cp, value in pinyin_dict.items():
        options = list(dict.fromkeys(toneless(r) for r in value.split(",")))
        options = [o for o in options if o.isalpha()]
        per_char[chr(cp)] = options[:3]
        syllables.update(options)
    return per_char, frozenset(syllables)
