"""Provider rate limits come from configuration and hold for all workers together (issue 15,
item 3): each live worker takes an equal share, counted through heartbeats in the outbox."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from engine.dispatch.events import EventWriter
from engine.dispatch.lanes import default_policies
from engine.dispatch.outbox import Outbox
from engine.dispatch.providers.aliyun import AliyunProvider
from engine.dispatch.providers.tencent import TencentProvider
from engine.dispatch.templates import load_templates
from engine.dispatch.worker import Worker, WorkerOptions
from engine.ruleset import load_ruleset
from tests.conftest import RULES
from tests.dispatch.conftest import StoreAt


def _worker(outbox: Outbox, tmp: Path) -> Worker:
    providers = [AliyunProvider("http://127.0.0.1:9", timeout=1),
                 TencentProvider("http://127.0.0.1:9", timeout=1)]  # fmt: skip
    options = WorkerOptions(qps={"aliyun": 120.0})  # tencent keeps its default (3,000/s)
    return Worker(outbox, providers, load_templates(), load_ruleset(RULES), default_policies(),
                  EventWriter(tmp / "events", "s"), options)  # fmt: skip


def _shares(w: Worker) -> tuple[float, float]:
    return w.buckets["aliyun"].max_rate, w.buckets["tencent"].max_rate


def test_live_workers_split_each_providers_rate_and_a_leaver_gives_its_share_back(
    store_at: StoreAt,
    tmp_path: Path,
) -> None:
    outbox = Outbox(store_at("outbox.db"))
    a, b, c = (_worker(outbox, tmp_path) for _ in range(3))
    now = time.time()
    asyncio.run(a.maintain(now))
    assert _shares(a) == (120.0, 3000.0)
    asyncio.run(b.maintain(now + 0.1))
    asyncio.run(c.maintain(now + 0.2))
    asyncio.run(a.maintain(now + 1))
    assert _shares(a) == (40.0, 1000.0) and _shares(c) == (40.0, 1000.0)
    assert a.peers == 3
    outbox.leave(b.worker_id)  # b stopped cleanly
    asyncio.run(a.maintain(now + 2))
    assert _shares(a) == (60.0, 1500.0)
    # c was killed (no goodbye): after 10 s without a heartbeat its share returns too
    asyncio.run(a.maintain(now + 12.5))
    assert _shares(a) == (120.0, 3000.0) and a.peers == 1
    assert a.buckets["aliyun"].rate <= 120.0


def test_a_qps_for_a_provider_that_is_not_configured_is_a_usage_error(tmp_path: Path) -> None:
    env = {**os.environ, "XINSHI_DATA_DIR": str(tmp_path / "data")}
    for bad in ("tencent=5", "aliyun=fast", "aliyun=0", "aliyun"):
        r = subprocess.run(
            [sys.executable, "-m", "engine.cli", "dispatch", "worker", "--provider",
             "aliyun=http://127.0.0.1:9", "--qps", bad],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert r.returncode == 2, (bad, r.stderr)
        assert (
            f"--qps {bad!r}: write it as NAME=RATE with NAME one of the providers (aliyun)"
            in r.stderr
        )
