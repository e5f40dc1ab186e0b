"""The send record as people read it (issue 15, item 4): search with pagination, one message's
story with its provider calls, history in time order, the recipient masked by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from engine.dispatch.message import Lane, Status
from engine.dispatch.outbox import NewMessage, Outbox, Receipt
from engine.dispatch.records import Find, QueryError, Records, make_find, parse_time
from tests.dispatch.conftest import KEY, Stack, StoreAt
from tests.processes import HTTP

AUTH = {"Authorization": f"Bearer {KEY}"}
A, B = "+8613812340001", "+8613912340002"


def _msg(key: str, phone: str, template: str = "order_shipped") -> NewMessage:
    return NewMessage(key, "h", Lane.NOTICE, phone, "信使商城", template, {}, "【信使商城】您的订单已发货",
                      "v1", 0, None)  # fmt: skip


@pytest.fixture
def filled(store_at: StoreAt, tmp_path: Path) -> tuple[Outbox, list[str]]:
    """Seven messages ten minutes apart, oldest first: five to A (two templates), two to B."""
    outbox = Outbox(store_at("outbox.db"))
    now = time.time()
    ids = []
    for i, (phone, tpl) in enumerate(
        [
            (A, "order_shipped"),
            (B, "order_shipped"),
            (A, "login_code"),
            (A, "order_shipped"),
            (B, "login_code"),
            (A, "order_shipped"),
            (A, "login_code"),
        ]
    ):
        ((row, _),) = outbox.enqueue_many([_msg(f"k{i}", phone, tpl)], now=now - 3600 + i * 600)
        ids.append(row.id)
    return outbox, ids


def test_pages_go_newest_first_without_overlap_until_the_last(
    filled: tuple[Outbox, list[str]],
) -> None:
    outbox, ids = filled
    records = Records(outbox)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = records.find(Find(limit=3, cursor=cursor))
        seen += [m["id"] for m in page["messages"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1] and pages == 3


def test_filters_combine(filled: tuple[Outbox, list[str]]) -> None:
    outbox, ids = filled
    records = Records(outbox)

    def found(**kw: object) -> list[str]:
        return [m["id"] for m in records.find(make_find(**kw))["messages"]]  # type: ignore[arg-type]

    assert found(phone="13812340001") == [ids[6], ids[5], ids[3], ids[2], ids[0]]
    assert found(phone="+86 139 1234 0002") == [ids[4], ids[1]]
    assert found(phone="13812340001", template="login_code") == [ids[6], ids[2]]
    assert found(since="25m") == [ids[6], ids[5], ids[4]]  # created in the last 25 minutes
    assert found(status="queued", template="order_shipped") == [ids[5], ids[3], ids[1], ids[0]]
    outbox.move(ids[3], Status.FAILED, expect=(Status.QUEUED,), code="x")
    assert found(status="failed") == [ids[3]]


def test_records_mask_the_recipient_unless_asked(filled: tuple[Outbox, list[str]]) -> None:
    outbox, ids = filled
    records = Records(outbox)
    page = records.find(Find(limit=1))
    assert page["messages"][0]["phone"] == "+86138****0001"
    assert records.find(Find(limit=1), show_phone=True)["messages"][0]["phone"] == A
    story = records.story(ids[1])
    assert story is not None and story["phone"] == "+86139****0002"
    assert records.story("0" * 24) is None


@pytest.mark.parametrize(
    ("kw", "field", "says"),
    [
        ({"phone": "12345"}, "phone", "not a valid number"),
        ({"status": "sent"}, "status", "queued, sending"),
        ({"limit": 0}, "limit", "1 to 500"),
        ({"limit": 501}, "limit", "1 to 500"),
        ({"cursor": "x' OR 1=1 --"}, "cursor", "next_cursor"),
        ({"since": "last week"}, "since", "7d, 24h, 30m"),
        ({"until": "2026-13-01"}, "until", "ISO 8601"),
    ],
)
def test_bad_search_parameters_say_which_and_how(
    kw: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(QueryError) as err:
        make_find(**kw)  # type: ignore[arg-type]
    assert err.value.field == field and says in err.value.message


def test_times_are_durations_ago_or_beijing_iso() -> None:
    assert parse_time("7d", "since", now=1_000_000.0) == 1_000_000.0 - 7 * 86400
    assert parse_time("30m", "since", now=1_000_000.0) == 1_000_000.0 - 1800
    assert parse_time("2026-12-01", "since") == parse_time("2026-11-30T16:00+00:00", "since")


def test_a_story_has_every_provider_call_and_history_in_time_order(
    store_at: StoreAt, tmp_path: Path
) -> None:
    outbox = Outbox(store_at("outbox.db"))
    ((row, _),) = outbox.enqueue_many([_msg("k", A)], now=100.0)
    outbox.claim(Lane.NOTICE, 1, 200.0, 30)
    outbox.record_attempt(row.id, "aliyun", 200.0, 200.5, "transient", "isp.SYSTEM_ERROR", "r1")
    outbox.move(row.id, Status.QUEUED, code="failover", not_before=200.5, now=200.5)
    outbox.claim(Lane.NOTICE, 1, 201.0, 30)
    # the receipt races the answer: delivered is recorded before accepted
    rc = Receipt("tencent", "SN1", row.id, A, True, "DELIVRD", None, "{}")
    outbox.apply_receipts([rc], now=201.2)
    outbox.record_attempt(row.id, "tencent", 201.0, 201.4, "accepted", "Ok", "r2")
    outbox.accept(row.id, "tencent", "SN1", "Ok", now=201.4)
    story = Records(outbox).story(row.id)
    assert story is not None and story["status"] == "delivered"
    statuses = [h["status"] for h in story["history"]]
    assert statuses == ["queued", "queued", "accepted", "delivered"]
    assert [h["at"] for h in story["history"]] == sorted(h["at"] for h in story["history"])
    assert [(a["provider"], a["outcome"], a["code"], a["ms"]) for a in story["provider_calls"]] == [
        ("aliyun", "transient", "isp.SYSTEM_ERROR", 500),
        ("tencent", "accepted", "Ok", 400),
    ]
    assert [r["provider_ref"] for r in story["receipts"]] == ["SN1"]


def _cli(data: Path, *args: str, url: Path | str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XINSHI_DATA_DIR": str(data)}
    if isinstance(url, str) and url:  # the outbox in PostgreSQL
        env["XINSHI_DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "engine.cli", "dispatch", *args], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_cli_find_prints_a_page_and_refuses_a_bad_status(store_at: StoreAt, tmp_path: Path) -> None:
    where = store_at("dispatch.sqlite")  # where XINSHI_DATA_DIR keeps it, or a database
    outbox = Outbox(where)
    ((row, _),) = outbox.enqueue_many([_msg("k", A)])
    ((scened, _),) = outbox.enqueue_many([replace(_msg("k2", B), scene="birthday")])
    outbox.close()
    r = _cli(tmp_path, "find", "--phone", "13812340001", url=where)
    assert r.returncode == 0, r.stderr
    page = json.loads(r.stdout)
    assert [m["id"] for m in page["messages"]] == [row.id] and page["next_cursor"] is None
    assert page["messages"][0]["phone"] == "+86138****0001"
    r = _cli(tmp_path, "find", "--scene", "birthday", url=where)
    assert r.returncode == 0, r.stderr
    page = json.loads(r.stdout)
    assert [(m["id"], m["scene"]) for m in page["messages"]] == [(scened.id, "birthday")]
    r = _cli(tmp_path, "find", "--scene", "renewal", url=where)
    assert r.returncode == 0 and json.loads(r.stdout)["messages"] == []
    r = _cli(tmp_path, "find", "--status", "sent", url=where)
    assert r.returncode == 2 and "--status: status 'sent' is not one of" in r.stderr


def test_api_search_and_story(shared_stack: Stack) -> None:
    api = shared_stack.api
    body = {"idempotency_key": "rec-1", "phone": "13812347777", "template": "order_confirmed",
            "params": {"order": "1111000777"}}  # fmt: skip
    r = HTTP.post(f"{api}/v1/messages", json=body, headers=AUTH, timeout=10)
    assert r.status_code == 201, r.text
    assert r.json()["phone"] == "+86138****7777"
    mid = r.json()["id"]

    r = HTTP.get(f"{api}/v1/messages", params={"phone": "13812347777"}, headers=AUTH, timeout=10)
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()["messages"]] == [mid]
    assert r.json()["messages"][0]["phone"] == "+86138****7777"

    r = HTTP.get(f"{api}/v1/messages/{mid}", params={"show_phone": "true"}, headers=AUTH,
                 timeout=10)  # fmt: skip
    assert r.status_code == 200 and r.json()["phone"] == "+8613812347777"
    assert (
        r.json()["provider_calls"] == []
        and r.json()["attempts"] == 0
        and r.json()["history"][0]["status"] == "queued"
    )

    r = HTTP.get(f"{api}/v1/messages", params={"colour": "red"}, headers=AUTH, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["field"] == "colour"
    r = HTTP.get(f"{api}/v1/messages", params={"status": "sent"}, headers=AUTH, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["field"] == "status"
    r = HTTP.get(f"{api}/v1/messages", params={"limit": "many"}, headers=AUTH, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["field"] == "limit"
    r = HTTP.get(f"{api}/v1/messages", timeout=10)
    assert r.status_code == 401
