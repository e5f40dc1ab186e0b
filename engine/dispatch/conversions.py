"""Conversions, recorded once: a retried POST /v1/conversions never counts revenue twice.

A conversion is keyed by (message, idempotency key); without a key, the message alone is the key
(one conversion per message). The first request stores the value and the time; a retry with the
same value gets the stored record back, a retry with another value is refused. The A/B event is
written with the stored time, so even an event written twice (a crash between the two writes,
then a retry) is one event to ``xinshi ab ingest``, which drops exact duplicates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from engine.dispatch.outbox import Outbox, OutboxError

MAX_KEY_CHARS = 128


@dataclass(frozen=True, slots=True)
class Conversion:
    """A stored conversion."""

    message_id: str
    key: str
    value_fen: int
    at: float


class Conversions:
    """The conversion table, in the outbox's database (engine.dispatch.schema)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def record(
        self, message_id: str, key: str, value_fen: int, now: float | None = None
    ) -> tuple[Conversion, bool]:
        """Store a conversion once per (message, key); return (conversion, created)."""
        if len(key) > MAX_KEY_CHARS:
            raise OutboxError(
                "invalid_request",
                f"idempotency_key has {len(key)} characters; the limit is {MAX_KEY_CHARS}",
                "idempotency_key",
            )
        now = time.time() if now is None else now
        with self.outbox.transaction() as db:
            cur = db.execute(
                "INSERT INTO conversion VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                (message_id, key, value_fen, now),
            )
            row = db.execute(
                "SELECT value_fen, at FROM conversion WHERE message_id=? AND key=?",
                (message_id, key),
            ).fetchone()
        got = Conversion(message_id, key, int(row[0]), float(row[1]))
        if got.value_fen != value_fen:
            which = f"idempotency key {key!r}" if key else "this message (no idempotency key)"
            raise OutboxError(
                "idempotency_conflict",
                f"a conversion of {got.value_fen} fen was already recorded for {which}. "
                "Send a new Idempotency-Key for another conversion of the same message",
                "value_fen",
            )
        return got, cur.rowcount > 0
