"""The playground pages: /, /rules, /ab and /providers as HTML, and their CSS and JavaScript
under /static.

The pages are plain HTML files with a little vanilla JavaScript that calls the JSON API; no
build step and nothing from a CDN, so they work offline.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")
PAGES = {
    "/": "index.html",
    "/rules": "rules.html",
    "/ab": "ab.html",
    "/providers": "providers.html",
}

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """Return the app to mount at /static (CSS, JavaScript)."""
    return StaticFiles(directory=STATIC_DIR)


def _page(name: str) -> Response:
    html = (STATIC_DIR / name).read_bytes()
    return Response(html, media_type="text/html; charset=utf-8")


@router.get("/")
async def check_page() -> Response:
    """Serve the check & variants page."""
    return _page(PAGES["/"])


@router.get("/rules")
async def rules_page() -> Response:
    """Serve the rules page."""
    return _page(PAGES["/rules"])


@router.get("/ab")
async def ab_page() -> Response:
    """Serve the A/B report page."""
    return _page(PAGES["/ab"])


@router.get("/providers")
async def providers_page() -> Response:
    """Serve the provider scorecard page."""
    return _page(PAGES["/providers"])
