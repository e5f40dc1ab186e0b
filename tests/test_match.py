"""Matching details on a small ruleset: allow-list containment, word boundaries, Latin words."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import check, make_message
from engine.ruleset import RuleSet, load_ruleset

PACK = """\
category: fraud
rules:
  - id: freeze
    kind: forbidden
    severity: block
    match:
      words: [冻结]
      allow: [冷冻, 解冻, 冻结期, 账户冻结]
    message: 冻结
    suggestion: 删除
    source: 测试
  - id: curse
    kind: forbidden
    severity: block
    match:
      words: [操你妈]
      allow: [你, 你好]
    message: 脏话
    suggestion: 删除
    source: 测试
  - id: refund_char
    kind: forbidden
    severity: warn
    match: {words: [退], whole_word: true}
    message: 退
    suggestion: 删除
    source: 测试
  - id: latin
    kind: forbidden
    severity: warn
    match: {words: [av, vx]}
    message: latin
    suggestion: 删除
    source: 测试
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    root: Path = tmp_path_factory.mktemp("rules")
    (root / "packs").mkdir()
    (root / "packs" / "t.yaml").write_text(PACK, encoding="utf-8")
    (root / "variants.yaml").write_text("微信: [vx]\n", encoding="utf-8")
    return load_ruleset(root)


def _hits(rs: RuleSet, text: str, rule: str) -> list[str]:
    return [f.matched for f in check(make_message(text), rs).findings if f.rule_id == rule]


# An allow phrase excuses a deny hit only when it contains it (issue 13): one that merely
# overlaps or touches the hit leaves it standing. Deny 冻结 (and 操你妈), allow phrases below.
ALLOW_CASES = [
    # text, deny hits left standing
    ("冻结期已过，请查收", []),  # allow 冻结期 contains 冻结
    ("账户冻结", []),  # allow 账户冻结 contains 冻结, sharing its last character
    ("冻结", ["冻结"]),  # no allow phrase at all
    ("冷冻结算单已生成", ["冻结"]),  # allow 冷冻 overlaps 冻 only
    ("解冻结果已出", ["冻结"]),  # allow 解冻 overlaps
    ("冷冻 冻结", ["冻结"]),  # allow 冷冻 touches the hit on the left
    ("冻结,解冻", ["冻结"]),  # allow 解冻 touches it on the right
    ("冷冻柜已送达，账户冻结请联系客服", []),  # 账户冻结 contains; 冷冻 is elsewhere
    ("冷冻柜已送达，冻结请联系客服", ["冻结"]),
    ("操你妈", ["操你妈"]),  # allow 你 lies inside the hit: it cannot excuse it
    ("你好", []),
]


@pytest.mark.parametrize(("text", "left"), ALLOW_CASES)
def test_allow_phrase_excuses_only_hits_it_contains(
    small: RuleSet, text: str, left: list[str]
) -> None:
    found = _hits(small, text, "t.freeze") + _hits(small, text, "t.curse")
    assert found == left


def test_whole_word_needs_jieba_boundaries(small: RuleSet) -> None:
    assert _hits(small, "【信使商城】会员日8折。回T退订", "t.refund_char") == []
    assert _hits(small, "不满意可以退", "t.refund_char") == ["退"]


def test_latin_words_match_whole_words_only(small: RuleSet) -> None:
    assert _hits(small, "have a nice day", "t.latin") == []
    assert _hits(small, "看AV", "t.latin") == ["AV"]
    assert _hits(small, "加vx123456", "t.latin") == ["vx"]
    assert _hits(small, "wvxyz", "t.latin") == []


def test_noise_skipping_stops_at_sentence_punctuation(small: RuleSet) -> None:
    assert _hits(small, "冻*结", "t.freeze") == ["冻*结"]
    assert _hits(small, "冻。结", "t.freeze") == []


def test_too_much_noise_between_characters_is_not_a_word(small: RuleSet) -> None:
    assert _hits(small, "冻" + "*" * 3 + "结", "t.freeze") == ["冻***结"]
    assert _hits(small, "冻" + " " * 20 + "结", "t.freeze") == []
