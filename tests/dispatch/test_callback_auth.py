"""Provider callbacks: HMAC-signed with a replay window, or a path token from an allowed address.

A real 2-worker server on loopback: a replay must be refused whichever worker it reaches.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.dispatch.callback_signing import SIGNATURE_HEADER, sign
from engine.dispatch.message import Lane, OutboxRow, Outcome, Status
from engine.dispatch.providers.aliyun import AliyunProvider
from engine.dispatch.templates import ProviderTemplate
from tests.conftest import RULES
from tests.processes import HTTP, fake_provider, serving

SECRET = b"callback-auth-test-secret-42"
TOKEN = "kb-callback-token"
ACK = {"code": 0, "msg": "接收成功"}
JSON = {"Content-Type": "application/json"}
LOGS: dict[str, Path] = {}


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
    LOGS["server"] = tmp / "server.log"
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


def test_a_refused_push_is_logged_and_counted_without_its_secrets(url: str) -> None:
    """A receipt push refused (wrong secret, as after a mis-set callback) must not vanish:
    the server logs it and counts it in /metrics by kind, provider and reason."""
    body = b'[{"phone_number": "13812345678", "success": true, "out_id": "counted"}]'
    headers = sign(b"a-secret-the-server-does-not-have", int(time.time()), body)
    _error(_post(url, "/v1/dispatch/receipts/aliyun", body, headers), 401, "bad_signature")
    _error(_post(url, "/v1/dispatch/receipts/made-up-1", b"[]"), 401, "missing_signature")
    r = HTTP.get(f"{url}/metrics", timeout=10)
    assert r.status_code == 200
    lines = r.text.splitlines()
    name = "xinshi_callbacks_refused_total"
    mine = f'{name}{{kind="receipts",provider="aliyun",reason="bad_signature"}}'
    assert any(line.startswith(mine) and float(line.split()[-1]) >= 1 for line in lines), mine
    # a name nobody configured is one label, so scanners cannot blow up the label set
    other = f'{name}{{kind="receipts",provider="other",reason="missing_signature"}}'
    assert any(line.startswith(other) for line in lines), other
    assert "made-up-1" not in r.text
    log = LOGS["server"].read_text(encoding="utf-8")
    assert "callback refused: receipts from 127.0.0.1 (provider aliyun, 401 bad_signature)" in log
    assert headers[SIGNATURE_HEADER].removeprefix("sha256=") not in log and "13812345678" not in log


def test_the_fake_provider_logs_and_counts_the_pushes_it_gets_refused(
    url: str, tmp_path: Path
) -> None:
    """The sending side too: a fake configured with the wrong secret sees 401s, counts them
    per status in /_stats and logs each refusal with the server's reason."""
    log = tmp_path / "fake.log"
    args = ["--receipt-delay", "0", "--callback", f"{url}/v1/dispatch",
            "--callback-secret", "not-the-servers-secret"]  # fmt: skip
    with fake_provider(log, *args) as fake:

        async def send() -> None:
            ali = AliyunProvider(fake, timeout=5)
            row = OutboxRow(
                id="refused-1", idem_key="refused-1", lane=Lane.NOTICE, phone="+8613812340000",
                sign_name="信使商城", template_id="order_confirmed", params={"order": "1"},
                rendered_text="x", ruleset_version="v", status=Status.SENDING, not_before=0,
                expires_at=None, attempts=1, created_at=time.time(),
            )  # fmt: skip
            result = await ali.send(row, ProviderTemplate("SMS_900002"))
            assert result.outcome is Outcome.ACCEPTED
            await ali.aclose()

        asyncio.run(send())
        deadline = time.time() + 20
        while True:
            stats = HTTP.get(f"{fake}/_stats", timeout=5).json()
            if stats["receipts_refused"].get("401", 0) >= 1:
                break
            assert time.time() < deadline, stats
            time.sleep(0.05)
        assert stats["receipts_pushed"] == 0
    text = log.read_text(encoding="utf-8")
    assert f"push of 1 receipts to {url}/v1/dispatch/receipts/aliyun refused: HTTP 401" in text
    assert "bad_signature" in text
