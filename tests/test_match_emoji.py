"""An emoji in place of one character of a list word (🐮股 = 牛股), case by case, on a lexicon
built here: each hit's skeleton span, its span on the original text (emoji and variation
selector included), the evasion, and what the emoji pass must not report.

The emoji is not in the skeleton: a hit's skeleton span holds the word's other characters,
and its original span reaches over the emoji. Names (CLDR, engine/data/emoji_zh.tsv):
🐮 奶牛头, ❤ 红心, ⭐ 星星, 🐴 马头, 🌃 夜晚.
"""

from __future__ import annotations

import pytest

from engine.match import EVASIVE, MAX_NOISE_PER_CHAR, Lexicon, Role, WordList
from engine.normalize import emoji_names, normalize

DENY, BOUNDED, ALLOW = 0, 1, 2
WORDS = ("牛股", "大牛股票", "股票", "爱心", "星光", "红包", "牛x", "牛", "包夜", "马上到账")


def _lexicon() -> Lexicon:
    return Lexicon(
        [
            WordList("deny", Role.DENY, WORDS, "lists/deny.txt"),
            WordList("bounded", Role.DENY, ("牛市",), "lists/b.txt", (frozenset({"boundary"}),)),
            # 牛市 both [boundary] (above) and in an allow list: the allow list's counts
            WordList("allow", Role.ALLOW, ("牛奶", "牛市"), "lists/allow.txt"),
        ],
        {},
    )


@pytest.fixture
def lex() -> Lexicon:
    return _lexicon()  # built in the test: a lexicon built at import escapes mutation tests


Found = list[tuple[int, int, int, int, int, str, str | None]]


def _found(lex: Lexicon, text: str) -> Found:
    hits = lex.scan(normalize(text))
    return sorted(
        (lid, h.start, h.end, h.orig_start, h.orig_end, h.entry.word, h.evasion)
        for lid, found in hits.by_list.items()
        for h in found
    )


def test_the_names_these_cases_rely_on() -> None:
    names = emoji_names().names
    assert [names[e] for e in "🐮❤⭐🐴🌃"] == ["奶牛头", "红心", "星星", "马头", "夜晚"]


# text -> every hit: (list, skeleton start, end, original start, end, word, evasion)
CASES: list[tuple[str, Found]] = [
    # the emoji first: the skeleton span is the word's other characters only
    ("🐮股", [(DENY, 0, 1, 0, 2, "牛股", "emoji")]),
    ("买🐮股", [(DENY, 1, 2, 1, 3, "牛股", "emoji")]),
    # the emoji last
    ("爱❤", [(DENY, 0, 1, 0, 2, "爱心", "emoji")]),
    # a variation selector after the emoji belongs to it, at the end or at the start of a word
    ("爱❤️", [(DENY, 0, 1, 0, 3, "爱心", "emoji")]),
    ("领❤️包", [(DENY, 1, 2, 1, 4, "红包", "emoji")]),
    ("🐮️股", [(DENY, 0, 1, 0, 3, "牛股", "emoji")]),
    # in the middle, at the start of the text and after another character; words that do
    # not take in the emoji are the plain pass's (股票), not reported again as emoji
    (
        "大🐮股票",
        [
            (DENY, 0, 3, 0, 4, "大牛股票", "emoji"),
            (DENY, 1, 2, 1, 3, "牛股", "emoji"),
            (DENY, 1, 3, 2, 4, "股票", None),
        ],
    ),
    (
        "买大🐮股票",
        [
            (DENY, 1, 4, 1, 5, "大牛股票", "emoji"),
            (DENY, 2, 3, 2, 4, "牛股", "emoji"),
            (DENY, 2, 4, 3, 5, "股票", None),
        ],
    ),
    ("🐮股票", [(DENY, 0, 1, 0, 2, "牛股", "emoji"), (DENY, 0, 2, 1, 3, "股票", None)]),
    ("股票🐮", [(DENY, 0, 2, 0, 2, "股票", None)]),  # 股票牛 holds no word through the emoji
    ("股票🐮股", [(DENY, 0, 2, 0, 2, "股票", None), (DENY, 2, 3, 2, 4, "牛股", "emoji")]),
    # a name with a repeated character (星星) is tried once per character
    ("⭐光", [(DENY, 0, 1, 0, 2, "星光", "emoji")]),
    # several emoji: each one's place counted from the previous one's, over removed noise
    ("🐮股和🐮股", [(DENY, 0, 1, 0, 2, "牛股", "emoji"), (DENY, 2, 3, 3, 5, "牛股", "emoji")]),
    ("🐮股**🐮股", [(DENY, 0, 1, 0, 2, "牛股", "emoji"), (DENY, 1, 2, 4, 6, "牛股", "emoji")]),
    (
        "🐮股，🐴上到账",
        [(DENY, 0, 1, 0, 2, "牛股", "emoji"), (DENY, 2, 5, 3, 7, "马上到账", "emoji")],
    ),
    # folding changes the length before the emoji: ™ folds to two letters, a zero-width
    # space to none
    ("™🐮股", [(DENY, 2, 3, 1, 3, "牛股", "emoji")]),
    ("加\u200b🐮股", [(DENY, 1, 2, 2, 4, "牛股", "emoji")]),
    # an allow list's word through an emoji is a hit of that list (it excuses what it holds)
    ("🐮奶", [(ALLOW, 0, 1, 0, 2, "牛奶", "emoji")]),
    # not through an emoji: a one-character word, a word with a Latin edge, a [boundary]
    # word (jieba's edges are not asked here: 牛市 is the allow list's hit only), an emoji
    # apart from Chinese characters
    ("大🐮", []),
    ("大🐮x", []),
    ("看好🐮市", [(ALLOW, 2, 3, 2, 4, "牛市", "emoji")]),
    ("🐮 股", []),
    # a clause read backwards (倒着读): the emoji's place is its place in the reading, and
    # the original span covers the emoji and the characters on both sides
    ("股🐮（倒着读）", [(DENY, 0, 1, 0, 2, "牛股", "emoji")]),
    ("🌃包（倒着读），价格优惠", [(DENY, 0, 1, 0, 2, "包夜", "emoji")]),
    ("账到上🐴（倒着读）", [(DENY, 0, 3, 0, 4, "马上到账", "emoji")]),
    (
        "好，票股🐮大（倒着读）",
        [
            (DENY, 2, 5, 2, 6, "大牛股票", "emoji"),
            (DENY, 3, 4, 3, 5, "牛股", "emoji"),
            (DENY, 3, 5, 2, 4, "股票", "reversed"),
        ],
    ),
    # an emoji after the reversed clause, and before it
    ("赔不赚稳（倒着读），🐮股", [(DENY, 8, 9, 10, 12, "牛股", "emoji")]),
    ("🐮股，赔不赚稳（倒着读）", [(DENY, 0, 1, 0, 2, "牛股", "emoji")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_emoji_for_a_character(lex: Lexicon, text: str, expected: Found) -> None:
    assert _found(lex, text) == expected
    assert (EVASIVE in lex.scan(normalize(text)).gates) == any(e[-1] for e in expected)


def test_a_bounded_word_without_the_emoji_is_a_word(lex: Lexicon) -> None:
    # the [boundary] word itself counts on jieba's edges: only its emoji spelling is left out
    assert _found(lex, "看好牛市") == [
        (DENY, 2, 3, 2, 3, "牛", None),
        (BOUNDED, 2, 4, 2, 4, "牛市", None),
        (ALLOW, 2, 4, 2, 4, "牛市", None),
    ]


@pytest.mark.parametrize("extra", [MAX_NOISE_PER_CHAR * 2, MAX_NOISE_PER_CHAR * 2 + 1])
def test_noise_between_the_emoji_and_the_word(lex: Lexicon, extra: int) -> None:
    # at most MAX_NOISE_PER_CHAR removed characters per character of the word, as elsewhere
    text = "大🐮" + "*" * extra + "股"
    within = extra <= MAX_NOISE_PER_CHAR * 2
    assert _found(lex, text) == ([(DENY, 1, 2, 1, 3 + extra, "牛股", "emoji")] if within else [])


# 12 characters each side of the emoji are read, whatever the longest key
TAIL = "股推荐群每天免费领取好股票"  # 13 characters
AFTER_12, AFTER_13 = "牛" + TAIL[:12], "牛" + TAIL  # the emoji first
BEFORE_12, BEFORE_13 = TAIL[:12] + "牛", TAIL + "牛"  # the emoji last


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("🐮" + TAIL[:12], [AFTER_12]),
        ("🐮" + TAIL, [AFTER_12]),  # 13 characters after the emoji: the 14-character word not
        ("买" + TAIL[:12] + "🐮", [BEFORE_12]),
        (TAIL + "🐮", []),  # 13 before: neither
    ],
)
def test_the_emoji_window_reaches_twelve_characters(text: str, found: list[str]) -> None:
    words = (AFTER_12, AFTER_13, BEFORE_12, BEFORE_13)
    lex = Lexicon([WordList("deny", Role.DENY, words, "d")], {})
    assert lex.reach == 14  # the longest key: more than the window
    hits = lex.scan(normalize(text))
    assert [(h.entry.word, h.evasion) for h in hits.by_list.get(0, [])] == [
        (w, "emoji") for w in found
    ]
