"""Helpers for the playground's browser tests: Debian's Chromium through Playwright, axe-core,
the phone-layout checks, screenshots and a responsiveness probe.

axe-core is vendored (tests/vendor/axe.min.js, v4.14.1 from npm, MPL-2.0, licence beside it)
so CI needs no npm and no network for it: .ci/run already installs everything else from Debian.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1200, "height": 900}


def launch() -> Iterator[Any]:
    """Yield a headless Debian Chromium; skip outside CI when it is missing, fail in CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(
                f"{CHROMIUM} is missing in CI: .ci/run installs it (apt-get install chromium)"
            )
        pytest.skip(
            f"{CHROMIUM} not installed (apt-get install chromium); CI installs and runs these"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser: Any, viewport: dict[str, int] = DESKTOP) -> tuple[Any, Any, list[str]]:
    """A new context and page (zh-CN); the list collects the page's uncaught errors."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=viewport == PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run axe-core on the page; return 'rule (impact): selector' for each violation of ``impacts``."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
          .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }))"""
    )
    return [
        f"{v['id']} ({v['impact']}): {n}"
        for v in found
        if v["impact"] in impacts
        for n in v["nodes"]
    ]


def overflowing(page: Any) -> list[str]:
    """Elements that stick out of the viewport sideways, or scroll sideways inside (cut off).

    Visually hidden elements (clip: rect(0 0 0 0), as a phone table's header row) do not count.
    """
    return list(
        page.evaluate(
            """() => {
          const width = document.documentElement.clientWidth, out = [];
          const hidden = (e) => { for (let a = e; a; a = a.parentElement) {
            if (getComputedStyle(a).clip !== "auto") return true; } return false; };
          const name = (e) => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ")[0] : "")
            + ` "${(e.textContent || "").trim().slice(0, 20)}"`;
          if (document.documentElement.scrollWidth > width) out.push(`page scrolls: ${document.documentElement.scrollWidth} > ${width}`);
          for (const e of document.body.querySelectorAll("*")) {
            const r = e.getBoundingClientRect();
            if (r.width < 2 || r.height < 2 || hidden(e)) continue;
            if (r.right > width + 0.5 || r.left < -0.5) out.push(`${name(e)} spans ${Math.round(r.left)}..${Math.round(r.right)}`);
            const style = getComputedStyle(e);
            if (["auto", "scroll"].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1)
              out.push(`${name(e)} scrolls sideways: ${e.scrollWidth} > ${e.clientWidth}`);
          }
          return out; }"""
        )
    )


def narrow_headers(page: Any) -> list[str]:
    """Visible table headers (th, or a phone row's repeated column name) no wider than two glyphs."""
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll("th, .cell-label")).filter((e) => {
              const r = e.getBoundingClientRect();
              if (r.width < 2 || r.height < 2 || getComputedStyle(e).display === "none") return false;
              for (let a = e; a; a = a.parentElement) if (getComputedStyle(a).clip !== "auto") return false;
              return r.width < 2 * parseFloat(getComputedStyle(e).fontSize);
            }).map((e) => e.textContent)"""
        )
    )


def screenshot(page: Any, name: str, tmp_path: Path, full_page: bool = False) -> Path:
    """Save a screenshot: into docs/screenshots/ when XINSHI_SCREENSHOTS is set."""
    out = SCREENSHOTS if os.environ.get("XINSHI_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / name), full_page=full_page)
    return out / name


def responds(page: Any, within_ms: int = 3_000) -> float:
    """Type into the page's price box and poll until the page shows it; return the ms it took.

    A frozen page (a long task on the main thread) fails the bound.
    """
    value = f"0.0{int(time.monotonic() * 1000) % 90 + 10}"
    started = time.monotonic()
    page.locator("input[name=price]").fill(value, timeout=within_ms)
    page.wait_for_function(
        f"() => document.querySelector('input[name=price]').value === {value!r}", timeout=within_ms
    )
    took = (time.monotonic() - started) * 1000
    assert took < within_ms, f"the page took {took:.0f} ms to take a keystroke"
    return took
