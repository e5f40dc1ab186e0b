"""Schema-driven fuzzing of every endpoint: no 5xx, and every error is the JSON error shape.

schemathesis generates requests from the served /openapi.json, valid and invalid (wrong types,
missing fields, odd strings), and sends them to a real `xinshi serve` on loopback with a data
directory, so the dispatch routes write for real. Requests carry a key with every scope the
routes need, and callbacks are signed as a provider signs them, so the fuzzer reaches the
handlers rather than the 401s. The default run is a quick pass (a few cases per operation); the
``slow`` run goes deeper.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from engine.api import docs
from engine.api.app import create_app
from engine.api.settings import Settings
from tests.dispatch.api_server import AUTH, DISPATCH_SECRET, Api, api_server, signed

# Per operation. The quick pass is derandomised (the same cases every run); the deep one draws
# new cases each run, so CI's runs add up to far more than one run's 50. At 150 it was a sixth
# of the whole suite's time, mostly in the few operations whose cases each cost a check.
QUICK = int(os.environ.get("XINSHI_FUZZ_EXAMPLES", "8"))
DEEP = int(os.environ.get("XINSHI_FUZZ_DEEP_EXAMPLES", "50"))
HTML_404 = "/r/{code}"  # a browser asking for an unknown short link gets a page, not JSON


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with api_server(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


ONE_RULE = """\
category: fraud
rules:
  - id: a
    kind: forbidden
    severity: block
    match: {words: [违禁词]}
    message: 含违禁词
    suggestion: 删除
    source: 测试
    examples: {flag: [违禁词], pass: [你好]}
"""


def _schema() -> Any:
    """The app's OpenAPI document (the same the server serves: see the last test)."""
    config = SchemathesisConfig()
    config.projects.default.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    )
    # The document does not depend on the rules, so a one-rule set builds it in a fraction of
    # the shipped rules' load (the last test compares it with the served one). The secret comes
    # from the environment: building the app writes nothing to the working directory.
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock.patch.dict(os.environ, {"XINSHI_DISPATCH_SECRET": DISPATCH_SECRET}),
    ):
        (Path(tmp) / "packs").mkdir()
        (Path(tmp) / "packs" / "demo.yaml").write_text(ONE_RULE, encoding="utf-8")
        app = create_app(dataclasses.replace(Settings(), rules_dir=Path(tmp)))
        document = docs.with_components(app.openapi())  # as /openapi.json serves it
    return schemathesis.openapi.from_dict(document, config=config)


schema = _schema()  # loaded at collection: schemathesis' from_fixture needs pytest < 9


class SigningSession(requests.Session):
    """Signs each callback push over the exact bytes sent, keeping the generated Content-Type."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if "/v1/dispatch/" in (request.url or ""):
            body = request.body or b""
            raw = body.encode() if isinstance(body, str) else bytes(body)
            ctype = request.headers.get("Content-Type", "")
            request.headers.update(signed(raw, ctype))
            if not ctype:
                del request.headers["Content-Type"]
        return super().send(request, **kwargs)


def _check(case: Any, api: Api) -> None:
    with SigningSession() as session:
        r = case.call(
            base_url=api.url, session=session, headers=AUTH, timeout=30, allow_redirects=False
        )
    where = f"{case.method} {case.formatted_path}: {r.status_code} {r.text[:300]}"
    assert r.status_code < 500, where
    if r.status_code < 400:
        return
    ctypes = {k.lower(): v for k, v in r.headers.items()}.get("content-type", [""])
    ctype = ctypes[0] if isinstance(ctypes, list) else ctypes
    if case.path == HTML_404 and ctype.startswith("text/html"):
        return
    assert ctype == "application/json", where
    error = r.json().get("error")
    assert isinstance(error, dict) and set(error) == {"code", "message", "field"}, where
    assert isinstance(error["code"], str) and isinstance(error["message"], str), where
    assert error["field"] is None or isinstance(error["field"], str), where


@schema.parametrize()
@settings(
    max_examples=QUICK,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_input_gets_a_5xx_or_a_non_json_error(case: Any, api: Api) -> None:
    _check(case, api)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=DEEP, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_input_gets_a_5xx_deep(case: Any, api: Api) -> None:
    _check(case, api)


def test_the_fuzzer_sees_the_served_document_and_every_request_body(api: Api) -> None:
    """The fuzzed document is the served one; the POST routes publish their body schema."""
    doc = httpx.get(f"{api.url}/openapi.json", timeout=10).json()
    assert doc == schema.raw_schema
    for path in ("/v1/messages", "/v1/events", "/v1/approvals", "/v1/conversions",
                 "/v1/variants", "/v1/check", "/v1/check/batch",
                 "/v1/dispatch/campaigns/{name}/resume", "/v1/dispatch/signatures/{name}/resume",
                 "/v1/dispatch/templates/{name}/resume"):  # fmt: skip
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        ref = body["schema"]["$ref"].removeprefix("#/components/schemas/")
        assert doc["components"]["schemas"][ref]["type"] == "object", path
