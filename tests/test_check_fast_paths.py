"""Fast paths of the check must not change what it finds.

The prefilter skips a matcher's regexes on text that has none of their required literals
(``literals.prefilter_for``, on the folded view) or none of the characters a match can start
with (``literals.first_chars``); a zoned matcher reuses its first
search's match instead of searching again. Rules behind them still fire on their triggers,
evasive spellings included.
"""

from __future__ import annotations

import re

import pytest

from engine import check, make_message
from engine.normalize import normalize
from engine.rule_types.literals import _CASE_ODD, first_chars, prefilter_for, required_groups
from engine.rule_types.matcher import Matcher
from engine.ruleset import RuleSet


@pytest.mark.parametrize(
    ("patterns", "starts"),
    [
        (["ab", "cd"], "ac"),
        ([r"(?<![a-z])(?:tg|电报)\d"], "t电"),
        ([r"(?:ab)*c"], "ac"),  # the repeat may be skipped: c can start a match
        ([r"x?y"], "xy"),
        ([r"[微薇]信"], "微薇"),
        ([r"\bq+"], "q"),
    ],
)
def test_first_chars_covers_every_match_start(patterns: list[str], starts: str) -> None:
    first = first_chars(patterns)
    assert first is not None
    rx = re.compile(first, re.IGNORECASE)
    assert all(rx.fullmatch(ch) for ch in starts)
    assert not rx.search("zz 今天 123")


@pytest.mark.parametrize(
    "patterns",
    [
        ["a?"],  # can match the empty string
        [r"\d+元"],  # a category: nearly every SMS has a digit
        [r"[^a]b"],
        [r".b"],
        ["ab", "x|"],  # one of them is nullable
        [r"(?i:a)b"],  # inline flags inside
        [r"(?:a|\w)b"],  # a category inside a branch
    ],
)
def test_first_chars_gives_up_when_unbounded(patterns: list[str]) -> None:
    assert first_chars(patterns) is None


def _matchers(rs: RuleSet) -> list[Matcher]:
    out: list[Matcher] = []

    def walk(m: Matcher | None) -> None:
        if m is None:
            return
        out.append(m)
        walk(m.also)
        walk(m.but_not)

    for rule in rs.rules:
        for name in ("match", "when", "any", "unless"):
            m = getattr(rule, name, None)
            if isinstance(m, Matcher):
                walk(m)
    return out


def test_prefilter_never_rejects_a_text_the_regex_matches(ruleset: RuleSet) -> None:
    # every regex matcher of the shipped rules, whether or not the ruleset installs the test
    # (only those no gate covers and whose test finds no digit get one)
    matchers = [m for m in _matchers(ruleset) if m.regexes]
    installed = [m for m in matchers if m.prefilter is not None]
    # format.special_symbols, im_handle, im_platform, fraud.ip_link
    assert len(installed) >= 4
    texts = [*_example_texts(ruleset), *_CASE_TEXTS]
    checked = 0
    for m in matchers:
        patterns = [rx.pattern for rx in m.regexes]
        tests = [m.prefilter] if m.prefilter is not None else []
        if (first := first_chars(patterns)) is not None:
            tests.append(re.compile(first, re.IGNORECASE))
        if not m.on_original and (needles := prefilter_for(patterns)) is not None:
            tests.append(re.compile(needles))
        if not tests:
            continue
        for text in texts:
            target = text if m.on_original else normalize(text).folded.text
            if any(mm.end() > mm.start() for rx in m.regexes for mm in rx.finditer(target)):
                checked += 1
                for test in tests:
                    assert test.search(target), (test.pattern, text)
    assert checked > 100


# Letters an ignore-case search reads as ASCII ones (dotless ı, long ſ, Kelvin K, İ)
_CASE_TEXTS = [
    "私聊 skype：lıve:shop_dg2027",
    "联系 Lıne ID：abcshop77",
    "联系ſkype：live:shop_dg2027",
    "蝙蝠号Kk_fanlı",
    "海外正品手表，电报@kf7788",
    "下载 http://45.12.7.88:8080/d",
]


def test_case_odd_letters_are_every_other_match_of_a_lower_case_letter() -> None:
    # an ignore-case search for a-z finds A-Z and exactly these; prefilter_for relies on it
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    found = {m.group() for m in re.finditer("[a-z]", every, re.IGNORECASE)}
    assert found - set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == set(_CASE_ODD)


@pytest.mark.parametrize(
    ("patterns", "finds", "misses"),
    [
        ([r"(?<![a-z])(?:tg|电报)[:@]\w+", r"✈\s?@\w+"], ["tg", "✈", "电报"], ["t.me", "电话"]),
        ([r"https?://\d+\.\d+", r"\d+\.\d+:\d+"], ["http", "."], ["12:30", "ht tp"]),
        ([r"[微薇]\s?[:：]\w+"], ["微", "薇"], ["v", "信"]),
        ([r"skype\W?\w+"], ["skype", "\u017fkype"], ["sky pe"]),  # ſ: ignore-case s
    ],
)
def test_prefilter_finds_the_literals_and_first_characters(
    patterns: list[str], finds: list[str], misses: list[str]
) -> None:
    needles = prefilter_for(patterns)
    assert needles is not None
    rx = re.compile(needles)
    assert all(rx.search(f"今天 {text} 123") for text in finds)
    assert not any(rx.search(f"今天 {text} 123") for text in misses)


@pytest.mark.parametrize(
    "patterns",
    [
        [r"\d+\w", "tg"],  # one pattern with neither literals nor bounded first characters
        [r"[αβ]\d"],  # cased letters ignore-case searches find in other forms (Α, ϐ)
        [r"[一-龥]\d{5}"],  # a first-character class too wide to list
    ],
)
def test_prefilter_gives_up(patterns: list[str]) -> None:
    assert prefilter_for(patterns) is None


def _example_texts(rs: RuleSet) -> list[str]:
    import yaml

    texts: list[str] = []
    for path in sorted((rs.root / "packs").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in data.get("rules", []) if isinstance(data, dict) else data:
            examples = rule.get("examples") or {}
            for ex in [*(examples.get("flag") or []), *(examples.get("pass") or [])]:
                texts.append(ex["text"] if isinstance(ex, dict) else str(ex))
    return texts


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("【信使商城】尊敬的会员，领券请加威❤：abc123x。拒收请回复R", "威❤：abc123x"),
        ("新品到店，➕Vkefu2026_1咨询", "➕Vkefu2026_1"),
        ("海外正品手表，电报@kf7788，支持担保交易。", "电报@kf7788"),
        ("进口好货，私聊ＴＧ：@shop_88", "ＴＧ：@shop_88"),
        ("【信使商城】尊敬的会员，客片欣赏加秋秋64560071。拒收请回复R", "秋秋64560071"),
    ],
)
def test_im_handle_fires_behind_its_prefilter(ruleset: RuleSet, text: str, span: str) -> None:
    v = check(make_message(text, type="marketing"), ruleset)
    hits = [f for f in v.findings if "contact_diversion.im_handle" in f.rule_ids]
    assert hits, v.findings
    assert any(span in f.matched or f.matched in span for f in hits)


def test_zoned_search_reuses_its_first_match(ruleset: RuleSet) -> None:
    # promo_period's period patterns read the body only: a date in the 【signature】 is the
    # search's first match but not a period, the one in the body is
    body_date = "【5月1日商城】尊敬的会员，限时秒杀，全场5折，12月1日至7日。拒收请回复R"
    sig_only = "【5月1日商城】尊敬的会员，限时秒杀，全场5折！拒收请回复R"
    assert "price_disclosure.promo_period" not in _rule_ids(ruleset, body_date)
    assert "price_disclosure.promo_period" in _rule_ids(ruleset, sig_only)


def _rule_ids(rs: RuleSet, text: str) -> set[str]:
    v = check(make_message(text, type="marketing"), rs)
    return {rid for f in v.findings for rid in f.rule_ids}


@pytest.mark.parametrize(
    ("pattern", "groups"),
    [
        (r"\d+个?月.{0,6}回报", [("月",), ("回报",)]),
        (r"(?:机票|航班).{0,30}?\d+元", [("机票", "航班"), ("元",)]),
        (r"a(?:bc)+d", [("a",), ("bc",), ("d",)]),
        (r"x?y(?:z)?", [("y",)]),  # optional parts require nothing
        (r"(?:回报|\d)率", [("率",)]),  # a branch with an alternative of no literal
        (r"(?=保本)\w+收益", [("收益",)]),  # a lookahead is not part of the match
        (r"\d+", []),
    ],
)
def test_required_groups_are_every_literal_set_a_match_holds(
    pattern: str, groups: list[tuple[str, ...]]
) -> None:
    assert required_groups(pattern) == groups


def test_needs_never_close_a_regex_that_matches(ruleset: RuleSet) -> None:
    # every matcher with per-regex gates: on each rule example, a regex that matches the
    # folded text has all its gates open (the rules with needs fire as their examples say)
    from engine.rule_types.context import Context

    matchers = [m for m in _matchers(ruleset) if m.needs is not None]
    assert len(matchers) >= 20  # guaranteed_return, credential_request, refund_travel_hotel …
    checked = 0
    for text in [*_example_texts(ruleset), *_CASE_TEXTS]:
        msg = make_message(text, type="marketing")
        norm = normalize(text)
        ctx = Context(msg, norm, ruleset.lexicon.scan(norm), ruleset.profile("default"), ())
        for m in matchers:
            for rx, groups in zip(m.regexes, m.needs or (), strict=True):
                if any(mm.end() > mm.start() for mm in rx.finditer(norm.folded.text)):
                    checked += 1
                    skel = norm.skeleton.text
                    assert all(any(k in skel for k in g) for g in groups), (rx.pattern, text)
                    assert not m._closed(ctx), (rx.pattern, text)
    assert checked > 100
