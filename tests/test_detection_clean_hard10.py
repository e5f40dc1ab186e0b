"""Issue #13, round 10 (precision): clean everyday SMS that use words a naive checker misreads.

tests/data/clean_hard10.jsonl holds 315 clean messages written for this file (none is a corpus
text): notices, verification codes and signed marketing from banks, insurers, brokers,
carriers, shops, delivery, travel, schools, hospitals, pharmacies, government offices,
courts, tax, utilities, property managers, car services, games, recruiters, pawn and
second-hand dealers, lottery results and charities, using 最新/最低温/第一时间/首单/国家级/
冠军/100%退款/保本/秒杀/安全账户/冻结/验证码/发票/证书/刻章 in their everyday or regulated
sense. Each line: id, text, type, note, half (a | b). The halves were fixed before the
checker was run; the rules were tuned on half a only, half b is the held-out check.

A clean message must get no content finding of severity warn or block (what the detection
bench calls a false alarm; the categories about form — signature, opt-out, length, format,
links, verification codes, price disclosure — are left out). Rows still wrong are strict
xfails with the reason: half a where the finding is the rule working as designed or a model
judgement left alone, half b where the class was not tuned on (held out).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import Severity
from engine.verdict import Verdict
from tests.conftest import check_text

DATA = Path(__file__).parent / "data" / "clean_hard10.jsonl"
ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()
]
NOT_CONTENT = {
    "signature",
    "unsubscribe",
    "length",
    "format",
    "send_window",
    "template_type",
    "link_policy",
    "verification_code",
    "price_disclosure",
}

# Rows still flagged, with the reason (strict: a fix elsewhere must drop the entry).
KNOWN: dict[str, str] = {
    # half a: left as they are
    "ch10-169": "a tour priced per person with no cancellation terms: refund_travel_hotel "
    "asks for them by design (《旅游法》第57条); the text, not the rule, is short",
    "ch10-229": "证件照 …用于办证: the list hit is allowed now, the content model's prohibited_goods "
    "warn on 办证 remains (a statistical judgement, not retrained here)",
    "ch10-277": "a bank's returned transfer (…已退回…请重新转账): content_model.fraud warn; no "
    "narrow excuse found that a 退款-then-转账 scam would not also meet",
    # half b: held out, not tuned on
    "ch10-006": "held out: content_model.risk_disclosure warns on a bank's 大额存单 purchase receipt",
    "ch10-016": "held out: 保本型 stated as a contract term of an annuity (risk_disclosure block)",
    "ch10-052": "held out: 最低价 with 含税 and 以实际出票为准 still a superlative",
    "ch10-070": "held out: 国家级胸痛中心, a named accreditation not in the allow list",
    "ch10-072": "held out: 刻章 in a government one-stop business-registration notice",
    "ch10-104": "held out: 销量冠军 with a named data source (乘联会) still a caution",
    "ch10-158": "held out: content_model.fraud on an account 解除冻结 notice with no channel named",
    "ch10-194": "held out: 全国第1000家门店 read as 全国第1 (format.obfuscation and superlative)",
    "ch10-204": "held out: content_model.risk_disclosure on a state savings bond (到期还本付息)",
    "ch10-216": "held out: 办证 in a police registry's notice (办证不收取任何费用)",
    "ch10-228": "held out: 刻章 by a police-registered seal maker notifying its customer",
    "ch10-268": "held out: content_model.risk_disclosure on an IPO subscription reminder",
    "ch10-300": "held out: content_model.fraud on a tax refund returned for a wrong card "
    "(登录个人所得税APP is no channel the in-app excuse names)",
}


def _alarms(v: Verdict) -> list[tuple[tuple[str, ...], str, str]]:
    """Content findings of severity warn or block: the bench's false alarm."""
    return [
        (f.rule_ids, f.severity.value, f.matched)
        for f in v.findings
        if f.severity is not Severity.INFO
        and any(rid.split(".")[0] not in NOT_CONTENT for rid in f.rule_ids)
    ]


def _param(row: dict[str, Any]) -> Any:
    marks = []
    if row["id"] in KNOWN:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[row["id"]]))
    return pytest.param(row, id=f"{row['id']}-{row['half']}", marks=marks)


def test_data_shape() -> None:
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    assert {r["half"] for r in ROWS} == {"a", "b"}
    assert all(r["type"] in {"verification", "notification", "marketing"} for r in ROWS)
    assert set(KNOWN) <= set(ids)


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_clean_message_gets_no_content_alarm(row: dict[str, Any]) -> None:
    v = check_text(row["text"], type=row["type"])
    assert _alarms(v) == [], row["note"]
