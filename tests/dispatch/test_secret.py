"""The approval secret: created atomically before the workers fork; a bad one stops start-up."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from engine.dispatch.approval import text_hash
from engine.dispatch.secret import SecretError, load_secret
from engine.message import MessageType
from tests.processes import free_port, start, stop

KEY = "secret-test-key"
TEXT = "【信使商城】您的订单1111000123已支付成功，我们将尽快发货。"


def test_the_secret_file_is_created_once_private_and_full(tmp_path: Path) -> None:
    secret = load_secret(tmp_path / "data")
    path = tmp_path / "data" / "approval.key"
    assert len(secret) == 64 and int(secret, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(tmp_path / "data") == secret
    assert [p.name for p in path.parent.iterdir()] == ["approval.key"]  # no temp file left


def test_processes_racing_to_create_the_secret_all_read_the_same_full_key(
    tmp_path: Path,
) -> None:
    with ProcessPoolExecutor(6) as pool:
        for n in range(10):
            root = tmp_path / f"d{n}"
            got = set(pool.map(load_secret, [root] * 12))
            assert len(got) == 1 and len(got.pop()) == 64


def _serve_error(env: dict[str, str]) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(free_port())],
        env={**os.environ, "XINSHI_WATCH_RULES": "0", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_serve_refuses_an_empty_secret_file(tmp_path: Path) -> None:
    (tmp_path / "approval.key").write_bytes(b"\n")
    line = _serve_error({"XINSHI_DATA_DIR": str(tmp_path)})
    assert line == (
        f"error: {tmp_path}/approval.key: the approval signing secret is empty; delete the "
        "file to generate a new one (tokens already issued stop verifying)"
    )


def test_serve_refuses_an_unreadable_secret(tmp_path: Path) -> None:
    (tmp_path / "approval.key").mkdir()  # unreadable as a file, even for root
    line = _serve_error({"XINSHI_DATA_DIR": str(tmp_path)})
    assert line == (
        f"error: {tmp_path}/approval.key: cannot read or create the approval signing secret "
        "(Is a directory); make the data directory writable (XINSHI_DATA_DIR) or set "
        "XINSHI_DISPATCH_SECRET"
    )


def test_serve_refuses_a_short_secret_from_the_environment(tmp_path: Path) -> None:
    line = _serve_error({"XINSHI_DATA_DIR": str(tmp_path), "XINSHI_DISPATCH_SECRET": "s3cret"})
    assert line == (
        "error: XINSHI_DISPATCH_SECRET: the approval signing secret has 6 bytes; it needs at "
        "least 16; set XINSHI_DISPATCH_SECRET to at least 16 random characters"
    )


def test_serve_refuses_a_bad_approval_lifetime(tmp_path: Path) -> None:
    line = _serve_error({"XINSHI_DATA_DIR": str(tmp_path), "XINSHI_APPROVAL_TTL": "1 day"})
    assert line == "error: XINSHI_APPROVAL_TTL='1 day': write a number of seconds, e.g. 86400"


@pytest.mark.parametrize("days", ["six months", "30"])
def test_serve_refuses_a_retention_it_cannot_keep(tmp_path: Path, days: str) -> None:
    line = _serve_error({"XINSHI_DATA_DIR": str(tmp_path), "XINSHI_RETENTION_DAYS": days})
    assert line == (
        f"error: XINSHI_RETENTION_DAYS={days!r}: send records must be kept at least 153 days "
        "(5 months, MIIT Order 31); write a number of days from 153, e.g. the default 186"
    )


def test_load_secret_refuses_a_short_file(tmp_path: Path) -> None:
    (tmp_path / "approval.key").write_bytes(b"abc")
    with pytest.raises(SecretError, match="has 3 bytes; it needs at least 16"):
        load_secret(tmp_path)


def _token(secret: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    payload = b64(orjson.dumps({
        "v": "any", "t": "notification", "h": text_hash(TEXT, MessageType.NOTIFICATION),
        "tpl": "order_confirmed", "s": "信使商城", "exp": 2**40,
    }))  # fmt: skip
    return f"{payload}.{b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest()[:20])}"


def _send(url: str, token: str, key: str) -> httpx.Response:
    body = {"idempotency_key": key, "phone": "13812345678", "template": "order_confirmed",
            "params": {"order": "1111000123"}, "approval": token}  # fmt: skip
    auth = {"Authorization": f"Bearer {KEY}"}
    return httpx.post(f"{url}/v1/messages", json=body, headers=auth, timeout=30)


def test_a_token_signed_with_an_empty_key_is_refused_on_every_fresh_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XINSHI_DISPATCH_SECRET", raising=False)  # the generated file is tested
    forged = _token(b"")
    # The secret is written once, before the workers fork (create_app), so each start either
    # races or does not; two fresh starts (each a new data directory and two forked workers
    # taking 8 requests at once) cover it. Every start costs seconds of CPU.
    for n in range(2):
        data = tmp_path / f"data{n}"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {"XINSHI_DATA_DIR": str(data), "XINSHI_API_KEYS": KEY, "XINSHI_WATCH_RULES": "0"}
        proc = start(["serve", "--port", str(port), "--workers", "2"], tmp_path / f"s{n}.log",
                     env, f"{url}/healthz")  # fmt: skip
        try:
            # the first requests each worker sees, at once: where the lazy secret used to race
            with ThreadPoolExecutor(8) as pool:
                keys = [f"f{n}-{i}" for i in range(8)]
                answers = list(pool.map(_send, [url] * 8, [forged] * 8, keys))
            for r in answers:
                assert r.status_code == 422, r.text
                assert r.json()["error"]["code"] == "unknown_approval"
            real = _token((data / "approval.key").read_bytes().strip())
            assert _send(url, real, f"real{n}").status_code == 201  # the test can tell
        finally:
            stop(proc)
