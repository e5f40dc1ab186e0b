"""Optional features and the extra that installs each: ``pip install 'xinshi[ab]'``.

``pip install xinshi`` carries the check, the rule tools and the HTTP check API. The rest
needs an extra; a command or route that needs a missing one says which to install.
"""

from __future__ import annotations

from importlib.util import find_spec

# extra -> the top-level modules it installs (import names, not distribution names)
EXTRAS: dict[str, tuple[str, ...]] = {
    "score": ("numpy", "sklearn"),
    "ab": ("duckdb", "scipy", "numpy", "matplotlib"),
    "dispatch": ("phonenumbers", "croniter", "aiohttp", "httpx"),
}
WHAT = {
    "score": "training the engagement model",
    "ab": "A/B analysis",
    "dispatch": "dispatch",
}


def install_hint(extra: str) -> str:
    """The command that installs an extra."""
    return f"pip install 'xinshi[{extra}]'"


def extra_of(exc: ImportError, prefer: str | None = None) -> str | None:
    """The extra that provides the module an ImportError could not load (None: not ours)."""
    name = (exc.name or "").partition(".")[0]
    if prefer is not None and name in EXTRAS.get(prefer, ()):
        return prefer
    return next((extra for extra, mods in EXTRAS.items() if name in mods), None)


def missing_message(exc: ImportError, prefer: str | None = None) -> str | None:
    """One line naming the missing module and the extra to install (None: not an extra)."""
    extra = extra_of(exc, prefer)
    if extra is None:
        return None
    return f"{WHAT[extra]} needs the '{extra}' extra ({exc.name} is not installed): " + (
        install_hint(extra)
    )


def missing_extras() -> list[str]:
    """The extras whose modules are not all installed (without importing them)."""
    return [extra for extra, mods in EXTRAS.items() if any(find_spec(m) is None for m in mods)]
