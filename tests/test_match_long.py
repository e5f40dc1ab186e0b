"""Long messages in the matcher, on lexicons built here: past 500 characters and 64 automaton
matches, matches are thinned to a few per key and context (engine.match.thinning._distinct); the
context must reach as far as the longest key, and spans stay exact in text read backwards.
"""

from __future__ import annotations

import pytest

from engine.match import Lexicon, Role, WordList
from engine.normalize import normalize

DENY, ALLOW = 0, 1


def test_a_reversed_clause_in_a_long_message_with_many_matches() -> None:
    # a clause read backwards maps spans by min and max (no index map), thinned or not
    lex = Lexicon([WordList("deny", Role.DENY, ("稳赚不赔", "冻结"), "d")], {})
    text = "赔不赚稳（倒着读）" + "账户冻结，" * 120
    assert len(text) > 500
    found = lex.scan(normalize(text)).by_list[DENY]
    assert found[0][:4] == (0, 4, 0, 4) and found[0].evasion == "reversed"
    assert [(h.orig_start, h.orig_end) for h in found[1:3]] == [(11, 13), (16, 18)]
    assert all(h.entry.word == "冻结" and h.evasion is None for h in found[1:])


ALLOWED = "请勿相信任何自称客服人员说的账户冻结"  # 18 characters: longer than a jieba window
BEFORE = ALLOWED[-14:-2]  # the 12 characters before its 冻结
AFTER = "我们将持续为您提供优质服务谢谢"  # 15 characters


def test_the_context_reaches_as_far_as_the_longest_allow_phrase() -> None:
    # Six excused 冻结, then one whose 12 characters on each side are theirs but whose 13th
    # to 18th before are not: inside the 18-character allow phrase's reach, a context of its
    # own, so it is kept (and reported) however many excused copies came first.
    lex = Lexicon(
        [
            WordList("deny", Role.DENY, ("冻结", "微信"), "d"),
            WordList("allow", Role.ALLOW, (ALLOWED,), "a"),
        ],
        {},
    )
    assert lex.reach == len(ALLOWED)
    unexcused = "谨防陌生" + BEFORE + "冻结"
    text = (ALLOWED + AFTER) * 6 + unexcused + AFTER + "微信好" * 120
    assert len(text) > 500 and normalize(text).skeleton.text == text
    at = len(ALLOWED + AFTER) * 6 + len(unexcused) - 2
    hits = lex.scan(normalize(text)).of([DENY], [ALLOW])
    assert [(h.start, h.orig_start, h.orig_end) for h in hits if h.entry.word == "冻结"] == [
        (at, at, at + 2)
    ]


FILLER = "，欢迎光临本店铺谢谢惠顾再来"  # 14 skeleton characters: past the 12 of the context


@pytest.mark.parametrize(
    ("invalid", "valid"),
    [
        ("xav", "x*av"),  # a letter right before a Latin word; a symbol between: a word
        ("avx", "av*x"),  # ... right after it
    ],
)
def test_copies_that_differ_only_in_removed_characters_are_contexts_of_their_own(
    invalid: str, valid: str
) -> None:
    # The skeleton of each is the same (xav), so the 12 skeleton characters each side are
    # the same too; the original character next to the word decides whether it is one.
    # After five glued copies (not words), the one set apart is still kept and reported.
    lex = Lexicon([WordList("deny", Role.DENY, ("av", "微信"), "d")], {})
    head = "微信，" * 10  # enough matches first that spans map through the full index map
    text = head + (invalid + FILLER) * 5 + valid + FILLER + "微信好" * 130
    assert len(text) > 500
    at = len(head) + 5 * len(invalid + FILLER) + valid.index("av")
    hits = lex.scan(normalize(text)).by_list[DENY]
    assert [(h.orig_start, h.orig_end) for h in hits if h.entry.word == "av"] == [(at, at + 2)]


def test_matches_in_the_first_twelve_characters_each_have_their_own_context() -> None:
    # 冻结 four times in 冻结期 (excused), then twice glued (not excused), all in the first
    # 13 characters: each match there is its own context, so neither of the last two is lost
    lex = Lexicon(
        [
            WordList("deny", Role.DENY, ("冻结", "微信"), "d"),
            WordList("allow", Role.ALLOW, ("冻结期",), "a"),
        ],
        {},
    )
    text = "冻结期冻结期冻结期冻结冻结" + "请加微信好友" * 90
    assert len(text) > 500 and normalize(text).skeleton.text == text
    hits = lex.scan(normalize(text)).of([DENY], [ALLOW])
    assert [(h.start, h.end) for h in hits if h.entry.word == "冻结"] == [(9, 11), (11, 13)]
