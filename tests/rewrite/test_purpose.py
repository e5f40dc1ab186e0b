"""A notice keeps its purpose: no rewrite, fix or advice greets a notification's or a code's
reader by ``${name}`` unless its template fills a name, nor adds a deadline or an offer."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import make_message
from engine.message import Message, MessageType
from engine.rewrite import problems
from engine.ruleset import RuleSet
from engine.score import score, shipped_model
from engine.score.suggest import may_offer, rewrites
from tests.rewrite.conftest import corpus, message

NAME = re.compile(r"\$\{(?:name|surname|姓名|姓)\}")
NOTICES = [r for r in corpus() if r["type"] != "marketing"]


def _names(text: str) -> int:
    return len(NAME.findall(text))


def _gains_no_name(msg: Message, text: str) -> bool:
    """A rewrite of a notice adds no ${name} unless the template already fills one."""
    return _names(msg.text) > 0 or _names(text) == 0


@pytest.mark.parametrize("row", NOTICES, ids=lambda r: r["id"])
def test_no_corpus_notice_is_offered_a_name_greeting(row: dict[str, str], ruleset: RuleSet) -> None:
    msg = message(row)
    found = rewrites(msg, shipped_model(), ruleset)
    for s in found.kept:
        assert _gains_no_name(msg, s.text), (row["id"], s.operator, s.text)
        assert not [p for p in problems(msg, s.text) if p.startswith("purpose:")], s.text
    # the operators do not even try: no greeting was written and then dropped
    assert [op for op, _, _ in found.dropped if op == "name_salutation"] == []
    advice = " ".join(r.text for r in score(msg, ruleset=ruleset).reasons)
    if not _names(msg.text):
        assert "${name}" not in advice and "姓名称呼预计更高" not in advice, advice


def test_the_corpus_has_the_cases() -> None:
    # a notice with a generic salutation and none with a name variable, and one whose
    # template fills a name (the one case a notice may be greeted by name)
    texts = [r["text"] for r in NOTICES]
    assert any("尊敬的" in t and not _names(t) for t in texts)
    assert any(_names(t) and "尊敬的" in t for t in texts)


def test_a_notice_whose_template_fills_a_name_may_be_greeted(ruleset: RuleSet) -> None:
    msg = next(message(r) for r in NOTICES if r["id"] == "n13")
    kept = {s.operator: s.text for s in rewrites(msg, shipped_model(), ruleset).kept}
    assert kept.get("name_salutation") == (
        "【优选物流】${name}，收件人${name}的快件已到驿站，取件码${code}。"
    )


@pytest.mark.parametrize(
    ("draft", "kind", "offered"),
    [
        ("【顺丰速运】尊敬的客户，您的快递已到驿站，取件码1234", "notification", False),
        ("【顺丰速运】您的验证码是386512，5分钟内有效", "verification", False),
        ("【顺丰速运】尊敬的客户，收件人${name}的快件已到驿站", "notification", True),
        ("【顺丰速运】尊敬的客户，您的快递${code}已到驿站", "notification", False),
        ("【优选商城】尊敬的会员，全场5折，拒收请回复R", "marketing", True),
    ],
)
def test_who_may_be_offered_a_name_greeting(draft: str, kind: str, offered: bool) -> None:
    assert may_offer("name_salutation", make_message(draft, type=kind)) is offered


@pytest.mark.parametrize(
    ("draft", "rewrite", "kind", "reasons"),
    [
        ("【顺丰速运】尊敬的客户，您的快递已到驿站", "【顺丰速运】${name}，您的快递已到驿站",
         "notification", ["variable:name", "purpose:${name}"]),
        ("您的验证码是386512", "${name}，您的验证码是386512", "verification",
         ["variable:name", "purpose:${name}"]),
        # a template's own variables: no fill-in name on a notice
        ("【顺丰速运】您的快递${code}已到驿站", "【顺丰速运】${name}，您的快递${code}已到驿站",
         "notification", ["variable:name", "purpose:${name}"]),
        # the template fills a name: a greeting keeps the notice's purpose
        ("【顺丰速运】收件人${name}的快件已到驿站", "【顺丰速运】${name}，收件人${name}的快件已到驿站",
         "notification", []),
        # marketing may take the fill-in
        ("【优选商城】全场5折，拒收请回复R", "【优选商城】${name}，全场5折，拒收请回复R", "marketing", []),
    ],
)  # fmt: skip
def test_the_gate_refuses_a_name_greeting_on_a_notice(
    draft: str, rewrite: str, kind: str, reasons: list[str]
) -> None:
    assert problems(make_message(draft, type=kind), rewrite) == reasons


SALUTES = ["", "尊敬的客户，", "亲爱的用户，", "您好，", "收件人${name}，", "${name}，"]
BODIES = ["您的订单已发货", "您的快递已到驿站，取件码1234", "您的退款已原路退回！！",
          "您的会员即将到期", "验证码386512，5分钟内有效", "您预约的服务明天上门"]  # fmt: skip
LINKS = ["", "，详见 t.cn/A6x1", "，戳 t.cn/A6x1", "，点击 https://m.xinshi-mall.cn/o/1 查看"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sign=st.sampled_from(["", "【顺丰速运】", "【优选商城】"]),
    salute=st.sampled_from(SALUTES),
    body=st.sampled_from(BODIES),
    link=st.sampled_from(LINKS),
    end=st.sampled_from(["", "。", "！"]),
    kind=st.sampled_from([MessageType.NOTIFICATION, MessageType.VERIFICATION]),
)
def test_no_generated_notice_gains_a_name(
    sign: str, salute: str, body: str, link: str, end: str, kind: MessageType, ruleset: RuleSet
) -> None:
    msg = make_message(sign + salute + body + link + end, type=kind.value)
    for s in rewrites(msg, shipped_model(), ruleset).kept:
        assert _gains_no_name(msg, s.text), (msg.text, s.operator, s.text)
        assert not [p for p in problems(msg, s.text) if p.startswith("purpose:")]
