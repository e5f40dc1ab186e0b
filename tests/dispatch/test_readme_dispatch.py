"""README's Dispatch commands work as written: queue a message, the worker sends it to the fake."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.processes import free_port, stop

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    section = README.split("## Dispatch\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("(Aliyun and Tencent wire formats on 127.0.0.1):\n\n", 1)[1].split(
        "\n\n", 1
    )[0]
    return [line.strip() for line in block.splitlines()]


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300  # a give-up limit: a loaded machine starts slowly
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server on port {port} exited with {proc.returncode}"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after 300 s")


def test_readme_sends_a_message_to_the_fake_provider(tmp_path: Path) -> None:
    port = str(free_port())
    env = {**os.environ}
    background: list[subprocess.Popen[bytes]] = []
    last = ""
    try:
        for cmd in _commands():
            cmd = cmd.replace("9100", port)
            if cmd.startswith("export "):
                name, value = cmd.removeprefix("export ").split("=", 1)
                env[name] = str(tmp_path / value)
                continue
            args = shlex.split(cmd.rstrip("& "))
            assert args[0] == "xinshi"
            argv = [sys.executable, "-m", "engine.cli", *args[1:]]
            if cmd.endswith("&"):
                background.append(
                    subprocess.Popen(
                        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                )
                if "--port" in args:  # a server: poll until it listens (the worker needs none)
                    _wait_listening(int(args[args.index("--port") + 1]), background[-1])
                continue
            deadline = time.monotonic() + 120
            while True:  # the worker may need a moment
                r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
                assert r.returncode == 0, r.stderr
                last = r.stdout
                if (
                    args[1:3] != ["dispatch", "status"]
                    or json.loads(last) == {"accepted": 1}
                    or time.monotonic() > deadline
                ):
                    break
                time.sleep(0.3)
    finally:
        for p in background:
            stop(p)
    assert json.loads(last) == {"accepted": 1}
    assert '`status` prints `{"accepted": 1}`' in README
