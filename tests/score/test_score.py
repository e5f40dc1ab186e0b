"""engine.score: better drafts score higher, reasons are actionable, rewrites are compliant."""

from __future__ import annotations

import re

import pytest

from engine import check, check_scored, make_message, score
from engine.message import Message
from engine.ruleset import RuleSet
from engine.score.simulate import Simulation
from engine.verdict import Decision

S = "【优选商城】"
T = "，拒收请回复R"
# (worse, better): the better one applies one practice from the issue, all else equal
PAIRS = [
    (S + "全场5折，戳 t.cn/A6x1" + T, S + "王先生，全场5折，戳 t.cn/A6x1" + T),
    (S + "尊敬的会员，全场5折，戳 t.cn/A6x1" + T, S + "${name}，全场5折，戳 t.cn/A6x1" + T),
    (S + "全场5折，戳 t.cn/A6x1" + T, S + "您有3张满200减50券待领，戳 t.cn/A6x1" + T),
    (S + "全场5折，戳 t.cn/A6x1" + T, S + "全场5折，有效期至本周日，戳 t.cn/A6x1" + T),
    (S + "全场5折！！！速来抢购，戳 t.cn/A6x1" + T, S + "全场5折，戳 t.cn/A6x1" + T),
    (S + "全场5折，戳 t.cn/A6x1" + T, S + "全场5折，点击 t.cn/A6x1 领取" + T),
    (S + "全场5折，详见App" + T, S + "全场5折，点击 t.cn/A6x1 领取" + T),
    (
        S + "全场5折！速来抢购！戳 t.cn/A6x1" + T,
        S + "王先生，您有3张满200减50券待领，有效期至本周日，点击 t.cn/A6x1 领取" + T,
    ),
]


@pytest.mark.parametrize(("worse", "better"), PAIRS)
def test_better_draft_scores_higher(worse: str, better: str) -> None:
    assert score(better, suggestions=False).score > score(worse, suggestions=False).score


def test_send_time_matters() -> None:
    text = S + "王先生，您有3张券待领" + T
    evening = score(make_message(text, send_at="2026-11-25T20:00"), suggestions=False)
    afternoon = score(make_message(text, send_at="2026-11-25T15:00"), suggestions=False)
    assert evening.score > afternoon.score


def test_reasons_are_chinese_signed_and_actionable() -> None:
    s = score(S + "全场5折！！速来抢购，戳 t.cn/A6x1" + T)
    by = {r.feature: r for r in s.reasons}
    assert by["hype"].effect < 0
    assert re.search(r"预计使点击率降低\d+\.\d个百分点；删掉它们$", by["hype"].text), by[
        "hype"
    ].text
    assert by["exclamations"].effect < 0 and "降低" in by["exclamations"].text
    assert by["link"].effect > 0 and "预计使点击率提高" in by["link"].text
    assert [abs(r.effect) for r in s.reasons] == sorted(
        (abs(r.effect) for r in s.reasons), reverse=True
    )


def test_suggestions_are_concrete_ranked_and_never_invent_numbers() -> None:
    s = score(S + "尊敬的会员，全场5折！！！速来抢购，戳 t.cn/A6x1" + T)
    ops = {x.operator: x for x in s.suggestions}
    assert {
        "name_salutation",
        "specific_offer",
        "deadline",
        "hype",
        "clear_cta",
        "combined",
    } <= set(ops)
    assert (
        ops["specific_offer"].text
        == S + "尊敬的会员，您有${n}张满${a}减${b}券待领！！！速来抢购，戳 t.cn/A6x1" + T
    )
    assert ops["name_salutation"].text.startswith(S + "${name}，全场5折")
    assert "有效期至${date}，拒收请回复R" in ops["deadline"].text
    assert (
        "!" not in ops["hype"].text
        and "！" not in ops["hype"].text
        and "抢购" not in ops["hype"].text
    )
    assert "点击 t.cn/A6x1 领取" in ops["clear_cta"].text
    assert s.suggestions[0].operator == "combined"
    assert [x.gain for x in s.suggestions] == sorted((x.gain for x in s.suggestions), reverse=True)
    assert all(x.gain > 0 for x in s.suggestions)


def _drafts(sim: Simulation) -> list[Message]:
    extra = [
        S + "全场最低价！速来抢购！戳 t.cn/A6x1" + T,  # blocked as drafted
        S + "全场5折！速来抢购！加V信领券",  # no opt-out line: blocked
        "全场5折，戳 t.cn/A6x1",  # no signature
        S + "尊敬的会员，新品8折起，详见 https://m.xinshi-mall.cn/a 。回T退订",
    ]
    return [v.message for v in sim.variants[:150]] + [make_message(t) for t in extra]


def test_every_suggestion_passes_the_compliance_check(sim: Simulation, ruleset: RuleSet) -> None:
    seen = 0
    for msg in _drafts(sim):
        for s in score(msg, ruleset=ruleset).suggestions:
            seen += 1
            v = check(
                make_message(s.text, type=msg.type, industry=msg.industry, send_at=msg.send_at),
                ruleset,
            )
            assert v.verdict is not Decision.BLOCK, (s.text, [f.rule_id for f in v.findings])
            assert s.verdict == v.verdict.value
    assert seen > 300


def test_check_scored_adds_a_block_and_check_is_unchanged() -> None:
    text = S + "全场5折，戳 t.cn/A6x1" + T
    plain = check(text).to_dict()
    assert "score" not in plain
    scored = check_scored(text).to_dict()
    assert {k: v for k, v in scored.items() if k != "score"} == plain
    assert set(scored["score"]) == {"score", "reasons", "suggestions", "dropped", "model"}
    assert scored["score"]["model"]["trained_on"] == "simulated"
