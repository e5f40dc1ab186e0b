"""Tracked links: the destination passes the link rules; /r/{code} redirects only to those."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from engine.dispatch import Outbox
from engine.dispatch.destinations import MAX_URL_CHARS
from tests.dispatch.api_server import AUTH, Api, api_server
from tests.dispatch.conftest import BACKENDS, outbox_url
from tests.processes import HTTP

GOOD = "https://m.xinshi-mall.cn/1111"


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One server per outbox backend."""
    with api_server(
        tmp_path_factory.mktemp("links"), database_url=outbox_url(request.param)
    ) as running:
        yield running


def _send(api: Api, key: str, url: str, track: bool = True) -> httpx.Response:
    body: dict[str, Any] = {
        "idempotency_key": key,
        "phone": "13812345678",
        "template": "double11",
        "params": {"name": "尊敬的会员", "url": url},
        "track_links": track,
    }
    return HTTP.post(f"{api.url}/v1/messages", json=body, headers=AUTH, timeout=10)


def _error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == code, err
    return err


def test_a_raw_ip_apk_link_is_refused_with_and_without_tracking(api: Api) -> None:
    url = "http://47.98.12.34/app.apk"
    plain = _error(_send(api, "ip-plain", url, track=False), 422, "not_allowed")
    assert "link_policy.raw_ip" in plain["message"]
    tracked = _error(_send(api, "ip-tracked", url), 422, "link_not_allowed")
    assert tracked["field"] == "params.url"
    assert "使用了IP地址链接" in tracked["message"]
    # one merged finding names every rule on the span (a raw-IP link is also a fraud signal)
    assert "(link_policy.raw_ip, fraud.ip_link, link_policy.app_download)" in tracked["message"]
    assert "same rules apply with or without track_links" in tracked["message"]


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("https://t.cn/A6xYz12", "link_policy.shortener"),
        ("https://xinshi-sale.top/1111", "link_policy.domain_not_allowlisted"),
        ("https://m.xinshi-mall.cn/app.apk", "link_policy.app_download"),
    ],
)
def test_every_link_rule_applies_to_the_destination(api: Api, url: str, rule: str) -> None:
    err = _error(_send(api, f"rule-{rule}", url), 422, "link_not_allowed")
    named = re.findall(r"\(([a-z_.]+(?:, [a-z_.]+)*)\)", err["message"])  # merged rules too
    assert any(rule in group.split(", ") for group in named), err["message"]


def test_url_length_is_bounded(api: Api) -> None:
    query = "?utm_source=sms&id=" + "1234567890" * 500
    long = (GOOD + query)[:5000]
    err = _error(_send(api, "long", long), 422, "url_too_long")
    assert err["field"] == "params.url"
    assert err["message"] == (
        f"the link has 5000 characters; the limit is {MAX_URL_CHARS}. "
        "Use a shorter landing page address"
    )
    at_limit = (GOOD + query)[:MAX_URL_CHARS]
    assert _send(api, "at-limit", at_limit).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "https://m.xinshi-mall.cn@47.98.12.34/a",  # the rules see one host, a browser another
        "https://m.xinshi-mall.cn\\@47.98.12.34/a",
        "https://例子.cn/a",  # not a host the link rules can read
        "https://m.xinshi-mall.cn:99999/a",
        "https://evil.example/a",  # a TLD the link rules do not know as one
    ],
)
def test_links_that_hide_their_host_are_refused(api: Api, url: str) -> None:
    err = _error(_send(api, f"hide-{url}", url), 422, "invalid_link")
    assert err["field"] == "params.url"
    assert "not a plain http(s) address the link rules can check" in err["message"]


def test_an_allowed_link_redirects_and_unknown_codes_are_404(api: Api) -> None:
    r = _send(api, "good", GOOD)
    assert r.status_code == 201, r.text
    code = r.json()["params"]["url"].rsplit("/", 1)[1]
    hop = HTTP.get(f"{api.url}/r/{code}", timeout=10)
    assert hop.status_code == 302 and hop.headers["location"] == GOOD
    for unknown in ("AAAAAAAA", "x" * 40, "a-b"):
        err = _error(HTTP.get(f"{api.url}/r/{unknown}", timeout=10), 404, "not_found")
        assert "location" not in HTTP.get(f"{api.url}/r/{unknown}", timeout=10).headers
        assert err["field"] == "code"
    page = HTTP.get(f"{api.url}/r/AAAAAAAA", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "链接不存在或已失效" in page.text


def test_a_stored_destination_that_fails_the_rules_is_never_a_redirect(api: Api) -> None:
    r = _send(api, "tampered", GOOD)
    assert r.status_code == 201, r.text
    code = r.json()["params"]["url"].rsplit("/", 1)[1]
    # a row stored before destinations were checked, or edited by hand
    outbox = Outbox(api.outbox_target)
    with outbox.transaction() as db:
        db.execute("UPDATE link SET url=? WHERE code=?", ("http://47.98.12.34/x.apk", code))
    outbox.close()
    hop = HTTP.get(f"{api.url}/r/{code}", timeout=10)
    assert hop.status_code == 404 and "location" not in hop.headers
    assert hop.json()["error"]["code"] == "not_found"
