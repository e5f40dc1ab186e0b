"""`xinshi check TEXT [options]` answered without typer (engine.cli.fast): the same output,
errors and exit codes as the typer app gives for the same arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli.fast import parse_check

TEXT = "【信使商城】验证码386512，5分钟内有效，请勿泄露给他人。"
SPAM = "验证码：123456，点击 http://x.cn 领取 加微信abc123"
TYPER = [sys.executable, "-c", "from engine.cli.commands import app; app()"]
FAST = [sys.executable, "-m", "engine.cli"]


def _run(cmd: list[str], args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    proc = subprocess.run(
        [*cmd, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("cache")
    return {**os.environ, "XINSHI_CACHE_DIR": str(cache), "COLUMNS": "80"}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", TEXT, "--type", "verification"], 0),
        (["check", SPAM], 1),
        (["check", "--type", "notification", SPAM, "--json"], 1),
        (["check", TEXT, "--type", "verificaton"], 2),
        (["check", TEXT, "--send-at", "tomorrow"], 2),
        (["check", TEXT, "--profile", "nosuch", "--industry", "finance"], 2),
        (["check", TEXT, "--rules", "/nonexistent/rules"], 2),
    ],
)
def test_the_fast_path_answers_as_the_typer_app(
    env: dict[str, str], args: list[str], code: int
) -> None:
    assert parse_check(args[1:]) is not None  # these take the fast path
    fast = _run(FAST, args, env)
    assert fast == _run(TYPER, args, env)
    assert fast[0] == code, fast[2]
    if code == 2:  # one line for a bad option; rule errors list each error on its own line
        assert fast[2].startswith("error: ")
        assert fast[2].count("\n") == 1 or "rules directory not found" in fast[2]
        assert "Traceback" not in fast[2]


def test_a_plain_check_imports_no_command_framework(env: dict[str, str]) -> None:
    args = ["check", TEXT, "--type", "verification"]
    proc = subprocess.run(
        [*FAST[:1], "-X", "importtime", *FAST[1:], *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    imported = {ln.rsplit("|", 1)[-1].strip() for ln in proc.stderr.splitlines()}
    assert not imported & {"typer", "click", "rich"}, sorted(imported & {"typer", "rich"})


@pytest.mark.parametrize(
    "args",
    [
        [TEXT, "--type=verification"],  # = form
        [TEXT, "--type", "verification", "--type", "marketing"],  # repeated
        ["-", "--type", "verification"],  # stdin
        [TEXT, "--help"],
        [TEXT, "--demo"],
        [TEXT, "another"],
        ["--type", "verification"],  # no TEXT
        [TEXT, "--type"],  # no value
    ],
)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert parse_check(args) is None


def test_the_equals_form_still_works_through_typer(env: dict[str, str]) -> None:
    code, out, err = _run(FAST, ["check", TEXT, "--type=verification"], env)
    assert code == 0, err
    assert "ALLOW" in out
    assert Path(env["XINSHI_CACHE_DIR"]).is_dir()


def test_an_old_console_script_still_finds_the_app() -> None:
    # scripts installed before the entry point became engine.cli:main run engine.cli:app
    import typer

    from engine.cli import app, main

    assert isinstance(app, typer.Typer)
    assert callable(main)
