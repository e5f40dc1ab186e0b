"""The gate refuses each broken rewrite the issue saw, and lets the draft's own flaws be."""

from __future__ import annotations

import pytest

from engine import check, make_message
from engine.rewrite.gate import defects, new_defects, problems
from engine.ruleset import RuleSet

S = "【优选商城】"


@pytest.mark.parametrize(
    ("draft", "rewrite", "kind", "reason"),
    [
        # the CTA rewrite that stripped 点 but not 点击
        (S + "全场5折，点击 t.cn/A6x1，回T退订", S + "全场5折，点击点击 t.cn/A6x1 领取，回T退订",
         "marketing", "defect:repeated_word:点击点击"),
        # the stray ！ after a one-click delete
        (S + "${name}，全场最低价！领券，回T退订", S + "${name}，！领券，回T退订", "marketing",
         "defect:doubled_punctuation:，！"),
        (S + "全场5折，，领券，回T退订", S + "全场5折，，领券，，回T退订", "marketing",
         "defect:doubled_punctuation:，，"),
        (S + "全场最低价！领券，回T退订", S + "！领券，回T退订", "marketing",
         "defect:punctuation_after_signature:【优选商城】！"),
        ("全场最低价！领券，回T退订", "！领券，回T退订", "marketing", "defect:punctuation_opens_message:"),
        (S + "买它，最低价", S + "买它，", "marketing", "defect:comma_ends_message:"),
        (S + "好礼相送。拒收请回复R", S + "好礼相送拒收请回复R", "marketing", "defect:footer_glued:"),
        (S + "点击 t.cn/x 领取，回T退订", S + "点击 t.cn/x 领取 ，回T退订", "marketing",
         "defect:space_before_punctuation:，"),
        # a shipping notification told to add a deadline
        (S + "您的快递已到驿站，取件码1234。", S + "您的快递已到驿站，取件码1234，有效期至${date}。",
         "notification", "purpose:有效期至"),
        (S + "您的快递已到驿站，详见 t.cn/A6x1", S + "您的快递已到驿站，点击 t.cn/A6x1 领取",
         "notification", "purpose:领取"),
        # a template takes no new variables; a plain draft only the edits' placeholders
        (S + "${user}，全场5折，回T退订", S + "${name}，${user}，全场5折，回T退订", "marketing", "variable:name"),
        (S + "全场5折，回T退订", S + "${coupon}，全场5折，回T退订", "marketing", "variable:coupon"),
        (S + "全场5折，回T退订", S + "${name，全场5折，回T退订", "marketing", "defect:broken_variable:${name，全场5折，回T退订"),
    ],
)  # fmt: skip
def test_the_gate_refuses_broken_rewrites(draft: str, rewrite: str, kind: str, reason: str) -> None:
    assert reason in problems(make_message(draft, type=kind), rewrite)


def test_the_drafts_own_flaws_are_not_the_rewrites() -> None:
    draft = make_message(S + "爆款直降！！全场5折！点击点击 t.cn/A6x1，拒收请回复R")
    rewrite = S + "${name}，爆款直降！！全场5折！点击点击 t.cn/A6x1，拒收请回复R"
    assert problems(draft, rewrite) == []
    # ... but a second copy of a flaw is new
    assert problems(draft, rewrite.replace("点击点击", "点击点击点击点击")) == [
        "defect:repeated_word:点击点击点击点击"
    ]


def test_emphasis_runs_are_no_doubled_punctuation() -> None:
    assert defects("好消息！！！全场5折？！") == {}
    assert sorted(defects("好，！消息。，").elements()) == [
        "comma_ends_message:",
        "doubled_punctuation:。，",
        "doubled_punctuation:，！",
    ]


def test_compliance_part(ruleset: RuleSet) -> None:
    draft = make_message(S + "全场5折，戳 t.cn/A6x1，拒收请回复R")
    before = check(draft, ruleset)
    blocked = S + "全场最低价，戳 t.cn/A6x1，拒收请回复R"
    assert problems(draft, blocked, check(blocked, ruleset), before) == [
        "blocked",
        "new_finding:absolute_claim.superlative",
    ]
    # a longer draft bills two segments: an info note, no new problem
    long = S + "全场5折，" + "春季新品上架，" * 10 + "戳 t.cn/A6x1，拒收请回复R"
    assert "length.segments" in {f.rule_id for f in check(long, ruleset).findings}
    assert problems(draft, long, check(long, ruleset), before) == []
    assert new_defects(draft.text, long) == []
