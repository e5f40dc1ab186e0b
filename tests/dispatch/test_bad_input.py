"""Bad input to the dispatch routes: a JSON 4xx that says what and how to fix, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from engine.abtest.ingest import ingest_paths
from engine.abtest.store import connect
from tests.dispatch.api_server import AUTH, Api, api_server, signed
from tests.dispatch.conftest import BACKENDS, outbox_url
from tests.processes import HTTP

TEXT_PLAIN = {**AUTH, "Content-Type": "text/plain"}


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One server per outbox backend."""
    with api_server(
        tmp_path_factory.mktemp("bad-input"), database_url=outbox_url(request.param)
    ) as running:
        yield running


def _error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == code, err
    return err


def _post(api: Api, path: str, body: Any, headers: dict[str, str] = AUTH) -> httpx.Response:
    return HTTP.post(f"{api.url}{path}", json=body, headers=headers, timeout=10)


def _push(api: Api, path: str, body: Any) -> httpx.Response:
    """A provider callback, signed (engine/dispatch/callback_signing.py)."""
    raw = orjson.dumps(body)
    return HTTP.post(f"{api.url}{path}", content=raw, headers=signed(raw), timeout=10)


def _queue(api: Api, key: str, **extra: Any) -> httpx.Response:
    body = {"idempotency_key": key, "phone": "13812345678", "template": "order_confirmed",
            "params": {"order": "1234567890"}, **extra}  # fmt: skip
    return _post(api, "/v1/messages", body)


@pytest.mark.parametrize(
    "path",
    ["/v1/messages", "/v1/approvals", "/v1/conversions", "/v1/dispatch/receipts/aliyun",
     "/v1/dispatch/inbound/tencent"],
)  # fmt: skip
def test_dispatch_routes_answer_415_to_bodies_that_are_not_json(api: Api, path: str) -> None:
    body = b'{"text": "%s"}' % path.encode()  # one body per route: a signature is used once
    callback = path.startswith("/v1/dispatch/")
    headers = signed(body, "text/plain") if callback else TEXT_PLAIN
    r = HTTP.post(f"{api.url}{path}", content=body, headers=headers, timeout=10)
    err = _error(r, 415, "unsupported_media_type")  # a signed callback passes, then 415
    assert err["message"] == "send the body as JSON with Content-Type: application/json"
    if callback:  # unsigned, the same push is refused before its body type matters
        unsigned = HTTP.post(f"{api.url}{path}", content=body, headers=TEXT_PLAIN, timeout=10)
        _error(unsigned, 401, "missing_signature")


@pytest.mark.parametrize(
    ("field", "value"),
    [("send_at", "0001-01-01T00:00+14:00"), ("send_at", "9999-12-31T23:59-14:00"),
     ("expires_at", "0001-01-01T00:00:00+14:00")],
)  # fmt: skip
def test_send_times_out_of_range_are_422(api: Api, field: str, value: str) -> None:
    err = _error(_queue(api, f"range-{field}-{value}", **{field: value}), 422, "invalid_request")
    assert err["field"] == field
    assert err["message"] == (
        f"{field} {value!r} is out of range. Use a time between 1970 and 9998, "
        "e.g. 2026-11-11T10:00+08:00"
    )


def test_check_with_a_year_1_send_at_is_422(api: Api) -> None:
    body = {"text": "【信使商城】您好", "send_at": "0001-01-01T00:00+14:00"}
    err = _error(HTTP.post(f"{api.url}/v1/check", json=body, timeout=10), 422, "invalid_message")
    assert err["field"] == "send_at" and "out of range" in err["message"]


@pytest.mark.parametrize(
    ("path", "body", "field", "got"),
    [
        ("receipts/aliyun", [{"biz_id": {"a": 1}, "success": True}], "0.biz_id", "an object"),
        ("receipts/aliyun", [{"out_id": "x", "success": [1]}], "0.success", "a list"),
        ("receipts/tencent", [{"sid": "1", "mobile": ["138"]}], "0.mobile", "a list"),
        ("inbound/aliyun", [{"phone_number": "13812345678", "content": "TD", "sign_name": 7}],
         "0.sign_name", "a number"),
        ("inbound/tencent", {"mobile": "13812345678", "text": {"t": "TD"}}, "0.text", "an object"),
    ],
)  # fmt: skip
def test_callback_fields_of_the_wrong_type_are_422(
    api: Api, path: str, body: Any, field: str, got: str
) -> None:
    err = _error(_push(api, f"/v1/dispatch/{path}", body), 422, "invalid_callback")
    assert err["field"] == field
    assert err["message"].startswith(f"{field} is {got}; the provider sends ")
    assert err["message"].endswith("Send callbacks in the provider's documented format")


@pytest.mark.parametrize("body", ["TD", 5, [1], [{"mobile": "1"}, "x"]])
def test_callback_bodies_that_are_not_objects_are_422(api: Api, body: Any) -> None:
    err = _error(_push(api, "/v1/dispatch/inbound/tencent", body), 422, "invalid_callback")
    assert "JSON object" in err["message"]


def test_a_valid_reply_is_still_recorded(api: Api) -> None:
    body = [{"phone_number": "13812345678", "content": "TD", "sign_name": "信使商城"}]
    r = _push(api, "/v1/dispatch/inbound/aliyun", body)
    assert r.status_code == 200 and r.json() == {"code": 0, "msg": "接收成功"}


def test_conversions_are_idempotent_and_revenue_counts_once(api: Api, tmp_path: Path) -> None:
    sent = _queue(api, "conv-1", experiment="conv", variant="A")
    assert sent.status_code == 201, sent.text
    mid = sent.json()["id"]
    first = _post(api, "/v1/conversions", {"message_id": mid, "value_fen": 29900})
    assert first.status_code == 201 and first.json()["duplicate"] is False
    retry = _post(api, "/v1/conversions", {"message_id": mid, "value_fen": 29900})
    assert retry.status_code == 200 and retry.json()["duplicate"] is True
    other = _post(api, "/v1/conversions", {"message_id": mid, "value_fen": 100})
    err = _error(other, 422, "idempotency_conflict")
    assert err["field"] == "value_fen"
    assert err["message"] == (
        "a conversion of 29900 fen was already recorded for this message (no idempotency key). "
        "Send a new Idempotency-Key for another conversion of the same message"
    )
    keyed = {**AUTH, "Idempotency-Key": "order-2"}
    second = _post(api, "/v1/conversions", {"message_id": mid, "value_fen": 5000}, keyed)
    assert second.status_code == 201
    again = _post(api, "/v1/conversions", {"message_id": mid, "value_fen": 5000}, keyed)
    assert again.status_code == 200 and again.json()["idempotency_key"] == "order-2"
    # what the A/B analysis counts: 29900 + 5000 once each, however often they were posted
    con = connect(tmp_path / "ab")
    ingest_paths(con, [api.data / "events"])
    (total, n), = con.execute(
        "SELECT sum(value_fen), count(*) FROM events WHERE event='converted'"
    ).fetchall()  # fmt: skip
    assert (total, n) == (34900, 2)
    missing = _post(api, "/v1/conversions", {"message_id": "nope", "value_fen": 1})
    assert _error(missing, 404, "not_found")["field"] == "message_id"
