"""Approval tokens bind text, type, template, signature and an expiry; anything else is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from pathlib import Path

import orjson
import pytest

from engine.dispatch.approval import Binding, approve, text_hash
from engine.dispatch.intake import Intake, IntakeError, SendRequest
from engine.dispatch.outbox import Outbox
from engine.dispatch.templates import load_templates
from engine.message import MessageType
from engine.ruleset import RuleSet
from tests.conftest import RULES
from tests.dispatch.conftest import StoreAt

SECRET = b"binding-test-secret-0123"
TEXT = "【信使商城】您的订单1111000123已支付成功，我们将尽快发货。"


@pytest.fixture
def intake(store_at: StoreAt, tmp_path: Path, ruleset: RuleSet) -> Intake:
    book = load_templates(RULES / "dispatch" / "templates.yaml")
    outbox = Outbox(store_at("dispatch.sqlite"))
    return Intake(outbox, book, lambda: ruleset, SECRET, "https://xinshi.cn", 3600)


def _send(intake: Intake, token: str, key: str = "k") -> IntakeError:
    req = SendRequest(key, "13812345678", "order_confirmed", {"order": "1111000123"}, token)
    with pytest.raises(IntakeError) as exc:
        intake.submit(req)
    assert exc.value.field == "approval"
    return exc.value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(payload: dict[str, object], key: bytes) -> str:
    body = _b64(orjson.dumps(payload))
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest()[:20])}"


def test_a_token_for_the_template_is_accepted(intake: Intake, ruleset: RuleSet) -> None:
    before = time.time()
    verdict, approval = intake.approval("order_confirmed", {"order": "1111000123"})
    after = time.time()
    assert verdict.verdict.value == "allow"
    # an hour from the moment of issue (whole seconds), however long the check took
    assert int(before + 3600) <= approval.expires_at <= after + 3600
    row, created = intake.submit(
        SendRequest("k", "13812345678", "order_confirmed", {"order": "1111000123"}, approval.token)
    )
    assert created and row.ruleset_version == ruleset.version


def test_an_expired_token_says_so(intake: Intake, ruleset: RuleSet) -> None:
    binding = Binding("order_confirmed", "信使商城", ttl_s=-30)
    before = time.time()
    token = approve(TEXT, MessageType.NOTIFICATION, binding, ruleset, SECRET).token
    err = _send(intake, token)
    took = time.time() - before
    assert err.code == "approval_expired"
    # whole seconds since the expiry: 30, or more once a second boundary passed meanwhile
    said = re.fullmatch(
        r"the approval token expired (\d+) s ago \(XINSHI_APPROVAL_TTL\)\. "
        r"Get a new one from POST /v1/approvals",
        err.message,
    )
    assert said is not None, err.message
    assert 30 <= int(said[1]) <= 31 + took, err.message


def test_a_token_for_another_template_says_which(intake: Intake, ruleset: RuleSet) -> None:
    token = approve(TEXT, MessageType.NOTIFICATION, Binding("double11", "信使商城"), ruleset,
                    SECRET).token  # fmt: skip
    err = _send(intake, token)
    assert err.code == "template_mismatch"
    assert err.message == (
        "the approval was issued for template 'double11', not 'order_confirmed'. "
        "Get one for this template from POST /v1/approvals"
    )


def test_a_token_for_another_signature_says_which(intake: Intake, ruleset: RuleSet) -> None:
    binding = Binding("order_confirmed", "别家商城")
    token = approve(TEXT, MessageType.NOTIFICATION, binding, ruleset, SECRET).token
    err = _send(intake, token)
    assert err.code == "signature_mismatch"
    assert "issued for the signature '别家商城', not '信使商城'" in err.message


def test_a_token_for_another_type_is_a_changed_text(intake: Intake) -> None:
    payload = {"v": "x", "t": "marketing", "h": text_hash(TEXT, MessageType.MARKETING),
               "tpl": "order_confirmed", "s": "信使商城", "exp": 2**40}  # fmt: skip
    assert _send(intake, _forge(payload, SECRET)).code == "text_changed"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "no-dot",
        "密钥.签名",  # non-ASCII: compared as bytes, refused, never a TypeError
        "eyJ2IjoxfQ.\udcff",  # a lone surrogate
        _forge(
            {
                "v": "x",
                "t": "notification",
                "h": "0",
                "tpl": "order_confirmed",
                "s": "信使商城",
                "exp": 2**40,
            },
            b"",
        ),
        _forge({"tpl": "order_confirmed"}, b"another-secret-entirely"),
    ],
)
def test_tokens_this_server_did_not_sign_are_unknown(intake: Intake, token: str) -> None:
    err = _send(intake, token)
    assert err.code == "unknown_approval"
    assert err.message == (
        "the approval token is not one this server issued. Get one from POST /v1/approvals"
    )


def test_a_signed_payload_without_expiry_is_outdated(intake: Intake) -> None:
    token = _forge({"v": "x", "t": "notification", "h": "0", "tpl": "order_confirmed"}, SECRET)
    assert _send(intake, token).code == "approval_outdated"


def test_a_signed_payload_that_is_not_an_object_is_unknown(intake: Intake) -> None:
    body = _b64(b"[1, 2]")
    token = f"{body}.{_b64(hmac.new(SECRET, body.encode(), hashlib.sha256).digest()[:20])}"
    assert _send(intake, token).code == "unknown_approval"
