"""Click tracking: links in parameters become {base}/r/{code}; a click is an A/B event.

A code is random, so the check never reads it: it reads the text with every tracked code
replaced by one fixed placeholder (``masked``). Otherwise a code like ``8Njuv61q`` reads as
"q" (a variant of QQ) and about 1.5% of tracked sends would be refused at random.
"""

from __future__ import annotations

import re
import secrets
import string

_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8
PLACEHOLDER = "x" * CODE_LENGTH  # what the check reads in place of every tracked code


def new_code(length: int = CODE_LENGTH) -> str:
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


def masked(text: str, links: tuple[tuple[str, str], ...]) -> str:
    """``text`` as the check reads it: each tracked code replaced by the same placeholder."""
    for code, _ in links:
        text = text.replace(f"/r/{code}", f"/r/{PLACEHOLDER}")
    return text
