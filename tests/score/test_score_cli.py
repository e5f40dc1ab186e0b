"""xinshi variants / model train / model simulate, through a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from engine.score import load_model
from tests.conftest import ROOT

WEAK = "【优选商城】全场5折！速来抢购！戳 t.cn/A6x1，拒收请回复R"
STRONG = (
    "【优选商城】${name}，您有3张满200减50券待领，有效期至本周日，点击 t.cn/A6x1 领取，拒收请回复R"
)
BLOCKED = "【优选商城】${name}，全网最低价，您有3张满200减50券待领，有效期至本周日，点击 t.cn/A6x1 领取，拒收请回复R"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_variants_ranks_txt_and_marks_best_compliant(tmp_path: Path) -> None:
    f = tmp_path / "drafts.txt"
    f.write_text("\n".join([WEAK, BLOCKED, STRONG]) + "\n", encoding="utf-8")
    r = _run("variants", str(f), "--json", "--price", "0.05")
    assert r.returncode == 0, r.stderr
    rows = [orjson.loads(line) for line in r.stdout.splitlines()]
    assert [row["text"] for row in rows][-1] == WEAK
    best = [row for row in rows if row["best"]]
    assert (
        len(best) == 1 and best[0]["text"] == STRONG
    )  # the blocked one scores higher but is not best
    blocked = next(row for row in rows if row["text"] == BLOCKED)
    assert blocked["verdict"] == "block" and "absolute_claim.superlative" in blocked["findings"]
    assert blocked["score"] >= best[0]["score"]
    assert best[0]["segments"] == 1 and best[0]["cost_per_10k"] == 500.0


def test_variants_table_from_csv(tmp_path: Path) -> None:
    f = tmp_path / "drafts.csv"
    f.write_text(f"id,text,send_at\nA,{WEAK},2026-11-25T20:00\nB,{STRONG},\n", encoding="utf-8")
    r = _run("variants", str(f))
    assert r.returncode == 0, r.stderr
    assert "★ 最佳合规营销草稿：B" in r.stdout and "¥/万条" in r.stdout
    assert "营销" in r.stdout and "单价 ¥0.045/条" in r.stdout
    for internal in ("marketing", "review", "allow", "drafts", "predicted"):
        assert internal not in r.stdout, internal


def test_variants_jsonl_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "drafts.jsonl"
    f.write_text(
        orjson.dumps({"id": "x", "text": WEAK, "colour": 1}).decode() + "\n", encoding="utf-8"
    )
    r = _run("variants", str(f))
    assert r.returncode == 2 and f"{f}:1: colour: unknown field" in r.stderr
    only_blocked = tmp_path / "b.txt"
    only_blocked.write_text(BLOCKED, encoding="utf-8")
    r = _run("variants", str(only_blocked))
    assert r.returncode == 1 and "没有合规草稿：每条草稿都被拦截" in r.stdout
    r = _run("variants", str(tmp_path / "missing.txt"))
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_simulate_then_train_on_events(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    r = _run("model", "simulate", str(events), "--campaigns", "40")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "models"
    r = _run("model", "train", "--events", str(events), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "held out 10 campaigns: AUC" in r.stdout
    model = load_model(out)
    assert model.trained_on == "events"
    card = (out / "CARD.md").read_text(encoding="utf-8")
    assert "SIMULATED" not in card and "Retrain on your own events" in card


def test_train_reports_bad_events(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"text": "x", "clicked": true}\n', encoding="utf-8")
    r = _run("model", "train", "--events", str(events), "--out", str(tmp_path))
    assert r.returncode == 2 and f"{events}:1: missing 'campaign_id'" in r.stderr


def test_shipped_card_says_simulated() -> None:
    card = (ROOT / "models" / "CARD.md").read_text(encoding="utf-8")
    assert "trained on SIMULATED data" in card
    assert load_model().version in card


def test_variants_ranks_and_stars_each_type_apart(tmp_path: Path) -> None:
    notice = "【优选商城】您的订单已发货，单号SF1234567，请留意查收"
    f = tmp_path / "drafts.jsonl"
    lines = [{"text": WEAK}, {"text": notice, "type": "notification"}, {"text": STRONG}]
    f.write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\n")
    r = _run("variants", str(f), "--json")
    assert r.returncode == 0, r.stderr
    rows = [orjson.loads(line) for line in r.stdout.splitlines()]
    by_text = {row["text"]: row for row in rows}
    # the notice is ranked among notices only: 1 of 1, its own ★; marketing drafts 1 and 2 of 2
    assert (by_text[notice]["rank"], by_text[notice]["rank_of"]) == (1, 1)
    assert by_text[notice]["type"] == "notification" and by_text[notice]["best"]
    assert sorted(by_text[t]["rank"] for t in (WEAK, STRONG)) == [1, 2]
    assert {by_text[t]["rank_of"] for t in (WEAK, STRONG)} == {2}
    assert [row["text"] for row in rows if row["best"] and row["type"] == "marketing"] == [STRONG]
