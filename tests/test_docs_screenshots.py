"""The README's page screenshots: every link resolves to a PNG of the page and size it names,
and every screenshot in docs/screenshots/ is shown (tests/test_playground.py saves them)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"


def _size(png: Path) -> tuple[int, int]:
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", png
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_readme_links_every_screenshot_and_each_is_the_page_it_names() -> None:
    links = re.findall(r"\]\((docs/screenshots/[^)]+)\)", (ROOT / "README.md").read_text("utf-8"))
    assert sorted(links) == sorted(f"docs/screenshots/{p.name}" for p in SHOTS.glob("*.png"))
    assert {Path(link).stem.split("-")[0] for link in links} == {
        "check",
        "rules",
        "ab",
        "providers",
    }
    for link in links:
        width, height = _size(ROOT / link)
        # tests/browser.py: DESKTOP is 1200 wide, PHONE 375 (a phone may render at 2x)
        assert width in ((1200,) if link.endswith("-desktop.png") else (375, 750)), (link, width)
        assert height >= 700, (link, height)
