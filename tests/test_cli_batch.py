"""xinshi check over many messages: stdin lines, JSONL input errors, the demo's exit code."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import check

ALLOWED = "【信使商城】您的订单已发货，可在App-我的订单查看物流。"
BLOCKED = "【信使商城】尊敬的会员，全场最低价。拒收请回复R"


def test_dash_reads_one_message_per_line_and_skips_blank_lines() -> None:
    r = check("-", "--type", "notification", stdin=f"{ALLOWED}\n\n   \n{BLOCKED}\n")
    assert r.returncode == 1, r.stderr
    assert r.stdout.count("ALLOW") == 1 and r.stdout.count("BLOCK") == 1
    assert "absolute_claim.superlative" in r.stdout
    assert r.stdout.index("ALLOW") < r.stdout.index("BLOCK")  # input order


def test_piped_stdin_without_an_argument_is_checked() -> None:
    r = check("--type", "notification", stdin=ALLOWED + "\n")
    assert r.returncode == 0, r.stderr
    assert "ALLOW" in r.stdout and r.stderr == ""


def test_dash_json_prints_one_object_per_line() -> None:
    r = check("-", "--json", stdin=f"{BLOCKED}\n\n{BLOCKED.replace('全场最低价', '新品上架')}\n")
    assert r.returncode == 1, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 3]
    assert [o["verdict"] for o in out] == ["block", "allow"]


def test_empty_stdin_is_a_usage_error() -> None:
    r = check("-", stdin="\n  \n")
    assert r.returncode == 2
    assert r.stderr.startswith("error: no message on stdin") and "xinshi check -" in r.stderr


def test_dash_with_a_bad_option_is_a_usage_error() -> None:
    r = check("-", "--type", "promo", stdin=ALLOWED + "\n")
    assert r.returncode == 2 and "unknown message type 'promo'" in r.stderr


def test_jsonl_bad_lines_go_to_stderr_with_file_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "sends.jsonl"
    lines = [
        json.dumps({"id": "ok", "text": BLOCKED}),
        "{not json",
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "extra", "text": ALLOWED, "colour": "red"}),
        json.dumps({"id": "fine", "text": ALLOWED, "type": "notification"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = check("--jsonl", str(path))
    assert r.returncode == 2  # the input error wins over the block on line 1
    err = r.stderr.splitlines()
    assert err[0].startswith(f"{path}:2: not valid JSON") and '{"text": "..."}' in err[0]
    assert err[1] == f'{path}:3: text: missing; every line needs "text": "the message"'
    assert err[2].startswith(f"{path}:4: colour: unknown field; known fields: id, text")
    assert err[3] == f"error: 3 invalid line(s) in {path}; the other 2 were checked"
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o.get("verdict") for o in out] == ["block", None, None, None, "allow"]


def test_jsonl_from_stdin_names_stdin_in_errors() -> None:
    r = check("--jsonl", "-", stdin='{"text": "' + ALLOWED + '", "type": "notification"}\n[1]\n')
    assert r.returncode == 2
    assert r.stderr.splitlines()[0].startswith("<stdin>:2: not a JSON object")


def test_jsonl_all_valid_keeps_the_verdict_code(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps({"text": BLOCKED}) + "\n", encoding="utf-8")
    r = check("--jsonl", str(path))
    assert r.returncode == 1 and r.stderr == ""


def test_demo_says_how_many_were_blocked_and_exits_0() -> None:
    r = check("--demo")
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("demo: 5 allowed, 0 review, 7 block (these are examples")
