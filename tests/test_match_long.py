"""Long messages in the matcher, on lexicons built here: past 500 characters and 64 automaton
matches, matches are thinned to a few per key and context (engine.match._distinct); the
context must reach as far as the longest key, and spans stay exact in text read backwards.
"""

from __future__ import annotations

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
