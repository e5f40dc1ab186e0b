"""Fake provider + API + worker as real processes: send, receipts, outcomes, opt-out, kill -9."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable

import httpx
import pytest

from engine.dispatch import Intake, Outbox, SendRequest, load_templates
from engine.dispatch.callback_signing import sign
from engine.ruleset import RuleSet
from tests.dispatch.conftest import CALLBACK_SECRET, KEY, Stack, stop
from tests.processes import HTTP

AUTH = {"Authorization": f"Bearer {KEY}"}
FINAL = {"delivered", "undelivered", "failed", "suppressed", "expired", "blocked"}


def _send(
    stack: Stack, key: str, phone: str, template: str = "order_confirmed", **params: str
) -> httpx.Response:
    body = {
        "idempotency_key": key,
        "phone": phone,
        "template": template,
        "params": params or {"order": key[-10:]},
        "experiment": "e2e",
        "variant": "A",
    }
    return HTTP.post(f"{stack.api}/v1/messages", json=body, headers=AUTH, timeout=10)


def _push(
    stack: Stack, path: str, body: bytes, content_type: str | None = "application/json"
) -> httpx.Response:
    """POST a callback signed as the fake provider signs it."""
    headers = sign(CALLBACK_SECRET.encode(), int(time.time()), body)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return HTTP.post(f"{stack.api}/v1/dispatch/{path}", content=body, headers=headers, timeout=10)


def _get(stack: Stack, mid: str) -> dict[str, object]:
    return dict(HTTP.get(f"{stack.api}/v1/messages/{mid}", headers=AUTH, timeout=10).json())


def _wait(cond: Callable[[], bool], timeout: float = 120) -> None:
    """Poll ``cond``; ``timeout`` is a give-up limit, generous for a busy machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_send_through_the_fake_provider_with_receipts(stack: Stack) -> None:
    cases = {
        "13912340000": "delivered",  # accepted, DELIVERED receipt pushed back
        "13912340001": "failed",  # isv.MOBILE_NUMBER_ILLEGAL: permanent, no retry
        "13912340004": "undelivered",  # accepted, failure receipt
        "13912340005": "delivered",  # receipt arrives before the send response
        "13912340006": "delivered",  # response lost (timeout): unknown -> reconciled, not re-sent
        "13912340007": "delivered",  # receipt pushed twice
    }
    ids = {}
    for phone in cases:
        r = _send(stack, f"order-{phone}", phone)
        assert r.status_code == 201, r.text
        ids[phone] = r.json()["id"]
    again = _send(stack, "order-13912340000", "13912340000")
    assert again.status_code == 200 and again.json()["id"] == ids["13912340000"]
    otp = HTTP.post(
        f"{stack.api}/v1/messages",
        json={
            "idempotency_key": "otp-1",
            "phone": "13912340003",
            "template": "login_code",
            "params": {"code": "386512"},
        },
        headers=AUTH,
        timeout=10,
    ).json()
    worker = stack.worker("--timeout", "1", "--reconcile-after", "0.5", "--lease", "5")
    try:
        _wait(
            lambda: all(_get(stack, i)["status"] in FINAL for i in [*ids.values(), otp["id"]]), 180
        )
    finally:
        stop(worker)
    for phone, want in cases.items():
        got = _get(stack, ids[phone])
        assert got["status"] == want, (phone, got)
    hang = _get(stack, ids["13912340006"])
    assert [h["status"] for h in hang["history"]][:3] == ["queued", "unknown", "accepted"]  # type: ignore[index]
    # OTP with a 5xx: retried once through the other provider, then given up
    got_otp = _get(stack, otp["id"])
    assert (
        got_otp["status"] == "failed"
        and got_otp["code"] == "retries_exhausted"
        and got_otp["attempts"] == 2
    )
    stats = stack.stats()
    assert stats["duplicates"] == [] and stats["unique"] == 5
    events = [
        json.loads(line)
        for f in sorted((stack.data / "events").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    kinds = {(e["message_id"], e["event"]) for e in events}
    assert (ids["13912340000"], "sent") in kinds and (ids["13912340000"], "delivered") in kinds
    assert (ids["13912340004"], "failed") in kinds
    # the format `xinshi ab ingest` reads (engine/abtest/ingest.py: KNOWN columns, EVENTS)
    ab_columns = {
        "experiment",
        "variant",
        "message_id",
        "event",
        "ts",
        "recipient",
        "phone",
        "value_fen",
        "carrier",
        "region",
        "age_band",
        "gender",
        "channel",
        "scene",
    }
    assert (
        {"experiment", "variant", "message_id", "event", "ts", "recipient"}
        <= set(events[0])
        <= ab_columns
    )
    assert {e["event"] for e in events} <= {"sent", "delivered", "failed", "clicked", "converted"}
    assert all(e["experiment"] == "e2e" and e["variant"] == "A" for e in events)
    assert all(e["scene"] is None for e in events)  # sent without a scene
    assert not any("1391234" in json.dumps(e) for e in events)  # no raw numbers in analysis files


def test_reply_td_suppresses_marketing_of_that_signature(stack: Stack) -> None:
    phone = "13812349999"
    before = _send(
        stack,
        "mk-before",
        phone,
        "double11",
        name="尊敬的会员",
        url="https://m.xinshi-mall.cn/1111",
    )
    assert before.status_code == 201 and before.json()["status"] == "queued"
    r = HTTP.post(
        f"{stack.fake}/_inject/mo",
        json={"provider": "tencent", "phone": phone, "text": "ｔｄ", "sign_name": "信使商城"},
        timeout=10,
    )
    assert r.json() == {"pushed": True}
    after = _send(
        stack, "mk-after", phone, "double11", name="尊敬的会员", url="https://m.xinshi-mall.cn/1111"
    )
    assert after.status_code == 201
    assert after.json()["status"] == "suppressed" and after.json()["code"] == "opted_out"
    assert "opt out" in after.json()["reason"]
    notice = _send(stack, "notice-after", phone)  # transactional messages still go out
    assert notice.json()["status"] == "queued"
    # the message queued before the reply is refused by the worker at send time
    stack.env["XINSHI_MARKETING_HOURS"] = "00:00-23:59:59"
    worker = stack.worker("--reconcile-after", "0.5")
    try:
        _wait(lambda: _get(stack, before.json()["id"])["status"] == "suppressed")
        _wait(lambda: _get(stack, notice.json()["id"])["status"] == "delivered")
    finally:
        stop(worker)
    assert stack.stats()["unique"] == 1


def test_api_errors_are_json_and_keys_are_required(shared_stack: Stack) -> None:
    stack = shared_stack  # no worker runs: what this queues is never sent
    r = HTTP.post(f"{stack.api}/v1/messages", json={"phone": "1", "template": "x"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = _send(stack, "bad-phone", "12345")
    assert r.status_code == 422 and r.json()["error"]["field"] == "phone"
    r = _send(stack, "k1", "13812340000", order="1")
    r2 = _send(stack, "k1", "13812340000", order="2")
    assert r2.status_code == 422 and r2.json()["error"]["code"] == "idempotency_conflict"
    r = HTTP.post(
        f"{stack.api}/v1/dispatch/receipts/aliyun",
        content=b"[]",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_signature"
    r = _push(stack, "receipts/aliyun", b"[]", content_type=None)  # signed, but not JSON
    assert r.status_code == 415 and r.json()["error"] == {
        "code": "unsupported_media_type",
        "message": "send the body as JSON with Content-Type: application/json",
        "field": None,
    }
    r = _push(stack, "receipts/aliyun", b"[  ]")  # another body: the same one would be a replay
    assert r.json() == {"code": 0, "msg": "接收成功"}
    r = _push(stack, "inbound/acme", b"[ ]")
    assert r.status_code == 404
    assert r.json()["error"] == {
        "code": "not_found", "message": "unknown provider 'acme'", "field": "provider"
    }  # fmt: skip
    r = HTTP.post(f"{stack.api}/v1/dispatch/inbound/tencent?key={KEY}", json=[], timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "key_not_accepted"
    r = _push(stack, "receipts/tencent", b"{no")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = HTTP.post(
        f"{stack.api}/v1/approvals",
        json={
            "template": "double11",
            "params": {"name": "加威信vx88领券", "url": "https://m.xinshi-mall.cn/1"},
        },
        headers=AUTH,
        timeout=10,
    )
    assert (
        r.status_code == 422
        and r.json()["error"]["code"] == "not_allowed"
        and r.json()["verdict"]["verdict"] == "block"
    )
    assert HTTP.get(f"{stack.api}/v1/messages/nope", headers=AUTH, timeout=10).status_code == 404


def test_click_on_a_tracked_link_redirects_and_is_an_event(shared_stack: Stack) -> None:
    stack = shared_stack
    body = {
        "idempotency_key": "c1",
        "phone": "13812345678",
        "template": "double11",
        "params": {"name": "尊敬的会员", "url": "https://m.xinshi-mall.cn/1111"},
        "track_links": True,
        "experiment": "d11",
        "variant": "B",
    }
    row = HTTP.post(f"{stack.api}/v1/messages", json=body, headers=AUTH, timeout=10).json()
    link = row["params"]["url"]
    assert link.startswith("https://xinshi.cn/r/") and link in row["text"]
    r = HTTP.get(f"{stack.api}/r/{link.rsplit('/', 1)[1]}", timeout=10)
    assert r.status_code == 302 and r.headers["location"] == "https://m.xinshi-mall.cn/1111"
    r = HTTP.post(
        f"{stack.api}/v1/conversions",
        json={"message_id": row["id"], "value_fen": 29900},
        headers=AUTH,
        timeout=10,
    )
    assert r.status_code == 201
    events = [
        json.loads(line)
        for f in (stack.data / "events").glob("*.jsonl")
        for line in f.read_text().splitlines()
    ]
    got = [
        (e["event"], e["experiment"], e["variant"], e["value_fen"])
        for e in events
        if e["message_id"] == row["id"]  # the stack is shared: other tests' messages may be there
    ]
    assert got == [("clicked", "d11", "B", None), ("converted", "d11", "B", 29900)]


@pytest.mark.slow
def test_kill_9_loses_nothing_and_sends_nothing_twice(stack: Stack, ruleset: RuleSet) -> None:
    n = 2000
    outbox = Outbox(stack.outbox_target)
    intake = Intake(
        outbox, load_templates(), lambda: ruleset, b"dispatch-test-secret-0123", "https://xinshi.cn"
    )
    phones = [f"137{i:08d}" for i in range(20, 20 + n)]  # no magic suffixes (0001-0010)
    outbox.enqueue_many(
        [
            intake.prepare(SendRequest(f"o-{p}", p, "order_confirmed", {"order": f"1111{i:06d}"}))
            for i, p in enumerate(phones)
        ]
    )
    total = n
    in_flight = 0
    for target in (total // 5, total // 2):  # kill it twice, at different points
        worker = stack.worker("--lease", "2", "--reconcile-after", "0.5")
        # kill while messages are leased mid-send (polled: a moment between batches has none)
        _wait(
            lambda t=target: (
                int(stack.stats()["accepted"]) >= t  # type: ignore[misc]
                and outbox.counts().get("sending", 0) > 0
            ),
            180,
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        in_flight += outbox.counts().get("sending", 0)
    assert in_flight > 0, "the kills should land while messages are leased mid-send"
    worker = stack.worker("--lease", "2", "--reconcile-after", "0.5")
    try:
        _wait(lambda: outbox.counts().get("delivered", 0) == total, 300)
    finally:
        stop(worker)
    stats = stack.stats()
    assert stats["duplicates"] == [], "a message the provider accepted was sent again"
    assert stats["unique"] == total == stats["accepted"]
    assert outbox.query("SELECT COUNT(*) FROM message WHERE accepted_at IS NOT NULL")[0][0] == total
    print(f"kill -9 twice: {total} messages, {in_flight} were mid-send at the last kill")
