"""Generated spellings and text-level marks in the matcher, case by case, on lexicons built
here: which keys count only on jieba's word edges (two-character homophones, [boundary]
words), what a hit's entry says, tone-marked pinyin read back through the lexicon's
readings, and the evasion a mark in the message gives the hits inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from engine.match import EVASIVE, Entry, Lexicon, Role, WordList
from engine.normalize import normalize
from engine.word_boundaries import SEGMENTER

NONE: frozenset[str] = frozenset()
BOUNDARY = frozenset({"boundary"})
HOMOPHONE = {"homophone": {"币": ["毕"]}}  # as rules/evasions.yaml writes a table
VARIANT = {"币": ["毕"]}  # the same spelling as a variant (rules/variants.yaml)

Found = list[tuple[int, int, int, int, Entry, str | None]]


def _found(lex: Lexicon, text: str, *, readings: bool = False) -> Found:
    hits = lex.scan(normalize(text, lex.readings if readings else None))
    return sorted(
        ((h.start, h.end, h.orig_start, h.orig_end, h.entry, h.evasion)
         for found in hits.by_list.values() for h in found),
        key=lambda t: (t[0], t[1]),
    )  # fmt: skip


def test_the_word_edges_these_cases_rely_on() -> None:
    # jieba: 出售/假/毕业证 (假毕 ends inside 毕业证), 收到/假/毕/了, 卖假/毕业证
    assert sorted(SEGMENTER.boundaries("出售假毕业证")) == [0, 2, 3, 6]
    assert sorted(SEGMENTER.boundaries("收到假毕了")) == [0, 2, 3, 4, 5]
    assert sorted(SEGMENTER.boundaries("卖假毕业证")) == [0, 2, 5]


def _entry(word: str, alt: str | None, label: str | None, edge: bool) -> Entry:
    return Entry(0, word, alt, label, edge)


FAKE_HOMOPHONE = _entry("假币", "假毕", "homophone", True)
FAKE_VARIANT = _entry("假币", "假毕", "variant", False)
SELL_HOMOPHONE = _entry("卖假币", "卖假毕", "homophone", False)
SELL_VARIANT = _entry("卖假币", "卖假毕", "variant", False)

# (variants, spellings, text) -> every hit: skeleton span, original span, entry, evasion
EDGE_CASES: list[
    tuple[Mapping[str, Sequence[str]], dict[str, dict[str, list[str]]], str, Found]
] = [
    # a two-character homophone key counts on jieba's word edges only
    ({}, HOMOPHONE, "收到假毕了", [(2, 4, 2, 4, FAKE_HOMOPHONE, "homophone")]),
    ({}, HOMOPHONE, "出售假毕业证", []),  # 假毕 ends inside 毕业证
    # a longer homophone key counts anywhere; its two-character piece still needs the edges
    ({}, HOMOPHONE, "卖假毕业证", [(0, 3, 0, 3, SELL_HOMOPHONE, "homophone")]),
    # a variant of two characters counts anywhere, as every non-homophone spelling does
    ({"币": ["毕"]}, {}, "出售假毕业证", [(2, 4, 2, 4, FAKE_VARIANT, "variant")]),
    (
        VARIANT,
        {},
        "卖假毕业证",
        [(0, 3, 0, 3, SELL_VARIANT, "variant"), (1, 3, 1, 3, FAKE_VARIANT, "variant")],
    ),
    # the word as listed: a plain entry, not bounded
    ({}, HOMOPHONE, "出售假币", [(2, 4, 2, 4, _entry("假币", None, None, False), None)]),
]


@pytest.mark.parametrize(
    ("variants", "spellings", "text", "expected"),
    EDGE_CASES,
    ids=[f"{'homophone' if c[1] else 'variant'}-{c[2]}" for c in EDGE_CASES],
)
def test_two_character_homophones_count_on_word_edges_only(
    variants: Mapping[str, Sequence[str]],
    spellings: dict[str, dict[str, list[str]]],
    text: str,
    expected: Found,
) -> None:
    lex = Lexicon([WordList("deny", Role.DENY, ("假币", "卖假币"), "d")], variants, spellings)
    assert _found(lex, text) == expected
    assert (EVASIVE in lex.scan(normalize(text)).gates) == any(e[-1] for e in expected)


def test_a_bounded_words_entry_says_so() -> None:
    lex = Lexicon(
        [
            WordList("plain", Role.DENY, ("冻结",), "p"),
            WordList("bounded", Role.DENY, ("大礼",), "b", (BOUNDARY,)),
        ],
        {},
    )
    hits = lex.scan(normalize("账户冻结，送大礼"))
    assert [h.entry for h in hits.by_list[0]] == [Entry(0, "冻结", None, None, False)]
    assert [h.entry for h in hits.by_list[1]] == [Entry(1, "大礼", None, None, True)]


def _pinyin_lexicon() -> Lexicon:
    return Lexicon(
        [
            WordList("deny", Role.DENY, ("稳赚不赔", "冻结", "加微信"), "d"),
            WordList("gate", Role.GATE, ("保底回购",), "g"),
        ],
        {"微信": ["威信"]},
    )


STEADY = Entry(0, "稳赚不赔", None, None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a listed word in tone-marked pinyin: 13 letters for 4 characters
        ("wěnzhuànbùpéi", [(0, 4, 0, 13, STEADY, "pinyin")]),
        # tone numbers: 17 characters for 4, past the noise limit (3 a character): read
        # from pinyin, so the limit does not apply
        ("wen3zhuan4bu4pei2", [(0, 4, 0, 17, STEADY, "pinyin")]),
        # ... but it still applies to the other words of that message
        ("wen3zhuan4bu4pei2，冻*******结", [(0, 4, 0, 17, STEADY, "pinyin")]),
        ("wen3zhuan4bu4pei2，冻******结", [(0, 4, 0, 17, STEADY, "pinyin"),
                                          (5, 7, 18, 26, Entry(0, "冻结", None, None, False),
                                           "noise")]),
    ],
)  # fmt: skip
def test_tone_pinyin_of_a_listed_word_is_read_as_the_word(text: str, expected: Found) -> None:
    lex = _pinyin_lexicon()
    assert _found(lex, text, readings=True) == expected


def test_gate_literals_are_read_from_tone_pinyin_too() -> None:
    lex = _pinyin_lexicon()
    hits = lex.scan(normalize("bǎodǐhuígòu", lex.readings))
    assert hits.gates == {1} and not hits.by_list
    # the readings hold the listed spellings and the gates, not the generated ones
    assert lex.readings.words["wen zhuan bu pei"] == "稳赚不赔"
    assert lex.readings.words["bao di hui gou"] == "保底回购"
    assert "jia wei xin" in lex.readings.words and "威信" not in lex.readings.words.values()


PLAIN = Entry(0, "加微信", None, None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a mark over the hit names its evasion: the hit found as noise, or found plain
        ("『稳』『赚』『不』『赔』", [(0, 4, 1, 11, STEADY, "bracketed")]),
        ("稳\u0308赚不赔", [(0, 4, 0, 5, STEADY, "combining_mark")]),
        ("赔不赚稳（倒着读）", [(0, 4, 0, 4, STEADY, "reversed")]),
        # a hit outside the mark keeps its own: none, or how the text disguised it
        ("冻结，赔不赚稳（倒着读）", [(0, 2, 0, 2, Entry(0, "冻结", None, None, False), None),
                                   (3, 7, 3, 7, STEADY, "reversed")]),
        ("加微微信，赔不赚稳（倒着读）", [(0, 4, 0, 4, PLAIN, "repeat"),
                                       (5, 9, 5, 9, STEADY, "reversed")]),
    ],
)  # fmt: skip
def test_a_mark_names_the_evasion_of_the_hits_inside_it(text: str, expected: Found) -> None:
    assert _found(_pinyin_lexicon(), text) == expected
