"""The /ab page in a real browser (Debian's Chromium): Chinese conclusions, no "winner" while
the sequential interval says it is too early, orphans, too-few segments and the stated prior.

A small demo (20,000 messages): short_link's lift is significant at a fixed horizon but its
always-valid interval still contains 0, so the page must say "too early", never "胜出".
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import RULES
from tests.processes import serving
from tests.test_ab_edges import _edge_csv


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("abpage")
    env = {"XINSHI_DATA": str(tmp / "data"), "XINSHI_WATCH_RULES": "0"}
    for args in (("demo", "--recipients", "20000"), ("ingest", str(_edge_csv(tmp / "edge.csv")))):
        subprocess.run(
            [sys.executable, "-m", "engine.cli", "ab", *args],
            env={**os.environ, **env}, check=True, capture_output=True,
        )  # fmt: skip
    with serving(RULES, tmp / "server.log", env) as url:
        yield url


def test_json_keeps_english_names_and_says_too_early(site: str) -> None:
    d = httpx.get(f"{site}/v1/ab/demo_promo", timeout=60).json()
    c = {x["variant"]: x for x in d["comparisons"]}["short_link"]
    assert c["p_holm"] < 0.05 and c["always_valid_lift_ci"][0] < 0 < c["always_valid_lift_ci"][1]
    assert c["decision"] == "too_early" and d["power"]["read_early"] is True
    assert c["verdict"].startswith("short_link：点击率 +")
    assert c["verdict"].endswith("现在下结论为时过早，请继续收集") and "胜出" not in c["verdict"]
    assert d["prior"]["statement"] == "each arm's rate ~ Beta(1, 1) before the data"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs it")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors


@pytest.mark.slow
def test_page_says_too_early_and_never_winner(site: str, page: Any) -> None:
    page.goto(f"{site}/ab?experiment=demo_promo&metric=click")
    page.wait_for_selector("ul.verdicts li")
    verdicts = page.locator("ul.verdicts").inner_text()
    assert "short_link：点击率" in verdicts and "为时过早" in verdicts
    assert "胜出" not in verdicts and "winner" not in verdicts
    assert "现在下结论为时过早" in page.locator(".banner.early").inner_text()
    assert page.locator("h2", has_text="各组点击率（对照组：control）").count() == 1
    assert "Beta(1, 1)（均匀先验）" in page.locator(".prior").inner_text()
    assert page.locator("h2", has_text="全部指标（跨指标 × 组统一做 Holm 校正）").count() == 1
    guard = page.locator("table").filter(has_text="护栏").first.inner_text()
    assert "退订率" in guard and "未记录此事件" in guard


@pytest.mark.slow
def test_page_shows_orphans_and_too_few_segments(site: str, page: Any) -> None:
    page.goto(f"{site}/ab?experiment=edge&metric=revenue")
    page.wait_for_selector(".banner.orphans")
    assert (
        page.locator(".banner.orphans")
        .inner_text()
        .startswith("有 3 条消息只有点击、转化等后续事件而没有发送记录（ghost 2，treat 1）")
    )
    assert "carrier=ctcc（treat）" in page.locator(".too-few").inner_text()
    assert "差值采用平坦（无信息）先验" in page.locator(".prior").inner_text()
    # every warning in Chinese: no run of English words such as "has events but no sends"
    for banner in page.locator(".banner").all_inner_texts():
        assert not re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", banner), banner


def test_png_titles_are_chinese_and_every_glyph_has_a_font(tmp_path: Path) -> None:
    import warnings

    from engine.abtest import plot, report
    from engine.abtest.queries import Counts, GroupRow

    rows = [GroupRow(v, None, None, Counts(1000, 990, 10, k, 0, 0, 0)) for v, k in
            (("control", 40), ("short_link", 52))]  # fmt: skip
    rows += [GroupRow("control", "send_time", (1, 14), Counts(1000, 990, 10, 40, 0, 0, 0))]
    rep = report.build_report(rows, "e", "click")
    fig = plot.figure(rep)
    assert [ax.get_title() for ax in fig.axes[:2]] == [
        "e：各组点击率（95% Wilson 区间）",
        "点击率：按发送日 × 小时（北京时间；· = 样本太少）",
    ]
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()][:2] == ["周日", "周一"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = plot.write_png(rep, tmp_path / "ab.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert png.read_bytes()[:4] == b"\x89PNG"
