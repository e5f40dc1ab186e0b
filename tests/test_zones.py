"""Message zones: the 【signature】, the body and the opt-out footer. Claims and disclosures
read the body only; a rule can say otherwise with ``zones:``."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import check, make_message
from engine.normalize import normalize
from engine.rule_types.context import find_zones
from engine.ruleset import RuleSet, RulesetError, load_ruleset


def _parts(text: str) -> tuple[list[str], str, str | None]:
    z = find_zones(text, normalize(text))
    footer = text[z.footer[0] : z.footer[1]] if z.footer else None
    return [text[s:e] for s, e in z.signature], text[z.body[0] : z.body[1]], footer


@pytest.mark.parametrize(
    ("text", "signatures", "body", "footer"),
    [
        ("【信使商城】冬装5折。拒收请回复R", ["【信使商城】"], "冬装5折。", "拒收请回复R"),
        ("【信使商城】冬装5折，回T退订", ["【信使商城】"], "冬装5折，", "回T退订"),
        ("【信使商城】冬装5折。回ＴＤ退订！", ["【信使商城】"], "冬装5折。", "回ＴＤ退订！"),
        ("【信使商城】冬装5折。退订回N", ["【信使商城】"], "冬装5折。", "退订回N"),
        ("【信使商城】冬装5折。回T可退订", ["【信使商城】"], "冬装5折。", "回T可退订"),
        ("【信使商城】冬装5折，回复TD随时退订", ["【信使商城】"], "冬装5折，", "回复TD随时退订"),
        ("冬装5折，回T退订【信使商城】。", ["【信使商城】。"], "冬装5折，", "回T退订"),
        ("  【信使商城】您的订单已发货。", ["【信使商城】"], "您的订单已发货。", None),
        # an opt-out line in the middle is body, not footer
        ("【信使商城】回T退订。冬装5折", ["【信使商城】"], "回T退订。冬装5折", None),
        ("没有签名的短信", [], "没有签名的短信", None),
        ("", [], "", None),
    ],
)
def test_zones_split_the_message(
    text: str, signatures: list[str], body: str, footer: str | None
) -> None:
    assert _parts(text) == (signatures, body, footer)


def _ids(ruleset: RuleSet, text: str, **fields: str) -> set[str]:
    return {
        rid for f in check(make_message(text, **fields), ruleset).findings for rid in f.rule_ids
    }


def test_opt_out_footer_is_not_a_refund_disclosure(ruleset: RuleSet) -> None:
    promo = "【云途旅行】尊敬的会员，上海-三亚特价机票399元起，仅限11月出行，手慢无！"
    assert "refund_disclosure.refund_air_ticket" in _ids(ruleset, promo + "回T退订")
    assert "refund_disclosure.refund_air_ticket" in _ids(ruleset, promo + "退订回TD")
    disclosed = promo + "特价票退改需收取手续费，详见购票页。回T退订"
    assert "refund_disclosure.refund_air_ticket" not in _ids(ruleset, disclosed)


def test_hotel_offer_footer_is_not_a_cancellation_policy(ruleset: RuleSet) -> None:
    text = "【云途旅行】尊敬的会员，三亚海景房299元/晚，速订！回T退订"
    assert "refund_disclosure.refund_travel_hotel" in _ids(ruleset, text)


@pytest.mark.parametrize(
    "text",
    [
        "【第一医药】尊敬的会员，冬季保暖用品8折，11月1日至3日。拒收请回复R",
        "【最佳拍档】尊敬的会员，冬季新品会员价8折，11月1日至3日。拒收请回复R",
    ],
)
def test_a_brand_in_the_signature_is_not_an_advertising_claim(ruleset: RuleSet, text: str) -> None:
    assert not any(rid.startswith("absolute_claim.") for rid in _ids(ruleset, text))


def test_the_same_words_in_the_body_are_a_claim(ruleset: RuleSet) -> None:
    text = "【信使医药】尊敬的会员，全国第一的保暖用品8折，11月1日至3日。拒收请回复R"
    assert "absolute_claim.superlative" in _ids(ruleset, text)


def test_the_signature_still_gives_context(ruleset: RuleSet) -> None:
    # 【海岸花园】 says who sends (a property developer): 10分钟直达 is then a property claim
    text = "【海岸花园】地铁口10分钟直达，升值潜力巨大，投资首选！"
    assert "industry_claim.realestate_promise" in _ids(ruleset, text)


PACK = """\
category: absolute_claim
rules:
  - id: footer_too
    kind: forbidden
    severity: warn
    zones: {zones}
    match: {{words: [退订]}}
    message: 含“退订”
    suggestion: 删除
    source: 测试
    examples: {{flag: [退订说明], pass: [你好]}}
"""


def _rules(tmp_path: Path, zones: str) -> Path:
    root = tmp_path / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "packs" / "demo.yaml").write_text(PACK.format(zones=zones), encoding="utf-8")
    return root


def test_zones_in_yaml_override_the_category_default(tmp_path: Path) -> None:
    text = "【信使商城】冬装5折。回T退订"
    rs = load_ruleset(_rules(tmp_path, "[body, footer]"))
    [f] = check(text, rs).findings
    assert (f.rule_id, f.matched) == ("demo.footer_too", "退订")
    body_only = load_ruleset(_rules(tmp_path / "b", "[body]"))
    assert check(text, body_only).findings == ()


def test_an_unknown_zone_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulesetError) as exc:
        load_ruleset(_rules(tmp_path, "[bdy]"))
    [err] = [str(e) for e in exc.value.errors]
    assert "demo.yaml:6: rule 'demo.footer_too'" in err and "zones" in err, err
    assert "'signature', 'body' or 'footer'" in err, err


def test_a_condition_may_run_from_the_signature_into_the_body() -> None:
    # when: reads signature and body as one stretch: 【度假酒店】…1076元/晚 names a hotel offer
    v = check(make_message("【度假酒店】尊敬的会员，三亚海景房1076.00元/晚起，8月入住。回T退订"))
    hit = [f for f in v.findings if f.rule_id == "refund_disclosure.refund_travel_hotel"]
    assert [(f.severity.value, f.start) for f in hit] == [("warn", 3)]
    assert v.verdict.value == "review"


CONTEXT_PACK = """\
category: fraud
rules:
  - id: quoted
    kind: forbidden
    severity: block
    match: {words: [刷单]}
    unless:
      words: [警方提醒]
      but_not: {words: [加微信]}
    message: 刷单
    suggestion: 删除
    source: 测试
    examples: {flag: [刷单日赚300], pass: [警方提醒：刷单是诈骗]}
  - id: offered
    kind: forbidden
    severity: warn
    category: absolute_claim
    match: {words: [冠军]}
    when:
      words: [会员]
      also: {words: [退订]}
    message: 冠军
    suggestion: 删除
    source: 测试
    examples: {flag: [会员专享冠军款。回T退订], pass: [马拉松冠军成绩为2小时07分]}
"""


@pytest.fixture(scope="module")
def context_rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    root = tmp_path_factory.mktemp("ctx") / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "packs" / "demo.yaml").write_text(CONTEXT_PACK, encoding="utf-8")
    return load_ruleset(root)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("兼职刷单日赚300", "demo.quoted"),
        # a report excuses the quoted word, but not when the text also gives a private contact
        ("警方提醒：刷单日赚300，加微信abc123", "demo.quoted"),
        # the when context reads the opt-out footer (回T退订 says the text is marketing)
        ("【信使商城】会员专享冠军款。回T退订", "demo.offered"),
    ],
)
def test_context_conditions_that_hold_keep_the_finding(
    context_rules: RuleSet, text: str, rule: str
) -> None:
    assert rule in [f.rule_id for f in check(text, context_rules).findings]


@pytest.mark.parametrize(
    "text",
    [
        "警方提醒：刷单返利是诈骗，请勿轻信。",
        "马拉松男子组冠军成绩为2小时07分。",
        "【信使商城】会员专享冠军款。",  # when found, but its 'also' (退订) is not
    ],
)
def test_context_conditions_that_fail_drop_the_finding(context_rules: RuleSet, text: str) -> None:
    assert check(text, context_rules).findings == ()
