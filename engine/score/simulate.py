"""A send/click simulator with a documented ground truth, to validate the training pipeline.

No public data pairs Chinese marketing SMS with clicks, so the shipped model is trained here.
What the simulator can show: that the pipeline recovers known effects, is calibrated, and
how targeting confounds logs. What it cannot show: anything about real customers.

Ground truth (logit scale, P(click | sent)); values follow the design study in
shared/reference/engagement_model.md §4.2, deliberately larger than published per-element
effects (+10–20 % relative) so they are recoverable from a modest simulation:

    click logit = INTERCEPT + sum(TRUE_EFFECTS[f] * x_f) + VIP_EFFECT * vip
                  + campaign effect ~ N(0, CAMPAIGN_SD²) + recipient effect ~ N(0, RECIPIENT_SD²)

Design: ``campaigns`` campaigns, each with ``variants`` drafts drawn from a factorial copy
space and one send context (hour, weekday, type, industry). Recipients of a campaign are
randomised to its drafts. The confounder is at campaign level: campaigns aimed at VIPs
(``vip_campaigns`` of them, ~80 % VIP recipients) mostly use name salutations, other
campaigns (~10 % VIP) mostly do not. A pooled model without the audience therefore credits
the name with the VIPs' higher rate; comparing drafts *within* a campaign (campaign fixed
effects) or controlling for the audience removes the bias.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np

from engine.message import BEIJING, Message, make_message
from engine.score.features import COPY_FEATURES, FEATURE_NAMES, features

INTERCEPT = -3.2  # a plain message to a regular recipient: ~3.9 %
VIP_EFFECT = 1.0
CAMPAIGN_SD = 0.3
RECIPIENT_SD = 0.5
TRUE_EFFECTS: dict[str, float] = {
    "name_salutation": 0.45,
    "generic_salutation": 0.10,
    # the design note's coupon "您有N张满A减B券" (+0.55) is an amount and a count together
    "specific_offer": 0.40,
    "vague_offer": 0.10,
    "item_count": 0.15,
    "named_item": 0.20,
    "deadline": 0.30,
    "hype": -0.35,
    "exclamations": -0.10,  # per mark, up to 3
    "clear_cta": 0.15,
    "link": 0.20,
    "long": -0.25,
    "no_signature": -0.20,  # an assumption: the reference gives no effect size (see CARD.md)
    "send_lunch": 0.10,
    "send_afternoon": -0.10,
    "send_evening": 0.20,
    "weekend": 0.10,
    "type_notification": 0.30,
    "industry_finance": -0.20,
    "industry_travel": 0.15,
    "industry_education": -0.10,
}
assert tuple(TRUE_EFFECTS) == FEATURE_NAMES

_BRANDS = {
    None: ["优选商城", "信使商城", "悦家生活", "鲜果铺子"],
    "finance": ["安心理财", "恒信银行"],
    "travel": ["云途旅行", "悠游出行"],
    "education": ["好学教育", "启明课堂"],
}
_SURNAMES = "王李张刘陈杨赵黄周吴"
_ITEMS = ["会员日", "周年庆", "新品季", "换季清仓", "双12"]
_HYPE = ["速来抢购", "错过再等一年", "限时疯抢", "手慢无"]
_FILLER = ["精选好物等你来", "更多惊喜尽在会员中心", "感谢一路相伴", "品质生活从这里开始"]
# real deadlines name a time; vague urgency does not, and the detectors must not count it
_DEADLINE = [
    "有效期至本周日",
    "仅限今天",
    "12月31日前有效",
    "今晚24点前有效",
    "限时3天",
    "本周五截止",
    "仅限本周末",
]
_VAGUE_DEADLINE = ["近期有效", "尽快使用", "即将截止", "数量有限"]
_VAGUE = ["专属福利", "超值特惠", "折扣多多"]
_GIFTS = [("保温杯", "个"), ("帆布袋", "个"), ("咖啡", "杯"), ("雨伞", "把"), ("毛巾", "条")]
_VAGUE_GIFTS = ["精美礼品", "神秘好礼", "惊喜小礼"]
_HOURS = (9, 10, 12, 15, 19, 20)


class CopySpace(NamedTuple):
    """The phrasings a draft is composed from; the detectors must read every one right."""

    titles: tuple[str, ...]
    amounts: tuple[str, ...]  # format strings over item, a (threshold), k (a small number)
    vague: tuple[str, ...]
    deadlines: tuple[str, ...]
    vague_deadlines: tuple[str, ...]
    gifts: tuple[tuple[str, str], ...]
    vague_gifts: tuple[str, ...]


_BASE_AMOUNTS = ("{item}满{a}减{q}", "{item}下单立减{t}元", "{item}专享{w}元无门槛券")
# "base": the copy space of model 20261205-63328a60. "wide" (issue 18 point 6) adds the
# phrasings copywriters also use: ¥ amounts, a concrete rate, cash back, a title 小姐, a
# deadline N hours/days ahead or with an action before the end word, and more vague urgency.
COPY_SPACES: dict[str, CopySpace] = {
    "base": CopySpace(
        ("先生", "女士"),
        _BASE_AMOUNTS,
        tuple(_VAGUE),
        tuple(_DEADLINE),
        tuple(_VAGUE_DEADLINE),
        tuple(_GIFTS),
        tuple(_VAGUE_GIFTS),
    ),
    "wide": CopySpace(
        ("先生", "女士", "小姐"),
        (
            *_BASE_AMOUNTS,
            "{item}下单减¥{t}",
            "{item}享{r}折",
            "{item}到手价{a}元",
            "{item}返现{t}元",
        ),
        (*_VAGUE, "好价不停", "大促让利", "低价来袭"),
        (
            *_DEADLINE,
            "24小时内失效",
            "{k}天后到期",
            "明晚8点前下单有效",
            "1月20日报名截止",
            "截止本月底",
            "48小时内有效",
        ),
        (*_VAGUE_DEADLINE, "限时", "过期不候", "活动即将结束", "活动随时结束"),
        (*_GIFTS, ("马克杯", "个"), ("运动袜", "双"), ("收纳盒", "个")),
        (*_VAGUE_GIFTS, "专属好礼", "开卡礼"),
    ),
}


class Variant(NamedTuple):
    """One simulated draft and its true click logit for a regular recipient (no campaign)."""

    campaign_id: str
    variant_id: str
    message: Message
    true_x: tuple[float, ...]
    true_logit: float
    campaign_effect: float


class Cell(NamedTuple):
    """Aggregated sends: one variant to one audience group. The events format, in memory."""

    campaign_id: str
    message: Message
    vip: float
    n: int
    clicks: int


@dataclass(frozen=True)
class Simulation:
    """Cells to train on, and the truth behind them."""

    cells: list[Cell]
    variants: list[Variant]
    config: dict[str, Any]


def _pick(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def _draft(
    rng: np.random.Generator,
    vip_campaign: bool,
    industry: str | None,
    confounded: bool,
    space: CopySpace = COPY_SPACES["base"],
) -> tuple[str, dict[str, float]]:
    """Compose one draft from the copy space; return it with the true element flags."""
    f = dict.fromkeys(FEATURE_NAMES, 0.0)
    brand = _BRANDS[industry][int(rng.integers(len(_BRANDS[industry])))]
    parts: list[str] = []
    p_name = (0.75 if vip_campaign else 0.15) if confounded else 0.35
    r = rng.random()
    if r < p_name:
        f["name_salutation"] = 1.0
        if rng.random() < 0.7:
            # one uniform draw, as the "base" space always drew it: its sims stay bit-identical
            surname, titles = _SURNAMES[int(rng.integers(10))], space.titles
            parts.append(surname + titles[int(rng.random() * len(titles))])
        else:
            parts.append("${name}")
    elif r < p_name + (1 - p_name) / 2:
        f["generic_salutation"] = 1.0
        parts.append("尊敬的会员" if rng.random() < 0.6 else "亲爱的用户")
    item = _ITEMS[int(rng.integers(len(_ITEMS)))]
    offer = rng.random()
    k, a = int(rng.integers(1, 5)), int(rng.choice([100, 200, 300]))
    if offer < 0.25:  # the design note's coupon: an amount and a count
        f["specific_offer"] = f["item_count"] = 1.0
        parts.append(f"{item}您有{k}张满{a}减{a // 4}券待领")
    elif offer < 0.45:  # an amount only
        f["specific_offer"] = 1.0
        parts.append(
            _pick(rng, space.amounts).format(
                item=item, a=a, q=a // 4, t=a // 10, w=a // 20, r=k + 4, k=k
            )
        )
    elif offer < 0.55:  # a count only
        f["item_count"] = 1.0
        parts.append(f"{item}您有{k}张新人券待领")
    elif offer < 0.85:  # vague: a blanket discount or an offer word without a figure
        f["vague_offer"] = 1.0
        if rng.random() < 0.5:
            parts.append(f"{item}全场{int(rng.integers(5, 9))}折")
        else:
            parts.append(item + _pick(rng, space.vague))
    else:
        parts.append(f"{item}新品上市")
    gift = rng.random()
    if gift < 0.2:
        name, unit = _pick(rng, space.gifts)
        f["named_item"] = 1.0
        if rng.random() < 0.4:
            f["item_count"] = 1.0
            name += f"{int(rng.integers(1, 4))}{unit}"
        parts.append("下单送" + name)
    elif gift < 0.35:
        if not f["specific_offer"]:
            f["vague_offer"] = 1.0
        parts.append("下单送" + _pick(rng, space.vague_gifts))
    when = rng.random()
    if when < 0.45:
        f["deadline"] = 1.0
        parts.append(_pick(rng, space.deadlines).format(k=k + 1))
    elif when < 0.6:
        parts.append(_pick(rng, space.vague_deadlines))
    if rng.random() < 0.35:
        f["hype"] = 1.0
        parts.append(_HYPE[int(rng.integers(len(_HYPE)))])
    bangs = int(rng.choice([0, 0, 1, 2, 3]))
    f["exclamations"] = float(bangs)
    cta = rng.random()
    if cta < 0.45:
        f["clear_cta"] = f["link"] = 1.0
        parts.append("点击 t.cn/A6x" + str(int(rng.integers(10, 99))) + " 领取")
    elif cta < 0.8:
        f["link"] = 1.0
        parts.append("戳 t.cn/A6x" + str(int(rng.integers(10, 99))))
    else:
        parts.append("详见App会员中心")
    for _ in range(int(rng.integers(0, 3))):
        parts.append(_FILLER[int(rng.integers(len(_FILLER)))])
    body = "，".join(parts[:-1]) + ("！" * bangs if bangs else "，") + parts[-1]
    if rng.random() < 0.1:
        f["no_signature"] = 1.0
        text = f"{body}，拒收请回复R"
    else:
        text = f"【{brand}】{body}，拒收请回复R"
    if len(text) > 70:
        f["long"] = 1.0
    return text, f


def simulate(
    campaigns: int = 200,
    variants: int = 4,
    sends: int = 2000,
    vip_campaigns: float = 0.3,
    confounded: bool = True,
    seed: int = 0,
    copy_space: str = "wide",
) -> Simulation:
    """Simulate ``campaigns`` × ``variants`` drafts with ``sends`` randomised sends each."""
    space = COPY_SPACES[copy_space]
    rng = np.random.default_rng(seed)
    w = np.array([TRUE_EFFECTS[n] for n in FEATURE_NAMES])
    cells: list[Cell] = []
    truth: list[Variant] = []
    start = datetime(2026, 9, 1, tzinfo=BEIJING)
    industries: list[str | None] = [None, None, None, "finance", "travel", "education"]
    for c in range(campaigns):
        cid = f"c{c:04d}"
        vip_campaign = bool(rng.random() < vip_campaigns)
        vip_share = 0.8 if vip_campaign else 0.1
        industry = industries[int(rng.integers(len(industries)))]
        mtype = "notification" if rng.random() < 0.15 else "marketing"
        day = start + timedelta(days=int(rng.integers(0, 90)))
        sent_at = day.replace(hour=int(rng.choice(_HOURS)))
        campaign_effect = float(rng.normal(0.0, CAMPAIGN_SD))
        for v in range(variants):
            text, flags = _draft(rng, vip_campaign, industry, confounded, space)
            msg = make_message(
                text, type=mtype, industry=industry, send_at=sent_at, id=f"{cid}-v{v}"
            )
            # context flags come from the message fields, exactly as features() reads them
            x = np.array(features(msg))
            copy_x = np.array([flags[n] for n in FEATURE_NAMES])
            ncopy = len(COPY_FEATURES)
            x[:ncopy] = copy_x[:ncopy]
            logit = INTERCEPT + float(w @ x)
            truth.append(
                Variant(cid, f"{cid}-v{v}", msg, tuple(float(a) for a in x), logit, campaign_effect)
            )
            vip = rng.random(sends) < vip_share
            z = logit + campaign_effect + VIP_EFFECT * vip + rng.normal(0, RECIPIENT_SD, sends)
            clicked = rng.random(sends) < 1.0 / (1.0 + np.exp(-z))
            for group in (False, True):
                mask = vip == group
                n = int(mask.sum())
                if n:
                    cells.append(Cell(cid, msg, float(group), n, int(clicked[mask].sum())))
    config = {
        "campaigns": campaigns,
        "variants": variants,
        "sends": sends,
        "vip_campaigns": vip_campaigns,
        "confounded": confounded,
        "seed": seed,
        "copy_space": copy_space,
    }
    return Simulation(cells, truth, config)


def cells_to_rows(cells: list[Cell]) -> list[dict[str, Any]]:
    """Cells -> event rows in the documented export format (see engine/score/events.py)."""
    return [
        {
            "campaign_id": c.campaign_id,
            "variant_id": c.message.id,
            "text": c.message.text,
            "type": c.message.type.value,
            "industry": c.message.industry,
            "sent_at": c.message.send_at.isoformat() if c.message.send_at else None,
            "vip": int(c.vip),
            "n": c.n,
            "clicks": c.clicks,
        }
        for c in cells
    ]
