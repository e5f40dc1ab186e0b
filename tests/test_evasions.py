"""Evasions: each disguise is found, on the right characters, and named in ``evasion``.

One table drives a small ruleset (its own lists, tags and rules/evasions.yaml); a second
table checks the shipped rules; a third lists everyday text that must stay clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import check, make_message
from engine.ruleset import RuleSet, load_ruleset
from engine.ruleset.errors import RulesetError
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
  - id: number
    kind: forbidden
    severity: warn
    match: {words: ["69"]}
    message: 数字
    suggestion: 删除
    source: 测试
"""
DENY = """\
# test words
加微信 [pinyin initials]
赌博 [pinyin]
代开发票
最低价
傻逼
六合彩
下三滥
办证
强奸
大礼 [boundary]
wechat
"""
EVASIONS = """\
homophone:
  发票: [发漂]
homoglyph:
  微: [嶶]
split_radical:
  证: [讠正]
  强: [弓虽]
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    root: Path = tmp_path_factory.mktemp("rules")
    (root / "packs").mkdir()
    (root / "lists").mkdir()
    (root / "packs" / "t.yaml").write_text(PACK, encoding="utf-8")
    (root / "lists" / "deny.txt").write_text(DENY, encoding="utf-8")
    (root / "evasions.yaml").write_text(EVASIONS, encoding="utf-8")
    return load_ruleset(root)


def _found(rs: RuleSet, text: str, prefix: str = "t.") -> list[tuple[str, str | None]]:
    verdict = check(make_message(text, type="marketing"), rs)
    for f in verdict.findings:
        assert text[f.start : f.end] == f.matched  # spans stay on the original text
    return [(f.matched, f.evasion) for f in verdict.findings if f.rule_id.startswith(prefix)]


CASES = [
    # text, [(matched original characters, evasion)]
    ("加微信领券", [("加微信", None)]),
    ("加微微信领券", [("加微微信", "repeat")]),
    ("加微微微微信领券", [("加微微微微信", "repeat")]),
    ("加加微信领券", [("加微信", None)]),  # a repeat at the edge leaves the word itself
    ("全网最1低价", [("最1低价", "insertion")]),
    ("傻1逼", [("傻1逼", "insertion")]),
    ("傻x逼", [("傻x逼", "insertion")]),
    ("傻${x}逼", []),  # a template placeholder, not an inserted letter
    ("6合彩开奖", [("6合彩", "numeral")]),
    ("下3滥", [("下3滥", "numeral")]),
    ("加wеchat", [("wеchat", "homoglyph")]),  # Cyrillic е
    ("加ωechat", []),  # ω is not a look-alike of w in Unicode's data
    ("加嶶信", [("加嶶信", "homoglyph")]),
    ("代开发漂", [("代开发漂", "homophone")]),
    ("办讠正", [("办讠正", "split_radical")]),
    ("弓虽奸", [("弓虽奸", "split_radical")]),
    ("网上dubo", [("dubo", "pinyin")]),
    ("加 jia wei xin 领券", [("jia wei xin", "pinyin")]),
    ("加jwx", [("jwx", "initials")]),
    ("加 v 信", []),  # not a word of this list (the shipped variants table has v信)
    ("加*微*信", [("加*微*信", "noise")]),
    ("加*微微*信", [("加*微微*信", "repeat")]),
    ("送您开业大礼", [("大礼", None)]),
    ("北京大学大礼堂", []),  # 大礼 [boundary]: jieba reads 大礼堂 as one word
    ("代码69", [("69", None)]),
    ("编号695", []),  # digit-only words match whole numbers only
    ("1690元", []),
    ("69,5", [("69", None)]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_each_evasion_is_found_and_named(
    small: RuleSet, text: str, expected: list[tuple[str, str | None]]
) -> None:
    assert _found(small, text) == expected


CLEAN = [
    "【信使商城】满200减50，3天2晚仅需599元。拒收请回复R",
    "谢谢您的支持，天天开心",
    "第1次登录请修改密码",
    "微微一笑",
    "dubois",  # pinyin keys are whole Latin words
    "jwxyz",
]


@pytest.mark.parametrize("text", CLEAN)
def test_everyday_text_stays_clean(small: RuleSet, text: str) -> None:
    assert _found(small, text) == []


SHIPPED = shipped_ruleset()
SHIPPED_CASES = [
    # text, rule, matched, evasion
    ("【信使商城】加微微信领券。拒收请回复R", "contact_diversion.private_im", "加微微信", "repeat"),
    (
        "【信使商城】全网最1低价！拒收请回复R",
        "absolute_claim.superlative",
        "全网最1低价",
        "insertion",
    ),
    ("6合彩内部资料，今期必中", "gambling.gambling_terms", "6合彩", "numeral"),
    ("在线dubo网站，充值即玩", "gambling.gambling_terms", "dubo", "pinyin"),
    ("bocai娱乐城注册即送", "gambling.gambling_terms", "bocai", "pinyin"),
    ("代开发漂，增值税专票", "prohibited_goods.forgery", "代开发漂", "homophone"),
    ("办讠正，全国通用", "prohibited_goods.forgery", "办讠正", "split_radical"),
    ("加嶶信领券", "contact_diversion.private_im", "加嶶信", "homoglyph"),
    ("加jwx领券", "contact_diversion.private_im", "jwx", "initials"),
    # one or two characters of a [pinyin] word in pinyin, the rest as written
    (
        "【康宁保健】蜂胶yufang流感，买三送一。回T退订",
        "medical_claim.treatment_nonmedical",
        "yufang流感",
        "pinyin",
    ),
    ("现货黄金只赚bu赔，专业老师指导", "risk_disclosure.guaranteed_return", "只赚bu赔", "pinyin"),
    # single characters of high-risk words by sound or by their components
    (
        "【鑫盈财富】P2P优选标，年化收溢16%，本息保障。回T退订",
        "risk_disclosure.guaranteed_return",
        "本息保障",
        None,
    ),
    (
        "数字货币每天收益5%，安全无疯险",
        "risk_disclosure.guaranteed_return",
        "安全无疯险",
        "homophone",
    ),
    ("近视氵台愈眼贴，学生专用", "medical_claim.efficacy_guarantee", "近视氵台愈", "split_radical"),
]


@pytest.mark.parametrize(("text", "rule", "matched", "evasion"), SHIPPED_CASES)
def test_shipped_rules_name_the_evasion(text: str, rule: str, matched: str, evasion: str) -> None:
    found = _found(SHIPPED, text, rule)
    assert (matched, evasion) in found, found


SHIPPED_CLEAN = [
    # text, rule that must not fire
    ("北京大学大礼堂今晚7点举行新年音乐会。", "price_disclosure.gift_details"),
    ("中国队夺得团体冠军，实现该项目三连冠。", "absolute_claim.caution"),
    ("深圳上调最低工资标准，月最低工资达到2434元。", "absolute_claim.superlative"),
    ("她是队中唯一一名来自西部省份的运动员。", "absolute_claim.caution"),
    ("市慈善总会设立大病救助基金，首批资助313名困难患者。", "risk_disclosure.warning_missing"),
    ("【信使商城】满200减50，3天2晚仅需599元。拒收请回复R", "format.obfuscation"),
    ("因被告经传票传唤无正当理由拒不到庭，法院依法缺席判决。", "fraud.authority_safe_account"),
    # a generated sound-alike key must not make an everyday word (镇痛 -> 镇通 was one)
    ("今年新改建农村公路4000公里，实现乡镇通三级以上公路。", "medical_claim.treatment_nonmedical"),
    (
        "【信使超市】尊敬的会员，新鲜菠菜2.99元/斤，本周五特价。拒收请回复R",
        "gambling.gambling_terms",
    ),
]


@pytest.mark.parametrize(("text", "rule"), SHIPPED_CLEAN)
def test_shipped_rules_leave_everyday_words_alone(text: str, rule: str) -> None:
    assert _found(SHIPPED, text, rule) == []


def test_shipped_rules_still_flag_the_short_word_on_its_own() -> None:
    assert _found(
        SHIPPED, "【信使商城】本店价格最低，拒收请回复R", "absolute_claim.superlative"
    ) == [("最低", None)]
    assert _found(SHIPPED, "【信使商城】销量冠军面霜。拒收请回复R", "absolute_claim.caution") == [
        ("冠军", None)
    ]
    # 传票 on its own is still a lure (the fraud rule may report the wider 您有一张传票)
    lure = _found(SHIPPED, "【法院通知】您有一张传票未领取，请按9查询", "fraud.")
    assert len(lure) == 1 and "传票" in lure[0][0], lure


@pytest.mark.parametrize(
    ("lists", "evasions", "message"),
    [
        (
            "赌博 [pinyn]\n",
            "",
            "lists/deny.txt:1: unknown tag 'pinyn'. Known tags: boundary, pinyin, initials.",
        ),
        (
            "赌博 [initials]\n",
            "",
            "lists/deny.txt:1: tag 'initials' on '赌博': initials of fewer than 3 characters",
        ),
        ("#@ boundry\n赌博\n", "", "lists/deny.txt:1: unknown tag 'boundry'."),
        ("赌博\n", "homofone:\n  a: [b]\n", "evasions.yaml:1: unknown section 'homofone'."),
        (
            "赌博\n",
            "homophone: [发漂]\n",
            "evasions.yaml:1: 'homophone' must map each word to a list of its spellings",
        ),
    ],
)
def test_tag_and_table_errors_say_where_and_how(
    tmp_path: Path, lists: str, evasions: str, message: str
) -> None:
    (tmp_path / "packs").mkdir()
    (tmp_path / "lists").mkdir()
    (tmp_path / "packs" / "t.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "lists" / "deny.txt").write_text(lists, encoding="utf-8")
    if evasions:
        (tmp_path / "evasions.yaml").write_text(evasions, encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        load_ruleset(tmp_path)
    assert message in str(exc.value)


def test_a_list_directive_tags_every_word(tmp_path: Path) -> None:
    (tmp_path / "packs").mkdir()
    (tmp_path / "lists").mkdir()
    (tmp_path / "packs" / "t.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "lists" / "deny.txt").write_text("#@ pinyin\n赌博\n博彩\n", encoding="utf-8")
    rs = load_ruleset(tmp_path)
    assert _found(rs, "dubo or bocai") == [("dubo", "pinyin"), ("bocai", "pinyin")]


@pytest.mark.parametrize(
    ("text", "rule", "span", "evasion"),
    [
        # tone-marked pinyin of a listed word reads as the word: 赌博网站 is found whole
        ("dǔbó网站注册送88", "gambling.gambling_terms", "dǔbó网站", "pinyin"),
        ("Liù hé cǎi开奖结果速查", "gambling.gambling_terms", "Liù hé cǎi", "pinyin"),
        ("加wēi xìn：abc12345领资料", "contact_diversion.private_account",
         "加wēi xìn：abc12345", "pinyin"),
    ],
)  # fmt: skip
def test_tone_marked_pinyin_reads_as_the_pinyin(
    text: str, rule: str, span: str, evasion: str
) -> None:
    """wēi, dǔ, cǎi: a Latin letter with a tone mark folds to the letter."""
    v = check(make_message(text, type="marketing", send_at="2026-12-02T10:00:00+08:00"),
              shipped_ruleset())  # fmt: skip
    (f,) = [f for f in v.findings if rule in f.rule_ids]
    assert (text[f.start : f.end], f.evasion, f.severity.value) == (span, evasion, "block")


def test_accented_words_and_hooked_look_alikes_keep_their_reading() -> None:
    ruleset = shipped_ruleset()
    cafe = check(make_message("【信使咖啡】Café新品上市，拒收请回复R", type="marketing",
                              send_at="2026-12-02T10:00:00+08:00"), ruleset)  # fmt: skip
    assert cafe.verdict.value == "allow" and list(cafe.findings) == []
    # ǫ (o with ogonek) imitates q, so ǫǫ is still read as QQ, not as "oo"
    qq = check(make_message("详询ǫǫ2186485826", type="marketing"), ruleset)
    assert any("contact_diversion.private_account" in f.rule_ids for f in qq.findings)
