"""API keys and their scopes, read from XINSHI_API_KEYS; see engine/api/auth.py for their use."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from enum import Enum


class Scope(Enum):
    """What a key may do."""

    CHECK = "check"
    READ = "read"
    ADMIN = "admin"
    DISPATCH = "dispatch"
    CALLBACKS = "callbacks"


BARE_KEY_SCOPES = frozenset({Scope.CHECK, Scope.READ, Scope.ADMIN, Scope.DISPATCH})
READERS = frozenset({Scope.CHECK, Scope.ADMIN, Scope.DISPATCH})  # any of these may read
# what XINSHI_PUBLIC may open
PUBLIC_READS = ("metrics", "openapi", "rules", "catalog", "ab", "providers")

KeyRing = Mapping[bytes, frozenset[Scope]]


def parse_keys(text: str) -> dict[bytes, frozenset[Scope]]:
    """Read XINSHI_API_KEYS: comma-separated ``scope:key`` or bare ``key``; raise ValueError."""
    keys: dict[bytes, set[Scope]] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, key = item.partition(":")
        if not sep:
            scopes, key = set(BARE_KEY_SCOPES), name
        else:
            try:
                scope = Scope(name.strip().lower())
            except ValueError:
                known = ", ".join(s.value for s in Scope)
                raise ValueError(
                    f"XINSHI_API_KEYS: unknown scope {name!r} (known: {known}); "
                    "write scope:key, e.g. check:k1,admin:k2"
                ) from None
            scopes = {scope, Scope.READ} if scope in READERS else {scope}
        if not key.strip():
            raise ValueError(f"XINSHI_API_KEYS: {item!r} has an empty key; write scope:key")
        keys.setdefault(key.strip().encode(), set()).update(scopes)
    return {k: frozenset(v) for k, v in keys.items()}


def parse_public(text: str) -> frozenset[str]:
    """Read XINSHI_PUBLIC: read endpoints that stay open with keyed checks; raise ValueError."""
    names = frozenset(p.strip().lower() for p in text.split(",") if p.strip())
    unknown = sorted(names - set(PUBLIC_READS))
    if unknown:
        raise ValueError(
            f"XINSHI_PUBLIC: unknown endpoint group {unknown[0]!r}; "
            f"known: {', '.join(PUBLIC_READS)}"
        )
    return names


def scopes_of(keys: KeyRing, presented: bytes) -> frozenset[Scope]:
    """The scopes of ``presented`` (empty if no key matches); constant time per key."""
    found: frozenset[Scope] = frozenset()
    for key, scopes in keys.items():
        if hmac.compare_digest(presented, key):
            found = scopes
    return found
