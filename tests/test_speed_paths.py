"""Speed paths of the check (issue 13 item 7) find exactly what the plain forms find.

Rule patterns that start with a look-around run behind a look-ahead for their first
characters (``literals.guarded``); character classes with members past the BMP are written
as ranges (``char_class``) and the label hint tests those members only in a text that has
one (``CharSearch``); the content model remembers its evidence window per prepared text.
"""

from __future__ import annotations

import re

import pytest

from engine.content_model.model import load_model, model_path, prepared
from engine.normalize import normalize
from engine.rule_types.contact_numbers import CharSearch, char_class
from engine.rule_types.literals import guarded
from engine.rule_types.matcher import Matcher
from engine.ruleset import RuleSet
from tests.test_check_fast_paths import _CASE_TEXTS, _example_texts, _matchers


def _unguarded(pattern: str) -> str:
    """The rule pattern inside ``(?=[…])(?:…)`` (the class escapes every character)."""
    return pattern.split(")(?:", 1)[1][:-1]


def _found(rx: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in rx.finditer(text)]


def test_guarded_rule_patterns_find_the_same_matches_and_groups(ruleset: RuleSet) -> None:
    guarded_rx = [
        rx for m in _matchers(ruleset) for rx in m.regexes if rx.pattern.startswith("(?=[")
    ]
    assert len(guarded_rx) >= 10  # the mobile-number and tg/telegram look-behinds, …
    texts = [normalize(t).folded.text for t in [*_example_texts(ruleset), *_CASE_TEXTS]]
    matched = 0
    for rx in guarded_rx:
        plain = re.compile(_unguarded(rx.pattern), re.IGNORECASE)
        assert guarded(plain.pattern) == rx.pattern
        for text in texts:
            found = _found(plain, text)
            assert _found(rx, text) == found, (plain.pattern, text)
            matched += bool(found)
    assert matched > 50


def test_combined_search_of_a_matcher_keeps_its_guarded_alternatives(ruleset: RuleSet) -> None:
    combined = [
        m for m in _matchers(ruleset) if isinstance(m, Matcher) and m.regex and len(m.regexes) > 1
    ]
    assert any("|(?:(?=[" in m.regex.pattern for m in combined if m.regex)


@pytest.mark.parametrize(
    ("pattern", "text", "span"),
    [
        (r"(?<!\d)1[3-9]\d{9}(?!\d)", "电话13812345678。", (2, 13)),
        (r"(?<!\d)1[3-9]\d{9}(?!\d)", "编号913812345678", None),
        (r"(?<![a-z0-9])(?:tg|电报)\s?\d{5}", "加电报 88888", (1, 9)),
        (r"(?<![a-z0-9])(?:tg|电报)\s?\d{5}", "atg88888", None),
        (r"(?<![a-z0-9])(?:TG|电报)\d{5}", "加tg12345", (1, 8)),  # ignore-case, as rules run
    ],
)
def test_guarded_pattern_matches_as_written(pattern: str, text: str, span: object) -> None:
    fast = guarded(pattern)
    assert fast.startswith("(?=[") and fast != pattern
    m = re.compile(fast, re.IGNORECASE).search(text)
    assert (m.span() if m else None) == span


@pytest.mark.parametrize("pattern", ["abc", r"\d+元", r"(?<!x)y?", r"(?<!x)\d+", "(?i)(?<!a)b"])
def test_guarded_leaves_other_patterns_as_they_are(pattern: str) -> None:
    # no leading look-around, a match that may be empty, an unbounded first class, a flag
    assert guarded(pattern) == pattern


def test_char_class_holds_exactly_its_characters() -> None:
    chars = {"0", "1", "2", "9", "-", "]", "^", "\\", "𝟎", "𝟏", "𝟐", "🯰", "微"}
    rx = re.compile(f"[{char_class(chars)}]")
    assert all(rx.fullmatch(c) for c in chars)
    assert not any(rx.fullmatch(c) for c in "3a[𝟑🯱薇")
    assert char_class("𝟎𝟏𝟐𝟑") == "𝟎-𝟑"


@pytest.mark.parametrize(
    ("text", "pos", "endpos", "found"),
    [
        ("加ｑ号123", 0, 99, "ｑ"),
        ("加𝐐号123", 0, 99, "𝐐"),  # a math letter: past the BMP
        ("订单123，𝐐", 0, 5, None),  # past endpos
        ("𝐐订单123，微信", 1, 99, "微"),
        ("订单123", 0, 99, None),
    ],
)
def test_char_search_finds_what_the_full_class_finds(
    text: str, pos: int, endpos: int, found: str | None
) -> None:
    chars = {"q", "ｑ", "𝐐", "微"}
    full = re.compile(f"[{char_class(chars)}]")
    fast = CharSearch(chars)
    m, expected = fast.search(text, pos, endpos), full.search(text, pos, endpos)
    assert (m.group() if m else None) == found == (expected.group() if expected else None)
    assert fast.pattern == full.pattern


def test_evidence_is_remembered_as_computed() -> None:
    model = load_model(model_path("content"))
    label = model.index("fraud")
    text, _ = prepared(normalize("您的医保账户存在异常，将于今日停用，请联系专员处理 4001234567"))
    span = model.evidence(text, label, 12)
    assert span == model._evidence_of(text, label, 12)
    assert span[0] < span[1]
    assert model.evidence(text, label, 12) == span  # from the memo
    assert model.evidence(text, label, 6) == model._evidence_of(text, label, 6)
