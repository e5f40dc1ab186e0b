"""Generated drafts: every suggestion and every fix shown passes the gate, and the operators
themselves never make a flaw of form, a new variable or a change of purpose (only the
compliance check may refuse what they write)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import check, make_message
from engine.message import Message
from engine.rewrite import fixes, problems
from engine.ruleset import RuleSet
from engine.score import shipped_model
from engine.score.suggest import rewrites
from engine.verdict import Decision

CLAUSES = [
    "全场5折", "新品8折起", "满200减50", "速来抢购", "手慢无", "冬季新品上市", "到店有礼",
    "您的订单已发货", "全场最低价", "错过再等一年", "会员日来了", "您有2张券待领", "积分可兑换好礼",
    "您预约的服务明天上门", "验证码386512", "5分钟内有效",
]  # fmt: skip
MARKS = ["，", "！", "！！", "。", " ", "，，", "！，", ""]


@st.composite
def drafts(draw: st.DrawFn) -> Message:
    parts = [draw(st.sampled_from(["", "【优选商城】", "【鲜果园】"]))]
    parts.append(draw(st.sampled_from(["", "尊敬的会员，", "亲爱的，", "${name}，", "王先生，"])))
    for clause in draw(st.lists(st.sampled_from(CLAUSES), min_size=1, max_size=3)):
        parts += [clause, draw(st.sampled_from(MARKS))]
    parts.append(
        draw(st.sampled_from(["", "戳 t.cn/A6x1", "点击 t.cn/A6x1", "详见 https://m.xinshi-mall.cn/a",
                              "点 http://t.cn/abc", "点击点击 t.cn/A6x1 查看"]))
    )  # fmt: skip
    parts.append(draw(st.sampled_from(["", "，", " ", "！", "。", " ，"])))
    parts.append(draw(st.sampled_from(["", "拒收请回复R", "回T退订", "退订回T"])))
    kind = draw(st.sampled_from(["marketing", "marketing", "notification", "verification"]))
    return make_message("".join(parts), type=kind)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msg=drafts())
def test_every_suggestion_passes_the_gate(msg: Message, ruleset: RuleSet) -> None:
    before = check(msg, ruleset)
    found = rewrites(msg, shipped_model(), ruleset)
    for s in found.kept:
        after = check(replace(msg, text=s.text), ruleset)
        assert after.verdict is not Decision.BLOCK, s.text
        assert problems(msg, s.text, after, before) == [], (msg.text, s.operator, s.text)
        assert s.verdict == after.verdict.value
    # the operators write well-formed copy: only the compliance check refuses any of it
    for op, text, why in found.dropped:
        assert all(w == "blocked" or w.startswith("new_finding:") for w in why), (
            msg.text,
            op,
            text,
            why,
        )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msg=drafts(), signature=st.sampled_from([None, "信使商城"]))
def test_every_fix_removes_its_finding_and_passes_the_gate(
    msg: Message, signature: str | None, ruleset: RuleSet
) -> None:
    before = check(msg, ruleset)
    found, _ = fixes(msg, before, ruleset, signature)
    assert len(found) == len(before.findings)
    for f, own in zip(before.findings, found, strict=True):
        for fix in own:
            d = fix.to_dict()
            assert d["kind"] in {"delete", "replace", "insert"}
            assert (d["start"] == d["end"]) == (d["kind"] == "insert")
            text = msg.text[: d["start"]] + d["text"] + msg.text[d["end"] :]
            after = check(replace(msg, text=text), ruleset)
            fires = [g for g in after.findings if f.rule_id in g.rule_ids]
            assert len(fires) < sum(f.rule_id in g.rule_ids for g in before.findings), (
                msg.text,
                text,
            )
            assert [p for p in problems(msg, text, after, before) if p != "blocked"] == []
