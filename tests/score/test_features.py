"""features(): one example table for every detector, and agreement with the simulator."""

from __future__ import annotations

import pytest

from engine import make_message
from engine.score.features import FEATURE_NAMES, features
from engine.score.simulate import Simulation

EXAMPLES = [
    ("【信使商城】王先生，会员日到了", {"name_salutation"}),
    ("【信使商城】${name}，会员日到了", {"name_salutation"}),
    ("【信使商城】尊敬的${name}先生：会员日到了", {"name_salutation"}),
    ("【信使商城】尊敬的会员，会员日到了", {"generic_salutation"}),
    ("【信使商城】您有3张满200减50券待领", {"specific_offer"}),
    ("【信使商城】您有${n}张满${a}减${b}券待领", {"specific_offer"}),
    ("【信使商城】下单立减20元", {"specific_offer"}),
    ("【信使商城】全场5折", {"vague_offer"}),
    ("【信使商城】新品7.5折起", {"vague_offer"}),
    ("【信使商城】优惠有效期至本周日", {"deadline"}),
    ("【信使商城】仅限今天", {"deadline"}),
    ("【信使商城】12月31日前有效", {"deadline"}),
    ("【信使商城】速来抢购", {"hype"}),
    ("【信使商城】新品上市！", {"exclamations"}),
    ("【信使商城】新品上市", set()),
    ("【信使商城】点击 t.cn/A6x1 领取", {"clear_cta", "link"}),
    ("【信使商城】详见 https://m.xinshi.cn/a", {"link"}),
    ("【信使商城】" + "新品上市" * 20, {"long"}),
    ("【信使商城】满５折", set()),  # '满' without 减 is not a specific offer
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


def test_id_does_not_change_features() -> None:
    a = make_message("【店】王先生，新品", id="a")
    assert features(a) == features(make_message("【店】王先生，新品", id="b"))
