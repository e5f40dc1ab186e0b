"""Lean install and cold start (issue 14): lazy subcommands, missing extras, --version.

A missing extra is made real: a ``sitecustomize`` on PYTHONPATH puts an import finder first
that answers "No module named ..." for the blocked packages, exactly as Python does when a
package is not installed. The CLI and the server then run as subprocesses, as users run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from engine.cli import LazyGroup
from engine.cli.group import _load
from tests.processes import free_port, start, stop, xinshi

AB = ["duckdb", "scipy", "numpy", "matplotlib", "sklearn"]
DISPATCH = ["phonenumbers", "croniter", "aiohttp", "httpx"]
TEXT = "【信使商城】验证码386512，5分钟内有效，请勿泄露给他人。"
ROOT = Path(__file__).resolve().parents[1]

BLOCKER = """
import os
import sys

_BLOCKED = set(os.environ.get("XINSHI_TEST_BLOCK", "").split(","))


class _Hide:
    # a finder that finds nothing for the blocked packages: as if not installed
    # (importlib.util.find_spec answers None, import raises ModuleNotFoundError)

    def __init__(self, inner):
        self._inner = inner

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _BLOCKED:
            return None
        find = getattr(self._inner, "find_spec", None)
        return None if find is None else find(name, path, target)

    def __getattr__(self, attr):
        return getattr(self._inner, attr)


sys.meta_path[:] = [_Hide(f) for f in sys.meta_path]
"""


def _env(tmp_path: Path, blocked: list[str]) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    root = str(Path(__file__).resolve().parent.parent)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), root]),
        "XINSHI_TEST_BLOCK": ",".join(blocked),
        "XINSHI_CACHE_DIR": str(tmp_path / "cache"),
        "XINSHI_DATA_DIR": str(tmp_path / "data"),
        "XINSHI_DATA": str(tmp_path / "ab"),
    }


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import duckdb"],
        env=_env(tmp_path, ["duckdb"]),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "ModuleNotFoundError: No module named 'duckdb'" in proc.stderr


def test_check_runs_without_any_extra(tmp_path: Path) -> None:
    env = _env(tmp_path, AB + DISPATCH)
    proc = xinshi(env, "check", TEXT, "--type", "verification", "--json")
    assert proc.returncode == 0, proc.stderr
    assert '"verdict": "allow"' in proc.stdout
    proc = xinshi(env, "check", "加微信领取免费色情视频", "--json")
    assert proc.returncode == 1, proc.stderr
    assert '"verdict": "block"' in proc.stdout
    proc = xinshi(env, "rules", "check")
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout


@pytest.mark.parametrize(
    ("blocked", "args", "extra", "missing"),
    [
        (AB, ["ab", "list"], "ab", "duckdb"),
        (AB, ["ab", "report", "exp1"], "ab", "duckdb"),
        (AB, ["model", "simulate", "x.jsonl", "--campaigns", "2"], "score", "numpy"),
        (DISPATCH, ["dispatch", "status", "k1"], "dispatch", "phonenumbers"),
        (DISPATCH, ["dispatch", "--help"], "dispatch", "phonenumbers"),
    ],
)
def test_a_command_names_its_missing_extra(
    tmp_path: Path, blocked: list[str], args: list[str], extra: str, missing: str
) -> None:
    proc = xinshi(_env(tmp_path, blocked), *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    line = proc.stderr.strip()
    assert line.startswith(f"error: xinshi {args[0]}: ")
    assert f"'{extra}' extra ({missing} is not installed)" in line
    assert line.endswith(f"pip install 'xinshi[{extra}]'")
    assert "\n" not in line


def _imported(env: dict[str, str], *args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "engine.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1, 3), proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("import time:")]
    return {ln.rsplit("|", 1)[-1].strip() for ln in lines}


def test_help_and_version_import_no_subcommand(tmp_path: Path) -> None:
    env = _env(tmp_path, [])
    heavy = {"engine.check", "engine.ruleset", "engine.cli.ab", "engine.cli.dispatch"}
    heavy |= {"engine.cli.rules", "engine.cli.score", "duckdb", "pydantic", "fastapi"}
    assert not _imported(env, "--help") & heavy
    # --version answers before the command framework loads
    light = heavy | {"typer", "click", "rich", "importlib.metadata"}
    assert not _imported(env, "--version") & light, sorted(_imported(env, "--version") & light)
    help_text = xinshi(env, "--help").stdout
    for name, sub in LazyGroup.subcommands.items():
        assert name in help_text
        assert sub.help[:30] in help_text


def test_a_warm_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    env = _env(tmp_path, [])
    args = ("check", TEXT, "--type", "verification")
    assert xinshi(env, *args).returncode == 0  # fills the ruleset cache
    imported = _imported(env, *args)  # output is a pipe: plain text, no rich
    unused = {"rich", "yaml", "importlib.metadata", "jieba", "engine.message_in"}
    unused |= {"engine.ruleset.load", "engine.ruleset.lint", "engine.cli.rules"}
    # the YAML side of each rule kind (pydantic specs) is for reading rules/, not checking
    unused |= {"engine.ruleset.config", "engine.rule_types.specs"}
    assert not imported & unused, sorted(imported & unused)
    assert not {m for m in imported if m.split(".")[0] == "pydantic"}
    assert "engine.rule_types.forbidden" in imported  # the cached rules were unpickled


def test_runtime_rule_modules_import_no_pydantic() -> None:
    # every runtime half, including kinds the default ruleset may not use
    runtime = sorted(
        f"engine.rule_types.{p.stem}"
        for p in (ROOT / "engine" / "rule_types").glob("*.py")
        if p.stem != "__init__"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {runtime!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'"
        " or m.startswith('engine.rule_types.specs')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert len(runtime) >= 15
    assert proc.stdout.strip() == "[]", proc.stdout


def test_the_version_is_pyprojects() -> None:
    import tomllib

    import engine

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    with pyproject.open("rb") as f:
        assert engine.__version__ == tomllib.load(f)["project"]["version"]


def test_the_listed_help_is_each_subcommands_own() -> None:
    for name, sub in LazyGroup.subcommands.items():
        cmd = _load(name, sub)
        assert cmd.name == name
        assert (cmd.help or "").strip().splitlines()[0] == sub.help


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    proc = xinshi(_env(tmp_path, []), "--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"xinshi {version('xinshi')} (Python 3.")


def test_server_without_extras_serves_checks_and_names_the_extras(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(tmp_path, [m for m in AB + DISPATCH if m != "httpx"])  # the test client
    proc = start(["serve", "--port", str(port)], tmp_path / "serve.log", env, f"{url}/readyz")
    try:
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["missing_extras"] == ["score", "ab", "dispatch"]
        r = httpx.post(f"{url}/v1/check", json={"text": TEXT, "type": "verification"})
        assert r.status_code == 200
        assert r.json()["verdict"] == "allow"
        r = httpx.post(f"{url}/v1/check?score=true", json={"text": TEXT})
        assert r.status_code == 200
        assert "score" in r.json()  # scoring reads JSON weights: no extra needed
        for path in ("/v1/ab", "/v1/ab/exp1", "/v1/ab/exp1/chart.png"):
            r = httpx.get(f"{url}{path}")
            assert r.status_code == 501, path
            err = r.json()["error"]
            assert err["code"] == "extra_missing"
            assert err["message"].endswith("pip install 'xinshi[ab]'")
        for method, path in (
            ("POST", "/v1/messages"),
            ("GET", "/v1/messages/m1"),
            ("POST", "/v1/approvals"),
            ("POST", "/v1/conversions"),
            ("POST", "/v1/dispatch/receipts/aliyun/t0"),
            ("GET", "/r/abc"),
        ):
            r = httpx.request(method, f"{url}{path}", json={})
            assert r.status_code == 501, path
            err = r.json()["error"]
            assert err["code"] == "extra_missing"
            assert "phonenumbers is not installed" in err["message"]
            assert err["message"].endswith("pip install 'xinshi[dispatch]'")
    finally:
        stop(proc)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_callback_provider_names_match_the_providers() -> None:
    from engine.api.settings import CALLBACK_PROVIDERS
    from engine.dispatch.providers import CALLBACKS

    assert set(CALLBACK_PROVIDERS) == set(CALLBACKS)


def test_library_names_stay_functions() -> None:
    import engine
    import engine.check
    import engine.score

    assert callable(engine.check) and engine.check.__name__ == "check"
    assert callable(engine.score) and engine.score.__name__ == "score"
    from engine import check, make_message

    assert check.__module__ == "engine.check"
    assert make_message("验证码123456").text == "验证码123456"


@pytest.mark.parametrize(
    "args",
    [
        ["check", "【京东金融】您的金条账户不符合监管要求，需立即注销，请致电17012345678处理。"],
        ["check", "--demo"],  # the typer path
    ],
)
def test_output_cut_short_by_the_reader_ends_quietly(args: list[str]) -> None:
    """``xinshi check … | head -1``: the reader closes the pipe before the output ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `head` does once it has its line: every write now fails
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) != 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err
