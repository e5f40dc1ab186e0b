"""Provider callbacks: HMAC-signed with a replay window, or a path token from an allowed address.

A real 2-worker server on loopback: a replay must be refused whichever worker it reaches.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from engine.dispatch.callback_signing import sign
from tests.conftest import RULES
from tests.processes import HTTP, serving

SECRET = b"callback-auth-test-secret-42"
TOKEN = "kb-callback-token"
ACK = {"code": 0, "msg": "接收成功"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("callbacks")
    env = {
        "XINSHI_DATA_DIR": str(tmp / "data"),
        "XINSHI_API_KEYS": f"dispatch:kd-dispatch,callbacks:{TOKEN}",
        "XINSHI_CALLBACK_SECRET": SECRET.decode(),
        "XINSHI_CALLBACK_UNSIGNED": "tencent",
        "XINSHI_CALLBACK_ALLOW_IPS": "127.0.0.2/32",
        "XINSHI_WATCH_RULES": "0",
        "XINSHI_DISPATCH_SECRET": "callback-test-dispatch-secret",
    }
    with serving(RULES, tmp / "server.log", env, "--workers", "2") as base:
        yield base


def _post(url: str, path: str, body: bytes, headers: dict[str, str] | None = None,
          source: str = "127.0.0.1") -> httpx.Response:  # fmt: skip
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=30) as client:  # a new connection each time
        return client.post(url + path, content=body, headers=JSON | (headers or {}))


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    return str(error["message"])


def test_a_signed_push_is_accepted_once_and_every_replay_is_refused(url: str) -> None:
    body = b'[{"phone_number": "13812345678", "success": true, "out_id": "nope"}]'
    headers = sign(SECRET, int(time.time()), body)
    r = _post(url, "/v1/dispatch/receipts/aliyun", body, headers)
    assert r.status_code == 200 and r.json() == ACK
    for _ in range(6):  # new connections: both workers see the replay
        says = _error(_post(url, "/v1/dispatch/receipts/aliyun", body, headers), 401, "replayed")
        assert says == "this signed callback was already accepted; a replay is refused"


def test_an_unsigned_push_says_how_to_sign(url: str) -> None:
    r = _post(url, "/v1/dispatch/inbound/aliyun", b"[]")
    assert _error(r, 401, "missing_signature") == (
        "the callback is not signed: send X-Xinshi-Timestamp (Unix seconds) and "
        "X-Xinshi-Signature: sha256=HEX (HMAC-SHA256 of 'TIMESTAMP.' + body)"
    )
    only_ts = {"X-Xinshi-Timestamp": str(int(time.time()))}
    _error(_post(url, "/v1/dispatch/inbound/aliyun", b"[]", only_ts), 401, "missing_signature")


def test_a_wrong_signature_or_a_changed_body_is_refused(url: str) -> None:
    now = int(time.time())
    headers = sign(b"another-secret-of-some-length", now, b"[]")
    says = _error(_post(url, "/v1/dispatch/receipts/tencent", b"[]", headers), 401, "bad_signature")
    assert says.startswith("the callback signature does not match")
    headers = sign(SECRET, now, b"[]")
    changed = _post(url, "/v1/dispatch/receipts/tencent", b"[ ]", headers)
    _error(changed, 401, "bad_signature")


@pytest.mark.parametrize(("offset", "says"), [(-301, " s old;"), (400, " s ahead;")])
def test_a_stale_timestamp_is_refused(url: str, offset: int, says: str) -> None:
    ts = int(time.time()) + offset
    r = _post(url, "/v1/dispatch/receipts/aliyun", b"[]", sign(SECRET, ts, b"[]"))
    message = _error(r, 401, "stale_timestamp")
    assert says in message and "the window is 300 s" in message


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Xinshi-Timestamp": "1764770000", "X-Xinshi-Signature": "sha256=签名".encode()},
        {"X-Xinshi-Timestamp": "１７６４７７００００".encode(), "X-Xinshi-Signature": "sha256=00"},
        {"X-Xinshi-Timestamp": b"\xff\xfe", "X-Xinshi-Signature": b"\xe9"},
    ],
)
def test_non_ascii_signature_headers_are_401_not_500(url: str, headers: dict[str, object]) -> None:
    r = HTTP.post(url + "/v1/dispatch/receipts/aliyun", content=b"[]", headers=headers)  # type: ignore[arg-type]
    _error(r, 401, "bad_signature")


@pytest.mark.parametrize("key", ["k", "密钥"])
def test_the_old_query_key_is_refused_with_the_migration(url: str, key: str) -> None:
    r = HTTP.post(url + "/v1/dispatch/receipts/aliyun", params={"key": key}, content=b"[]")
    assert _error(r, 401, "key_not_accepted").startswith("callbacks no longer take ?key=")


def test_an_unsigned_provider_needs_its_token_and_an_allowed_address(url: str) -> None:
    good = f"/v1/dispatch/inbound/tencent/{TOKEN}"
    r = _post(url, good, b"[]", source="127.0.0.2")
    assert r.status_code == 200 and r.json() == {"result": 0, "errmsg": "OK"}
    says = _error(_post(url, good, b"[]"), 403, "address_not_allowed")
    assert says.startswith("callbacks from 127.0.0.1 are refused")
    for token in ("wrong", "kd-dispatch", "%E5%AF%86%E9%92%A5", "%FF"):
        r = _post(url, f"/v1/dispatch/inbound/tencent/{token}", b"[]", source="127.0.0.2")
        assert _error(r, 401, "unauthorized") == "the callback token is not a 'callbacks:' key"
    r = _post(url, f"/v1/dispatch/receipts/aliyun/{TOKEN}", b"[]", source="127.0.0.2")
    assert _error(r, 403, "unsigned_not_allowed").startswith(
        "unsigned callbacks from 'aliyun' are off"
    )
