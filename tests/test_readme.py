"""README's two commands stay true: CI runs the same test command, and the demo runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return [line.strip() for line in README.splitlines() if line.startswith("    ")][:2]


def test_readme_gives_a_setup_and_a_test_command() -> None:
    setup, tests = _commands()
    assert "xinshi check --demo" in setup and "pip install" in setup
    assert "pytest" in tests


def test_ci_runs_readmes_exact_test_command() -> None:
    _, tests = _commands()
    assert tests in CI.splitlines()


def test_readme_demo_command_works() -> None:
    demo = re.sub(r"^.*&& ", "", _commands()[0]).replace(".venv/bin/xinshi", "")
    r = subprocess.run(
        [sys.executable, "-m", "engine.cli", *demo.split()],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert "demo messages" in r.stdout


def test_readme_verdict_example_is_what_check_returns() -> None:
    from engine import check, make_message

    text = re.search(r'^    xinshi check "(.+?)"$', README, re.M)
    block = re.search(r"### The verdict \(output contract\).*?```json\n(.*?)```", README, re.S)
    assert text and block, "README lost its first check example or its verdict example"
    shown = json.loads(block.group(1))
    actual = check(make_message(text.group(1), id="m-1")).to_dict()
    for key in ("ruleset_version", "ruleset_commit"):  # change with every rule edit
        assert shown.pop(key) and actual.pop(key) is not None
    assert shown == actual, "README's verdict example is stale; paste:\n" + json.dumps(
        actual, ensure_ascii=False, indent=2
    )
