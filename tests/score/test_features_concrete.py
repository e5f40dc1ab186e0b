"""features() on concrete offers and real deadlines (issue 18 point 6): values, not just order.

Each example states the whole set of copy flags the detectors must raise on it, so a detector
that starts firing on vague wording ("限时", "速来", "名额有限") fails here as surely as one
that misses a concrete amount or a named time.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from engine import make_message
from engine.score.features import (
    COPY_FEATURES,
    DEADLINE,
    FEATURE_NAMES,
    features,
    fold,
    has_deadline,
)
from engine.score.simulate import COPY_SPACES, simulate

CONCRETE = [
    # concrete amounts: currency, 元, a rate, a cut, cash back
    ("【店】首杯减¥6，回T退订", {"specific_offer"}),
    ("【店】年度会员仅需¥128，回T退订", {"specific_offer"}),
    ("【店】工作日午市8.8折，回T退订", {"specific_offer"}),
    ("【店】周末生鲜满99减20，回T退订", {"specific_offer"}),
    ("【店】沙发换新补贴500元，回T退订", {"specific_offer"}),
    ("【店】购药返现10元，回T退订", {"specific_offer"}),
    ("【店】会员日全单7.5折，回T退订", {"specific_offer"}),
    # the same drafts without a figure are vague
    ("【店】首杯享福利，回T退订", {"vague_offer"}),
    ("【店】年度会员超值价，回T退订", set()),
    ("【店】工作日午市有折扣，回T退订", {"vague_offer"}),
    ("【店】周末好价不停，回T退订", {"vague_offer"}),
    ("【店】新开信用卡送开卡礼，回T退订", {"vague_offer"}),
    # counts: a number and a measure word
    ("【店】您有4张满50减10券待领，回T退订", {"specific_offer", "item_count"}),
    ("【店】衬衫任选2件，回T退订", {"item_count"}),
    ("【店】新会员赠私教课3节，回T退订", {"item_count", "named_item"}),
    ("【店】充值送洗车8次，回T退订", {"item_count", "named_item"}),
    ("【店】第2件半价，回T退订", {"specific_offer"}),  # an ordinal, not a count
    # named items vs vague gifts
    ("【店】下单跑鞋送运动袜，回T退订", {"named_item"}),
    ("【店】配镜即送眼镜清洗液，回T退订", {"named_item"}),
    ("【店】下单跑鞋送好礼，回T退订", {"vague_offer"}),
    ("【店】生日到店赠小惊喜，回T退订", set()),
    # names: surname + title (小姐 too) or a template variable
    ("【店】罗小姐，猫粮满199减30，回T退订", {"name_salutation", "specific_offer"}),
    ("【店】欧阳先生，新品上市，回T退订", {"name_salutation"}),
    ("【店】您好，新品上市，回T退订", set()),
]
DEADLINES = [
    # real: a date, a weekday, tonight + an hour, N hours/days ahead, an action before the end
    ("【店】满300减50，3月15日前有效，回T退订", True),
    ("【店】第二杯半价，本周日前有效，回T退订", True),
    ("【店】跑鞋券24小时内失效，回T退订", True),
    ("【店】首月6元，48小时内有效，回T退订", True),
    ("【店】影票立减10元，今晚12点截止，回T退订", True),
    ("【店】您的配镜券3天后到期，回T退订", True),
    ("【店】暑期班7月1日报名截止，回T退订", True),
    ("【店】国庆房型9月20日前预订有效，回T退订", True),
    ("【店】您有2张券，明晚8点失效，回T退订", True),
    ("【店】订场立减20元，截止本周五，回T退订", True),
    ("【店】种植牙本月31日前预约有效，回T退订", True),
    ("【店】活动仅剩3天，回T退订", True),
    # vague urgency names no time
    ("【店】IMAX影票限时立减10元，回T退订", False),
    ("【店】车厘子立减20元，速来，回T退订", False),
    ("【店】暑期班名额报满即止，回T退订", False),
    ("【店】您的券即将失效，回T退订", False),
    ("【店】活动即将结束，回T退订", False),
    ("【店】过期不候，回T退订", False),
    ("【店】下单后3天内发货，回T退订", False),  # a delivery time, not a deadline
    ("【店】激活后有效，回T退订", False),
]


def _active(text: str) -> set[str]:
    x = dict(zip(FEATURE_NAMES, features(make_message(text)), strict=True))
    return {k for k in COPY_FEATURES if x[k]}


@pytest.mark.parametrize(("text", "active"), CONCRETE)
def test_concrete_offer_detectors(text: str, active: set[str]) -> None:
    assert _active(text) == active


@pytest.mark.parametrize(("text", "real"), DEADLINES)
def test_deadline_detector(text: str, real: bool) -> None:
    x = dict(zip(FEATURE_NAMES, features(make_message(text)), strict=True))
    assert x["deadline"] == float(real)
    assert has_deadline(fold(text)) == bool(DEADLINE.search(fold(text))) == real


def test_fast_deadline_check_agrees_on_every_pair_file() -> None:
    root = Path(__file__).resolve().parents[2] / "models" / "pairs"
    texts = []
    for path in sorted(root.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = orjson.loads(line)
            texts += [row["worse"], row["better"]]
    assert len(texts) >= 2 * 370
    for text in texts:
        t = fold(text)
        assert has_deadline(t) == bool(DEADLINE.search(t)), text


@pytest.mark.parametrize("space", sorted(COPY_SPACES))
def test_detectors_reproduce_the_flags_of_each_copy_space(space: str) -> None:
    sim = simulate(campaigns=150, sends=10, seed=11, copy_space=space)
    for v in sim.variants:
        assert features(v.message) == v.true_x, (space, v.message.text)
    texts = " ".join(v.message.text for v in sim.variants)
    assert ("小时内失效" in texts) == (space == "wide")
