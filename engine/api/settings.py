"""Server settings from the environment (XINSHI_*), with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"error: {name}={value!r} is not a whole number") from None
    if number <= 0:
        raise SystemExit(f"error: {name} must be positive, got {number}")
    return number


@dataclass(frozen=True)
class Settings:
    """What the API needs to know; see README "HTTP API" for each variable."""

    rules_dir: Path | None = None  # None: the shipped rules
    api_keys: frozenset[str] = field(default_factory=frozenset)
    keyed_checks: bool = False  # require a key for /v1/check too (admin always needs one)
    max_body_bytes: int = 64 * 1024  # /v1/check
    max_batch_body_bytes: int = 4 * 1024 * 1024  # /v1/check/batch
    max_text_chars: int = 2000
    max_batch: int = 1000
    watch_rules: bool = True
    shutdown_timeout: int = 10  # seconds SIGTERM waits for in-flight requests

    @classmethod
    def from_env(cls) -> Settings:
        """Read XINSHI_* variables."""
        keys = os.environ.get("XINSHI_API_KEYS", "")
        rules = os.environ.get("XINSHI_RULES")
        return cls(
            rules_dir=Path(rules) if rules else None,
            api_keys=frozenset(k.strip() for k in keys.split(",") if k.strip()),
            keyed_checks=_bool("XINSHI_KEYED_CHECKS", False),
            max_body_bytes=_int("XINSHI_MAX_BODY_BYTES", 64 * 1024),
            max_batch_body_bytes=_int("XINSHI_MAX_BATCH_BODY_BYTES", 4 * 1024 * 1024),
            max_text_chars=_int("XINSHI_MAX_TEXT_CHARS", 2000),
            max_batch=_int("XINSHI_MAX_BATCH", 1000),
            watch_rules=_bool("XINSHI_WATCH_RULES", True),
            shutdown_timeout=_int("XINSHI_SHUTDOWN_TIMEOUT", 10),
        )
