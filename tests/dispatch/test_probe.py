"""xinshi probe against two fakes with different behaviour files (issue 16, items 3-4): the stress
step's delivery rate within 2 points of the configured rate, latency order, hidden fees in the
cost per delivered message, compare, Ctrl-C, and clear errors for bad input."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from engine.cli.probe import parse_at
from engine.dispatch.carriers import carrier_of, sample_numbers
from engine.dispatch.probe_report import compare, compare_markdown
from tests.processes import HTTP, free_port, start, stop, xinshi

FAST = """\
delivery_rate: {cmcc: 0.99, cucc: 0.98, ctcc: 0.98, virtual: 0.92}
receipt_latency_ms: {p50: 40, p95: 100}
submit_latency_ms: {p50: 2, p95: 6}
qps_limit: 5000
content_filter: [贷款, 花呗]
price_fen_per_segment: 4.5
bill_failed: false
seed: 3
"""
SLOW = """\
delivery_rate: {cmcc: 0.93, cucc: 0.92, ctcc: 0.92, virtual: 0.85}
receipt_latency_ms: {p50: 300, p95: 700}
submit_latency_ms: {p50: 150, p95: 300}
qps_limit: 5000
price_fen_per_segment: 4.0
bill_failed: true
seed: 4
"""
N = 1000


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("XINSHI_")}


@contextmanager
def _fake(tmp: Path, name: str, behaviour: str, listen: int) -> Iterator[str]:
    (tmp / f"{name}.yaml").write_text(behaviour, encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["dispatch", "fake-provider", "--port", str(port), "--behaviour",
            str(tmp / f"{name}.yaml"), "--callback", f"http://127.0.0.1:{listen}"]  # fmt: skip
    proc = start(args, tmp / f"{name}.log", {}, f"{url}/_stats")
    try:
        yield url
    finally:
        stop(proc)


def _expected(rates: dict[str, float]) -> float:
    numbers = [n for n, _, _ in sample_numbers()]
    mix = Counter(carrier_of(numbers[i % len(numbers)]) for i in range(N))
    return sum(rates[c] * n for c, n in mix.items()) / N


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    tmp = tmp_path_factory.mktemp("probe")
    out = {}
    for kind, name, behaviour in (("aliyun", "fast", FAST), ("tencent", "slow", SLOW)):
        listen = free_port()
        with _fake(tmp, name, behaviour, listen) as url:
            r = xinshi(_env(), "probe", "--provider", f"{kind}={url}", "--count", str(N),
                       "--rate", "150", "--listen", f"127.0.0.1:{listen}", "--out",
                       str(tmp / name), "--price", behaviour.split("price_fen_per_segment: ")[1]
                       .split()[0], "--receipt-wait", "30")  # fmt: skip
            assert r.returncode == 0, r.stderr
            assert "stress: " in r.stderr and f"wrote {tmp / name}.json" in r.stderr
            out[name] = json.loads((tmp / f"{name}.json").read_text())
            out[name]["_texts"] = HTTP.get(f"{url}/_texts").json()
        out[name]["_md"] = (tmp / f"{name}.md").read_text()  # type: ignore[index]
        out[name]["_dir"] = str(tmp)  # type: ignore[index]
    return out


def test_stress_measures_the_configured_delivery_rate(
    reports: dict[str, dict[str, object]],
) -> None:
    for name, rates in (("fast", {"cmcc": 0.99, "cucc": 0.98, "ctcc": 0.98, "virtual": 0.92}),
                        ("slow", {"cmcc": 0.93, "cucc": 0.92, "ctcc": 0.92, "virtual": 0.85})):  # fmt: skip
        s = reports[name]["stress"]
        assert s["sent"] == s["accepted"] == N and s["no_receipt"] == 0  # type: ignore[index]
        want = _expected(rates)
        # N = 1,000: one standard error is 0.4 (fast) and 0.9 (slow) points
        assert abs(s["delivery_rate"] - want) <= 0.02, (name, s["delivery_rate"], want)  # type: ignore[index]
        assert s["delivery_rate_low"] <= want <= s["delivery_rate_high"]  # type: ignore[index]
        assert s["throttled"] == s["errors"] == 0 and not s["interrupted"]  # type: ignore[index]


def test_latency_order_and_hidden_fees(reports: dict[str, dict[str, object]]) -> None:
    fast, slow = reports["fast"]["stress"], reports["slow"]["stress"]
    assert fast["submit_ms"]["p50"] < slow["submit_ms"]["p50"]  # type: ignore[index]
    assert fast["receipt_ms"]["p50"] < slow["receipt_ms"]["p50"]  # type: ignore[index]
    assert fast["receipt_ms"]["p95"] < slow["receipt_ms"]["p95"]  # type: ignore[index]
    assert slow["receipt_ms"]["p50"] >= 300  # type: ignore[index]
    # fast bills delivered messages only; slow bills every accepted one
    assert fast["billed_segments"] == fast["delivered"] and fast["cost_per_delivered_fen"] == 4.5  # type: ignore[index]
    assert slow["billed_segments"] == N  # type: ignore[index]
    assert slow["cost_per_delivered_fen"] == pytest.approx(4.0 * N / slow["delivered"], 1e-4)  # type: ignore[index]
    md = reports["slow"]["_md"]
    assert "# 平台测试报告：tencent" in md and "| 每条送达成本 |" in md and "█" in md  # type: ignore[operator]


def test_compare_says_which_provider_wins_each_measure(
    reports: dict[str, dict[str, object]],
) -> None:
    tmp = Path(str(reports["fast"]["_dir"]))
    r = xinshi(_env(), "probe", "compare", str(tmp / "fast.json"), str(tmp / "slow.json"), "--json")
    assert r.returncode == 0, r.stderr
    won = {m["measure"]: m["winner"] for m in json.loads(r.stdout)["measures"]}
    assert won["delivery rate"] == won["receipt p50 ms"] == won["submit p50 ms"] == "A"
    # B's 4.0 fen a segment comes to about 4.35 per delivered message: still under A's 4.5
    assert won["cost per delivered (fen)"] == "B" and won["throttled"] is None  # a tie
    r = xinshi(_env(), "probe", "compare", str(tmp / "slow.json"), str(tmp / "fast.json"))
    assert "| delivery rate |" in r.stdout and "| B aliyun |" in r.stdout
    assert r.stdout.strip().endswith("measures.")
    r = xinshi(_env(), "probe", "compare", str(tmp / "fast.md"), str(tmp / "slow.json"))
    assert r.returncode == 2 and r.stderr.startswith(f"error: {tmp / 'fast.md'}: not JSON")


def test_ctrl_c_stops_the_probe_and_still_writes_what_it_measured(tmp_path: Path) -> None:
    listen = free_port()
    with _fake(tmp_path, "fast", FAST, listen) as url:
        log = tmp_path / "probe.log"
        proc = start(["probe", "--provider", f"aliyun={url}", "--count", "5000", "--rate", "100",
                      "--listen", f"127.0.0.1:{listen}", "--out", str(tmp_path / "cut")],
                     log, _env())  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while "stress: " not in log.read_text() or log.read_text().count("stress: ") < 2:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=60) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
    report = json.loads((tmp_path / "cut.json").read_text())
    s = report["stress"]
    assert s["interrupted"] is True and 50 <= s["sent"] < 5000
    assert s["accepted"] == s["sent"] and s["delivered"] > 0
    assert "已中断" in (tmp_path / "cut.md").read_text()
    assert "interrupted: " in log.read_text()


def test_bad_input_gets_clear_errors(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    r = xinshi(_env(), "probe", "--provider", f"aliyun=http://127.0.0.1:{port}", "--count",
               "20", "--listen", f"127.0.0.1:{free_port()}")  # fmt: skip
    assert r.returncode == 2
    assert (
        "error: provider aliyun cannot be reached: the first 10 sends all failed to connect"
        in r.stderr
    )
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("13800000000\n12345\n# a comment\n\n+1 415 555 0100\n", encoding="utf-8")
    r = xinshi(
        _env(), "probe", "--provider", "aliyun=http://127.0.0.1:9", "--numbers", str(numbers)
    )
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert lines[0].startswith(f"error: {numbers}:2: phone") and lines[1].startswith(
        f"{numbers}:5:"
    )
    assert "not a mainland China number" in lines[1]
    r = xinshi(_env(), "probe", "--provider", "aliyun=http://127.0.0.1:9", "--at", "friday")
    assert r.returncode == 2 and "write a Beijing time like 'fri 19:00'" in r.stderr
    r = xinshi(_env(), "probe", "--provider", "aliyun=x")
    assert r.returncode == 2 and "write it as KIND=URL" in r.stderr


def test_refused_credentials_stop_the_probe(tmp_path: Path) -> None:
    listen = free_port()
    numbers = tmp_path / "n.txt"
    numbers.write_text("13800000012\n", encoding="utf-8")  # the fake's wrong-credentials number
    with _fake(tmp_path, "fast", FAST, listen) as url:
        r = xinshi(_env(), "probe", "--provider", f"aliyun={url}", "--numbers", str(numbers),
                   "--count", "30", "--listen", f"127.0.0.1:{listen}")  # fmt: skip
    assert r.returncode == 2
    assert "refused the account on the first 10 sends (InvalidAccessKeyId.NotFound)" in r.stderr


def test_at_is_the_next_such_beijing_time() -> None:
    friday_noon = 1764907200.0  # 2025-12-05 12:00 Beijing, a Friday
    assert parse_at("fri 19:00", friday_noon) == friday_noon + 7 * 3600
    assert parse_at("fri 11:00", friday_noon) == friday_noon + 7 * 86400 - 3600
    assert parse_at("sat 08:30", friday_noon) == friday_noon + 86400 - 3.5 * 3600
    assert parse_at("09:00", friday_noon) == friday_noon + 21 * 3600
    for bad in ("friday", "fri 25:00", "19h", "fri sat 19:00"):
        with pytest.raises(ValueError, match="like 'fri 19:00'"):
            parse_at(bad, friday_noon)


def test_compatibility_covers_every_carrier_region_and_form(
    reports: dict[str, dict[str, object]],
) -> None:
    compat = reports["fast"]["compatibility"]
    cells = compat["cells"]  # type: ignore[index]
    forms = {"probe_short", "probe_long", "probe_emoji", "probe_traditional", "probe_link"}
    assert {c["form"] for c in cells} == forms
    assert {c["carrier"] for c in cells} == {"cmcc", "cucc", "ctcc", "virtual"}
    assert len({(c["carrier"], c["region"]) for c in cells}) == 28  # the shipped blocks' cells
    assert all(c["sent"] == c["accepted"] == 1 for c in cells)
    s = compat["summary"]  # type: ignore[index]
    long_delivered = sum(c["delivered"] for c in cells if c["form"] == "probe_long")
    # the long form (93 characters) is billed as 2 segments; failures are free at this one
    assert s["billed_segments"] == s["delivered"] + long_delivered
    assert "## 兼容性测试 Compatibility" in reports["fast"]["_md"]  # type: ignore[operator]


def test_fault_step_never_lets_a_blocked_message_reach_the_provider(
    reports: dict[str, dict[str, object]],
) -> None:
    for name in ("fast", "slow"):
        fault = reports[name]["fault"]
        assert fault["expected_blocked"] == fault["stopped_by_xinshi"] == 4  # type: ignore[index]
        assert fault["missed"] == [] and fault["blocked_sent"] == 0  # type: ignore[index]
        assert fault["borderline_sent"] == 4  # type: ignore[index]
        texts = reports[name]["_texts"]
        blocked = [c["text"] for c in fault["cases"] if c["verdict"] == "block"]  # type: ignore[index]
        assert len(blocked) == 4 and not set(blocked) & set(texts)  # type: ignore[arg-type]
        sent = [c["text"] for c in fault["cases"] if c["sent"]]  # type: ignore[index]
        assert set(sent) <= set(texts)  # type: ignore[arg-type]
    reactions = {c["id"]: c["provider"] for c in reports["fast"]["fault"]["cases"]}  # type: ignore[index]
    # the fast fake filters 贷款 and 花呗: its content-filter code, recorded per case
    assert reactions["loan_mention"] == reactions["installments"] == (
        "content_filter (isv.SMS_CONTENT_ILLEGAL)")  # fmt: skip
    assert reactions["gambling"] is None and reactions["invoice_ready"] in (
        "delivered",
        "undelivered (MK:0001)",
        "undelivered (UNDELIV)",
        "undelivered (DB:0141)",
    )
    assert reports["fast"]["fault"]["provider_filtered"] == 2  # type: ignore[index]
    assert reports["slow"]["fault"]["provider_filtered"] == 0  # type: ignore[index]
    assert "被拦的消息发到平台的有 0 条" in reports["fast"]["_md"]  # type: ignore[operator]


def test_compare_covers_compatibility_and_fault_when_both_reports_ran_them() -> None:
    def report(delivered: int, cells: list[tuple[int, int]], filtered: int) -> dict[str, Any]:
        return {
            "provider": "p",
            "stress": {"delivery_rate": 0.99},
            "compatibility": {
                "summary": {"accepted": 100, "delivered": delivered},
                "cells": [{"sent": s, "delivered": d} for s, d in cells],
            },
            "fault": {"borderline_sent": 4, "provider_filtered": filtered},
        }

    a = report(97, [(5, 5), (5, 4), (5, 5)], filtered=2)
    b = report(99, [(5, 5), (5, 5), (5, 5)], filtered=0)
    rows = {r["measure"]: r for r in compare(a, b)}
    assert rows["compatibility delivery rate"] == {
        "measure": "compatibility delivery rate",
        "a": 0.97,
        "b": 0.99,
        "winner": "B",
    }
    assert (
        rows["compatibility cells all delivered"]["a"],
        rows["compatibility cells all delivered"]["b"],
    ) == (2, 3)
    assert rows["fault: borderline delivered"]["winner"] == "B"
    assert rows["delivery rate"]["winner"] is None  # a tie on stress
    # a report without the step: the row shows what one side measured and names no winner
    only_stress = {"provider": "q", "stress": {"delivery_rate": 0.98}}
    rows = {r["measure"]: r for r in compare(a, only_stress)}
    assert rows["fault: borderline delivered"] == {
        "measure": "fault: borderline delivered",
        "a": 2,
        "b": None,
        "winner": None,
    }
    md = compare_markdown(a, only_stress, compare(a, only_stress))
    assert "| compatibility delivery rate | 97.00% | – | – |" in md, md
