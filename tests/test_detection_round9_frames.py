"""Issue #13, round 9 (frames): rules/frames.yaml turns findings into notes when the whole
message says the word is not being used the way the rule fears.

- warning_notice: a signed notification that quotes the word to warn against it, with no
  channel and no demand on the reader;
- staff_mobile: a signed notification whose only warn/block finding is a named person's mobile;
- negated_claim: a claim right after 不承诺/不保证.

Each note keeps the finding (rule, span) at severity info, with the frame's id and its reason
appended to the message. Every text below was written for this file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine import Decision, Severity, check, make_message
from engine.rule_types.specs.frame import FrameSpec
from engine.ruleset import shipped_ruleset
from tests.conftest import check_text

WARNING = "【信使证券】本公司从不推荐“稳赚不赔”“保本高收益”的理财产品，请勿轻信。"


def _findings(text: str, type: str) -> list[tuple[str, Severity, str, str | None]]:
    v = check_text(text, type=type)
    return [(f.rule_id, f.severity, f.matched, f.frame) for f in v.findings]


def test_a_warning_notice_quoting_the_claim_is_allowed_with_notes() -> None:
    v = check_text(WARNING, type="notification")
    assert v.verdict is Decision.ALLOW
    assert _findings(WARNING, "notification") == [
        ("risk_disclosure.guaranteed_return", Severity.INFO, "稳赚不赔", "warning_notice"),
        ("risk_disclosure.guaranteed_return", Severity.INFO, "保本高收益", "warning_notice"),
    ]
    assert v.findings[0].message.endswith("（通知以提醒口吻引用该词，未提供联系方式，仅作提示）")
    # without the frame the same text is held: the frame is what allows it
    bare = dataclasses.replace(shipped_ruleset(), frames=())
    msg = make_message(WARNING, type="notification")
    assert check(msg, bare).verdict is Decision.BLOCK


@pytest.mark.parametrize(
    ("text", "type", "extra"),
    [
        # the same words in an advert
        (WARNING.replace("请勿轻信。", "请勿轻信。拒收请回复R"), "marketing", None),
        # a channel: a landline, a link, a private account
        (WARNING.replace("请勿轻信。", "详询0571-88886666。"), "notification", None),
        (
            WARNING.replace("请勿轻信。", "详情见 https://xinshi-sec.cn/a"),
            "notification",
            "link_policy.domain_not_allowlisted",
        ),
        (
            WARNING.replace("请勿轻信。", "请加vx：xs_licai88了解。"),
            "notification",
            "contact_diversion.private_account",
        ),
        # a demand: pay now, pay a deposit first
        (
            "【信使证券】谨防诈骗！本公司新推保本高收益理财，稳赚不赔，请立即转账至指定账户锁定名额。",
            "notification",
            None,
        ),
        (
            "【信使证券】谨防诈骗！本公司新推保本高收益理财，稳赚不赔，名额需先缴纳保证金5000元。",
            "notification",
            None,
        ),
    ],
)
def test_the_same_words_in_an_advert_or_with_a_channel_or_a_demand_stay_blocked(
    text: str, type: str, extra: str | None
) -> None:
    v = check_text(text, type=type)
    assert v.verdict is Decision.BLOCK
    claims = [f for f in v.findings if f.rule_id == "risk_disclosure.guaranteed_return"]
    assert {f.matched for f in claims} == {"稳赚不赔", "保本高收益"}
    assert all(f.severity is Severity.BLOCK and f.frame is None for f in claims)
    if extra is not None:
        assert extra in {f.rule_id for f in v.findings}


def test_an_impersonation_notice_that_asks_for_a_transfer_stays_blocked() -> None:
    # 诈骗 is a warning word, but the reader is accused (您涉嫌) and told to move money
    text = "【信使公安】您涉嫌一起诈骗案件，名下账户将被冻结，请立即将资金转入安全账户配合调查。"
    v = check_text(text, type="notification")
    assert v.verdict is Decision.BLOCK
    fraud = [f for f in v.findings if f.category == "fraud"]
    assert fraud and all(f.severity is Severity.BLOCK and f.frame is None for f in fraud)
    assert "配合调查" in {f.matched for f in fraud}


STAFF = "【信使志愿者协会】您报名的冬季义卖活动已确认，周六上午9点到中心广场集合，联系人王女士13812345678。"


def test_a_named_staff_mobile_in_a_signed_notification_is_a_note() -> None:
    v = check_text(STAFF, type="notification")
    assert v.verdict is Decision.ALLOW
    (f,) = v.findings
    assert (f.rule_id, f.severity, f.matched, f.frame) == (
        "contact_diversion.mobile_in_notice",
        Severity.INFO,
        "13812345678",
        "staff_mobile",
    )
    assert "工作人员手机号" in f.message


@pytest.mark.parametrize(
    ("text", "type", "rule"),
    [
        # no person named: the provider rule holds
        (
            "【信使志愿者协会】您报名的冬季义卖活动已确认，有问题请联系13812345678。",
            "notification",
            "contact_diversion.mobile_in_notice",
        ),
        # money asked for, a chat app offered
        (
            "【信使志愿者协会】您报名的冬季义卖活动已确认，报名费50元请转账给联系人王女士13812345678。",
            "notification",
            "contact_diversion.mobile_in_notice",
        ),
        (
            "【信使志愿者协会】您报名的冬季义卖活动已确认，联系人王女士13812345678，也可加微信同号。",
            "notification",
            "contact_diversion.mobile_in_notice",
        ),
        # a service desk scams impersonate
        (
            "【信使银行】您的账户存在风险，专员电话13812345678。",
            "notification",
            "contact_diversion.mobile_in_notice",
        ),
        # an advert with a private mobile: never a note
        (
            "【信使志愿者协会】冬季义卖今日开场，全场5折起，联系人王女士13812345678。拒收请回复R",
            "marketing",
            "contact_diversion.mobile_number",
        ),
    ],
)
def test_a_mobile_with_a_second_signal_or_in_an_advert_stays_blocked(
    text: str, type: str, rule: str
) -> None:
    v = check_text(text, type=type)
    assert v.verdict is Decision.BLOCK
    (f,) = [f for f in v.findings if f.rule_id == rule]
    assert (f.severity, f.matched, f.frame) == (Severity.BLOCK, "13812345678", None)


@pytest.mark.parametrize(
    ("negated", "span"),
    [
        ("【信使教育】考研英语冲刺班1980元，不保证提分，课程可试听。拒收请回复R", "保证提分"),
        ("【信使教育】注会冲刺班1980元，我们不承诺包过，学完可重听。拒收请回复R", "包过"),
    ],
)
def test_a_negated_promise_is_a_note_and_the_promise_itself_is_blocked(
    negated: str, span: str
) -> None:
    assert _findings(negated, "marketing") == [
        ("industry_claim.edu_outcome_guarantee", Severity.INFO, span, "negated_claim")
    ]
    assert check_text(negated).verdict is Decision.ALLOW
    promise = negated.replace("不保证", "保证").replace("我们不承诺", "承诺")
    assert _findings(promise, "marketing") == [
        ("industry_claim.edu_outcome_guarantee", Severity.BLOCK, span, None)
    ]


def test_a_frame_on_marketing_diversion_is_refused() -> None:
    with pytest.raises(ValueError, match="may not turn contact_diversion findings of marketing"):
        FrameSpec.model_validate(
            {
                "id": "too_wide",
                "note": "（仅作提示）",
                "source": "test",
                "types": ["marketing"],
                "categories": ["contact_diversion"],
            }
        )


def test_a_frame_naming_an_unknown_rule_is_an_error_with_its_file(tmp_path: Path) -> None:
    import shutil

    from engine.ruleset import RulesetError, load_ruleset

    rules = tmp_path / "rules"
    shutil.copytree(shipped_ruleset().root, rules)
    text = (rules / "frames.yaml").read_text(encoding="utf-8")
    (rules / "frames.yaml").write_text(
        text.replace("contact_diversion.mobile_in_notice]", "contact_diversion.mobile_in_notic]"),
        encoding="utf-8",
    )
    with pytest.raises(RulesetError) as exc:
        load_ruleset(rules)
    message = str(exc.value)
    assert "frames.yaml" in message
    assert "unknown rule 'contact_diversion.mobile_in_notic'" in message
    assert "Did you mean 'contact_diversion.mobile_in_notice'?" in message


def test_a_backtracking_frame_pattern_is_refused(tmp_path: Path) -> None:
    import shutil

    from engine.ruleset import RulesetError, load_ruleset

    rules = tmp_path / "rules"
    shutil.copytree(shipped_ruleset().root, rules)
    text = (rules / "frames.yaml").read_text(encoding="utf-8")
    (rules / "frames.yaml").write_text(
        text.replace("- '(?<!\\d)1[3-9]\\d{9}(?!\\d)'", "- '(a+)+b'"), encoding="utf-8"
    )
    with pytest.raises(RulesetError) as exc:
        load_ruleset(rules)
    assert "frames.warning_notice" in str(exc.value)
    assert "pattern '(a+)+b'" in str(exc.value)
