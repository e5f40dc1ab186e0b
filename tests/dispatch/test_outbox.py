"""Step 1: the outbox as durable queue and send record; approved-only intake; retention floor."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.dispatch.approval import Binding, approve
from engine.dispatch.intake import Intake, IntakeError, SendRequest
from engine.dispatch.message import Lane, Status
from engine.dispatch.outbox import Outbox, OutboxError, Receipt
from engine.dispatch.phone import PhoneError, normalize_cn
from engine.dispatch.templates import TemplateError, load_templates
from engine.message import MessageType
from engine.ruleset import RuleSet
from tests.conftest import RULES
from tests.dispatch.conftest import StoreAt

SECRET = b"test-secret"


@pytest.fixture
def outbox(store_at: StoreAt, tmp_path: Path) -> Outbox:
    return Outbox(store_at("dispatch.sqlite"))


@pytest.fixture
def intake(outbox: Outbox, ruleset: RuleSet) -> Intake:
    book = load_templates(RULES / "dispatch" / "templates.yaml")
    return Intake(outbox, book, lambda: ruleset, SECRET, "https://xinshi.cn")


def _order(
    key: str = "order-1", phone: str = "13812345678", order: str = "1111000123"
) -> SendRequest:
    return SendRequest(key, phone, "order_confirmed", {"order": order})


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("0086-138-1234-5678", "+8613812345678"),
    ],
)
def test_phone_is_normalised_to_e164(raw: str, e164: str) -> None:
    assert normalize_cn(raw) == e164


@pytest.mark.parametrize(
    ("raw", "says"),
    [("10012345678", "not a valid number"), ("02112345678", "not a mobile number"),
     ("+14155550100", "not a mainland China number"), ("abc", "not a phone number")],
)  # fmt: skip
def test_bad_phone_says_why_and_is_masked(raw: str, says: str) -> None:
    with pytest.raises(PhoneError, match=says) as exc:
        normalize_cn(raw)
    assert raw == "abc" or raw not in str(exc.value)


def test_enqueue_is_idempotent_on_the_callers_key(intake: Intake, outbox: Outbox) -> None:
    row, created = intake.submit(_order())
    again, created_again = intake.submit(_order())
    assert created and not created_again and again.id == row.id
    assert row.status is Status.QUEUED and row.lane is Lane.NOTICE
    assert row.rendered_text == "【信使商城】您的订单1111000123已支付成功，我们将尽快发货。"
    assert row.phone == "+8613812345678" and row.carrier_hint == "中国移动"
    assert outbox.counts() == {"queued": 1}
    assert [h["status"] for h in outbox.history(row.id)] == ["queued"]


def test_same_key_different_message_is_refused(intake: Intake) -> None:
    intake.submit(_order())
    with pytest.raises(IntakeError, match="already used for a different message") as exc:
        intake.submit(_order(order="999"))
    assert exc.value.code == "idempotency_conflict"


def test_text_the_check_blocks_is_refused(intake: Intake, outbox: Outbox) -> None:
    req = SendRequest(
        "m-1",
        "13812345678",
        "double11",
        {"name": "加威信vx88领券", "url": "https://m.xinshi-mall.cn/1111"},
    )
    with pytest.raises(IntakeError, match="only allowed text is sent") as exc:
        intake.submit(req)
    assert exc.value.code == "not_allowed"
    assert outbox.counts() == {}


def test_approval_token_binds_the_exact_text(intake: Intake, ruleset: RuleSet) -> None:
    text = "【信使商城】您的订单1111000123已支付成功，我们将尽快发货。"
    binding = Binding("order_confirmed", "信使商城")
    token = approve(text, MessageType.NOTIFICATION, binding, ruleset, SECRET).token
    row, _ = intake.submit(
        SendRequest("k1", "13812345678", "order_confirmed", {"order": "1111000123"}, approval=token)
    )
    assert row.ruleset_version == ruleset.version
    with pytest.raises(IntakeError, match="the text changed after it was checked") as exc:
        intake.submit(
            SendRequest(
                "k2", "13812345678", "order_confirmed", {"order": "1111000124"}, approval=token
            )
        )
    assert exc.value.code == "text_changed"
    forged = token[:-4] + "AAAA"
    with pytest.raises(IntakeError, match="not one this server issued") as exc:
        intake.submit(
            SendRequest(
                "k3", "13812345678", "order_confirmed", {"order": "1111000123"}, approval=forged
            )
        )
    assert exc.value.code == "unknown_approval"


@pytest.mark.parametrize(
    ("template", "params", "says"),
    [("nope", {}, "unknown template 'nope'. Known templates: abandoned_cart, birthday_coupon"),
     ("order_confirmed", {}, "needs parameter 'order'"),
     ("order_confirmed", {"order": "1", "x": "2"}, "has no parameter 'x'"),
     ("order_confirmed", {"order": 123}, 'must be a string (providers reject numbers): write "123"')],
)  # fmt: skip
def test_template_errors_say_how_to_fix(
    intake: Intake, template: str, params: dict[str, str], says: str
) -> None:
    with pytest.raises(IntakeError) as exc:
        intake.submit(SendRequest("k", "13812345678", template, params))
    assert says in exc.value.message and exc.value.code == "invalid_template"


def test_template_file_errors_are_all_reported(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text(
        "templates:\n  a: {lane: otp, sign_name: X, text: '${code}', example: {}}\n"
        "  b: {lane: notice, sign_name: X, text: '${x}', example: {x: '1'}, providers: {tencent: {id: '1', params: [y]}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as exc:
        load_templates(bad)
    assert "template 'a': example must fill exactly ['code']" in exc.value.message
    assert (
        "template 'b': provider 'tencent' params ['y'] must list every variable"
        in exc.value.message
    )


def test_claim_leases_and_a_dead_lease_becomes_unknown(intake: Intake, outbox: Outbox) -> None:
    now = time.time()
    for i in range(3):
        intake.submit(_order(key=f"o{i}"), now=now)
    rows = outbox.claim(Lane.NOTICE, 2, now + 1, lease_s=5)
    assert len(rows) == 2 and outbox.counts() == {"sending": 2, "queued": 1}
    assert outbox.claim(Lane.OTP, 5, now + 1, lease_s=5) == []
    assert outbox.expire_leases(now + 3) == []
    assert sorted(outbox.expire_leases(now + 7)) == sorted(r.id for r in rows)
    assert outbox.counts() == {"unknown": 2, "queued": 1}


def test_receipt_before_the_send_response_is_kept(intake: Intake, outbox: Outbox) -> None:
    row, _ = intake.submit(_order())
    outbox.claim(Lane.NOTICE, 1, time.time() + 1, 30)
    # Tencent receipts carry only the provider's serial number: stored as an orphan first
    orphan = Receipt("tencent", "SN-1", None, row.phone, True, "DELIVRD", None, "{}")
    assert outbox.apply_receipts([orphan]) == []
    outbox.accept(row.id, "tencent", "SN-1", "Ok")
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.DELIVERED and got.provider_ref == "SN-1"
    assert outbox.match_orphans() == 0


def test_receipts_never_move_a_message_backwards(intake: Intake, outbox: Outbox) -> None:
    row, _ = intake.submit(_order())
    outbox.claim(Lane.NOTICE, 1, time.time() + 1, 30)
    ok = Receipt("aliyun", "B1", row.id, row.phone, True, "DELIVERED", None, "{}")
    assert outbox.apply_receipts([ok]) == [row.id]
    outbox.accept(row.id, "aliyun", "B1", "OK")  # the send response arrives after its receipt
    outbox.apply_receipts([ok])  # a duplicate push
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.DELIVERED
    assert len(outbox.receipts_for(row.id)) == 2


def test_a_failure_receipt_before_the_answer_keeps_its_code_and_billing(
    intake: Intake, outbox: Outbox
) -> None:
    row, _ = intake.submit(_order())
    outbox.claim(Lane.NOTICE, 1, time.time() + 1, 30)
    fail = Receipt("aliyun", "B1", row.id, row.phone, False, "MK:0001", None, "{}", 2)
    assert outbox.apply_receipts([fail]) == [row.id]
    outbox.accept(row.id, "aliyun", "B1", "OK")  # the answer after its receipt
    got = outbox.get(row.id)
    assert got is not None and got.status is Status.UNDELIVERED and got.last_code == "MK:0001"
    # Tencent reports the billed segments with its answer; Aliyun in the receipt (sms_size),
    # also when the receipt waited as an orphan
    other, _ = intake.submit(_order("order-2", "13812345679"))
    outbox.claim(Lane.NOTICE, 1, time.time() + 1, 30)
    raw = '{"sms_size": "3", "biz_id": "B2"}'
    outbox.apply_receipts([Receipt("aliyun", "B2", None, other.phone, True, "DELIVERED", None,
                                   raw, 3)])  # fmt: skip
    outbox.accept(other.id, "aliyun", "B2", "OK")
    third, _ = intake.submit(_order("order-3", "13812345670"))
    outbox.claim(Lane.NOTICE, 1, time.time() + 1, 30)
    outbox.accept(third.id, "tencent", "SN-3", "Ok", billed_parts=1)
    parts = dict(outbox.query("SELECT id, billed_parts FROM message"))
    assert (parts[row.id], parts[other.id], parts[third.id]) == (2, 3, 1)


def test_retention_below_five_months_is_refused(outbox: Outbox) -> None:
    with pytest.raises(
        OutboxError, match=r"below the legal floor of 153 days \(5 months, MIIT Order 31\)"
    ):
        outbox.purge(time.time(), 150)


def test_purge_deletes_only_what_is_older_than_the_retention(
    intake: Intake, outbox: Outbox
) -> None:
    now = time.time()
    intake.submit(_order(key="old"), now=now - 200 * 86400)
    intake.submit(_order(key="new"), now=now - 100 * 86400)
    assert outbox.purge(now, 186) == 1
    assert [r[0] for r in outbox.query("SELECT idem_key FROM message")] == ["new"]
    assert outbox.query("SELECT COUNT(*) FROM history")[0][0] == 1


def test_a_template_the_rules_block_is_refused_once_for_all_sends(
    tmp_path: Path, outbox: Outbox, ruleset: RuleSet
) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text(
        "templates:\n  promo:\n    lane: marketing\n    sign_name: 信使商城\n    text: 【信使商城】全网最低价${x}\n    example: {x: '1'}\n",
        encoding="utf-8",
    )
    intake = Intake(outbox, load_templates(bad), lambda: ruleset, SECRET, "https://xinshi.cn")
    with pytest.raises(
        IntakeError, match="template 'promo' itself is not allowed under the current rules"
    ) as exc:
        intake.submit(SendRequest("k", "13812345678", "promo", {"x": "2"}))
    assert exc.value.code == "template_not_allowed"
