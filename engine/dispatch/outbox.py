"""The outbox: one store that is both the durable send queue and the send record.

``Outbox`` puts together the storage (engine.dispatch.storage), the queue
(engine.dispatch.queue) and the send record (engine.dispatch.send_record); callers use it as
one object. The names below are re-exported so callers import them from one place.
"""

from __future__ import annotations

from engine.dispatch.queue import PRIORITY, Admission, Admit, NewMessage, Queue
from engine.dispatch.send_record import Receipt, SendRecord
from engine.dispatch.storage import (
    ALL_SCOPES,
    DAY,
    DEFAULT_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    OutboxError,
    new_id,
)

__all__ = [
    "ALL_SCOPES", "DAY", "DEFAULT_RETENTION_DAYS", "MIN_RETENTION_DAYS", "PRIORITY", "Admission",
    "Admit", "NewMessage", "Outbox", "OutboxError", "Receipt", "new_id",
]  # fmt: skip


class Outbox(Queue, SendRecord):
    """The SQLite outbox. One per process; safe to share between threads."""
