"""Issue #13, round 10 (impersonation of the police, courts, banks, tax and traffic authorities).

tests/data/impersonation.jsonl holds 52 impersonation scams and 40 real official notices (court
hearing and enforcement notices with case numbers, police anti-fraud reminders that list the
scam's demands, card statements, tax and 12123 notices), written for this file from the public
descriptions of the 冒充公检法 script. Each line: id, text, type, industry, expect (block |
allow-ish), note, half (a | b). The halves were fixed before the rules were tuned; the rules
were tuned on half a only, half b is the held-out check.

A scam must be blocked by a content finding at severity block (not only by a missing
signature); for half a, by the fraud rule named in RULE_OF. A real notice must be allowed with
no finding above info (a framed note is allowed: it tells the sender what was seen and why it
does not hold). Half-b rows still wrong after tuning are listed in HELD_OUT_MISSES (strict
xfail), with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine import Decision, Severity
from engine.normalize import normalize
from tests.conftest import check_text

DATA = Path(__file__).parent / "data" / "impersonation.jsonl"
ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()
]
SCAMS = [r for r in ROWS if r["expect"] == "block"]
REAL = [r for r in ROWS if r["expect"] == "allow-ish"]
NOT_CONTENT = {"signature", "unsubscribe", "length", "format", "send_window", "template_type"}
N = "notification"

# Half a (tuned on): the fraud rule that must be among the blocking findings of each scam.
RULE_OF = {
    "imp-s01": "fraud.official_accusation",
    "imp-s03": "fraud.official_accusation",
    "imp-s05": "fraud.official_accusation",
    "imp-s07": "fraud.official_accusation",
    "imp-s09": "fraud.official_accusation",
    "imp-s11": "fraud.official_accusation",
    "imp-s13": "fraud.fee_link",
    "imp-s15": "fraud.authority_safe_account",  # 安全帐户: 帐 read as 账
    "imp-s17": "fraud.official_accusation",
    "imp-s19": "fraud.official_accusation",
    "imp-s21": "fraud.official_accusation",
    "imp-s23": "fraud.official_accusation",
    "imp-s25": "fraud.official_accusation",
    "imp-s27": "fraud.authority_safe_account",  # 反诈提醒 does not excuse the demand
    "imp-s29": "fraud.official_accusation",
    "imp-s31": "fraud.official_accusation",
    "imp-s33": "fraud.fee_link",
    "imp-s35": "fraud.official_accusation",
    "imp-s37": "fraud.official_accusation",
    "imp-s39": "fraud.official_accusation",
    "imp-s41": "fraud.official_accusation",
    "imp-s43": "fraud.official_accusation",
    "imp-s45": "fraud.official_accusation",
    "imp-s47": "fraud.official_accusation",
    "imp-s49": "fraud.official_accusation",
    "imp-s51": "fraud.official_accusation",
}


# Half b (held out): the rows the rules still get wrong after round 10, measured once after
# tuning on half a and left as they are (xfail strict: a fix shows as XPASS and must remove it).
HELD_OUT_MISSES = {
    "imp-s34": "held only by its digits-only signature: fee_link wants the fee word after 缴纳",
    "imp-s26": "a regulator's name alone (市场监管局) is no authority word of official_accusation",
    "imp-s40": "违规套现 + 上报征信 + 联系专员: no accusation word, no rule",
    "imp-s48": "warning_notice frame reads 违法 in 涉嫌违法记分 as a warning word; 联系交警专员 is no channel",
}
# imp-r14 (无需提供验证码 read as a request) passes since h-prec9's credential_request negation


def _param(rows: list[dict[str, Any]]) -> list[Any]:
    return [
        pytest.param(
            r,
            id=r["id"],
            marks=[pytest.mark.xfail(reason=HELD_OUT_MISSES[r["id"]], strict=True)]
            if r["id"] in HELD_OUT_MISSES
            else [],
        )
        for r in rows
    ]


def _check(row: dict[str, Any]) -> Any:
    return check_text(row["text"], type=row["type"], industry=row.get("industry"))


def _blocking_fraud_rules(v: Any) -> set[str]:
    """Rule ids (merged ones included) of the fraud findings that hold the message."""
    return {
        rule
        for f in v.findings
        if f.category == "fraud" and f.severity is Severity.BLOCK and f.frame is None
        for rule in f.rule_ids
    }


def _blocking_content(v: Any) -> set[str]:
    """Rule ids of the content findings (not signature, opt-out or format) that hold it."""
    return {
        f.rule_id
        for f in v.findings
        if f.category not in NOT_CONTENT and f.severity is Severity.BLOCK and f.frame is None
    }


def test_the_data_file_has_both_classes_in_both_halves() -> None:
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    assert len(SCAMS) >= 45 and len(REAL) >= 35
    halves = Counter((r["expect"], r["half"]) for r in ROWS)
    assert halves[("block", "a")] == halves[("block", "b")] == 26
    assert halves[("allow-ish", "a")] == halves[("allow-ish", "b")] == 20
    for r in ROWS:
        assert set(r) >= {"id", "text", "type", "expect", "note", "half"}
    assert set(RULE_OF) == {r["id"] for r in SCAMS if r["half"] == "a"}
    assert {r["id"] for r in ROWS if r["id"] in HELD_OUT_MISSES and r["half"] == "b"} == set(
        HELD_OUT_MISSES
    )


@pytest.mark.parametrize("row", _param(SCAMS))
def test_impersonation_is_blocked_by_a_content_rule(row: dict[str, Any]) -> None:
    v = _check(row)
    assert v.verdict is Decision.BLOCK, row["note"]
    assert _blocking_content(v), f"{row['id']}: held only by {[f.rule_id for f in v.findings]}"
    if row["id"] in RULE_OF:
        assert RULE_OF[row["id"]] in _blocking_fraud_rules(v)


@pytest.mark.parametrize("row", _param(REAL))
def test_real_official_notices_are_allowed(row: dict[str, Any]) -> None:
    v = _check(row)
    above_info = [
        (f.rule_id, f.severity, f.matched) for f in v.findings if f.severity is not Severity.INFO
    ]
    assert v.verdict is Decision.ALLOW, above_info
    assert above_info == []


# --- the rule and the demand exclusion, each on its own ----------------------------------------


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("【信使公安】您名下银行卡涉嫌洗钱，请联系王警官13812345678。", "您名下银行卡涉嫌"),
        ("【信使法院】法院将起诉您，详情请按9转人工。", "法院将起诉您"),
        ("【信使检察】你涉及一起刑事案件，请下载会议软件配合笔录。", "你涉及一起"),
        ("【信使海关】您的包裹涉案，不要告诉家人，请添加关员微信hg_2026。", "您的包裹涉案"),
    ],
)
def test_an_authority_accusing_the_reader_with_a_demand_or_channel_is_blocked(
    text: str, matched: str
) -> None:
    v = check_text(text, type=N, industry="government")
    found = [f for f in v.findings if "fraud.official_accusation" in f.rule_ids]
    assert v.verdict is Decision.BLOCK
    assert found and found[0].severity is Severity.BLOCK and found[0].frame is None
    assert matched in found[0].matched


@pytest.mark.parametrize(
    "text",
    [
        # the accusation without a demand or a channel, or quoted as the scam's words
        "【信使公安】警方提醒：接到称您涉嫌洗钱的来电，请立即挂断并拨打110。",
        "【信使公安】“你涉嫌洗钱”“法院将起诉你”都是冒充公检法诈骗的典型话术，请拨打96110咨询。",
        # a traffic offence of the reader's car, with the traffic police's own site and desk
        "【信使交警】您的车辆浙A12345涉嫌违法停车，请登录 www.122.gov.cn 处理，详询0571-87280000。",
    ],
)
def test_warnings_and_traffic_notices_are_not_accusations(text: str) -> None:
    v = check_text(text, type=N, industry="government")
    assert not [f for f in v.findings if "fraud.official_accusation" in f.rule_ids]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # a warning cue in front of the script's own demand excuses nothing
        (
            "【信使公安】警方提醒：为保护资金，请将存款转入我局指定的安全账户。",
            "fraud.authority_safe_account",
        ),
        (
            "【信使银行】反诈提示：您的订单需退款，请下载会议软件开启屏幕共享，客服协助操作。",
            "fraud.remote_control",
        ),
    ],
)
def test_a_warning_cue_does_not_excuse_a_demand(text: str, rule: str) -> None:
    v = check_text(text, type=N)
    assert v.verdict is Decision.BLOCK
    assert rule in _blocking_fraud_rules(v)


@pytest.mark.parametrize(
    "text",
    [
        "【信使公安】警方提醒：凡是要求您转入安全账户、下载会议软件、对家人保密的，都是诈骗。",
        "【信使银行】防骗提示：本行不会要求您将资金转入所谓“安全账户”，也不会让您开启屏幕共享。",
        # the script quoted whole: demands inside quotes are the scam's words, not the sender's
        "【信使公安】反诈宣传：“您涉嫌洗钱，需配合调查，资金转入安全账户”是典型骗局，公安机关绝不会这样做。",
    ],
)
def test_a_warning_that_lists_the_demands_is_allowed(text: str) -> None:
    assert check_text(text, type=N).verdict is Decision.ALLOW


def test_zhang_is_read_as_zhang_in_account_words_only() -> None:
    assert normalize("请转入安全帐户，转帐到帐号").folded.text == "请转入安全账户,转账到账号"
    assert normalize("蚊帐帐篷").folded.text == "蚊帐帐篷"


# --- the content model on real card statements (issue 13, item 4) -----------------------------
# Written for this file: statements, repayments and spending notices in the wording banks use,
# including the overdue and interest lines (逾期将产生利息…影响您的个人征信) a scam also uses.
STATEMENTS = [
    "【招商银行】您尾号1234的信用卡本期账单金额2,356.00元，最低还款235.60元，到期还款日12月20日，"
    "详情请登录手机银行查看。",
    "【工商银行】您尾号8888的信用卡12月账单：本期应还款3,210.00元，最低还款321.00元，还款日"
    "2027年1月5日。逾期将产生利息及违约金，并可能影响您的个人征信。",
    "【建设银行】尊敬的客户，您尾号6666的信用卡本期账单已出，账单金额5,680.20元，请于12月22日前"
    "还款，如已还款请忽略。",
    "【交通银行】您尾号0001的信用卡已逾期，欠款1,200.00元，请尽快还款以免影响个人征信，如已还款请忽略。",
    "【浦发银行】您的信用卡账单分期已办理成功，分12期，每期手续费30.00元，详见浦大喜奔App。",
    "【广发银行】您尾号3333的信用卡于12月5日还款2,000.00元已入账，当前剩余应还0.00元。",
    "【农业银行】您尾号7777的借记卡账户12月5日支出（网上支付）1,299.00元，余额3,456.78元。",
    "【民生银行】您尾号4444信用卡12月账单已生成，账单金额12,345.67元，最后还款日2027年1月8日，"
    "可通过全民生活App还款。",
]


@pytest.mark.parametrize("text", STATEMENTS)
def test_card_statements_get_no_fraud_finding(text: str) -> None:
    v = check_text(text, type=N, industry="finance")
    assert v.verdict is Decision.ALLOW
    assert [f.rule_id for f in v.findings if f.category == "fraud"] == []
