"""xinshi ab ... as a user runs it (subprocess), and GET /v1/ab/{experiment} on a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RULES
from tests.processes import HTTP, serving


def xinshi(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XINSHI_DATA": str(data), "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "ab", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("abdata")
    r = xinshi("demo", data=data)
    assert r.returncode == 0, r.stderr
    assert "next: xinshi ab report demo_promo" in r.stdout
    return data


def test_demo_then_report_in_the_terminal_and_as_png(demo_data: Path, tmp_path: Path) -> None:
    png = tmp_path / "ab.png"
    r = xinshi("report", "demo_promo", "--plot", str(png), data=demo_data)
    assert r.returncode == 0, r.stderr
    assert "short_link：点击率 +" in r.stdout and "— 胜出：校正后显著" in r.stdout
    assert "SRM check (equal split): p = 1 (ok)" in r.stdout
    assert (
        "Best send hours: 14:00" in r.stdout
        or "Best send hours: 15:00" in r.stdout
        or "Best send hours: 16:00" in r.stdout
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_report_json(demo_data: Path) -> None:
    r = xinshi("report", "demo_promo", "--metric", "revenue", "--json", data=demo_data)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["metric"] == "revenue" and d["control"] == "control"
    assert {c["variant"] for c in d["comparisons"]} == {"emoji", "short_link"}
    assert all(isinstance(v["revenue_fen"], int) for v in d["variants"])


def test_report_errors(demo_data: Path, tmp_path: Path) -> None:
    r = xinshi("report", "nope", data=demo_data)
    assert r.returncode == 2
    assert r.stderr == f"error: no experiment 'nope' in {demo_data}; known: demo_promo\n"
    r = xinshi("report", "demo_promo", "--metric", "opens", data=demo_data)
    assert (r.returncode, r.stderr) == (
        2,
        "error: unknown metric 'opens'; one of click, conversion, delivery, revenue\n",
    )
    r = xinshi("report", "x", data=tmp_path / "empty")
    assert r.returncode == 2 and "no event store at" in r.stderr


def test_ingest_reports_each_file(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "experiment,variant,message_id,recipient,event,ts\ne,A,m1,h1,sent,2026-11-11 10:00\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "experiment,variant,message_id,recipient,event,ts\ne,A,m1,h1,opened,2026-11-11 10:00\n"
    )
    data = tmp_path / "data"
    r = xinshi("ingest", str(good), str(bad), data=data)
    assert r.returncode == 1
    assert r.stdout == f"{good}: 1 rows, 1 new events added\n"
    assert f"{bad}:2: event: unknown event 'opened'" in r.stderr
    r = xinshi("ingest", str(good), data=data)
    assert r.stdout == f"{good}: already ingested (1 rows); nothing added\n"
    assert xinshi("list", data=data).stdout == "e\n"


@pytest.fixture(scope="module")
def ab_server(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("abapi") / "server.log"
    env = {"XINSHI_DATA": str(demo_data), "XINSHI_WATCH_RULES": "0"}
    with serving(RULES, log, env) as url:
        yield url


def test_api_report_matches_the_cli(ab_server: str, demo_data: Path) -> None:
    r = HTTP.get(f"{ab_server}/v1/ab/demo_promo", timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    cli = json.loads(xinshi("report", "demo_promo", "--json", data=demo_data).stdout)
    assert r.json() == cli
    r = HTTP.get(f"{ab_server}/v1/ab/demo_promo", params={"metric": "conversion"}, timeout=30)
    assert r.json()["metric"] == "conversion"
    metrics = HTTP.get(f"{ab_server}/metrics", timeout=30).text  # labelled by route template
    assert (
        'xinshi_http_requests_total{method="GET",route="/v1/ab/{experiment}",status="200"}'
        in metrics
    )


def test_api_errors(ab_server: str, demo_data: Path) -> None:
    r = HTTP.get(f"{ab_server}/v1/ab/nope", timeout=30)
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "code": "not_found",
            "message": f"no experiment 'nope' in {demo_data}",
            "field": "experiment",
        }
    }
    r = HTTP.get(f"{ab_server}/v1/ab/demo_promo", params={"metric": "opens"}, timeout=30)
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "invalid_request",
        "message": "unknown metric 'opens'; one of click, conversion, delivery, revenue",
        "field": "metric",
    }
