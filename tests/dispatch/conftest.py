"""Real processes on 127.0.0.1: the fake provider, the API, the worker."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.dispatch.config import DispatchSettings
from tests.pg import fresh_url
from tests.processes import HTTP, free_port, start, stop

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

    @property
    def outbox_target(self) -> Path | str:
        """The outbox this stack's API and workers use: its PostgreSQL URL, else the SQLite
        file in its data directory."""
        return (
            self.env.get("XINSHI_DATABASE_URL") or DispatchSettings.from_env(self.data).outbox_path
        )

    def stats(self) -> dict[str, object]:
        return dict(HTTP.get(f"{self.fake}/_stats", timeout=5).json())


@contextmanager
def running_stack(
    tmp: Path, database_url: str | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """Start the fake provider and the API with their own data directory under ``tmp`` (and
    the outbox in PostgreSQL when ``database_url`` is given; ``extra_env`` for both)."""
    fake_port, api_port = free_port(), free_port()
    env = {
        "XINSHI_DATA_DIR": str(tmp / "data"),
        "XINSHI_API_KEYS": KEY,
        "XINSHI_WATCH_RULES": "0",
        "XINSHI_CALLBACK_SECRET": CALLBACK_SECRET,
        "XINSHI_DISPATCH_SECRET": "dispatch-test-secret-0123",
    }
    if database_url:
        env["XINSHI_DATABASE_URL"] = database_url
    env.update(extra_env or {})
    api = f"http://127.0.0.1:{api_port}"
    fake = f"http://127.0.0.1:{fake_port}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
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
                tmp / "fake.log",
                env,
                f"{fake}/_stats",
            )
        )
        procs.append(
            start(["serve", "--port", str(api_port)], tmp / "api.log", env, f"{api}/healthz")
        )
        yield Stack(tmp, fake, api, env)
    finally:
        for p in procs:
            stop(p)


BACKENDS = ["sqlite", "postgres"]


def outbox_url(backend: str) -> str | None:
    """None keeps the outbox in the data directory (SQLite); "postgres" gives an empty schema of
    the session's throwaway cluster."""
    return fresh_url() if backend == "postgres" else None


@pytest.fixture(params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    """A fresh stack, once per outbox backend: for tests that run a worker (it sends whatever
    is queued) or that count everything the provider or the data directory saw."""
    with running_stack(tmp_path, outbox_url(request.param)) as running:
        yield running


@pytest.fixture(scope="module", params=BACKENDS)
def shared_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """One stack per module and backend for tests that run no worker and read back only their
    own messages and events (each start costs seconds of CPU)."""
    with running_stack(tmp_path_factory.mktemp("stack"), outbox_url(request.param)) as running:
        yield running


StoreAt = Callable[[str], "Path | str"]


@pytest.fixture(params=["sqlite", "postgres"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> StoreAt:
    """Where a test's outbox lives, once on each backend: ``store_at("outbox.db")`` is that
    file under the test's directory (SQLite) or, for PostgreSQL, a URL whose search path is an
    empty schema of the session's throwaway cluster (the same name gives the same schema)."""
    urls: dict[str, str] = {}

    def at(name: str) -> Path | str:
        if request.param == "sqlite":
            return tmp_path / name
        if name not in urls:
            urls[name] = fresh_url()
        return urls[name]

    return at
