"""Scoped keys: every route against every kind of key, on a real 2-worker server with keyed checks.

Also: credentials in any encoding are a JSON 401, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RULES
from tests.processes import serving

KEYS = {"check": "kc-check", "read": "kr-read", "admin": "ka-admin", "dispatch": "kd-dispatch",
        "callbacks": "kb-callbacks", "bare": "kx-bare", "utf8": "钥匙-ü"}  # fmt: skip
ENV = {
    "XINSHI_API_KEYS": ",".join(
        [f"{scope}:{KEYS[scope]}" for scope in ("check", "read", "admin", "dispatch", "callbacks")]
        + [KEYS["bare"], f"check:{KEYS['utf8']}"]
    ),
    "XINSHI_KEYED_CHECKS": "1",
    "XINSHI_PUBLIC": "metrics",
    "XINSHI_WATCH_RULES": "0",
    "XINSHI_DISPATCH_SECRET": "auth-test-dispatch-secret",
}
TEXT = "【信使商城】您的订单1111000123已支付成功，我们将尽快发货。"

# (method, path, body, who may call it); "read" is any check, admin or dispatch key
ROUTES = [
    ("POST", "/v1/check", {"text": TEXT}, "check"),
    ("POST", "/v1/check/batch", {"messages": [{"text": TEXT}]}, "check"),
    ("POST", "/v1/variants", {"drafts": [TEXT]}, "check"),
    ("GET", "/v1/rules", None, "read"),
    ("GET", "/v1/rules/catalog", None, "read"),
    ("GET", "/v1/ab", None, "read"),
    ("GET", "/v1/ab/nope", None, "read"),
    ("GET", "/v1/ab/nope/chart.png", None, "read"),
    ("GET", "/openapi.json", None, "read"),
    ("GET", "/docs", None, "read"),
    ("GET", "/metrics", None, "public"),  # XINSHI_PUBLIC=metrics
    ("POST", "/v1/rules/reload", None, "admin"),
    ("GET", "/v1/messages/nope", None, "admin"),
    ("POST", "/v1/messages", {"phone": "13812345678", "template": "nope"}, "dispatch"),
    (
        "POST",
        "/v1/approvals",
        {"template": "order_confirmed", "params": {"order": "1"}},
        "dispatch",
    ),
    ("POST", "/v1/conversions", {"message_id": "nope", "value_fen": 1}, "dispatch"),
    ("GET", "/v1/dispatch/campaigns", None, "admin"),
    ("POST", "/v1/dispatch/campaigns/nope/resume", {"reason": "checked"}, "admin"),
    ("POST", "/v1/dispatch/signatures/nope/resume", {"reason": "checked"}, "admin"),
    ("POST", "/v1/dispatch/templates/nope/resume", {"reason": "checked"}, "admin"),
    ("POST", "/v1/events", {"scene": "nope", "phone": "13812345678"}, "dispatch"),
    ("GET", "/healthz", None, "public"),
    ("GET", "/readyz", None, "public"),
    ("GET", "/", None, "public"),
    ("GET", "/r/nope", None, "public"),
]
MAY = {
    None: {"public"},
    "check": {"public", "check", "read"},
    "admin": {"public", "admin", "read"},
    "dispatch": {"public", "dispatch", "read"},
    "read": {"public", "read"},
    "callbacks": {"public"},
    "bare": {"public", "check", "read", "admin", "dispatch"},
}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("auth")
    env = {**ENV, "XINSHI_DATA_DIR": str(tmp / "data"), "XINSHI_DATA": str(tmp / "ab")}
    with serving(RULES, tmp / "server.log", env, "--workers", "2") as base:
        yield base


def _call(url: str, method: str, path: str, body: object, auth: bytes | None) -> httpx.Response:
    headers = {"Authorization": auth} if auth is not None else {}
    return httpx.request(method, url + path, json=body, headers=headers, timeout=30)


@pytest.mark.parametrize("who", list(MAY))
def test_each_route_lets_in_exactly_the_scopes_it_declares(url: str, who: str | None) -> None:
    auth = None if who is None else f"Bearer {KEYS[who]}".encode()
    wrong = []
    for method, path, body, needs in ROUTES:
        r = _call(url, method, path, body, auth)
        assert r.status_code != 500, (path, r.text)
        if needs in MAY[who]:
            if r.status_code in (401, 403):
                wrong.append((path, "refused", r.status_code, r.text))
        elif who is None:
            if (r.status_code, r.json()["error"]["code"]) != (401, "unauthorized"):
                wrong.append((path, "not 401", r.status_code, r.text))
        elif r.status_code != 403 or r.json()["error"]["code"] != "forbidden":
            wrong.append((path, "not 403", r.status_code, r.text))
    assert wrong == []


def test_refusals_say_what_to_send(url: str) -> None:
    r = _call(url, "GET", "/v1/rules", None, None)
    assert r.status_code == 401 and r.json()["error"] == {
        "code": "unauthorized",
        "message": "send an API key as 'Authorization: Bearer KEY'",
        "field": None,
    }
    r = _call(url, "POST", "/v1/rules/reload", None, f"Bearer {KEYS['check']}".encode())
    assert r.status_code == 403 and r.json()["error"]["message"] == (
        "this key has scope check, read; this endpoint needs a 'admin' key"
    )
    r = _call(url, "GET", "/v1/messages/x", None, f"Bearer {KEYS['dispatch']}".encode())
    assert r.status_code == 403  # a dispatch key cannot read send records (phone numbers)


@pytest.mark.parametrize(
    "auth",
    [
        "Bearer 钥匙".encode(),  # UTF-8 bytes of a key that does not exist
        b"Bearer \xe9\xff\xfe",  # not UTF-8 at all
        "Bearer ключ".encode(),
        b"\xff\xfe kc-check",  # a non-ASCII scheme
    ],
)
def test_non_ascii_bearer_tokens_are_401_not_500(url: str, auth: bytes) -> None:
    for path in ("/v1/check", "/v1/rules/reload", "/v1/messages"):
        r = _call(url, "POST", path, {"text": TEXT}, auth)
        assert r.status_code == 401, (path, r.text)
        assert r.json()["error"]["code"] == "unauthorized"


def test_a_non_ascii_key_is_compared_as_its_utf8_bytes(url: str) -> None:
    r = _call(url, "POST", "/v1/check", {"text": TEXT}, f"Bearer {KEYS['utf8']}".encode())
    assert r.status_code == 200 and r.json()["verdict"] in ("allow", "review", "block")


def test_a_non_ascii_approval_token_is_refused_as_unknown(url: str) -> None:
    body = {"idempotency_key": "na-1", "phone": "13812345678", "template": "order_confirmed",
            "params": {"order": "1111000123"}, "approval": "密钥.签名"}  # fmt: skip
    r = _call(url, "POST", "/v1/messages", body, f"Bearer {KEYS['dispatch']}".encode())
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_approval"


def test_an_approval_for_one_template_is_refused_for_another(url: str) -> None:
    auth = f"Bearer {KEYS['dispatch']}".encode()
    params = {"order": "1111000123"}
    r = _call(url, "POST", "/v1/approvals", {"template": "order_confirmed", "params": params},
              auth)  # fmt: skip
    assert r.status_code == 200, r.text
    token = r.json()["approval"]
    body = {"idempotency_key": "tm-1", "phone": "13812345678", "template": "login_code",
            "params": {"code": "123456"}, "approval": token}  # fmt: skip
    r = _call(url, "POST", "/v1/messages", body, auth)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == {
        "code": "template_mismatch",
        "message": "the approval was issued for template 'order_confirmed', not 'login_code'. "
        "Get one for this template from POST /v1/approvals",
        "field": "approval",
    }


def test_the_old_approval_body_says_what_to_send(url: str) -> None:
    r = _call(url, "POST", "/v1/approvals", {"text": TEXT},
              f"Bearer {KEYS['dispatch']}".encode())  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["field"] == "template"


def test_bad_key_settings_stop_the_server_with_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    cases = {
        "XINSHI_API_KEYS": ("sudo:k1", "error: XINSHI_API_KEYS: unknown scope 'sudo' (known: "
                            "check, read, admin, dispatch, callbacks); write scope:key, e.g. "
                            "check:k1,admin:k2"),
        "XINSHI_PUBLIC": ("metrics,secrets", "error: XINSHI_PUBLIC: unknown endpoint group "
                          "'secrets'; known: metrics, openapi, rules, catalog, ab, providers"),
        "XINSHI_CALLBACK_KEY": ("k", "error: XINSHI_CALLBACK_KEY (?key= on callbacks) is gone: "
                                "set XINSHI_CALLBACK_SECRET and sign callbacks, or see README "
                                "'Provider callbacks' for unsigned providers"),
    }  # fmt: skip
    for name, (value, says) in cases.items():
        env = {**os.environ, "XINSHI_WATCH_RULES": "0", "XINSHI_DATA_DIR": str(tmp_path),
               "XINSHI_API_KEYS": "k", name: value}  # fmt: skip
        r = subprocess.run([sys.executable, "-m", "engine.cli", "serve", "--port", "1"],
                           env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert r.returncode != 0 and r.stderr.strip() == says, r.stderr
