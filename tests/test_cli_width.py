"""Plain output at 80 columns: no line wider than the terminal, CJK counted as 2 columns."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.test_cli import XINSHI

RULES = Path(__file__).parent.parent / "rules"
LONG = (
    "【信使商城】尊敬的会员，全场最低价，加V信领券！双11爆款降噪耳机直降200元，"
    "点击 m.xinshi-mall.cn/s 抢购，这是一条很长很长的营销短信，用于测试八十列下的折行。"
)


def columns(line: str) -> int:
    """Display width as a terminal draws it (independent of engine.cli.render)."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in line
    )


def run80(*args: str, stdin: str = "", width: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(width)}
    proc = subprocess.run(
        [*XINSHI, *args], input=stdin.encode(), capture_output=True, timeout=120, env=env
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def assert_fits(out: str, width: int = 80) -> None:
    wide = [line for line in out.splitlines() if columns(line) > width]
    assert not wide, "\n".join(wide)


def test_check_wraps_under_labels_at_80_columns() -> None:
    r = run80("check", LONG)
    assert r.returncode == 1, r.stderr
    assert_fits(r.stdout)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("  【信使商城】") and lines[1].startswith("  ")  # message indented
    assert all(line.strip() != "→" for line in lines)  # the arrow keeps its suggestion
    arrows = [line for line in lines if line.lstrip().startswith("→")]
    assert arrows and all(len(line.strip()) > 2 for line in arrows)
    # every continuation of a finding is indented under its label, never at column 0
    head = next(i for i, line in enumerate(lines) if line.startswith("BLOCK"))
    assert all(line.startswith("  ") for line in lines[:head] + lines[head + 1 :])
    joined = "".join(line.strip() for line in lines)
    assert "contact_diversion.private_im" in joined.replace(" ", "")


def test_demo_fits_80_columns() -> None:
    r = run80("check", "--demo")
    assert r.returncode == 0, r.stderr
    assert_fits(r.stdout)


def test_variants_use_the_terminal_width(tmp_path: Path) -> None:
    drafts = tmp_path / "drafts.txt"
    drafts.write_text(
        "【信使商城】双11全场5折起，爆款耳机直降200元，点击 m.xinshi-mall.cn/s 抢购。拒收请回复R\n"
        "【信使商城】会员专享：降噪耳机今日限时8折，库存有限，先到先得。拒收请回复R\n",
        encoding="utf-8",
    )
    r = run80("variants", str(drafts))
    assert r.returncode == 0, r.stderr
    assert_fits(r.stdout)
    assert "★ 最佳合规营销草稿：" in r.stdout
    wide = run80("variants", str(drafts), width=120)
    assert max(columns(line) for line in wide.stdout.splitlines()) > 80  # not pinned to 80 either


@pytest.mark.parametrize("width", [80, 60])
def test_rules_diff_keeps_rule_ids_whole(tmp_path: Path, width: int) -> None:
    old = tmp_path / "old"
    shutil.copytree(RULES, old)
    (old / "packs" / "contact_diversion.yaml").unlink()
    (old / "frames.yaml").unlink()  # its frames name contact_diversion rules
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "m1", "text": "【信使商城】尊敬的会员，加V信领券，全场五折！拒收请回复R"})
        + "\n",
        encoding="utf-8",
    )
    r = run80("rules", "diff", "--corpus", str(corpus), "--old", str(old), "--new", str(RULES),
              width=width)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert_fits(r.stdout, width)
    assert "…" not in r.stdout  # nothing truncated with an ellipsis
    cells = "".join(line.split("│")[1].strip() for line in r.stdout.splitlines() if "│" in line)
    assert "contact_diversion.private_im" in cells
    assert "contact_diversion.evasive_spelling" in cells  # folded, if at all, never cut
