"""The complaint kill switch end to end (fake provider, API, worker as real processes, both
backends): a complaint storm through the fake's reply channel pauses the campaign within one
window and holds its queue while OTPs and other campaigns keep flowing; a resume (CLI or HTTP,
with a reason) releases the held messages once and only once."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.dispatch.outbox import Outbox
from engine.message import BEIJING
from tests.dispatch.api_server import AUTH as API_AUTH
from tests.dispatch.api_server import api_server, signed
from tests.dispatch.conftest import BACKENDS, KEY, Stack, outbox_url, stop
from tests.processes import HTTP, start, xinshi

AUTH = {"Authorization": f"Bearer {KEY}"}
DELIVERED = "delivered"
PARAMS = {"name": "会员", "url": "https://m.xinshi-mall.cn/1111"}


def _send(stack: Stack, key: str, phone: str, **extra: Any) -> httpx.Response:
    body = {"idempotency_key": key, "phone": phone, "template": "double11", "params": PARAMS,
            **extra}  # fmt: skip
    return HTTP.post(f"{stack.api}/v1/messages", json=body, headers=AUTH, timeout=10)


def _status(stack: Stack, mid: str) -> str:
    r = HTTP.get(f"{stack.api}/v1/messages/{mid}", headers=AUTH, timeout=10)
    return str(r.json()["status"])


def _campaign(stack: Stack, name: str) -> dict[str, Any]:
    r = HTTP.get(f"{stack.api}/v1/dispatch/campaigns", headers=AUTH, timeout=10)
    assert r.status_code == 200, r.text
    return next((c for c in r.json()["campaigns"] if c["campaign"] == name), {})


def _wait(cond: Callable[[], bool], timeout: float = 120) -> None:
    """Poll ``cond``; ``timeout`` is a give-up limit, generous for a busy machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _resume(stack: Stack, name: str, body: dict[str, Any]) -> httpx.Response:
    url = f"{stack.api}/v1/dispatch/campaigns/{name}/resume"
    return HTTP.post(url, json=body, headers=AUTH, timeout=30)


def test_a_complaint_storm_pauses_the_campaign_and_a_resume_releases_it_once(
    stack: Stack,
) -> None:
    stack.env["XINSHI_MARKETING_HOURS"] = "00:00-23:59:59"  # whatever the hour the test runs
    storm = [f"1391234{5100 + i}" for i in range(5)]
    tomorrow = (datetime.now(BEIJING) + timedelta(days=1)).isoformat(timespec="seconds")
    worker = stack.worker("--lease", "5")
    try:
        sent = [_send(stack, f"storm-{p}", p, campaign="storm", experiment="ab-storm",
                      variant="A").json()["id"] for p in storm]  # fmt: skip
        _wait(lambda: all(_status(stack, m) == DELIVERED for m in sent))
        queued = [_send(stack, f"storm-q{i}", f"1371234{5200 + i}", campaign="storm",
                        send_at=tomorrow).json()["id"] for i in range(8)]  # fmt: skip
        assert {_status(stack, m) for m in queued} == {"queued"}
        started = time.time()
        for phone, text in zip(
            storm, ["再发就投诉到12321", "不是投诉，问下活动", "骚扰！"], strict=False
        ):
            r = HTTP.post(f"{stack.fake}/_inject/mo", timeout=10, json={
                "provider": "aliyun", "phone": phone, "text": text, "sign_name": "信使商城"})  # fmt: skip
            assert r.json() == {"pushed": True}
        _wait(lambda: _campaign(stack, "storm").get("state") == "paused")
        c = _campaign(stack, "storm")
        # 信使商城's threshold (rules/dispatch/complaints.yaml): 2 complaints within 1 h; the
        # negated reply did not count
        assert (c["signal"], c["figure"], c["threshold"]) == (
            "complaint", "2 complaint replies within 60 min", "2 complaints")  # fmt: skip
        assert c["held"] == c["held_at_pause"] == 8 and c["paused_at"] - started < 3600
        assert {_status(stack, m) for m in queued} == {"held"}
        late = _send(stack, "storm-late", "13712345300", campaign="storm")
        assert late.status_code == 201 and late.json()["status"] == "held"
        assert late.json()["reason"].startswith("its campaign is paused")
        # OTPs and another campaign's marketing keep flowing through the same worker
        otp = HTTP.post(f"{stack.api}/v1/messages", headers=AUTH, timeout=10, json={
            "idempotency_key": "otp-storm", "phone": "13912345100", "template": "login_code",
            "params": {"code": "386512"}}).json()["id"]  # fmt: skip
        calm = _send(stack, "calm-1", "13712345400", campaign="calm").json()["id"]
        _wait(lambda: _status(stack, otp) == DELIVERED and _status(stack, calm) == DELIVERED)
        metrics = HTTP.get(f"{stack.api}/metrics", headers=AUTH, timeout=10).text
        assert "xinshi_campaigns_paused 1.0" in metrics
        assert 'xinshi_dispatch_messages{status="held"} 9.0' in metrics
    finally:
        stop(worker)
    accepted = HTTP.get(f"{stack.fake}/_accepted", timeout=10).json()
    assert not set(accepted) & {*queued, late.json()["id"]}  # nothing held reached the provider
    (alerts,) = (stack.data / "alerts").glob("alerts-*.jsonl")
    alert = json.loads(alerts.read_text())
    assert (alert["alert"], alert["campaign"], alert["held"]) == ("campaign_paused", "storm", 8)
    events = [json.loads(line) for f in (stack.data / "events").glob("*.jsonl")
              for line in f.read_text().splitlines()]  # fmt: skip
    complained = {e["message_id"] for e in events if e["event"] == "complained"}
    assert complained == {sent[0], sent[2]}

    # bad input: no reason, an unknown campaign, a body without a reason
    r = xinshi(stack.env, "dispatch", "resume", "--campaign", "storm")
    assert r.returncode == 2 and r.stderr.startswith("error: --reason is required")
    r = xinshi(stack.env, "dispatch", "resume", "--campaign", "strom", "--reason", "checked")
    assert r.returncode == 2
    assert r.stderr == ("error: --campaign: unknown campaign 'strom'. Did you mean 'storm'? "
                        "List them with xinshi dispatch campaigns\n")  # fmt: skip
    bad = _resume(stack, "storm", {"by": "ops"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "reason"
    assert _resume(stack, "nope", {"reason": "checked"}).status_code == 404

    # two resumes at once: one releases the nine held messages, the other nothing
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda who: _resume(stack, "storm", {
            "reason": "copy reworded; complainers suppressed", "by": who}), ["ana", "bo"]))  # fmt: skip
    assert sorted(a.json()["released"] for a in answers) == [0, 9]
    again = xinshi(stack.env, "dispatch", "resume", "--campaign", "storm", "--reason", "once more")
    assert again.returncode == 0 and json.loads(again.stdout)["released"] == 0
    assert {_status(stack, m) for m in queued} == {"queued"}  # due tomorrow, as asked
    listed = json.loads(xinshi(stack.env, "dispatch", "campaigns").stdout)["campaigns"]
    (row,) = [c for c in listed if c["campaign"] == "storm"]
    assert row["state"] == "active" and row["held"] == 0 and row["resumed_by"] in ("ana", "bo")
    assert row["reason"] == "copy reworded; complainers suppressed"
    assert row["paused_at"].endswith("+08:00")  # Beijing time for people


BLACKLIST_POLICY = """\
vocabulary: {words: [投诉], negations: [不是]}
provider_codes:
  - {code: DB:0141, provider: aliyun, source: https://help.aliyun.com/zh/sms/}
  - {code: FailedOperation.PhoneNumberInBlacklist, provider: tencent,
     source: https://cloud.tencent.com/document/product/382/49316}
defaults: {window: 10m, complaints: 3, optout_rate: 0.5, blacklist_rate: 0.2, min_sends: 10}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_blacklist_receipts_pause_a_campaign_through_the_receipt_callback(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "complaints.yaml"
    policy.write_text(BLACKLIST_POLICY, encoding="utf-8")
    monkeypatch.setenv("XINSHI_COMPLAINTS", str(policy))  # the server inherits it
    with api_server(tmp_path, database_url=outbox_url(backend)) as api:
        ids = []
        for i in range(11):
            r = HTTP.post(f"{api.url}/v1/messages", headers=API_AUTH, timeout=10, json={
                "idempotency_key": f"bl-{i}", "phone": f"1371234{6000 + i}",
                "template": "double11", "params": PARAMS, "campaign": "bl"})  # fmt: skip
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        outbox = Outbox(api.outbox_target)
        for mid in ids[:10]:  # the provider took ten; the last still waits in the queue
            outbox.accept(mid, "aliyun", f"biz-{mid}", "OK")
        outbox.close()

        def receipt(mid: str, code: str) -> httpx.Response:
            raw = json.dumps([{"phone_number": "13712346000", "success": code == "DELIVERED",
                               "err_code": code, "biz_id": f"biz-{mid}", "out_id": mid,
                               "report_time": "2026-12-05 20:00:00"}]).encode()  # fmt: skip
            return HTTP.post(f"{api.url}/v1/dispatch/receipts/aliyun", content=raw,
                             headers=signed(raw), timeout=10)  # fmt: skip

        for mid, code in zip(ids, ["DB:0141", "MK:0001", "DB:0141", "DELIVERED"], strict=False):
            assert receipt(mid, code).status_code == 200
        listed = HTTP.get(f"{api.url}/v1/dispatch/campaigns", headers=API_AUTH, timeout=10)
        assert [c["state"] for c in listed.json()["campaigns"]] == ["active"]  # 2 of 10: 20%
        assert receipt(ids[4], "DB:0141").status_code == 200
        (c,) = HTTP.get(f"{api.url}/v1/dispatch/campaigns", headers=API_AUTH,
                        timeout=10).json()["campaigns"]  # fmt: skip
        assert (c["state"], c["signal"], c["held"]) == ("paused", "provider_code", 1)
        assert c["figure"] == "blacklist codes 30.0% (3 of 10 sent) within 10 min"
        assert c["threshold"] == "20.0% once 10 sent"
        story = HTTP.get(f"{api.url}/v1/messages/{ids[10]}", headers=API_AUTH, timeout=10).json()
        assert story["status"] == "held"
        assert [h["code"] for h in story["history"]][-1] == "campaign_paused"


def test_a_bad_complaints_file_stops_the_server_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "complaints.yaml"
    policy.write_text(BLACKLIST_POLICY.replace("min_sends: 10", "min_sends: 0"), "utf-8")
    env = {"XINSHI_DATA_DIR": str(tmp_path / "data"), "XINSHI_COMPLAINTS": str(policy),
           "XINSHI_DISPATCH_SECRET": "dispatch-test-secret-0123", "PATH": os.environ["PATH"]}  # fmt: skip
    r = xinshi(env, "serve", "--port", "1")
    assert r.returncode == 2
    assert f"{policy}:6: defaults.min_sends 0 is not a whole number of at least 1" in r.stderr


def test_blacklist_answers_at_send_time_pause_a_campaign_in_the_worker(
    stack: Stack, tmp_path: Path
) -> None:
    """Tencent's FailedOperation.PhoneNumberInBlacklist (fake numbers ending 0008) comes back
    to the worker, not the API: the worker's kill switch counts it and pauses the campaign."""
    policy = tmp_path / "complaints.yaml"
    policy.write_text(BLACKLIST_POLICY, encoding="utf-8")
    env = {
        **stack.env,
        "XINSHI_COMPLAINTS": str(policy),
        "XINSHI_MARKETING_HOURS": "00:00-23:59:59",
    }
    worker = start(["dispatch", "worker", "--provider", f"tencent={stack.fake}"],
                   tmp_path / "tencent-worker.log", env)  # fmt: skip
    tomorrow = (datetime.now(BEIJING) + timedelta(days=1)).isoformat(timespec="seconds")
    try:
        ok = [_send(stack, f"t-{i}", f"1371235{6000 + i}", campaign="tc").json()["id"]
              for i in range(10)]  # fmt: skip
        _wait(lambda: all(_status(stack, m) == DELIVERED for m in ok))
        waiting = _send(stack, "t-later", "13712357000", campaign="tc", send_at=tomorrow)
        blocked = [_send(stack, f"t-bl-{i}", f"137123{i}0008", campaign="tc").json()["id"]
                   for i in range(3)]  # fmt: skip
        _wait(lambda: _campaign(stack, "tc").get("state") == "paused")
    finally:
        stop(worker)
    c = _campaign(stack, "tc")
    assert (c["signal"], c["held"]) == ("provider_code", 1)
    assert c["figure"] == "blacklist codes 30.0% (3 of 10 sent) within 10 min"
    assert _status(stack, waiting.json()["id"]) == "held"
    assert {_status(stack, m) for m in blocked} == {"suppressed"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_signature_trip_holds_a_later_campaign_until_signature_and_template_resume(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two campaigns of 5 sends draw 3 blacklist receipts: each stays under min_sends, their
    signature (and template) trip at 3 of 10. A campaign first sent after that is held through
    POST /v1/messages. The template, paused by the same receipts, holds them too: resuming the
    signature over HTTP leaves them held by the template (still_held), and resuming the
    template then releases them once."""
    policy = tmp_path / "complaints.yaml"
    policy.write_text(BLACKLIST_POLICY, encoding="utf-8")
    monkeypatch.setenv("XINSHI_COMPLAINTS", str(policy))  # the server inherits it
    with api_server(tmp_path, database_url=outbox_url(backend)) as api:

        def send(key: str, phone: str, campaign: str) -> dict[str, Any]:
            r = HTTP.post(f"{api.url}/v1/messages", headers=API_AUTH, timeout=10, json={
                "idempotency_key": key, "phone": phone, "template": "double11",
                "params": PARAMS, "campaign": campaign})  # fmt: skip
            assert r.status_code == 201, r.text
            return dict(r.json())

        ids = [send(f"s-{i}", f"1371234{7000 + i}", "ab"[i % 2])["id"] for i in range(10)]
        outbox = Outbox(api.outbox_target)
        for mid in ids:
            outbox.accept(mid, "aliyun", f"biz-{mid}", "OK")
        outbox.close()
        for mid in ids[:3]:
            raw = json.dumps([{"phone_number": "13712347000", "success": False,
                               "err_code": "DB:0141", "biz_id": f"biz-{mid}", "out_id": mid,
                               "report_time": "2026-12-05 20:00:00"}]).encode()  # fmt: skip
            r = HTTP.post(f"{api.url}/v1/dispatch/receipts/aliyun", content=raw,
                          headers=signed(raw), timeout=10)  # fmt: skip
            assert r.status_code == 200
        late = send("late-1", "13712347100", "late")
        assert late["status"] == "held" and late["reason"].startswith("its campaign is paused")
        otp = HTTP.post(f"{api.url}/v1/messages", headers=API_AUTH, timeout=10, json={
            "idempotency_key": "otp-late", "phone": "13712347100", "template": "login_code",
            "params": {"code": "386512"}}).json()  # fmt: skip
        assert otp["status"] == "queued"
        listed = HTTP.get(f"{api.url}/v1/dispatch/campaigns", headers=API_AUTH, timeout=10).json()
        scopes = {(s["scope"], s["name"], s["state"]) for s in listed["paused_scopes"]}
        assert scopes == {("signature", "信使商城", "paused"), ("template", "double11", "paused")}
        figure = "signature 信使商城: blacklist codes 30.0% (3 of 10 sent) within 10 min"
        assert {c["campaign"]: c["figure"] for c in listed["campaigns"]} == {
            "a": figure, "b": figure, "late": figure}  # fmt: skip

        def resume(kind: str, name: str) -> httpx.Response:
            return HTTP.post(f"{api.url}/v1/dispatch/{kind}/{name}/resume", headers=API_AUTH,
                             json={"reason": "list cleaned", "by": "ops"}, timeout=10)  # fmt: skip

        assert resume("signatures", "信使").status_code == 404
        # the template tripped on the same receipts and holds them too: the signature's resume
        # removes its own hold only, and says what still holds each campaign
        answers = [resume("signatures", "信使商城").json() for _ in range(2)]
        held_by_template = [{"campaign": c, "held_by": ["template double11"]}
                            for c in ("a", "b", "late")]  # fmt: skip
        assert [(a["campaigns"], a["still_held"], a["released"]) for a in answers] == [
            ([], held_by_template, 0), ([], [], 0)]  # fmt: skip
        assert HTTP.get(f"{api.url}/v1/messages/{late['id']}", headers=API_AUTH,
                        timeout=10).json()["status"] == "held"  # fmt: skip
        newer = send("newer-1", "13712347200", "newer")
        assert newer["status"] == "held"
        last = resume("templates", "double11").json()
        assert (last["campaigns"], last["still_held"], last["released"]) == (
            ["a", "b", "late", "newer"], [], 2)  # fmt: skip
        assert resume("templates", "double11").json()["released"] == 0
        assert HTTP.get(f"{api.url}/v1/messages/{late['id']}", headers=API_AUTH,
                        timeout=10).json()["status"] == "queued"  # fmt: skip
        assert send("newest-1", "13712347300", "newest")["status"] == "queued"
