"""Matching details on a small ruleset: allow-list overlap, jieba boundaries, Latin words."""

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
      allow: [冷冻]
    message: 冻结
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


def test_allow_phrase_overlapping_a_deny_word_excuses_it(small: RuleSet) -> None:
    assert _hits(small, "冷冻结算单已生成", "t.freeze") == []
    assert _hits(small, "冷冻柜已送达，账户冻结请联系客服", "t.freeze") == ["冻结"]


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
