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
from engine.score.features import FEATURE_NAMES, features

INTERCEPT = -3.2  # a plain message to a regular recipient: ~3.9 %
VIP_EFFECT = 1.0
CAMPAIGN_SD = 0.3
RECIPIENT_SD = 0.5
TRUE_EFFECTS: dict[str, float] = {
    "name_salutation": 0.45,
    "generic_salutation": 0.10,
    "specific_offer": 0.55,
    "vague_offer": 0.10,
    "deadline": 0.30,
    "hype": -0.35,
    "exclamations": -0.10,  # per mark, up to 3
    "clear_cta": 0.15,
    "link": 0.20,
    "long": -0.25,
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
_DEADLINE = ["有效期至本周日", "仅限今天", "12月31日前有效"]
_HOURS = (9, 10, 12, 15, 19, 20)


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


def _draft(
    rng: np.random.Generator, vip_campaign: bool, industry: str | None, confounded: bool
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
            parts.append(
                _SURNAMES[int(rng.integers(10))] + ("先生" if rng.random() < 0.5 else "女士")
            )
        else:
            parts.append("${name}")
    elif r < p_name + (1 - p_name) / 2:
        f["generic_salutation"] = 1.0
        parts.append("尊敬的会员" if rng.random() < 0.6 else "亲爱的用户")
    item = _ITEMS[int(rng.integers(len(_ITEMS)))]
    offer = rng.random()
    if offer < 0.4:
        f["specific_offer"] = 1.0
        a = int(rng.choice([100, 200, 300]))
        parts.append(f"{item}您有{int(rng.integers(1, 5))}张满{a}减{a // 4}券待领")
    elif offer < 0.8:
        f["vague_offer"] = 1.0
        parts.append(f"{item}全场{int(rng.integers(5, 9))}折")
    else:
        parts.append(f"{item}新品上市")
    if rng.random() < 0.5:
        f["deadline"] = 1.0
        parts.append(_DEADLINE[int(rng.integers(len(_DEADLINE)))])
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
) -> Simulation:
    """Simulate ``campaigns`` × ``variants`` drafts with ``sends`` randomised sends each."""
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
            text, flags = _draft(rng, vip_campaign, industry, confounded)
            msg = make_message(
                text, type=mtype, industry=industry, send_at=sent_at, id=f"{cid}-v{v}"
            )
            # context flags come from the message fields, exactly as features() reads them
            x = np.array(features(msg))
            copy_x = np.array([flags[n] for n in FEATURE_NAMES])
            x[:10] = copy_x[:10]
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
