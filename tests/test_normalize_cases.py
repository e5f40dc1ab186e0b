"""Normalization, case by case: each fold, each view and each span map with its exact result.

tests/test_normalize.py checks properties over random text; these cases pin down the values
(what a word list sees, which original characters a finding underlines), so a change in any
branch of engine.normalize shows up as a wrong span or a wrong view.
"""

from __future__ import annotations

import re

import pytest

from engine.normalize import (
    HARD_BREAKS,
    Normalized,
    View,
    fold,
    fold_char,
    is_filler,
    lookalike_table,
    normalize,
    normalize_word,
    prime_tables,
    tables,
)
from engine.normalize.tables import (
    _PRIMED,
    _char_class,
    _fold_char,
    _is_cjk,
    _opencc_char_map,
    _Tables,
)

# text -> (folded, skeleton, plain, skeleton index of every skeleton char in the original)
CASES = [
    ("最低价", "最低价", "最低价", None, [0, 1, 2]),
    ("最 低 价", "最低价", "最低价", None, [0, 2, 4]),  # written apart: joined for regexes too
    ("最 低", "最 低", "最低", None, [0, 2]),  # two characters apart, nothing joined around
    ("上、门、服、务，好", "上门服务,好", "上门服务,好", None, [0, 2, 4, 6, 7, 8]),
    ("ＶＸ退訂", "vx退订", "vx退订", None, [0, 1, 2, 3]),
    ("回覆T", "回复t", "回复t", None, [0, 1, 2]),  # OpenCC's phrase table
    ("加\u200b微\u200d信", "加微信", "加微信", None, [0, 2, 4]),
    ("㈤折ﬁ", "五折fi", "五折fi", None, [0, 1, 2, 2]),
    ("🌹最🌹低", "🌹最🌹低", "最低", None, [1, 3]),
    ("a𝐱b", "axb", "axb", None, [0, 1, 2]),
    ("wеchat 微❤信", "wеchat 微❤信", "wechat微信", "wеchat微信", [0, 1, 2, 3, 4, 5, 7, 9]),
    ("ı", "ı", "i", "ı", [0]),
    ("请勿回复。验证码", "请勿回复。验证码", "请勿回复。验证码", None, [0, 1, 2, 3, 4, 5, 6, 7]),
    ("Ｗ\u200bе ＸＩＮ", "wе xin", "wexin", "wеxin", [0, 2, 4, 5, 6]),
    ("", "", "", None, []),
    ("  ", "  ", "", None, []),
]


@pytest.mark.parametrize(("text", "folded", "skeleton", "plain", "starts"), CASES)
def test_views_and_the_map_back(
    text: str, folded: str, skeleton: str, plain: str | None, starts: list[int]
) -> None:
    n = normalize(text)
    assert n.original == text and n.folded.text == folded and n.skeleton.text == skeleton
    assert n.plain == plain
    got = n.skeleton_starts()
    assert list(range(len(skeleton)) if got is None else got) == starts
    for i in range(len(skeleton)):  # each skeleton character maps to its original character
        assert n.skeleton_span(i, i + 1) == (starts[i], starts[i] + 1) or (
            len(text) != len(folded) and n.skeleton_span(i, i + 1)[0] == starts[i]
        )
    if skeleton:
        s, e = n.skeleton_span(0, len(skeleton))
        assert s == starts[0] and text[e - 1 : e] != "" and e <= len(text)
    assert normalize_word(text) == skeleton


def test_a_span_across_noise_covers_the_noise() -> None:
    n = normalize("最*低*价！")
    assert n.skeleton.text == "最低价!"
    assert n.skeleton_span(0, 3) == (0, 5) and n.skeleton_span(1, 2) == (2, 3)
    assert n.skeleton_span(3, 4) == (5, 6)
    assert n.skeleton_span(2, 2) == (4, 4)  # empty: where it would start
    assert n.skeleton_span(4, 4) == (6, 6)  # the end of the text


def test_a_span_through_a_multi_character_fold() -> None:
    n = normalize("ﬁ*x\u200by")
    assert n.folded.text == "fi*xy" and n.skeleton.text == "fixy"
    assert n.skeleton_span(0, 2) == (0, 1)  # both letters of the ligature: one character
    assert n.skeleton_span(1, 3) == (0, 3)
    assert n.skeleton_span(3, 4) == (4, 5)  # past the dropped zero-width space
    assert n.folded_span(2, 3) == (1, 2) and n.folded_span(0, 1) == (0, 1)
    assert n.folded_span(5, 5) == (5, 5)  # the end of the folded text: the end of the original
    assert n.skeleton_starts() == [0, 0, 2, 4]


def test_skeleton_bounds_is_the_inverse_of_skeleton_span() -> None:
    n = normalize("最 低 价")  # folded is the original; noise removed from the skeleton
    assert n.skeleton_bounds(0, 5) == (0, 3)
    assert n.skeleton_bounds(2, 5) == (1, 3) and n.skeleton_bounds(0, 3) == (0, 2)
    assert n.skeleton_bounds(1, 4) == (1, 2)  # " 低 " holds only 低
    assert n.skeleton_bounds(0, 0) == (0, 0)
    same = normalize("最低价")  # nothing removed anywhere
    assert same.skeleton_bounds(1, 2) == (1, 2) and same.skeleton_bounds(1, 9) == (1, 3)
    assert same.skeleton_bounds(7, 9) == (3, 3)
    mapped = normalize("加\u200b微 信")  # folded has an index list
    assert mapped.skeleton.text == "加微信"
    assert mapped.skeleton_bounds(0, 5) == (0, 3) and mapped.skeleton_bounds(1, 5) == (1, 3)
    assert mapped.skeleton_bounds(2, 4) == (1, 2) and mapped.skeleton_bounds(3, 5) == (2, 3)


def test_view_positions() -> None:
    plain = View("abc")
    assert plain.is_source and plain.to_source(1, 3) == (1, 3) and plain.to_source(2, 2) == (2, 2)
    listed = View("xyz", starts=(0, 2, 5))
    assert not listed.is_source
    assert listed.to_source(0, 3) == (0, 6) and listed.to_source(1, 2) == (2, 3)
    assert listed.to_source(3, 3) == (6, 6) and listed.to_source(2, 1) == (5, 5)
    assert View("", starts=()).to_source(0, 0) == (0, 0)
    noise = re.compile("[-*]+")
    removed = View("abcd", source="a--b*cd*", removed=noise)
    assert not removed.is_source
    assert [removed.to_source(i, i + 1) for i in range(4)] == [(0, 1), (3, 4), (5, 6), (6, 7)]
    assert removed.to_source(0, 4) == (0, 7) and removed.to_source(4, 4) == (8, 8)
    assert View("abc", removed=noise).to_source(1, 2) == (1, 2)  # no source: identity
    lead = View("ab", source="--ab", removed=noise)
    assert lead.to_source(0, 1) == (2, 3) and lead.to_source(0, 2) == (2, 4)


def test_skeleton_starts_without_noise_is_the_folded_map() -> None:
    n = normalize("Ａ\u200bＢ")
    assert n.folded.text == "ab" and n.skeleton_starts() == (0, 2)
    assert normalize("ab").skeleton_starts() is None
    n = Normalized("a b", View("a b"), View("ab", source="a b", removed=re.compile(" ")))
    assert n.skeleton_starts() == [0, 2]


# -- folding one character / one string -------------------------------------------------------


@pytest.mark.parametrize(
    ("ch", "folded"),
    [("Ａ", "a"), ("訂", "订"), ("㈤", "五"), ("⑴", "1"), ("⒈", "1"), ("ﬁ", "fi"), ("‥", "‥"),
     ("\u200b", ""), ("\u00ad", ""), ("x", "x"), ("𝐱", "x"), ("价", "价"), ("Σ", "σ")],
)  # fmt: skip
def test_fold_char(ch: str, folded: str) -> None:
    assert fold_char(ch) == folded


def test_fold_keeps_the_length() -> None:
    assert fold("ＶＸ退訂") == "vx退订"
    assert fold("a𝐱Ｂ") == "axb"  # past the BMP: the slower table
    assert fold("ﬁ\u200b") == "ﬁ\u200b"  # multi-character folds and deletions are not made
    assert fold("") == ""


def test_reference_folds_of_single_characters() -> None:
    t2s = _opencc_char_map()
    assert t2s["訂"] == "订" and "订" not in t2s and "价" not in t2s
    assert all(len(v) == 1 and k != v for k, v in t2s.items())
    assert _fold_char("㈤", t2s) == "五"  # parentheses dropped
    assert _fold_char("⑴", t2s) == "1"
    assert _fold_char("‥", t2s) == "‥"  # only noise inside: kept as it is
    assert _fold_char("ﬁ", t2s) == "fi"
    assert _fold_char("Ａ", t2s) == "a" and _fold_char("訂", t2s) == "订"
    assert _fold_char("體", {}) == "體"  # simplification comes from the table only


@pytest.mark.parametrize(
    ("ch", "filler"),
    [(" ", True), ("*", True), ("❤", True), ("。", True), ("\u200b", True), ("\u0301", True),
     ("\u20dd", True), ("最", False), ("a", False), ("1", False), ("\u0903", False)],
)  # fmt: skip
def test_is_filler(ch: str, filler: bool) -> None:
    assert is_filler(ch) is filler


def test_char_class() -> None:
    assert _char_class([]) == ""
    assert _char_class([ord("c"), ord("a"), ord("b"), ord("e")]) == "a-ce"
    assert _char_class([ord("-"), ord("]")]) == "\\-\\]"
    assert _char_class([ord("x")]) == "x"
    assert _char_class([ord("a"), ord("b")]) == "a-b"
    assert re.fullmatch(f"[{_char_class([0x41, 0x42, 0x44])}]+", "ABD")


def test_lookalike_table() -> None:
    raw = lookalike_table({})
    assert raw["е"] == "e" and raw["ο"] == "o" and raw["ı"] == "i"  # Cyrillic, Greek, dotless
    assert raw["⺅"] == "亻" and raw["⼈"] == "人"  # radicals stand for their character
    assert raw["ℓ"] == "l"
    for ch in ("×", "a", "人", "0", "-"):  # symbols, ASCII, Chinese characters are left alone
        assert ch not in raw
    assert all(len(k) == 1 and len(v) == 1 for k, v in raw.items())
    assert all(v.isascii() or v >= "\u2e80" for v in raw.values())
    assert all(v == v.lower() for v in raw.values())
    folded = lookalike_table({ord("ℓ"): "l", ord("⼈"): "人"})  # folding handles these already
    assert "ℓ" not in folded and "⼈" not in folded and folded["е"] == "e"
    # a target that folding changes is folded first: Ｏ (full width) stands for o
    assert lookalike_table({ord("O"): "o"}).get("ο") == "o"


# -- the tables --------------------------------------------------------------------------------


def test_freshly_built_tables() -> None:
    t = _Tables()  # built here, not the process-wide copy, so what it builds is checked
    assert t.fold_one[ord("，")] == "," and t.fold_one[ord("！")] == "!"  # noise that folds
    assert not t.noise_run.search("\U0001d100")  # outside the scanned ranges: left as it is
    assert t.fold_one[ord("Ａ")] == "a" and t.fold_one[ord("訂")] == "订"
    assert t.fold_one[ord("𝐱")] == "x" and ord("a") not in t.fold_one
    assert ord("ﬁ") not in t.fold_one and ord("\u200b") not in t.fold_one
    assert t.fold_multi[ord("ﬁ")] == "fi" and t.fold_multi[ord("¼")] == "14"
    assert all(len(v) > 1 for v in t.fold_multi.values())
    assert all(len(v) == 1 for v in t.fold_one.values())
    assert len(t.fold_bmp) == 0x10000
    assert t.fold_bmp[ord("Ａ")] == "a" and t.fold_bmp[ord("b")] == "b"
    assert t.fold_bmp[ord("ﬁ")] == "ﬁ"  # multi-character folds are not in the one-for-one list
    assert "ＡＢ訂".translate(t.fold_bmp) == "ab订"
    assert set(t.format_chars) >= {0x200B, 0x200D, 0xAD, 0xFEFF, 0xE0041}
    assert all(v is None for v in t.format_chars.values()) and 0x20 not in t.format_chars
    for ch in (" ", "*", "❤", "·", "\u3000", "\u0301", "🌹", "\U000e0041"):
        assert t.noise_run.fullmatch(ch), ch
    for ch in HARD_BREAKS | {"a", "最", "1"}:  # sentence punctuation is kept
        assert not t.noise_run.fullmatch(ch), ch
    assert t.noise_run.fullmatch(" *❤ ") and not t.noise_run.fullmatch("")
    assert t.noise_run_bmp.fullmatch(" *❤") and not t.noise_run_bmp.search("🌹")
    assert not t.noise_run_bmp.search("。a,")
    assert t.wide.search("a𝐱") and not t.wide.search("a最\uffff")
    assert t.needs_slow.search("a\u200b") and t.needs_slow.search("ﬁ")
    assert not t.needs_slow.search("ＡＢ訂 *")
    assert t.lookalikes[ord("е")] == "e" and ord("ℓ") not in t.lookalikes
    assert t.lookalike.search("wеchat") and not t.lookalike.search("wechat 微信")
    assert t.lookalike_bmp.search("wеchat") and not t.lookalike_bmp.search("wechat")
    wide_looks = [cp for cp in t.lookalikes if cp >= 0x10000]
    assert wide_looks and t.lookalike.search(chr(wide_looks[0]))
    assert not t.lookalike_bmp.search(chr(wide_looks[0]))
    assert t.t2s_phrases("回覆") == "回复" and t.t2s_phrases("abc") == "abc"
    assert t.t2s_phrases("\ud800") == "\ud800"  # a lone surrogate: returned as it is


def test_tables_are_built_once_or_taken_from_a_cache() -> None:
    t = tables()
    assert tables() is t
    prime_tables(object())  # not tables: ignored
    prime_tables(_Tables.__new__(_Tables))  # built already: ignored
    assert _PRIMED == [] and tables() is t
    tables.cache_clear()
    try:
        prime_tables("not tables")
        assert _PRIMED == []
        prime_tables(t)
        assert [t] == _PRIMED
        prime_tables(_Tables.__new__(_Tables))  # one primed copy is enough
        assert [t] == _PRIMED
        assert tables() is t
    finally:
        _PRIMED.clear()
        _PRIMED.append(t)
        tables.cache_clear()
        assert tables() is t
        _PRIMED.clear()


# -- cases found by mutation testing (bench/mutation.py normalize) ------------------------------


def test_chinese_character_ranges() -> None:
    assert _is_cjk("\u3400") and _is_cjk("\u9fff") and _is_cjk("\uf900")
    assert not _is_cjk("\ua000") and not _is_cjk("\ufb00") and not _is_cjk("\u33ff")


def test_a_look_alike_target_is_folded_first() -> None:
    # U+2F9EE is confusable with 開, which folding simplifies to 开
    assert lookalike_table(tables().fold_one)["\U0002f9ee"] == "开"


def test_a_look_alike_past_the_bmp_is_folded() -> None:
    n = normalize("\U00016f3b")  # a Miao letter that looks like 3
    assert n.skeleton.text == "3" and n.plain == "\U00016f3b"
