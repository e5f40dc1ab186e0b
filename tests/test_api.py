"""The HTTP API against a real uvicorn server on 127.0.0.1 (started once per session)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RULES
from tests.processes import serving

KEY = "test-admin-key-7f3a"


class Server:
    """A running `xinshi serve` and what it was started with."""

    def __init__(self, url: str, rules: Path, log: Path) -> None:
        self.url, self.rules, self.log = url, rules, log


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("api")
    rules = tmp / "rules"
    shutil.copytree(RULES, rules)
    log = tmp / "server.log"
    env = {
        "XINSHI_API_KEYS": KEY,
        "XINSHI_WATCH_RULES": "0",
        "XINSHI_MAX_TEXT_CHARS": "600",
        "XINSHI_MAX_BATCH": "50",
    }
    with serving(rules, log, env) as url:
        yield Server(url, rules, log)


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def _err(r: httpx.Response, status: int, code: str) -> dict[str, str | None]:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code, body
    return body  # type: ignore[no-any-return]


def test_check_returns_the_verdict_contract(client: httpx.Client) -> None:
    r = client.post(
        "/v1/check",
        json={"id": "m1", "text": "【信使商城】尊敬的会员，全场最*低*价，加 V 信领券！"},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    v = r.json()
    assert v["id"] == "m1" and v["verdict"] == "block"
    f = next(f for f in v["findings"] if f["rule_id"] == "absolute_claim.superlative")
    assert (f["start"], f["end"], f["matched"]) == (14, 19, "最*低*价")
    assert f["related"] == ["format.obfuscation"]  # one finding per problem


def test_batch_checks_each_message_and_reports_bad_ones_in_place(client: httpx.Client) -> None:
    msgs = [
        {
            "id": "a",
            "text": "【信使商城】验证码386512，用于登录，5分钟内有效，请勿泄露。",
            "type": "verification",
        },
        {"id": "b", "text": "x", "type": "promo"},
        {"id": 3, "text": "【信使商城】全场最低价"},
        "not an object",
    ]
    r = client.post("/v1/check/batch", json={"messages": msgs})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["count"] == 4
    a, b, c, d = data["results"]
    assert a["verdict"] == "allow" and c["verdict"] == "block" and c["id"] == "3"
    assert b["id"] == "b" and b["error"]["field"] == "messages.1.type"
    assert "unknown message type 'promo'" in b["error"]["message"]
    assert d["error"]["field"] == "messages.3"


def test_batch_limit(client: httpx.Client) -> None:
    body = _err(
        client.post("/v1/check/batch", json={"messages": [{"text": "x"}] * 51}),
        413,
        "batch_too_large",
    )
    assert body["message"] == "51 messages; the limit is 50 per request. Split the batch"
    _err(client.post("/v1/check/batch", json={"msgs": []}), 422, "invalid_request")


@pytest.mark.parametrize(
    ("payload", "status", "code", "field", "message"),
    [
        (
            {"text": "x", "colour": "red"},
            422,
            "invalid_message",
            "colour",
            "colour: unknown field (allowed: id, text, type, industry, send_at, profile)",
        ),
        (
            {"text": "x", "type": "promo"},
            422,
            "invalid_message",
            "type",
            "unknown message type 'promo'. Use one of: verification, notification, marketing",
        ),
        (
            {"text": "x", "send_at": "tomorrow"},
            422,
            "invalid_message",
            "send_at",
            "send_at 'tomorrow' is not an ISO 8601 time. Write it like 2026-11-11T10:00 or 2026-11-11T10:00:00+08:00",
        ),
        ({"text": "x", "industry": "airline"}, 422, "invalid_message", "industry", None),
        (
            {"text": "字" * 601},
            422,
            "text_too_long",
            "text",
            "text has 601 characters; the limit is 600 (providers refuse SMS over 500)",
        ),
        ({"type": "marketing"}, 422, "invalid_message", "text", "text: Field required"),
        ([1, 2], 422, "invalid_message", None, 'a message is a JSON object like {"text": "..."}'),
    ],
)
def test_field_errors_have_specific_messages(
    client: httpx.Client, payload, status, code, field, message
) -> None:  # type: ignore[no-untyped-def]
    body = _err(client.post("/v1/check", json=payload), status, code)
    assert body["field"] == field
    if message is not None:
        assert body["message"] == message


def test_unknown_industry_suggests_the_closest(client: httpx.Client) -> None:
    body = _err(
        client.post("/v1/check", json={"text": "x", "industry": "airline"}), 422, "invalid_message"
    )
    assert "Did you mean 'air'?" in str(body["message"])


def test_body_errors(client: httpx.Client) -> None:
    _err(client.post("/v1/check", content=b'{"text": "x"}'), 415, "unsupported_media_type")
    _err(
        client.post("/v1/check", content=b"{nope", headers={"content-type": "application/json"}),
        400,
        "invalid_json",
    )
    body = _err(
        client.post("/v1/check", content=b'{"text": "\xff"}', headers={"content-type": "application/json"}),
        400, "invalid_utf8",
    )  # fmt: skip
    assert body["message"] == "body is not valid UTF-8 at byte 10. Encode text as UTF-8"
    _err(client.get("/v1/nothing"), 404, "not_found")
    _err(client.get("/v1/check"), 405, "method_not_allowed")


def test_oversize_bodies_are_refused_before_being_read(client: httpx.Client) -> None:
    big = json.dumps({"text": "a" * 70_000}).encode()
    body = _err(
        client.post("/v1/check", content=big, headers={"content-type": "application/json"}),
        413,
        "body_too_large",
    )
    assert "larger than 65536 bytes" in str(body["message"])

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count as it reads
        yield b'{"text": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}'

    _err(
        client.post("/v1/check", content=chunks(), headers={"content-type": "application/json"}),
        413,
        "body_too_large",
    )


def test_rules_report(client: httpx.Client) -> None:
    data = client.get("/v1/rules").json()
    # counted from the rule files themselves, not from the engine's own tables
    packs = {
        p.stem: len(yaml.safe_load(p.read_text(encoding="utf-8"))["rules"])
        for p in sorted((RULES / "packs").glob("*.yaml"))
    }
    assert data["packs"] == packs and data["rules"] == sum(packs.values())
    assert data["reload"]["ok"] is True and len(data["version"]) == 12


def test_health_and_metrics(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    client.post("/v1/check", json={"text": "【信使商城】全场最低价"})
    text = client.get("/metrics").text
    assert 'xinshi_http_requests_total{method="POST",route="/v1/check",status="200"}' in text
    assert "xinshi_http_request_seconds_bucket" in text
    assert 'xinshi_findings_total{category="absolute_claim",severity="block"}' in text
    assert 'xinshi_verdicts_total{verdict="block"}' in text


def test_openapi_documents_the_endpoints_with_examples(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert {
        "/v1/check",
        "/v1/check/batch",
        "/v1/rules",
        "/v1/rules/reload",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= set(spec["paths"])
    body = spec["paths"]["/v1/check"]["post"]["requestBody"]["content"]["application/json"]
    assert "marketing" in body["examples"]
    assert body["schema"] == {"$ref": "#/components/schemas/MessageIn"}
    assert spec["components"]["schemas"]["MessageIn"]["required"] == ["text"]
    for path, ops in spec["paths"].items():  # every JSON body has a schema a client can use
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            assert content is None or "$ref" in json.dumps(content["schema"]), (method, path)
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text and "/docs/assets/swagger-ui-bundle.js" in docs.text
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.text


CLIENT_CALL = """
import json, sys
from xinshi_client import Client
from xinshi_client.api.default import check_one_v1_check_post as check_one
from xinshi_client.models import MessageIn, VerdictOut
verdict = check_one.sync(client=Client(base_url=sys.argv[1]), body=MessageIn(text=sys.argv[2]))
assert isinstance(verdict, VerdictOut), verdict
print(json.dumps({"verdict": verdict.verdict, "rules": [f.rule_id for f in verdict.findings]}))
"""


def test_a_client_generated_from_openapi_checks_a_message(
    client: httpx.Client, server: Server, tmp_path: Path
) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    (tmp_path / "openapi.json").write_bytes(r.content)
    bin_dir = Path(sys.executable).parent  # the generator formats its output with ruff
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    gen = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", "openapi.json",
         "--meta", "none", "--output-path", "xinshi_client"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out = gen.stdout + gen.stderr
    assert gen.returncode == 0, out
    assert "will not be generated" not in out, out  # every endpoint made it into the client
    call = subprocess.run(
        [sys.executable, "-c", CLIENT_CALL, server.url, "【信使商城】全场最低价，回T退订"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert call.returncode == 0, call.stderr
    result = json.loads(call.stdout)
    assert result["verdict"] == "block"
    assert "absolute_claim.superlative" in result["rules"]


def test_admin_reload_needs_the_key(client: httpx.Client, server: Server) -> None:
    _err(client.post("/v1/rules/reload"), 401, "unauthorized")
    _err(
        client.post("/v1/rules/reload", headers={"Authorization": "Bearer wrong"}),
        401,
        "unauthorized",
    )
    r = client.post("/v1/rules/reload", headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200 and r.json()["reload"]["ok"] is True
    assert KEY not in server.log.read_text(errors="replace")


def test_a_bad_rule_edit_is_refused_and_the_old_rules_keep_serving(
    client: httpx.Client, server: Server
) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    before = client.get("/v1/rules").json()["version"]
    pack = server.rules / "packs" / "signature.yaml"
    good = pack.read_text(encoding="utf-8")
    try:
        pack.write_text(good.replace("kind: signature", "kind: signatur", 1), encoding="utf-8")
        r = client.post("/v1/rules/reload", headers=auth)
        assert r.status_code == 409
        errors = r.json()["reload"]["errors"]
        assert any(
            e.startswith("rules/packs/signature.yaml:5: rule 'signature.missing': unknown kind")
            for e in errors
        )  # relative to the rules' parent: the server's own directories are not shown
        assert not any(str(server.rules.parent) in e for e in errors)
        assert client.get("/v1/rules").json()["version"] == before
        v = client.post("/v1/check", json={"text": "尊敬的会员，上新了。拒收请回复R"}).json()
        assert v["ruleset_version"] == before and any(
            f["rule_id"] == "signature.missing" for f in v["findings"]
        )
    finally:
        pack.write_text(good, encoding="utf-8")
    with (server.rules / "lists" / "absolute_ban.txt").open("a", encoding="utf-8") as f:
        f.write("宇宙第一\n")
    r = client.post("/v1/rules/reload", headers=auth)
    assert r.status_code == 200 and r.json()["version"] != before
    v = client.post("/v1/check", json={"text": "【信使商城】宇宙第一好用"}).json()
    assert any(f["matched"] == "宇宙第一" for f in v["findings"])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
MESSAGE = st.fixed_dictionaries(
    {"text": st.text(max_size=200)},
    optional={
        "type": st.sampled_from(
            ["marketing", "notification", "verification", "", "x", "MARKETING"]
        ),
        "industry": st.sampled_from(["air", "finance", "", "??"]) | st.none(),
        "send_at": st.sampled_from(["2026-11-11T22:30", "2026-11-11T10:00:00Z", "bad", ""])
        | st.none(),
        "id": st.text(max_size=5) | st.integers(),
        "profile": st.sampled_from(["default", "tencent", "nope"]),
    },
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=JSON | MESSAGE)
def test_no_json_input_gives_a_500(client: httpx.Client, payload: object) -> None:
    for path in ("/v1/check", "/v1/check/batch"):
        body = (
            {"messages": [payload]}
            if path.endswith("batch") and isinstance(payload, dict)
            else payload
        )
        r = client.post(
            path, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )
        assert r.status_code < 500, r.text
        data = r.json()
        assert "error" in data or "verdict" in data or "results" in data


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.binary(max_size=300),
    ctype=st.sampled_from(
        ["application/json", "text/plain", "application/json; charset=utf-8", ""]
    ),
)
def test_no_bytes_give_a_500(client: httpx.Client, raw: bytes, ctype: str) -> None:
    r = client.post("/v1/check", content=raw, headers={"content-type": ctype})
    assert (r.status_code < 500 and "error" in r.json()) or r.status_code == 200


def test_check_can_add_the_engagement_score(client: httpx.Client) -> None:
    text = "【信使商城】王先生，您有3张满200减50券待领，本周日前有效。拒收请回复R"
    plain = client.post("/v1/check", json={"text": text}).json()
    assert "score" not in plain
    scored = client.post("/v1/check?score=true", json={"text": text}).json()
    assert scored["verdict"] == plain["verdict"] == "allow"
    assert 0 < scored["score"]["score"] < 1 and scored["score"]["reasons"]
    _err(client.post("/v1/check?score=maybe", json={"text": text}), 422, "invalid_request")
