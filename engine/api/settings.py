"""Server settings from the environment (XINSHI_*), with safe defaults."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from engine.api.keys import KeyRing, parse_keys, parse_public
from engine.dispatch.callback_signing import DEFAULT_WINDOW_S
from engine.dispatch.secret import MIN_SECRET_BYTES

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# providers with receipt/reply callbacks (engine.dispatch.providers.CALLBACKS, which needs the
# 'dispatch' extra; tests/test_extras.py keeps the two in step)
CALLBACK_PROVIDERS = ("aliyun", "tencent")


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
    api_keys: KeyRing = field(default_factory=lambda: MappingProxyType({}))  # key -> scopes
    keyed_checks: bool = False  # require a key for checks and reads (admin always needs one)
    public: frozenset[str] = frozenset()  # reads left open with keyed checks (XINSHI_PUBLIC)
    callback_secret: bytes | None = None  # HMAC key of signed callbacks
    callback_window_s: int = DEFAULT_WINDOW_S
    callback_unsigned: frozenset[str] = frozenset()  # providers on a path token + IP list
    callback_allow_ips: tuple[Network, ...] = ()
    max_body_bytes: int = 64 * 1024  # /v1/check
    max_batch_body_bytes: int = 4 * 1024 * 1024  # /v1/check/batch
    max_text_chars: int = 2000
    max_batch: int = 1000
    watch_rules: bool = True
    shutdown_timeout: int = 10  # seconds SIGTERM waits for in-flight requests

    @classmethod
    def from_env(cls) -> Settings:
        """Read XINSHI_* variables."""
        rules = os.environ.get("XINSHI_RULES")
        try:
            keys = parse_keys(os.environ.get("XINSHI_API_KEYS", ""))
            public = parse_public(os.environ.get("XINSHI_PUBLIC", ""))
        except ValueError as exc:
            raise SystemExit(f"error: {exc}") from None
        keyed = _bool("XINSHI_KEYED_CHECKS", False)
        if keyed and not keys:
            raise SystemExit("error: XINSHI_KEYED_CHECKS=1 needs keys: set XINSHI_API_KEYS")
        unsigned, allow_ips = _unsigned_callbacks()
        return cls(
            rules_dir=Path(rules) if rules else None,
            api_keys=MappingProxyType(keys),
            keyed_checks=keyed,
            public=public,
            callback_secret=_callback_secret(),
            callback_window_s=_int("XINSHI_CALLBACK_WINDOW", DEFAULT_WINDOW_S),
            callback_unsigned=unsigned,
            callback_allow_ips=allow_ips,
            max_body_bytes=_int("XINSHI_MAX_BODY_BYTES", 64 * 1024),
            max_batch_body_bytes=_int("XINSHI_MAX_BATCH_BODY_BYTES", 4 * 1024 * 1024),
            max_text_chars=_int("XINSHI_MAX_TEXT_CHARS", 2000),
            max_batch=_int("XINSHI_MAX_BATCH", 1000),
            watch_rules=_bool("XINSHI_WATCH_RULES", True),
            shutdown_timeout=_int("XINSHI_SHUTDOWN_TIMEOUT", 10),
        )


def _callback_secret() -> bytes | None:
    if os.environ.get("XINSHI_CALLBACK_KEY"):
        raise SystemExit(
            "error: XINSHI_CALLBACK_KEY (?key= on callbacks) is gone: set XINSHI_CALLBACK_SECRET "
            "and sign callbacks, or see README 'Provider callbacks' for unsigned providers"
        )
    secret = os.environ.get("XINSHI_CALLBACK_SECRET", "").strip().encode()
    if secret and len(secret) < MIN_SECRET_BYTES:
        raise SystemExit(
            f"error: XINSHI_CALLBACK_SECRET has {len(secret)} bytes; use at least "
            f"{MIN_SECRET_BYTES} random characters"
        )
    return secret or None


def _unsigned_callbacks() -> tuple[frozenset[str], tuple[Network, ...]]:
    """XINSHI_CALLBACK_UNSIGNED (providers) and XINSHI_CALLBACK_ALLOW_IPS (their addresses)."""
    raw = os.environ.get("XINSHI_CALLBACK_UNSIGNED", "")
    names = frozenset(p.strip() for p in raw.split(",") if p.strip())
    unknown = sorted(names - set(CALLBACK_PROVIDERS))
    if unknown:
        known = ", ".join(sorted(CALLBACK_PROVIDERS))
        raise SystemExit(
            f"error: XINSHI_CALLBACK_UNSIGNED: unknown provider {unknown[0]!r}; known: {known}"
        )
    nets = []
    for part in os.environ.get("XINSHI_CALLBACK_ALLOW_IPS", "").split(","):
        if part.strip():
            try:
                nets.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise SystemExit(
                    f"error: XINSHI_CALLBACK_ALLOW_IPS: {part.strip()!r} is not an address or "
                    "network; write e.g. 203.0.113.0/24,198.51.100.7"
                ) from None
    if names and not nets:
        raise SystemExit(
            "error: XINSHI_CALLBACK_UNSIGNED needs XINSHI_CALLBACK_ALLOW_IPS: the provider's "
            "published callback addresses (an unsigned callback is only a token in a URL)"
        )
    return names, tuple(nets)
