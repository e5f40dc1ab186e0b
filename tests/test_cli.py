"""The xinshi command as a user runs it: a real subprocess, real files, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

XINSHI = [sys.executable, "-m", "engine.cli"]  # the same app as the xinshi console script


def check(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``xinshi check ARGS``."""
    return run("check", *args, stdin=stdin)


def run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    # an empty stdin, never the test runner's: `xinshi check` with no TEXT reads a piped stdin
    data = b"" if stdin is None else stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run([*XINSHI, *args], input=data, capture_output=True, timeout=120)
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def test_allowed_message_exits_0() -> None:
    r = check(
        "【信使商城】验证码386512，用于登录，5分钟内有效，请勿泄露给他人。",
        "--type",
        "verification",
    )
    assert r.returncode == 0, r.stderr
    assert "ALLOW" in r.stdout


def test_blocked_message_exits_1_and_highlights_the_finding() -> None:
    r = check("【信使商城】尊敬的会员，全场最低价。拒收请回复R")
    assert r.returncode == 1
    assert "BLOCK" in r.stdout and "absolute_claim.superlative" in r.stdout and "最低价" in r.stdout


def test_review_only_exits_3() -> None:
    r = check("【信使商城】尊敬的会员，独家首发降噪耳机，11月5日上架。拒收请回复R")
    assert r.returncode == 3, r.stdout


def test_json_output_is_the_verdict_contract() -> None:
    r = check("【信使商城】全场最低价", "--json", "--send-at", "2026-11-11T23:00")
    data = json.loads(r.stdout)
    assert data["verdict"] == "block"
    assert {"send_window.marketing", "absolute_claim.superlative", "unsubscribe.missing"} <= {
        f["rule_id"] for f in data["findings"]
    }


def test_usage_errors_exit_2_with_a_message() -> None:
    r = check("你好", "--type", "promo")
    assert r.returncode == 2 and "unknown message type 'promo'" in r.stderr
    r = check()
    assert r.returncode == 2
    r = check("你好", "--demo")
    assert r.returncode == 2 and "exactly one of" in r.stderr


def test_jsonl_keeps_order_ids_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "id": "a",
                "text": "【信使商城】验证码386512，用于登录，5分钟内有效，请勿泄露。",
                "type": "verification",
            }
        ),
        "{not json",
        json.dumps({"id": "c", "text": "【信使商城】全场最低价"}),
        json.dumps({"id": "d", "text": "x", "colour": "red"}),
        json.dumps({"id": 5, "text": "x", "send_at": "soon"}),
        "",
        json.dumps(["a list"]),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = check("--jsonl", str(path))
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "c", "d", "5", None]
    assert out[0]["verdict"] == "allow"
    assert out[1]["line"] == 2 and out[1]["error"]["code"] == "invalid_json"
    assert out[2]["verdict"] == "block"
    assert out[3]["error"]["field"] == "colour" and "unknown field" in out[3]["error"]["message"]
    assert out[4]["error"]["field"] == "send_at"
    assert out[5]["line"] == 7
    assert r.returncode == 2  # an input error wins over the block on line 3


def test_jsonl_from_stdin() -> None:
    r = check(
        "--jsonl",
        "-",
        stdin=json.dumps(
            {"id": "s", "text": "【信使商城】您的订单已发货。", "type": "notification"}
        )
        + "\n",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["id"] == "s" and out["verdict"] == "allow" and out["findings"] == []


def test_jsonl_invalid_utf8_is_an_error_line() -> None:
    r = check("--jsonl", "-", stdin=b'{"text": "ok"}\n\xff\xfe bad\n')
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert out[-1]["error"]["code"] == "invalid_utf8"


def test_missing_jsonl_file_is_a_usage_error(tmp_path: Path) -> None:
    r = check("--jsonl", str(tmp_path / "nope.jsonl"))
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_demo_runs_and_summarises() -> None:
    r = check("--demo")
    assert r.returncode == 0, r.stderr
    assert "12 demo messages" in r.stdout and "block" in r.stdout and "allow" in r.stdout
    assert "demo: 5 allowed, 0 review, 7 block (these are examples" in r.stdout


@pytest.mark.parametrize("cmd", [("rules", "show"), ("rules", "test")])
def test_rules_commands(cmd: tuple[str, ...]) -> None:
    r = run(*cmd)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rules" in r.stdout or "rule examples behave as written" in r.stdout


def test_findings_say_the_evasion_and_size_in_chinese() -> None:
    r = check("【信使商城】您的订单已发货，售后请联系152接0033再接4711", "--type", "notification")
    assert r.returncode == 1, r.stderr
    out = " ".join(r.stdout.split())  # the line may wrap anywhere
    assert "BLOCK 33 字 · 计费 1 条 · 规则集 " in out
    said = "“152接0033再接4711”（变形写法：分段拼接）（另见contact_diversion.mobile_in_notice）"
    assert said in out.replace(" ", "")
    for internal in ("evasion", "joined_parts", "chars", "segment(s)", "also:"):
        assert internal not in r.stdout, internal
