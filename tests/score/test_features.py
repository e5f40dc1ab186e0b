"""features(): one example table for every detector, and agreement with the simulator."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import orjson
import pytest

from engine import make_message
from engine.ruleset.regex_safety import problems
from engine.score.features import DEADLINE, FEATURE_NAMES, features, fold, has_deadline
from engine.score.simulate import Simulation

EXAMPLES = [
    ("【信使商城】王先生，会员日到了", {"name_salutation"}),
    ("【信使商城】${name}，会员日到了", {"name_salutation"}),
    ("【信使商城】尊敬的${name}先生：会员日到了", {"name_salutation"}),
    ("【信使商城】尊敬的会员，会员日到了", {"generic_salutation"}),
    # concrete amounts; a coupon "N张" is also a count
    ("【信使商城】您有3张满200减50券待领", {"specific_offer", "item_count"}),
    ("【信使商城】您有${n}张满${a}减${b}券待领", {"specific_offer", "item_count"}),
    ("【信使商城】下单立减20元", {"specific_offer"}),
    ("【信使商城】机票直降300元", {"specific_offer"}),
    ("【信使商城】门票仅需39元", {"specific_offer"}),
    ("【信使商城】分期手续费减免50%", {"specific_offer"}),
    ("【信使商城】会员享8折", {"specific_offer"}),
    ("【信使商城】维生素C第二件半价", {"specific_offer"}),
    # vague offers: a blanket or floor discount, an offer word without a figure
    ("【信使商城】全场5折", {"vague_offer"}),
    ("【信使商城】新品7.5折起", {"vague_offer"}),
    ("【信使商城】年货节全场优惠", {"vague_offer"}),
    ("【信使商城】双12折扣季", {"vague_offer"}),  # '12折' of 双12折扣 is no discount
    ("【信使商城】下单送精美礼品", {"vague_offer"}),
    # counts and named items
    ("【信使商城】会员送美式咖啡2杯", {"item_count", "named_item"}),
    ("【信使商城】订两晚送早餐", {"item_count", "named_item"}),
    ("【信使商城】您有5张流量券待领取", {"item_count"}),
    ("【信使商城】开通3个月会员", set()),  # a duration, not a count
    ("【信使商城】新开户送行李箱", {"named_item"}),
    ("【信使商城】点击领取保温杯", {"named_item", "clear_cta"}),
    ("【信使商城】送您一份惊喜", set()),
    ("【信使商城】您的快递已送达", set()),
    ("【信使商城】已为您发送验证码", set()),
    # real deadlines name a time; vague urgency does not
    ("【信使商城】优惠有效期至本周日", {"deadline", "vague_offer"}),
    ("【信使商城】仅限今天", {"deadline"}),
    ("【信使商城】12月31日前有效", {"deadline"}),
    ("【信使商城】今晚24点前有效", {"deadline"}),
    ("【信使商城】本周五截止", {"deadline"}),
    ("【信使商城】仅限本周末", {"deadline"}),
    ("【信使商城】限时3天", {"deadline"}),
    ("【信使商城】请于12月18日前还款", {"deadline"}),
    ("【信使商城】本月底前领取有效", {"deadline"}),
    ("【信使商城】活动时间12月1日-12月3日", {"deadline"}),
    ("【信使商城】活动近期截止", set()),
    ("【信使商城】请尽快还款", set()),
    ("【信使商城】即将过期", set()),
    ("【信使商城】数量有限", set()),
    ("【信使商城】本周日开业", set()),
    ("【信使商城】截至今日积分300分", set()),
    ("【信使商城】速来抢购", {"hype"}),
    ("【信使商城】赶快来抢", {"hype"}),
    ("【信使商城】新品上市！", {"exclamations"}),
    ("【信使商城】新品上市", set()),
    ("【信使商城】点击 t.cn/A6x1 领取", {"clear_cta", "link"}),
    ("【信使商城】点击 t.cn/A6x1 预订", {"clear_cta", "link"}),
    ("【信使商城】戳 t.cn/A6x1", {"link"}),
    ("【信使商城】详见 https://m.xinshi.cn/a", {"link"}),
    ("【信使商城】" + "新品上市" * 20, {"long"}),
    ("【信使商城】满２００可用", set()),  # '满' without 减 is no amount (full-width folds)
    ("【信使商城】本月底前领取有效", {"deadline"}),  # 领取有效 gives nothing
    ("新品上市，回T退订", {"no_signature"}),
    ("新品上市，回T退订【信使商城】", set()),  # a signature at the end counts
]


@pytest.mark.parametrize(("text", "active"), EXAMPLES)
def test_detectors(text: str, active: set[str]) -> None:
    x = dict(zip(FEATURE_NAMES, features(make_message(text)), strict=True))
    assert {k for k, v in x.items() if v} == active


def test_full_width_and_exclamation_count() -> None:
    x = dict(zip(FEATURE_NAMES, features(make_message("【店】新品！！！！！ＶＩＰ")), strict=True))
    assert x["exclamations"] == 3.0  # capped


@pytest.mark.parametrize(
    ("kw", "active"),
    [
        ({"send_at": "2026-11-25T12:30"}, {"send_lunch"}),
        ({"send_at": "2026-11-25T15:00"}, {"send_afternoon"}),
        ({"send_at": "2026-11-25T20:00"}, {"send_evening"}),
        ({"send_at": "2026-11-28T10:00"}, {"weekend"}),  # a Saturday
        ({"send_at": "2026-11-25T04:00:00+00:00"}, {"send_lunch"}),  # 12:00 in Beijing
        ({"type": "notification"}, {"type_notification"}),
        ({"industry": "loan"}, {"industry_finance"}),
        ({"industry": "air"}, {"industry_travel"}),
        ({"industry": "education"}, {"industry_education"}),
        ({"industry": "medical"}, set()),
    ],
)
def test_context(kw: dict[str, str], active: set[str]) -> None:
    x = dict(zip(FEATURE_NAMES, features(make_message("【店】新品上市", **kw)), strict=True))  # type: ignore[arg-type]
    assert {k for k, v in x.items() if v} == active


def test_detectors_reproduce_the_simulators_flags(sim: Simulation) -> None:
    for v in sim.variants:
        assert features(v.message) == v.true_x, v.message.text


def test_detector_patterns_are_linear_time() -> None:
    # LINK predates this check and is only run on text that holds a '.'
    module = importlib.import_module("engine.score.features")  # the package shadows the name
    pats = {n: v for n, v in vars(module).items() if isinstance(v, re.Pattern) and n != "LINK"}
    assert len(pats) >= 12
    assert {n: problems(p.pattern) for n, p in pats.items() if problems(p.pattern)} == {}


def test_fast_deadline_check_agrees_with_the_regex(sim: Simulation) -> None:
    root = Path(__file__).resolve().parents[2] / "models" / "pairs"
    texts = [v.message.text for v in sim.variants] + [t for t, _ in EXAMPLES]
    for split in ("dev", "heldout"):
        for line in (root / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            row = orjson.loads(line)
            texts += [row["worse"], row["better"]]
    texts += ["12月1日 - 12月3日", "${date}前有效", "3天内有效", "预计3天内送达", "18:30前"]
    texts += ["12月12日24:00截止", "${deadline_date}前", "尽快", "近期截止", "限时"]
    found = 0
    for text in texts:
        t = fold(text)
        assert has_deadline(t) == bool(DEADLINE.search(t)), text
        found += has_deadline(t)
    assert 100 < found < len(texts)


def test_id_does_not_change_features() -> None:
    a = make_message("【店】王先生，新品", id="a")
    assert features(a) == features(make_message("【店】王先生，新品", id="b"))
