"""Events the A/B analysis reads: append-only JSONL files, one per Beijing day.

Written for messages that belong to an experiment, in the format ``xinshi ab ingest`` reads
(kept independent of engine.abtest: only the file format is shared). Columns: event,
message_id, experiment, variant, recipient (salted hash, never a number), ts (ISO 8601,
+08:00), value_fen (converted only), carrier (segment), scene (the scene that triggered it,
or null; rules/dispatch/scenes.yaml). Events: ``sent`` (the provider accepted
it), ``delivered``, ``failed`` (a failure receipt), ``clicked``, ``converted``. Several processes
append to the same file: each batch is one ``write`` on an O_APPEND descriptor, so lines never
interleave.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import orjson

from engine.dispatch.message import OutboxRow
from engine.dispatch.phone import recipient_hash
from engine.message import BEIJING

EVENTS = ("sent", "delivered", "failed", "clicked", "converted")


class EventWriter:
    """Append events under ``directory`` (events-YYYYMMDD.jsonl)."""

    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.salt = salt
        directory.mkdir(parents=True, exist_ok=True)

    def write(
        self,
        event: str,
        row: OutboxRow,
        *,
        ts: float,
        value_fen: int | None = None,
    ) -> None:
        """Append one event about a message."""
        self.write_many([(event, row, ts, value_fen)])

    def write_many(self, items: list[tuple[str, OutboxRow, float, int | None]]) -> None:
        """Append events in one write per file."""
        by_file: dict[Path, list[bytes]] = {}
        for event, row, ts, value in items:
            if row.experiment is None:  # not part of an A/B test: the send record has it
                continue
            when = datetime.fromtimestamp(ts, BEIJING)
            line = orjson.dumps(
                {
                    "event": event,
                    "message_id": row.id,
                    "experiment": row.experiment,
                    "variant": row.variant,
                    "recipient": recipient_hash(row.phone, self.salt),
                    "ts": when.isoformat(timespec="milliseconds"),
                    "value_fen": value,
                    "carrier": row.carrier_hint,
                    "scene": row.scene,
                }
            )
            path = self.directory / f"events-{when:%Y%m%d}.jsonl"
            by_file.setdefault(path, []).append(line + b"\n")
        for path, lines in by_file.items():
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, b"".join(lines))
            finally:
                os.close(fd)
