"""Move an SQLite outbox into PostgreSQL: every message, its history, attempts, receipts, links,
replies, opt-outs, schedules, conversions, scene events and the kill switch's state (each
message's campaign, paused campaigns and what holds them, signals, the pause/resume log and the
per-minute send counts), in one transaction (all or nothing).

Stop the workers and the API first (a message queued in the file after the copy started stays
behind). The target must hold no message yet, so a copy is never applied twice; the SQLite file
is only read.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine.dispatch import partitions
from engine.dispatch.backend import PgConnection
from engine.dispatch.outbox import Outbox, OutboxError
from engine.dispatch.storage import DAY

# (table, columns): the columns both engines have, copied in the file's insertion order
TABLES: tuple[tuple[str, str], ...] = (
    ("message", "id, idem_key, body_hash, lane, priority, phone, carrier_hint, sign_name, "
     "template_id, params_json, rendered_text, ruleset_version, experiment, variant, status, "
     "not_before, expires_at, lease_until, attempts, provider, provider_ref, billed_parts, "
     "last_code, last_error, created_at, accepted_at, final_at, claimed_at, scene, send_window, "
     "campaign"),
    ("history", "message_id, at, status, code, detail"),
    ("attempt", "message_id, provider, started_at, ended_at, outcome, code, request_id"),
    ("receipt", "provider, provider_ref, out_id, phone, delivered, code, reported_at, "
     "received_at, message_id, raw"),
    ("inbound", "provider, phone, sign_name, text, optout, received_at, raw"),
    ("suppression", "phone, scope, reason, source, created_at, removed_at"),
    ("link", "code, message_id, url, created_at"),
    ("schedule", "id, cron, tz, template_id, messages_json, next_fire_at, enabled, created_at"),
    ("fire", "schedule_id, fire_at, queued"),
    ("conversion", "message_id, key, value_fen, at"),
    ("scene_event", "idem_key, scene, phone, body_hash, outcome, message_id, code, not_before, "
     "created_at"),
    ("campaign", "name, state, sign_name, signal, figure, threshold, paused_at, held, "
     "resumed_at, resumed_by, reason"),
    ("campaign_signal", "campaign, kind, message_id, detail, at"),
    ("campaign_log", "campaign, at, action, who, detail, messages"),
    ("send_count", "scope, minute, n"),
    ("campaign_hold", "campaign, source, signal, figure, threshold, at"),
)  # fmt: skip
CHUNK = 5000


def copy_outbox(source: Path, url: str) -> dict[str, int]:
    """Copy the SQLite outbox at ``source`` into the PostgreSQL database at ``url``; return the
    rows copied per table. Raises OutboxError when the file is missing or the target is not
    empty."""
    if not source.is_file():
        raise OutboxError(
            "not_found", f"{source} is not an SQLite outbox file. Pass the file with --from "
            "(the data directory's dispatch.sqlite)", "from",
        )  # fmt: skip
    src, dst = Outbox(source), Outbox(url)
    try:
        (held,) = dst.query("SELECT COUNT(*) FROM message")[0]
        if held:
            raise OutboxError(
                "not_empty",
                f"{dst.where} already holds {held} messages; copy into an empty database "
                "(a copy is never merged into another outbox)",
                "to",
            )
        first, last = src.query("SELECT MIN(created_at), MAX(created_at) FROM message")[0]
        assert isinstance(dst._db, PgConnection)
        counts: dict[str, int] = {}
        with dst.transaction() as db:
            if first is not None:
                days = int((last - first) // DAY) + 2
                start = partitions.day_of(first)
                partitions.ensure(db, [start + timedelta(d) for d in range(days)], in_tx=True)
            for table, cols in TABLES:  # streamed: the file may hold months of records
                cur = src._db.execute(f"SELECT {cols} FROM {table} ORDER BY rowid")
                counts[table] = 0
                while rows := cur.fetchmany(CHUNK):
                    dst._db.copy_rows(table, cols, rows)
                    counts[table] += len(rows)
            db.execute("INSERT INTO idem SELECT idem_key, id, created_at FROM message")
        return counts
    finally:
        src.close()
        dst.close()
