"""Matching, case by case, on a lexicon built here (no rules directory): each hit's skeleton
span, original span and evasion, the message facts, and jieba's word boundaries.

tests/test_match.py goes through rules and findings; these cases check engine.match directly,
so a wrong span, a lost evasion label or a missed boundary shows up as the value it changes.
"""

from __future__ import annotations

import re
import time

import pytest

from engine.match import (
    EVASIVE,
    HAS_DOT,
    LATIN,
    LONG,
    MAX_NOISE_PER_CHAR,
    Cover,
    Entry,
    Hit,
    Hits,
    Lexicon,
    Role,
    WordList,
)
from engine.match.edges import _edges, _latin_bounded, _latin_side
from engine.match.lexicon import _insertion_order
from engine.normalize import char_rank, normalize
from engine.word_boundaries import SEGMENTER, Segmenter, _shift, on_word_boundaries

DENY, ALLOW, GATE = 0, 1, 2
NONE: frozenset[str] = frozenset()
BOUNDARY = frozenset({"boundary"})


def _lexicon() -> Lexicon:
    words = ("加微信", "冻结", "av", "69", "大礼", "最低价", "x", " ", "退")
    tags = (NONE, NONE, NONE, NONE, BOUNDARY, NONE, NONE, NONE, BOUNDARY)
    return Lexicon(
        [
            WordList("deny", Role.DENY, words, "lists/deny.txt", tags),
            WordList("allow", Role.ALLOW, ("冷冻", "微信", "冻结期"), "lists/allow.txt"),
            WordList("gate", Role.GATE, ("http", "。", "微信"), "rule gate"),
        ],
        {"微信": ["威信"], "冷冻": ["冷栋"]},
    )


@pytest.fixture
def lex() -> Lexicon:
    return _lexicon()  # built in the test: a lexicon built at import escapes mutation tests


def _found(lex: Lexicon, text: str) -> dict[int, list[tuple[object, ...]]]:
    hits = lex.scan(normalize(text))
    return {
        lid: [(h.start, h.end, h.orig_start, h.orig_end, h.entry.word, h.entry.variant, h.evasion)
              for h in found]
        for lid, found in sorted(hits.by_list.items())
    }  # fmt: skip


def test_the_lexicon_holds_every_key_once(lex: Lexicon) -> None:
    # 8 deny words (" " normalizes to nothing), 加威信 generated from the variant of 微信, and
    # 3 allow words (no variants for allow lists: 冷栋 is not entered); gates are not words
    assert lex.word_count == 12
    assert len(lex.automaton) == 14  # + the gates http and 。 (微信 is a word already)
    assert "冷栋" not in lex.automaton and "加威信" in lex.automaton
    assert lex.lists[DENY].name == "deny" and len(lex.lists) == 3


def test_plain_hits_and_their_spans(lex: Lexicon) -> None:
    assert _found(lex, "请加微信") == {
        DENY: [(1, 4, 1, 4, "加微信", None, None)],
        ALLOW: [(2, 4, 2, 4, "微信", None, None)],
    }


def test_a_variant_spelling_is_found_and_labelled(lex: Lexicon) -> None:
    hits = lex.scan(normalize("加威信"))
    assert _found(lex, "加威信") == {DENY: [(0, 3, 0, 3, "加微信", "加威信", "variant")]}
    assert EVASIVE in hits.gates and EVASIVE in hits.triggered()
    (hit,) = hits.by_list[DENY]
    assert hit.entry == Entry(DENY, "加微信", "加威信", "variant", False)
    assert _found(lex, "冷栋") == {}  # allow lists get no variants


def test_noise_between_characters(lex: Lexicon) -> None:
    assert _found(lex, "加*微*信") == {
        DENY: [(0, 3, 0, 5, "加微信", None, "noise")],
        ALLOW: [(1, 3, 2, 5, "微信", None, "noise")],
    }
    assert EVASIVE in lex.scan(normalize("加*微*信")).gates


def test_noise_allowed_per_character(lex: Lexicon) -> None:
    most = "冻" + "*" * (MAX_NOISE_PER_CHAR * 2) + "结"
    assert _found(lex, most) == {DENY: [(0, 2, 0, 8, "冻结", None, "noise")]}
    assert _found(lex, "冻" + "*" * (MAX_NOISE_PER_CHAR * 2 + 1) + "结") == {}


def test_squeezed_repeats_and_insertions(lex: Lexicon) -> None:
    assert _found(lex, "加微微信") == {
        DENY: [(0, 4, 0, 4, "加微信", None, "repeat")],
        ALLOW: [(2, 4, 2, 4, "微信", None, None)],
    }
    assert _found(lex, "最1低价") == {DENY: [(0, 4, 0, 4, "最低价", None, "insertion")]}
    assert _found(lex, "最a低价") == {DENY: [(0, 4, 0, 4, "最低价", None, "insertion")]}
    assert EVASIVE in lex.scan(normalize("最1低价")).gates
    # squeezed only at its edges: the first pass found it, once
    assert _found(lex, "冻冻结") == {DENY: [(1, 3, 1, 3, "冻结", None, None)]}
    assert _found(lex, "冻结结") == {DENY: [(0, 2, 0, 2, "冻结", None, None)]}
    # a letter slipped in and noise too is a placeholder (满${a}减), not an insertion
    assert _found(lex, "最*a低价") == {}


def test_nothing_to_squeeze_runs_one_pass(lex: Lexicon) -> None:
    assert _found(lex, "最低价") == {DENY: [(0, 3, 0, 3, "最低价", None, None)]}
    assert not lex.scan(normalize("最低价")).gates


def test_latin_words_need_word_edges(lex: Lexicon) -> None:
    assert _found(lex, "看av") == {DENY: [(1, 3, 1, 3, "av", None, None)]}
    assert _found(lex, "看AV片") == {DENY: [(1, 3, 1, 3, "av", None, None)]}
    assert _found(lex, "have") == {}  # inside a Latin word
    assert _found(lex, "avid") == {} and _found(lex, "java") == {}
    assert _found(lex, "看 av.") == {DENY: [(1, 3, 2, 4, "av", None, None)]}
    assert _found(lex, "看a v") == {DENY: [(1, 3, 1, 4, "av", None, "noise")]}
    assert _found(lex, "Ⓐav") == {}  # Ⓐ folds to a letter: still inside a word
    assert _found(lex, "x") == {DENY: [(0, 1, 0, 1, "x", None, None)]}


def test_digit_words_match_whole_numbers(lex: Lexicon) -> None:
    assert _found(lex, "69") == {DENY: [(0, 2, 0, 2, "69", None, None)]}
    assert _found(lex, "送69元") == {DENY: [(1, 3, 1, 3, "69", None, None)]}
    assert _found(lex, "695") == {} and _found(lex, "169") == {}
    assert _found(lex, "6*9") == {DENY: [(0, 2, 0, 3, "69", None, "noise")]}


def test_bounded_words_need_jieba_boundaries(lex: Lexicon) -> None:
    assert _found(lex, "大礼") == {DENY: [(0, 2, 0, 2, "大礼", None, None)]}
    assert _found(lex, "送大礼包") == {}  # 大礼包 is one word
    assert _found(lex, "回T退订") == {}
    assert _found(lex, "不满意可以退") == {DENY: [(5, 6, 5, 6, "退", None, None)]}
    hits = lex.scan(normalize("大*礼"))
    assert EVASIVE in hits.gates and hits.by_list[DENY][0].evasion == "noise"


def test_a_bounded_word_inside_a_longer_hit_of_its_list_is_dropped() -> None:
    lex = Lexicon(
        [WordList("d", Role.DENY, ("最低", "最低价"), "d", (BOUNDARY, NONE))], {}
    )  # fmt: skip
    found = _found(lex, "最低价")
    assert found == {0: [(0, 3, 0, 3, "最低价", None, None)]}
    assert _found(lex, "最低") == {0: [(0, 2, 0, 2, "最低", None, None)]}


def test_gates_open_without_word_checks(lex: Lexicon) -> None:
    hits = lex.scan(normalize("见http链接"))
    assert hits.gates == {GATE} and hits.by_list == {}
    both = lex.scan(normalize("微信"))  # a gate literal that is also a word
    assert both.gates == {GATE} and set(both.by_list) == {ALLOW}
    assert lex.scan(normalize("你好")).gates == set()


def test_an_empty_lexicon_finds_nothing() -> None:
    lex = Lexicon([WordList("d", Role.DENY, (" ", "*"), "d")], {})
    assert lex.word_count == 0
    hits = lex.scan(normalize("加微信 . " + "a" * 80))
    assert hits.by_list == {} and hits.gates == set()
    assert hits.triggered() == {HAS_DOT, LONG, LATIN}


def test_homoglyphs_are_labelled() -> None:
    lex = Lexicon([WordList("d", Role.DENY, ("wechat",), "d")], {})
    assert _found(lex, "加wеchat") == {0: [(1, 7, 1, 7, "wechat", None, "homoglyph")]}
    assert _found(lex, "加wechat") == {0: [(1, 7, 1, 7, "wechat", None, None)]}


def test_many_hits_keep_exact_spans() -> None:
    lex = Lexicon([WordList("d", Role.DENY, ("冻结",), "d")], {})
    text = "冻*结," * 12  # past the hits mapped one by one: the full map takes over
    want = [(3 * i, 3 * i + 2, 4 * i, 4 * i + 3, "冻结", None, "noise") for i in range(12)]
    assert _found(lex, text) == {0: want}
    plain = "冻结," * 12  # no noise: skeleton and original share indices
    want = [(3 * i, 3 * i + 2, 3 * i, 3 * i + 2, "冻结", None, None) for i in range(12)]
    assert _found(lex, plain) == {0: want}
    mapped = "冻\u200b结," * 12  # folded keeps an index list
    want = [(3 * i, 3 * i + 2, 4 * i, 4 * i + 3, "冻结", None, "noise") for i in range(12)]
    assert _found(lex, mapped) == {0: want}


# -- Hits -----------------------------------------------------------------------------------------


def _hit(start: int, end: int, lid: int = 0) -> Hit:
    return Hit(start, end, start, end, Entry(lid, "w", None), None)


def test_hits_of_lists_minus_allow_phrases_in_text_order() -> None:
    norm = normalize("x" * 20)
    hits = Hits(
        norm, {0: [_hit(5, 8), _hit(1, 3)], 1: [_hit(1, 6)], 2: [_hit(4, 9, 2)], 3: []}, set()
    )
    assert [(h.start, h.end) for h in hits.of([0, 1])] == [(1, 6), (1, 3), (5, 8)]
    assert [(h.start, h.end) for h in hits.of([0], [2])] == [(1, 3)]  # 4..9 contains 5..8
    assert [(h.start, h.end) for h in hits.of([0], [1])] == [(5, 8)]  # 1..6 overlaps 5..8 only
    assert [(h.start, h.end) for h in hits.of([0], [3])] == [(1, 3), (5, 8)]
    assert hits.of([3], [0]) == [] and hits.of([]) == [] and hits.of([9]) == []
    assert hits.any([1]) and hits.any([7, 0]) and not hits.any([7]) and not hits.any([])


def test_hit_overlaps_and_contains() -> None:
    a, b, c = _hit(0, 3), _hit(2, 5), _hit(3, 5)
    assert a.overlaps(b) and b.overlaps(a) and not a.overlaps(c) and not c.overlaps(a)
    assert b.contains(c) and not c.contains(b) and a.contains(a) and not a.contains(b)


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("你好", set()),
        ("见见见 x.cn", {HAS_DOT}),
        ("见见见 x。cn", set()),  # a full stop folds to itself, not to "."
        ("见见见 x．cn", {HAS_DOT}),  # full-width dot folds to "."
        ("好" * 70, set()),
        ("好" * 71, {LONG}),
        ("Hello 1", {LATIN}),
        ("abcd好", {LATIN}),  # 4 of 5 ASCII: 80 %
        ("abc好好", set()),
        ("abc好", set()),  # 75 %
        ("", set()),
    ],
)
def test_message_facts(text: str, facts: set[int]) -> None:
    assert Hits(normalize(text), {}, set()).triggered() == facts


def test_triggered_has_lists_and_gates() -> None:
    hits = Hits(normalize("你好"), {4: [_hit(0, 1)]}, {7})
    assert hits.triggered() == {4, 7}


def test_cover() -> None:
    cover = Cover([_hit(5, 9), _hit(0, 2), _hit(1, 4)])
    assert cover.covers(0, 2) and cover.covers(1, 4) and cover.covers(2, 4) and cover.covers(6, 9)
    assert not cover.covers(3, 5) and not cover.covers(0, 5) and not cover.covers(9, 10)
    assert cover.covers(5, 5) and not Cover([]).covers(0, 0)
    assert not Cover([_hit(3, 5)]).covers(2, 4)


# -- helpers ---------------------------------------------------------------------------------------


def test_edges_and_latin_sides() -> None:
    assert [_edges(k) for k in ("av", "a微", "微a", "69", "微信", "a1", "1a", "１")] == [
        3, 1, 2, 4, 0, 1, 2, 0
    ]  # fmt: skip
    assert _latin_side("A", 0) and _latin_side("z", -1) and not _latin_side("1", 0)
    assert not _latin_side("@", 0) and not _latin_side("[", 0) and not _latin_side("`", 0)
    assert _latin_side("Ⓐ", 0) and _latin_side("ﬁ", 0) and _latin_side("ﬁ", -1)
    assert not _latin_side("\u200b", 0) and not _latin_side("好", 0)
    assert _latin_bounded("看av", 1, 3, 3) and not _latin_bounded("have", 1, 3, 3)
    assert not _latin_bounded("avid", 0, 2, 3) and _latin_bounded("avid", 0, 2, 1)
    assert not _latin_bounded("java", 2, 4, 1) and _latin_bounded("java", 2, 4, 2)
    assert _latin_bounded("av", 0, 2, 3) and _latin_bounded("xav", 1, 3, 2)


def test_keys_are_entered_common_first_characters_first() -> None:
    rank = char_rank()
    assert rank["的"] < rank["赌"] and len(rank) > 3000 and "#" not in rank
    assert _insertion_order("的") == (rank["的"], 1, "的")
    assert _insertion_order("a1") == (-1, 2, "a1") and _insertion_order("9") == (-1, 1, "9")
    assert _insertion_order("z") == (-1, 1, "z") and _insertion_order("0") == (-1, 1, "0")
    assert _insertion_order("\U00020000x") == (len(rank), 2, "\U00020000x")
    assert sorted(["赌博", "的", "a", "的确"], key=_insertion_order) == ["a", "的", "的确", "赌博"]


def test_shift() -> None:
    removed = [(5, 10), (20, 30)]
    # a position is never a cut point itself: at 5 nothing is removed yet
    assert [_shift(removed, p) for p in (0, 4, 5, 6, 19, 20, 21)] == [0, 0, 0, 10, 10, 10, 30]
    assert _shift([], 7) == 0


def test_long_ascii_runs_are_shortened_for_jieba() -> None:
    seg = Segmenter()
    seg._keep, seg._long_run = 2, re.compile("[A-Za-z0-9]{8,}")
    text = "你好" + "a1" * 6 + "再见" + "b" * 9 + "啊"
    short, removed = seg._shorten(text)
    assert short == "你好a1a1再见bbbb啊" and removed == [(4, 8), (10, 13)]
    assert seg._shorten("你好abc") == ("你好abc", [])  # shorter than a run could be
    assert seg._shorten("你好你好你好你好abc") == ("你好你好你好你好abc", [])  # no run
    off = Segmenter()
    assert off._shorten("a" * 100) == ("a" * 100, [])  # not loaded: nothing to shorten


def test_jieba_boundaries_over_long_runs() -> None:
    text = "回复" + "a1" * 60 + "退订"
    assert SEGMENTER.boundaries(text) == {0, 2, 122, 124}
    assert SEGMENTER.boundaries("【信使商城】会员日8折。回T退订") == {
        0, 1, 3, 5, 6, 8, 9, 10, 11, 12, 13, 14, 16
    }  # fmt: skip
    assert on_word_boundaries(normalize("你好世界"), _hit(0, 2))  # at the start of the text
    norm = normalize("不满意可以退")
    assert on_word_boundaries(norm, _hit(5, 6)) and not on_word_boundaries(norm, _hit(1, 2))
    long = normalize("这是一段很长的前文内容用来测试窗口大小是否正确不满意可以退")
    end = len(long.skeleton.text)
    assert on_word_boundaries(long, _hit(end - 1, end))


def test_a_fresh_segmenter_loads_jieba_once() -> None:
    seg = Segmenter()
    assert seg.setup_seconds == 0.0
    assert seg.boundaries("你好世界") == {0, 2, 4}
    assert seg.setup_seconds > 0 and seg._keep > 8
    assert seg._long_run is not None and seg._long_run.pattern == f"[A-Za-z0-9]{{{4 * seg._keep},}}"
    spent = seg.setup_seconds
    assert seg.boundaries("回复" + "a1" * 60 + "退订") == {0, 2, 122, 124}
    assert seg.setup_seconds == spent  # loaded once


# -- cases found by mutation testing (bench/mutation.py match) ---------------------------------


def test_tagged_words_get_their_pinyin_key() -> None:
    lex = Lexicon([WordList("d", Role.DENY, ("赌博",), "d", (frozenset({"pinyin"}),))], {})
    assert "dubo" in lex.automaton
    assert _found(lex, "来dubo") == {0: [(1, 5, 1, 5, "赌博", "dubo", "pinyin")]}


def test_a_variant_of_a_bounded_word_is_bounded_too() -> None:
    words = WordList("d", Role.DENY, ("微信",), "d", (BOUNDARY,))
    lex = Lexicon([words], {"微信": ["威信"]})
    assert _found(lex, "权威信息") == {}  # 权威 / 信息: 威信 is not a word here
    assert _found(lex, "加威信") == {0: [(1, 3, 1, 3, "微信", "威信", "variant")]}


def test_words_after_a_gate_literal_are_found(lex: Lexicon) -> None:
    hits = lex.scan(normalize("见http加微信"))
    assert hits.gates == {GATE} and [h.entry.word for h in hits.by_list[DENY]] == ["加微信"]
    squeezed = _found(lex, "见http加微微信")  # the squeezed pass meets the gate first too
    assert squeezed[DENY] == [(5, 9, 5, 9, "加微信", None, "repeat")]


def test_a_word_squeezed_only_at_its_edge_is_reported_once(lex: Lexicon) -> None:
    assert _found(lex, "冻冻结果") == {DENY: [(1, 3, 1, 3, "冻结", None, None)]}
    found = _found(lex, "冻冻结，加微微信")  # and the squeezed words after it still count
    assert found[DENY] == [(1, 3, 1, 3, "冻结", None, None), (4, 8, 4, 8, "加微信", None, "repeat")]


def test_a_squeezed_latin_word_needs_word_edges() -> None:
    lex = Lexicon([WordList("d", Role.DENY, ("a微信",), "d")], {})
    assert _found(lex, "1a微微信") == {0: [(1, 5, 1, 5, "a微信", None, "insertion")]}
    assert _found(lex, "ba微微信") == {}  # inside the Latin word "ba"


def test_a_digit_word_checks_the_character_right_before_it(lex: Lexicon) -> None:
    assert _found(lex, "5元69") == {DENY: [(2, 4, 2, 4, "69", None, None)]}


def test_how_a_variant_was_disguised_wins_over_variant_except_noise(lex: Lexicon) -> None:
    assert _found(lex, "加威威信") == {DENY: [(0, 4, 0, 4, "加微信", "加威信", "repeat")]}
    assert _found(lex, "加*威*信") == {DENY: [(0, 3, 0, 5, "加微信", "加威信", "variant")]}


def test_a_word_in_two_lists_bounded_in_one() -> None:
    lex = Lexicon(
        [
            WordList("bounded", Role.DENY, ("大礼",), "a", (BOUNDARY,)),
            WordList("plain", Role.DENY, ("大礼",), "b"),
        ],
        {},
    )
    assert _found(lex, "送大礼包") == {1: [(1, 3, 1, 3, "大礼", None, None)]}


def test_each_pending_bounded_hit_is_judged_on_its_own() -> None:
    words = ("最低", "最低价", "大礼", "送大礼")
    tags = (BOUNDARY, NONE, BOUNDARY, NONE)
    lex = Lexicon([WordList("d", Role.DENY, words, "d", tags)], {})
    assert [h[4] for h in _found(lex, "最低价，大礼")[0]] == ["最低价", "大礼"]
    assert [h[4] for h in _found(lex, "送大礼包，大礼")[0]] == ["送大礼", "大礼"]
    bounded_only = _lexicon()  # 大礼 inside 大礼包 is not a word; the next 大礼 still counts
    assert _found(bounded_only, "送大礼包，大礼") == {DENY: [(5, 7, 5, 7, "大礼", None, None)]}
    # 送/大礼 are jieba words, yet 大礼 inside the list's own 送大礼 is not reported again
    assert [h[4] for h in _found(lex, "送大礼")[0]] == ["送大礼"]


def test_the_ascii_run_jieba_must_see_whole() -> None:
    seg = Segmenter()
    seg.boundaries("你好")
    # the longest ASCII run inside a jieba dictionary word is 5 characters (江南style): 5 + 8
    assert seg._keep == 13


def test_jieba_runs_without_new_word_guessing() -> None:
    # HMM would join 杭研 into a word no dictionary has; boundaries come from the dictionary
    assert SEGMENTER.boundaries("他来到了网易杭研大厦") == {0, 1, 3, 4, 6, 7, 8, 10}


def test_folded_neighbours_decide_latin_word_edges(lex: Lexicon) -> None:
    assert _found(lex, "［av］") == {DENY: [(0, 2, 1, 3, "av", None, None)]}  # ［ folds to [
    assert _found(lex, "avｚ") == {}  # ｚ folds to z: av is inside "avz"


def test_jieba_setup_time_is_this_threads_cpu_time() -> None:
    seg = Segmenter()
    seg.boundaries("你好")
    assert 0 < seg.setup_seconds <= time.thread_time()


def _deny_starts(lex: Lexicon, text: str, word: str | None = None) -> list[int]:
    return [
        h.start
        for h in lex.scan(normalize(text)).by_list.get(DENY, [])
        if word is None or h.entry.word == word
    ]


def test_a_chain_of_one_key_keeps_its_first_and_last_hits(lex: Lexicon) -> None:
    # 30 x 冻结 back to back: the first 7 hits map by bisection, the chain starts at the 8th
    # and keeps 8 hits (8th to 15th); of the rest only the last 8 are recorded, at the end
    starts = _deny_starts(lex, "冻结" * 30)
    assert starts == [*range(0, 30, 2), *range(44, 60, 2)]


def test_a_disguised_chain_keeps_its_evasion_on_every_hit(lex: Lexicon) -> None:
    hits = lex.scan(normalize("冻*结" * 30)).by_list[DENY]
    assert [h.start for h in hits] == [*range(0, 30, 2), *range(44, 60, 2)]
    assert [h.evasion for h in hits] == ["noise"] * 23  # the held-back tail too


def test_chains_are_per_key_so_other_keys_back_to_back_are_all_kept(lex: Lexicon) -> None:
    # 冻结 and 加微信 alternate, each touching the other: neither key is back to back with itself
    starts = _deny_starts(lex, "冻结加微信" * 20)
    assert starts == sorted([*range(0, 100, 5), *range(2, 100, 5)])


def test_a_digit_word_in_a_long_message_is_kept_only_outside_numbers(lex: Lexicon) -> None:
    # > 500 characters and > 64 matches: _distinct runs; 69 inside 695 is dropped there, a
    # 69 after 1年, after a comma and at the very end is kept, and nothing after 695 is lost
    text = "695冻结" + "冻结天天天" * 100 + "看3av，价69元，1年69，69"
    assert _deny_starts(lex, text, "69") == [511, 517, 520]
    assert _deny_starts(lex, text, "冻结")[0] == 3
    # a Latin word after a digit is a word (only digit-only words need whole numbers)
    assert _deny_starts(lex, text, "av") == [507]


def test_long_short_and_many_matches_are_thinned_only_together(lex: Lexicon) -> None:
    # exactly 500 characters (not more) with 100 matches: every match is a hit
    assert len(_deny_starts(lex, "冻结天天天" * 100)) == 100
    # more than 500 characters with exactly 64 matches (not more): every match too
    assert len(_deny_starts(lex, "冻结天天天天天天" * 64)) == 64
    # both: one context repeated keeps a handful
    assert len(_deny_starts(lex, "冻结天天天" * 101)) < 30


def test_a_repeated_jieba_window_is_asked_once_in_a_long_message(lex: Lexicon) -> None:
    # 42 x 退 inside 退款 (not a word), > 500 characters, too few matches for _distinct: the
    # windows repeat, so fewer than 32 distinct ones are asked and none counts as a word
    hits = lex.scan(normalize(("退款" + "天" * 10) * 42))
    assert hits.by_list == {}


def test_a_jieba_window_answered_before_the_cap_keeps_its_answer(lex: Lexicon) -> None:
    # > 500 characters: 退 inside 退款 (not a word) in 34 distinct windows, then the first
    # window again. The first 32 distinct windows are asked (no), the 33rd and 34th count as
    # words without asking (the cap), and the repeated first window keeps its answer: no.
    fill = "天地人日月山水火木金土石田禾米竹"
    pad = "天" * 40
    blocks = "".join(
        "退款" + fill[i % 16] + fill[(i * 7 + 3) % 16] + fill[i // 16] * 8 for i in range(33)
    )
    text = pad + "退款" + pad + blocks + pad + "退款" + pad
    assert len(text) == 560
    assert _deny_starts(lex, text, "退") == [454, 466]


def test_a_gate_opens_in_a_long_message_with_many_matches(lex: Lexicon) -> None:
    # > 500 characters and > 64 matches: _distinct thins the words, but a gate literal's
    # first match still opens its gate
    hits = lex.scan(normalize("冻结天天天" * 101 + "见http链接"))
    assert GATE in hits.gates
    assert GATE not in lex.scan(normalize("冻结天天天" * 101)).gates


def test_a_phrase_written_as_listed_is_not_noise() -> None:
    lex = Lexicon([WordList("d", Role.DENY, ("weed & coke", "av"), "d")], {})
    # spaces and symbols as the list writes them, in any letter case: plain text
    assert _found(lex, "买weed & coke了") == {0: [(1, 9, 1, 12, "weed & coke", None, None)]}
    assert _found(lex, "买Weed & Coke") == {0: [(1, 9, 1, 12, "weed & coke", None, None)]}
    # other symbols between the letters: noise
    assert _found(lex, "买weed&&coke") == {0: [(1, 9, 1, 11, "weed & coke", None, "noise")]}
    # no character removed: never noise, even when the original differs from the listed word
    assert _found(lex, "看ａｖ片") == {0: [(1, 3, 1, 3, "av", None, None)]}
