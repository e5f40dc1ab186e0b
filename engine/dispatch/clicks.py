"""Click tracking: links in parameters become {base}/r/{code}; a click is an A/B event."""

from __future__ import annotations

import re
import secrets
import string

_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_ALPHABET = string.ascii_letters + string.digits


def new_code(length: int = 8) -> str:
    """A random short-link code (62^8 ≈ 2e14: not guessable, not sequential)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def shorten(
    params: dict[str, str], base: str
) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """Replace every URL parameter with a tracked short link; return (params, (code, url)...)."""
    out = dict(params)
    links: list[tuple[str, str]] = []
    for name, value in params.items():
        if isinstance(value, str) and _URL.match(value.strip()):
            code = new_code()
            out[name] = f"{base}/r/{code}"
            links.append((code, value.strip()))
    return out, tuple(links)
