"""Signed provider callbacks: HMAC-SHA256 over ``timestamp + "." + body``, with a replay window.

A push carries two headers::

    X-Xinshi-Timestamp: 1764770000            (Unix seconds)
    X-Xinshi-Signature: sha256=<hex of HMAC-SHA256(secret, b"1764770000." + body)>

The receiver refuses a missing or malformed signature, a wrong one, a timestamp more than the
window (300 s) away from its clock, and a signature it has already accepted within the window.
The seen-signature cache is a small SQLite file, so every worker process shares it.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

TIMESTAMP_HEADER = "x-xinshi-timestamp"
SIGNATURE_HEADER = "x-xinshi-signature"
DEFAULT_WINDOW_S = 300
_PREFIX = b"sha256="


if TYPE_CHECKING:
    from engine.dispatch.storage import Store


class CallbackAuthError(ValueError):
    """A push that does not verify; ``code`` is one of missing_signature, bad_signature,
    stale_timestamp, replayed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def sign(secret: bytes, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers that sign ``body`` at ``timestamp`` (what the fake provider sends)."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: f"sha256={mac}"}


class SeenSignatures:
    """Signatures accepted within the window, shared by all workers through one SQLite file,
    or by every host through the PostgreSQL outbox when ``store`` is one (a callback replayed
    to another API host is refused too)."""

    def __init__(self, path: Path, store: Store | None = None) -> None:
        self.path = path
        self.store = store if store is not None and store.postgres else None
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS seen (sig BLOB PRIMARY KEY, until REAL)")
            self._local.db = db
        return db

    def probe(self) -> None:
        """A real write to the cache, then its removal (raises on a storage error)."""
        if self.store is not None:
            self.store.probe()
            return
        db = self._db()
        db.execute("INSERT OR REPLACE INTO seen VALUES (?, 0)", (b"probe",))
        db.execute("DELETE FROM seen WHERE sig = ?", (b"probe",))

    def claim(self, signature: bytes, until: float, now: float) -> bool:
        """Record ``signature`` until ``until``; False if it was already recorded (a replay)."""
        if self.store is not None:
            with self.store.transaction() as pg:
                pg.execute("DELETE FROM seen_signature WHERE until < ?", (now,))
                cur = pg.execute(
                    "INSERT INTO seen_signature VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (signature, until),
                )
            return cur.rowcount == 1
        db = self._db()
        db.execute("DELETE FROM seen WHERE until < ?", (now,))
        cur = db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (signature, until))
        return cur.rowcount == 1


def verify(
    secret: bytes,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    seen: SeenSignatures,
    window_s: int = DEFAULT_WINDOW_S,
    now: float | None = None,
) -> None:
    """Raise CallbackAuthError unless the headers sign ``body`` freshly and for the first time.

    Header values arrive as latin-1 text; they are compared as bytes, so any value is a 401.
    """
    now = time.time() if now is None else now
    if not timestamp or not signature:
        raise CallbackAuthError(
            "missing_signature",
            "the callback is not signed: send X-Xinshi-Timestamp (Unix seconds) and "
            "X-Xinshi-Signature: sha256=HEX (HMAC-SHA256 of 'TIMESTAMP.' + body)",
        )
    raw_ts = timestamp.encode("latin-1", "replace").strip()
    raw_sig = signature.encode("latin-1", "replace").strip()
    if not raw_ts.isdigit() or len(raw_ts) > 12:
        raise CallbackAuthError(
            "bad_signature", "X-Xinshi-Timestamp must be Unix seconds, e.g. 1764770000"
        )
    expected = _PREFIX + hmac.new(secret, raw_ts + b"." + body, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(raw_sig.lower(), expected):
        raise CallbackAuthError(
            "bad_signature",
            "the callback signature does not match: sign 'TIMESTAMP.' + the exact body with "
            "HMAC-SHA256 and XINSHI_CALLBACK_SECRET",
        )
    skew = now - int(raw_ts)
    if abs(skew) > window_s:
        raise CallbackAuthError(
            "stale_timestamp",
            f"the callback timestamp is {round(abs(skew))} s {'old' if skew > 0 else 'ahead'}; "
            f"the window is {window_s} s. Check the sender's clock",
        )
    if not seen.claim(expected, int(raw_ts) + window_s, now):
        raise CallbackAuthError(
            "replayed", "this signed callback was already accepted; a replay is refused"
        )
