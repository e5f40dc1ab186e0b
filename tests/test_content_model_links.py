"""The content model reads no link: each link's characters are masked in its prepared text."""

from __future__ import annotations

import pytest

from engine import check, make_message
from engine.content_model.model import LINK_MASK, load_model, ngrams, prepared
from engine.normalize import normalize
from engine.rule_types.context import find_zones
from engine.rule_types.link import scan_links
from engine.ruleset import RuleSet
from tests.conftest import ROOT

MODEL = ROOT / "models" / "content.json"


def _model_findings(ruleset: RuleSet, text: str, type_: str = "marketing") -> list:  # type: ignore[type-arg]
    """Findings a model rule made, or joined (``related``: merged into a link finding on the
    same span, as the evidence of the letters of a link was)."""
    verdict = check(make_message(text, type=type_), ruleset)
    return [f for f in verdict.findings if any(r.startswith("content_model.") for r in f.rule_ids)]


def _flags(text: str) -> set[str]:
    """The spam labels the shipped model gives ``text`` at its own per-label thresholds."""
    model = load_model(MODEL)
    norm = normalize(text)
    probs = model.score(norm, find_zones(text, norm).body).probs
    return {k for k, t in model.thresholds.items() if probs[model.index(k)] >= t}


def test_each_link_character_is_one_mask_character_and_the_rest_is_kept() -> None:
    text = "【快递驿站】您的快递已签收，点击 http://k.kd100.cn/xQ82zL 评价服务"
    norm = normalize(text)
    body = find_zones(text, norm).body
    masked, offset = prepared(norm, body)
    unmasked, same = prepared(norm, body, [])  # no links: the text as it was read before
    assert (offset, same) == (4, 4) and len(masked) == len(unmasked)
    assert unmasked == "您的快递已签收,点击http:kkd000cnxq00zl评价服务"
    assert masked == "您的快递已签收,点击" + LINK_MASK * 19 + "评价服务"
    assert (
        ngrams(masked, (1, 2, 3)) == [g for g in ngrams(masked, (1, 2, 3)) if LINK_MASK not in g]
        and "击" in ngrams(masked, (1,))
        and "击评" not in ngrams(masked, (2,))
    )


def test_a_link_outside_the_body_or_past_the_read_limit_is_clipped() -> None:
    text = "详情 t.cn/A6xYz1Pq"
    masked, offset = prepared(normalize(text), (0, 3))
    assert (masked, offset) == ("详情", 0)
    long_text = "好" * 495 + "点击 t.cn/A6xYz1Pq"
    masked, _ = prepared(normalize(long_text))
    assert len(masked) == 500 and masked.endswith("点击" + LINK_MASK * 3)


@pytest.mark.parametrize(
    ("text", "type_"),
    [
        ("您的快递已签收，点击 http://k.kd100.cn/xQ82zL 评价服务", "notification"),
        ("点击 http://t.cn/A6Lk9xQw 查看您的电子保单", "notification"),
        ("您预约的体检报告已出，点击 http://tj.cn/rpt/Hk82x 查看", "notification"),
        ("您的积分即将到期，点击 http://jf.cn/Qz8xKv 兑换", "notification"),
        ("周年庆会员专享价，点击 https://s.xinyh.cn/TGq7c 进入店铺", "marketing"),
        (
            "【电影院】周末观影特惠，购票链接 https://m.maoyan.com/cinema/2231?ref=sms_promo 。回T退订",
            "marketing",
        ),
        ("【书店】会员积分即将过期，点击 https://rb.gy/h3kq9z 兑换礼品。回T退订", "marketing"),
    ],
)
def test_an_ordinary_draft_with_a_link_gets_no_model_label(
    ruleset: RuleSet, text: str, type_: str
) -> None:
    assert _flags(text) == set()
    assert _model_findings(ruleset, text, type_) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("寂寞吗，陪你聊天的小姐姐在线等你，点击 http://t.cn/A6xYz1Pq 进入私密房间", "pornography"),
        ("私密房间陪聊，点击 http://t.cn/A6xYz1Pq 看小姐姐视频", "pornography"),
    ],
)
def test_spam_with_a_link_is_still_flagged_on_its_words(
    ruleset: RuleSet, text: str, category: str
) -> None:
    assert category in _flags(text)
    (finding,) = _model_findings(ruleset, text)
    assert finding.rule_id == f"content_model.{category}" and finding.related == ()
    assert text[finding.start : finding.end] == finding.matched
    (link,) = scan_links(normalize(text))
    assert finding.end <= link.start or finding.start >= link.end
    assert not any(c.isascii() and c.isalpha() for c in finding.matched)


@pytest.mark.parametrize(
    "text",
    [
        "小姐姐t.cn/Ab3xYq上门服务",
        "寂寞少妇 http://sourl.vip/A6xYz1 全套服务",
        "真人百家乐t.cn/Xy7Kp2注册送彩金",
        "私密房间https://mrw.so/4Hq7Tb陪聊",
    ],
)
def test_no_evidence_window_covers_a_masked_link(text: str) -> None:
    model = load_model(MODEL)
    scores = model.score(normalize(text))
    assert LINK_MASK in scores.text
    for label in range(len(model.labels)):
        start, end = model.evidence(scores.text, label)
        assert LINK_MASK not in scores.text[start:end]
