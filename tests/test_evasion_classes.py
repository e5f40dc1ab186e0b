"""Evasions as classes: every member of a Unicode class or a text structure is undone.

Each class is tested with members the corpora never used (other combining marks, other
radicals, other brackets, other reversal cues, other emoji), through a word-list rule and a
regex rule: the verdict, the rule, the evasion name and the span on the original text.
Everyday text with the same shapes (multi-line notices, bracketed notes, lists) stays clean.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine import check, make_message
from engine.normalize import normalize
from engine.ruleset import RuleSet, load_ruleset
from tests.conftest import shipped_ruleset

PACK = """\
category: fraud
rules:
  - id: deny
    kind: forbidden
    severity: block
    match: {lists: [deny]}
    message: 违规
    suggestion: 删除
    source: 测试
  - id: regex
    kind: pattern
    severity: block
    patterns: ['每周翻倍', '年化收益\\d+%']
    message: 违规
    suggestion: 删除
    source: 测试
"""
DENY = """\
消除不良记录
上门服务
包夜
春药
马上到账
全市通过率最高
官方回购
黄金理财
门店
稳赚不赔
"""
SEND_AT = "2026-12-02T10:00:00+08:00"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    root: Path = tmp_path_factory.mktemp("rules")
    (root / "packs").mkdir()
    (root / "lists").mkdir()
    (root / "packs" / "t.yaml").write_text(PACK, encoding="utf-8")
    (root / "lists" / "deny.txt").write_text(DENY, encoding="utf-8")
    return load_ruleset(root)


def _findings(rs: RuleSet, text: str) -> list[tuple[str, str, str | None]]:
    """(rule, original characters, evasion) of the test pack's findings, checked as block."""
    v = check(make_message(text, type="notification", send_at=SEND_AT), rs)
    out = []
    for f in v.findings:
        assert text[f.start : f.end] == f.matched  # spans stay on the original text
        if f.rule_id.startswith("t."):
            assert v.verdict.value == "block"
            out.append((f.rule_id.removeprefix("t."), f.matched, f.evasion))
    return out


CASES = [
    # combining marks: any Mn/Me after each character, not only the corpora's stroke and dot
    ("可消̶除̶不̶良̶记̶录̶", [("deny", "消̶除̶不̶良̶记̶录", "combining_mark")]),
    ("上̲门̲服̲务̲", [("deny", "上̲门̲服̲务", "combining_mark")]),  # low line
    ("上⃝门⃝服⃝务⃝", [("deny", "上⃝门⃝服⃝务", "combining_mark")]),  # enclosing circle
    ("上͙门͙服͙务͙", [("deny", "上͙门͙服͙务", "combining_mark")]),  # asterisk below
    ("每̸周̸翻̸倍̸", [("regex", "每̸周̸翻̸倍", "combining_mark")]),  # a regex reads them too
    # radicals: Kangxi (NFKC) and the CJK Radicals Supplement (TR39 confusables)
    ("⻩⾦理财", [("deny", "⻩⾦理财", "radical")]),
    ("⻔店", [("deny", "⻔店", "radical")]),
    ("⻢上到账", [("deny", "⻢上到账", "radical")]),
    # one character per line, between spaces, 、 or symbols
    ("可消\n除\n不\n良\n记\n录", [("deny", "消\n除\n不\n良\n记\n录", "vertical")]),
    ("每\n周\n翻\n倍，加群", [("regex", "每\n周\n翻\n倍", "vertical")]),
    # a word broken over two lines, one of its characters alone on a line
    ("出售春\n药，量大从优", [("deny", "春\n药", "vertical")]),
    ("每周翻\n倍", [("regex", "每周翻\n倍", "vertical")]),
    ("上、门、服、务，价格优惠", [("deny", "上、门、服、务", "noise")]),
    ("上\u3000门\u3000服\u3000务", [("deny", "上\u3000门\u3000服\u3000务", "noise")]),
    ("每·周·翻·倍", [("regex", "每·周·翻·倍", "noise")]),
    # each character in brackets or quotes, any pair
    ("可(消)(除)(不)(良)(记)(录)", [("deny", "消)(除)(不)(良)(记)(录", "bracketed")]),
    ("〈上〉〈门〉〈服〉〈务〉", [("deny", "上〉〈门〉〈服〉〈务", "bracketed")]),
    ("《包》《夜》价格优惠", [("deny", "包》《夜", "bracketed")]),
    ("“包”“夜”价格优惠", [("deny", "包”“夜", "bracketed")]),
    ("『每』『周』『翻』『倍』", [("regex", "每』『周』『翻』『倍", "bracketed")]),
    # a cue says to read the clause backwards: before it, or after a colon
    ("【驾校】高最率过通市全（倒着读），报名立减", [("deny", "高最率过通市全", "reversed")]),
    ("数字藏品，购回方官(从右往左读)", [("deny", "购回方官", "reversed")]),
    ("倒过来读：务服门上，价格优惠", [("deny", "务服门上", "reversed")]),
    ("录记良不除消【反着念】", [("deny", "录记良不除消", "reversed")]),
    # an emoji for a character of its Chinese name (CLDR): 🌃 夜晚, 💊 药丸, 🐴 马头
    ("包🌃价格优惠", [("deny", "包🌃", "emoji")]),
    ("出售春💊", [("deny", "春💊", "emoji")]),
    ("🐴上到账", [("deny", "🐴上到账", "emoji")]),
    # ... in a clause read backwards: the span covers the emoji and the characters it reads with
    ("🌃包（倒着读），价格优惠", [("deny", "🌃包", "emoji")]),
    # tone-marked pinyin of a word the rules know, spaced or not; regexes read it too
    ("wěnzhuànbùpéi", [("deny", "wěnzhuànbùpéi", "pinyin")]),
    ("wěn zhuàn bù péi", [("deny", "wěn zhuàn bù péi", "pinyin")]),
    ("理财产品niánhuàshōuyì25%", [("regex", "niánhuàshōuyì25%", "pinyin")]),
    # part of a word in tone-marked pinyin, the rest as written
    ("稳zhuàn不赔", [("deny", "稳zhuàn不赔", "pinyin")]),
    ("wěn赚不赔", [("deny", "wěn赚不赔", "pinyin")]),
    ("出售chūn药", [("deny", "chūn药", "pinyin")]),
    # tone numbers instead of marks
    ("wen3zhuan4bu4pei2", [("deny", "wen3zhuan4bu4pei2", "pinyin")]),
    ("内参 wen3 zhuan4 bu4 pei2", [("deny", "wen3 zhuan4 bu4 pei2", "pinyin")]),
    # dots and longer fillers part single characters too; a number keeps its dot
    ("稳.赚.不.赔", [("deny", "稳.赚.不.赔", "noise")]),
    ("每 ~~ 周 ~~ 翻 ~~ 倍", [("regex", "每 ~~ 周 ~~ 翻 ~~ 倍", "noise")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_each_class_is_undone_and_named(
    small: RuleSet, text: str, expected: list[tuple[str, str, str | None]]
) -> None:
    assert _findings(small, text) == expected


CLEAN = [
    # multi-line notices: lines of several characters are not characters written apart
    "【信使物业】尊敬的业主\n本周六上午停水\n请提前储水\n谢谢配合",
    "订单已发货\n快递：顺丰\n单号：SF123456",
    "【信使物业】\n包裹已到\n夜间请走东门",  # lines of several characters stay apart: 到夜 is no word
    # a line of one character in a list, and two characters apart
    "菜单\n1\n2\n3",
    "张 三，您的包裹已到门卫",
    "是，否，好",
    # enumerations of single characters that spell no word of the list
    "东、南、西、北各有一个门",
    # bracketed notes and ordinal markers
    "(一)报名须知 (二)考试安排",
    "【注】本活动最终解释权归主办方",
    # 倒序 as a word in a sentence, not a cue set apart
    "记录按时间倒序排列，请查收",
    # emoji as decoration next to words that are not deny words
    "🎁新品上市🌙中秋快乐",
    # tone-marked pinyin that is not a word of the rules, and plain Latin text
    "Nǐ hǎo, huānyíng guānglín",
    "shang men fu wu",  # no tone mark: toneless pinyin needs a [pinyin] tag
    "订单号a1b2c3，会员vip12345",  # letters and digits in IDs are not tone numbers
    "年化收益\n1\n.\n2\n%",  # a number written one character per line keeps its dot
]


@pytest.mark.parametrize("text", CLEAN)
def test_everyday_text_with_the_same_shapes_stays_clean(small: RuleSet, text: str) -> None:
    assert _findings(small, text) == []


SHIPPED_CASES = [
    # text, rule, matched, evasion
    (
        "【信使投顾】内参每̵周̵翻̵倍̵，稳赚不赔。回T退订",
        "risk_disclosure.guaranteed_return",
        "稳赚不赔",
        None,
    ),
    (
        "【信使投顾】wěnzhuànbùpéi。回T退订",
        "risk_disclosure.guaranteed_return",
        "wěnzhuànbùpéi",
        "pinyin",
    ),
    (
        "【信使投顾】稳\n赚\n不\n赔。回T退订",
        "risk_disclosure.guaranteed_return",
        "稳\n赚\n不\n赔",
        "vertical",
    ),
    (
        "【信使投顾】〔稳〕〔赚〕〔不〕〔赔〕。回T退订",
        "risk_disclosure.guaranteed_return",
        "稳〕〔赚〕〔不〕〔赔",
        "bracketed",
    ),
    (
        "【信使投顾】稳̶赚̶不̶赔̶。回T退订",
        "risk_disclosure.guaranteed_return",
        "稳̶赚̶不̶赔",
        "combining_mark",
    ),
    (
        "【信使投顾】赔不赚稳（倒着读）。回T退订",
        "risk_disclosure.guaranteed_return",
        "赔不赚稳",
        "reversed",
    ),
]


@pytest.mark.parametrize(("text", "rule", "matched", "evasion"), SHIPPED_CASES)
def test_shipped_rules_see_through_each_class(
    text: str, rule: str, matched: str, evasion: str | None
) -> None:
    v = check(make_message(text, type="marketing", send_at=SEND_AT), shipped_ruleset())
    found = [(f.matched, f.evasion) for f in v.findings if rule in f.rule_ids]
    assert (matched, evasion) in found, v.findings
    assert v.verdict.value == "block"


def test_marks_map_back_to_the_original_characters() -> None:
    n = normalize("可(消)(除)，每̶周̶，⻩金")
    assert n.folded.text == "可消除,每周,黄金"
    assert [(s, e, kind) for s, e, kind in n.marks] == [
        (0, 7, "bracketed"),
        (9, 10, "combining_mark"),
        (11, 12, "combining_mark"),
        (13, 14, "radical"),
    ]
    assert n.evasion_in(8, 12) == "combining_mark" and n.evasion_in(7, 8) is None


@pytest.mark.parametrize(
    "text",
    [
        "最 " * 2500,
        "(消)" * 1700,
        "司\n" * 2500,
        "高最率过通（倒着读）" * 500,
        "wěnzhuàn" * 600,
        "wen3zhuan4" * 500,
        "🐴上" * 2500,
        "上̶" * 2500,
    ],
)
def test_long_inputs_of_each_class_stay_fast(small: RuleSet, text: str) -> None:
    start = time.perf_counter()
    check(make_message(text, type="notification", send_at=SEND_AT), small)
    assert time.perf_counter() - start < 1.0  # linear: ~10 ms here; a quadratic step, seconds
