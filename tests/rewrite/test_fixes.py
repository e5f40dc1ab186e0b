"""One-click fixes: each removes its finding on re-check; missing items get an insert."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine import check, make_message
from engine.rewrite import fixes, problems
from engine.rewrite.fixes import Fix
from engine.ruleset import RuleSet
from tests.rewrite.conftest import corpus, message


def _apply(text: str, fix: Fix) -> str:
    return text[: fix.start] + fix.text + text[fix.end :]


def _fixes_by_rule(text: str, ruleset: RuleSet, **kw: str) -> dict[str, tuple[Fix, ...]]:
    sig = kw.pop("signature", None)
    msg = make_message(text, **kw)
    v = check(msg, ruleset)
    found, _ = fixes(msg, v, ruleset, sig)
    return {f.rule_id: own for f, own in zip(v.findings, found, strict=True)}


@pytest.mark.parametrize(
    "profile", ["default", "aliyun", "tencent", "huawei", "huawei_iot", "qiniu"]
)
def test_a_missing_opt_out_gets_the_profiles_line_at_the_end(
    profile: str, ruleset: RuleSet
) -> None:
    text = "【信使商城】尊敬的会员，冬装上新，满300减50，12月8日截止。"
    (fix,) = _fixes_by_rule(text, ruleset, profile=profile)["unsubscribe.missing"]
    want = ruleset.profile(profile).opt_out
    assert (fix.kind, fix.start, fix.end, fix.text) == ("insert", len(text), len(text), want)
    assert fix.label == f"在末尾加上退订方式“{want}”"
    after = check(make_message(_apply(text, fix), profile=profile), ruleset)
    assert [f.rule_id for f in after.findings if f.category == "unsubscribe"] == []


def test_the_opt_out_follows_a_comma_after_words(ruleset: RuleSet) -> None:
    text = "【信使商城】冬装上新，详见App"
    (fix,) = _fixes_by_rule(text, ruleset)["unsubscribe.missing"]
    assert _apply(text, fix) == "【信使商城】冬装上新，详见App，拒收请回复R"


def test_a_missing_signature_gets_the_callers_or_a_placeholder(ruleset: RuleSet) -> None:
    text = "冬装上新，满300减50，12月8日截止。拒收请回复R"
    (given,) = _fixes_by_rule(text, ruleset, signature="信使商城")["signature.missing"]
    assert given.to_dict() == {
        "kind": "insert", "start": 0, "end": 0, "text": "【信使商城】",
        "label": "在开头加上签名“【信使商城】”",
    }  # fmt: skip
    (asked,) = _fixes_by_rule(text, ruleset)["signature.missing"]
    assert asked.text == "【签名】" and asked.placeholder == "签名"
    assert asked.ask and "签名" in asked.ask
    for fix in (given, asked):
        after = check(_apply(text, fix), ruleset)
        assert "signature.missing" not in {f.rule_id for f in after.findings}


def test_the_provider_wording_is_replaced_not_deleted(ruleset: RuleSet) -> None:
    text = "【信使商城】冬装上新，满300减50，12月8日截止。回T退订"
    (fix,) = _fixes_by_rule(text, ruleset, profile="aliyun")["unsubscribe.wording_reply_r"]
    assert (fix.kind, fix.text, fix.label) == (
        "replace",
        "拒收请回复R",
        "把“回T退订”改为“拒收请回复R”",
    )
    assert _apply(text, fix).endswith("12月8日截止。拒收请回复R")


def test_a_link_goes_with_its_call_to_action_and_the_comma_after_it(ruleset: RuleSet) -> None:
    text = "【优选商城】全场满200减50，点 http://t.cn/abc，拒收请回复R"
    (fix,) = _fixes_by_rule(text, ruleset)["link_policy.domain_not_allowlisted"]
    assert _apply(text, fix) == "【优选商城】全场满200减50，拒收请回复R"
    assert fix.label == "删除“点 http://t.cn/abc”"


def test_what_lacks_something_gets_no_delete(ruleset: RuleSet) -> None:
    # a promotion without its period: deleting 5折 would gut the draft
    by_rule = _fixes_by_rule("【优选商城】全场5折，拒收请回复R", ruleset)
    assert by_rule["price_disclosure.promo_period"] == ()


@pytest.mark.parametrize("row", corpus(), ids=lambda r: r["id"])
def test_every_fix_on_the_corpus_removes_its_finding(row: dict[str, str], ruleset: RuleSet) -> None:
    msg = message(row)
    before = check(msg, ruleset)
    found, _ = fixes(msg, before, ruleset)
    for f, own in zip(before.findings, found, strict=True):
        for fix in own:
            text = _apply(msg.text, fix)
            after = check(replace(msg, text=text), ruleset)
            n = sum(f.rule_id in g.rule_ids for g in after.findings)
            assert n < sum(f.rule_id in g.rule_ids for g in before.findings), (f.rule_id, text)
            assert [p for p in problems(msg, text, after, before) if p != "blocked"] == []


def test_the_corpus_gets_fixes_for_most_findings(ruleset: RuleSet) -> None:
    shown = dropped = missing = 0
    for row in corpus():
        msg = message(row)
        v = check(msg, ruleset)
        found, n = fixes(msg, v, ruleset)
        shown += sum(map(len, found))
        dropped += n
        missing += sum(1 for f, own in zip(v.findings, found, strict=True)
                       if f.start == f.end and f.category in {"unsubscribe", "signature"} and not own)  # fmt: skip
    assert missing == 0  # every missing opt-out line and signature has its insert
    assert shown >= 40 and dropped <= 4, (shown, dropped)
