"""The fixes over HTTP: `xinshi serve` on 127.0.0.1; apply a fix from the response, send the
fixed text back, and the finding is gone."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import RULES
from tests.processes import serving


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp = tmp_path_factory.mktemp("fixes")
    rules = tmp / "rules"
    shutil.copytree(RULES, rules)
    with (
        serving(rules, tmp / "server.log", {"XINSHI_WATCH_RULES": "0"}) as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield client


def _variants(api: httpx.Client, drafts: list[Any], **options: Any) -> list[dict[str, Any]]:
    r = api.post("/v1/variants", json={"drafts": drafts, **options})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["results"]
    return rows


def _finding(row: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(f for f in row["findings"] if rule_id == f["rule_id"] or rule_id in f["related"])


def _apply(text: str, fix: dict[str, Any]) -> str:
    return text[: fix["start"]] + fix["text"] + text[fix["end"] :]


def test_the_opt_out_insert_fix_clears_the_block(api: httpx.Client) -> None:
    text = "【信使商城】尊敬的会员，冬装上新，满300减50，12月8日截止。"
    (row,) = _variants(api, [text])
    assert row["verdict"] == "block"
    (fix,) = _finding(row, "unsubscribe.missing")["fixes"]
    assert fix == {
        "kind": "insert", "start": len(text), "end": len(text), "text": "拒收请回复R",
        "label": "在末尾加上退订方式“拒收请回复R”",
    }  # fmt: skip
    (again,) = _variants(api, [_apply(text, fix)])
    assert "unsubscribe.missing" not in {f["rule_id"] for f in again["findings"]}
    assert again["verdict"] == "allow"
    # the profile's own line (qiniu: 回T退订)
    (qiniu,) = _variants(api, [text], profile="qiniu")
    assert _finding(qiniu, "unsubscribe.missing")["fixes"][0]["text"] == "回T退订"


def test_the_signature_insert_fix_uses_the_callers_signature(api: httpx.Client) -> None:
    text = "尊敬的会员，冬装上新，满300减50，12月8日截止。拒收请回复R"
    (row,) = _variants(api, [text], signature="信使商城")
    (fix,) = _finding(row, "signature.missing")["fixes"]
    assert (fix["kind"], fix["start"], fix["end"], fix["text"]) == ("insert", 0, 0, "【信使商城】")
    (again,) = _variants(api, [_apply(text, fix)])
    assert "signature.missing" not in {f["rule_id"] for f in again["findings"]}
    # without one, a placeholder and what to ask for
    (asked,) = _finding(_variants(api, [text])[0], "signature.missing")["fixes"]
    assert asked["text"] == "【签名】" and asked["placeholder"] == "签名" and asked["ask"]


def test_a_bad_signature_is_refused(api: httpx.Client) -> None:
    r = api.post("/v1/variants", json={"drafts": ["x"], "signature": "【信使商城】"})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == {
        "code": "invalid_request",
        "message": "signature: the sender's name, 2-12 characters without 【】 (e.g. 信使商城)",
        "field": "signature",
    }


def test_the_link_finding_and_its_delete_stop_before_the_comma(api: httpx.Client) -> None:
    text = "【优选商城】全场满200减50，点 http://t.cn/abc，拒收请回复R"
    (row,) = _variants(api, [text])
    link = _finding(row, "link_policy.domain_not_allowlisted")
    assert text[link["start"] : link["end"]] == link["matched"] == "http://t.cn/abc"
    (fix,) = link["fixes"]
    assert fix["kind"] == "delete" and text[fix["start"] : fix["end"]] == "，点 http://t.cn/abc"
    assert text[fix["end"]] == "，"
    fixed = _apply(text, fix)
    assert fixed == "【优选商城】全场满200减50，拒收请回复R"
    (again,) = _variants(api, [fixed])
    assert not [f for f in again["findings"] if f["category"] == "link_policy"]


def test_every_fix_in_a_response_clears_its_finding(api: httpx.Client) -> None:
    drafts = [
        # (not 全场最低价: cut to 全场！领券, the content model reads an absolute claim at P 0.6
        # and the gate rightly drops that fix)
        "【优选商城】${name}，耳机最低价！领券 t.cn/A6x1，拒收请回复R",
        "全场满200减50，加 V 信 abc123 领券",
        "【优选商城】验证码386512，5分钟内有效，请勿泄露。拒收请回复R",
    ]
    rows = _variants(api, drafts, signature="优选商城")
    rows[2:] = _variants(api, [{"text": drafts[2], "type": "verification"}])
    applied = 0
    for row in rows:
        for f in row["findings"]:
            for fix in f["fixes"]:
                fixed = _apply(row["text"], fix)
                kind = "verification" if row is rows[2] else "marketing"
                (again,) = _variants(api, [{"text": fixed, "type": kind}])
                left = [
                    g for g in again["findings"] if f["rule_id"] in (g["rule_id"], *g["related"])
                ]
                before = [
                    g for g in row["findings"] if f["rule_id"] in (g["rule_id"], *g["related"])
                ]
                assert len(left) < len(before), (fixed, f["rule_id"])
                applied += 1
    assert applied >= 5
    assert all(row["fixes_dropped"] >= 0 for row in rows)
    # no stray mark where the cut was (the old page left ${name}，！领券)
    first = _finding(rows[0], "absolute_claim.superlative")["fixes"][0]
    assert (
        _apply(rows[0]["text"], first) == "【优选商城】${name}，耳机！领券 t.cn/A6x1，拒收请回复R"
    )
