"""Property: every finding's span lies inside the original text and covers what triggered it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import check, make_message
from engine.ruleset import load_ruleset
from tests.conftest import RULES

RULESET = load_ruleset(RULES)
DENY = ["最低价", "全网第一", "加微信", "稳赚不赔", "百家乐", "代开发票", "刷单"]
EXPECTED = {
    "最低价": "absolute_claim.superlative",
    "全网第一": "absolute_claim.superlative",
    "加微信": "contact_diversion.private_im",
    "稳赚不赔": "risk_disclosure.guaranteed_return",
    "百家乐": "gambling.gambling_terms",
    "代开发票": "prohibited_goods.forgery",  # the invoice list word; the regex needs 发票 unbroken
    "刷单": "fraud.task_rebate",
}
FILLER = st.sampled_from([" ", "*", "❤", "\u200b", "\u3000", "·", "~", "🌹", "#"])
CONTEXT = st.text(
    alphabet=st.sampled_from("尊敬的会员您好本店冬季上新优惠活动详见App。，！ 12345"), max_size=20
)


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str, int, int]:
    """A message with one deny word, maybe disguised; returns text, word and its span."""
    word = draw(st.sampled_from(DENY))
    chars = []
    for i, ch in enumerate(word):
        if i and draw(st.booleans()):
            chars.append(draw(FILLER))
        chars.append(draw(st.sampled_from([ch, ch.upper()])) if ch.isascii() else ch)
    inner = "".join(chars)
    before, after = draw(CONTEXT), draw(CONTEXT)
    text = "【信使商城】" + before + inner + after
    start = len("【信使商城】" + before)
    return text, word, start, start + len(inner)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(disguised())
def test_findings_cover_the_triggering_characters(case: tuple[str, str, int, int]) -> None:
    text, word, start, end = case
    verdict = check(make_message(text, type="marketing"), RULESET)
    for f in verdict.findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert text[f.start : f.end] == f.matched
    mine = [f for f in verdict.findings if f.rule_id == EXPECTED[word]]
    # exactly the disguised word: a span that merely covers it would hide a span bug
    assert [(f.start, f.end) for f in mine] == [(start, end)], (text, mine)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_spans_inside_the_original(text: str) -> None:
    verdict = check(make_message(text.encode("utf-8", "ignore").decode("utf-8")), RULESET)
    for f in verdict.findings:
        assert 0 <= f.start <= f.end <= len(text)
