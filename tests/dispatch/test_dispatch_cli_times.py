"""Dispatch CLI output shows Beijing wall-clock times (ISO 8601, +08:00), never epoch seconds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ISO_BEIJING = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def xinshi(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XINSHI_DATA_DIR": str(data), "TZ": "UTC"}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "dispatch", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_enqueue_and_status_print_beijing_times(tmp_path: Path) -> None:
    before = time.time()
    r = xinshi(tmp_path, "enqueue", "--phone", "13812345678", "--template", "order_confirmed",
               "--param", "order=1111000123", "--key", "k-1", "--send-at", "2026-12-24T10:00")  # fmt: skip
    assert r.returncode == 0, r.stderr
    queued = json.loads(r.stdout)
    assert queued["not_before"] == "2026-12-24T10:00:00+08:00"  # as the user wrote it
    assert ISO_BEIJING.match(queued["expires_at"])
    created = datetime.fromisoformat(queued["created_at"])
    assert ISO_BEIJING.match(queued["created_at"]) and abs(created.timestamp() - before) < 60

    r = xinshi(tmp_path, "status", queued["id"])
    assert r.returncode == 0, r.stderr
    record = json.loads(r.stdout)
    assert record["created_at"] == queued["created_at"]
    assert record["history"] and all(ISO_BEIJING.match(h["at"]) for h in record["history"])
    numbers = re.findall(r'"\w+_at": \d', r.stdout) + re.findall(r'"at": \d', r.stdout)
    assert not numbers  # no epoch seconds left anywhere


def test_schedule_prints_the_next_firing_in_beijing_time(tmp_path: Path) -> None:
    r = xinshi(tmp_path, "schedule", "--id", "s-1", "--cron", "0 6 * * *", "--template",
               "order_confirmed", "--param", "order=1", "--phone", "13812345678")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert re.match(r"^\d{4}-\d\d-\d\dT06:00:00\+08:00$", json.loads(r.stdout)["next_fire_at"])


def test_enqueue_and_status_mask_the_recipient_unless_asked(tmp_path: Path) -> None:
    r = xinshi(tmp_path, "enqueue", "--phone", "13812345678", "--template", "order_confirmed",
               "--param", "order=1111000123", "--key", "k-mask")  # fmt: skip
    assert r.returncode == 0, r.stderr
    queued = json.loads(r.stdout)
    assert queued["phone"] == "+86138****5678"
    assert "12345678" not in r.stdout

    r = xinshi(tmp_path, "status", queued["id"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["phone"] == "+86138****5678"
    assert "12345678" not in r.stdout

    r = xinshi(tmp_path, "status", queued["id"], "--show-phone")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["phone"] == "+8613812345678"
