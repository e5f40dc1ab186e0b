"""Progress on long runs: a counter on a terminal's stderr, and nothing in pipes or logs."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from tests.test_cli import XINSHI, run

LINE = json.dumps({"text": "【信使商城】您的订单已发货。", "type": "notification"})


def run_with_tty_stderr(*args: str, tty_stdout: bool = False) -> tuple[int, str, str]:
    """Run xinshi with stderr on a pseudo-terminal; return (exit code, stdout, the terminal)."""
    master, slave = pty.openpty()
    stdout = slave if tty_stdout else subprocess.PIPE
    proc = subprocess.Popen([*XINSHI, *args], stdin=subprocess.DEVNULL, stdout=stdout, stderr=slave)
    os.close(slave)
    seen = b""
    while True:  # read until the child closes the terminal (EIO on Linux)
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=120)
    os.close(master)
    return proc.returncode, (out or b"").decode(), seen.decode()


def test_jsonl_counts_on_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text((LINE + "\n") * 300, encoding="utf-8")
    code, out, tty = run_with_tty_stderr("check", "--jsonl", str(path))
    assert code == 0
    assert "\rchecked: 300" in tty
    assert len(out.splitlines()) == 300 and "checked" not in out  # stdout stays verdicts only


def test_no_counter_tearing_verdicts_printed_to_the_same_terminal(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text((LINE + "\n") * 20, encoding="utf-8")
    code, _, tty = run_with_tty_stderr("check", "--jsonl", str(path), tty_stdout=True)
    assert code == 0 and tty.count('"verdict":"allow"') == 20 and "checked:" not in tty


def test_no_progress_when_stderr_is_a_pipe(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text((LINE + "\n") * 50, encoding="utf-8")
    r = run("check", "--jsonl", str(path))
    assert r.returncode == 0 and r.stderr == ""


def test_rules_diff_counts_on_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text((LINE + "\n") * 40, encoding="utf-8")
    rules = str(Path(__file__).parent.parent / "rules")
    code, out, tty = run_with_tty_stderr(
        "rules", "diff", "--corpus", str(path), "--old", rules, "--new", rules
    )
    assert code == 0, tty
    assert "\rreplayed: 40 of 40" in tty and "40 messages" in out
    r = run("rules", "diff", "--corpus", str(path), "--old", rules, "--new", rules)
    assert r.returncode == 0 and "replayed" not in r.stderr
