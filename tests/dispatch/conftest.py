"""Real processes on 127.0.0.1: the fake provider, the API, the worker."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port, start, stop

KEY = "dispatch-test-key"
CALLBACK_SECRET = "callback-test-secret-0123456789"


class Stack:
    """A fake provider, an API server (receipts, replies, /v1/messages) and a data dir."""

    def __init__(self, tmp: Path, fake: str, api: str, env: dict[str, str]) -> None:
        self.tmp, self.fake, self.api, self.env = tmp, fake, api, env
        self.data = tmp / "data"

    def worker(self, *extra: str) -> subprocess.Popen[bytes]:
        args = [
            "dispatch",
            "worker",
            "--provider",
            f"aliyun={self.fake}",
            "--provider",
            f"tencent={self.fake}",
            *extra,
        ]
        return start(args, self.tmp / "worker.log", self.env)

    def stats(self) -> dict[str, object]:
        return dict(httpx.get(f"{self.fake}/_stats", timeout=5).json())


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    fake_port, api_port = free_port(), free_port()
    env = {
        "XINSHI_DATA_DIR": str(tmp_path / "data"),
        "XINSHI_API_KEYS": KEY,
        "XINSHI_WATCH_RULES": "0",
        "XINSHI_CALLBACK_SECRET": CALLBACK_SECRET,
        "XINSHI_DISPATCH_SECRET": "dispatch-test-secret-0123",
    }
    api = f"http://127.0.0.1:{api_port}"
    fake = f"http://127.0.0.1:{fake_port}"
    procs = [
        start(
            [
                "dispatch",
                "fake-provider",
                "--port",
                str(fake_port),
                "--latency-ms",
                "5",
                "--callback",
                f"{api}/v1/dispatch",
                "--receipt-delay",
                "0.1",
                "--hang",
                "4",
            ],
            tmp_path / "fake.log",
            env,
            f"{fake}/_stats",
        ),
        start(["serve", "--port", str(api_port)], tmp_path / "api.log", env, f"{api}/healthz"),
    ]
    yield Stack(tmp_path, fake, api, env)
    for p in procs:
        stop(p)
