"""Why a campaign is held: one ``campaign_hold`` row per source that holds it.

A campaign can be held by several sources at once: its own signals (source ``complaint``,
``opt_out`` or ``provider_code``: its complaint replies, its opt-out rate, its blacklist codes)
and each signature or template over it whose rate tripped (source ``signature S``, ``template
T``). The campaign is ``paused`` while at least one hold remains. Resuming a signature or a
template removes that source from every campaign it holds; a campaign goes back to the queue
(its held messages released once) only when its last hold is gone, else the answer lists it as
``still_held`` with the sources left. ``resume --campaign C`` is the explicit override: it
removes every hold of C, whatever placed it.

Every change of holds runs in the caller's transaction. On PostgreSQL that transaction takes an
advisory lock first (``HOLD_LOCK``), so a trip adding a hold and a resume removing the last one
cannot interleave (the resume would release a campaign the trip had just held); SQLite's
``BEGIN IMMEDIATE`` serializes writers already.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from engine.dispatch.backend import Connection, PgConnection

if TYPE_CHECKING:
    from engine.dispatch.outbox import Outbox

HOLD_LOCK = 0x78696E7368690003  # pg_advisory_xact_lock key: one change of holds at a time
HOLD_KEYS = ("source", "signal", "figure", "threshold", "at")


def lock_holds(db: Connection) -> None:
    """PostgreSQL: take the holds' advisory lock until the transaction ends (SQLite: the
    transaction's write lock is enough)."""
    if isinstance(db, PgConnection):
        db.execute("SELECT pg_advisory_xact_lock(?)", (HOLD_LOCK,))


def add_hold(db: Connection, campaign: str, source: str, signal: str, figure: str,
             threshold: str, now: float) -> bool:  # fmt: skip
    """Record that ``source`` holds ``campaign`` (once); True when the hold is new."""
    cur = db.execute(
        "INSERT INTO campaign_hold VALUES (?,?,?,?,?,?) ON CONFLICT (campaign, source) DO NOTHING",
        (campaign, source, signal, figure, threshold, now),
    )
    return cur.rowcount > 0


def holds_of(db: Connection, campaign: str) -> list[dict[str, Any]]:
    """The holds of one campaign, oldest first."""
    rows = db.execute(
        f"SELECT {', '.join(HOLD_KEYS)} FROM campaign_hold WHERE campaign=? ORDER BY at, source",
        (campaign,),
    ).fetchall()
    return [dict(zip(HOLD_KEYS, r, strict=True)) for r in rows]


def held_by(db: Connection, source: str) -> list[str]:
    """The campaigns ``source`` holds, by name."""
    rows = db.execute(
        "SELECT campaign FROM campaign_hold WHERE source=? ORDER BY campaign", (source,)
    ).fetchall()
    return [str(r[0]) for r in rows]


def drop_holds(db: Connection, campaign: str, source: str | None = None) -> list[dict[str, Any]]:
    """Remove ``source``'s hold of ``campaign`` (every hold when None); the holds left. When
    some remain, the campaign's reason becomes the oldest of them."""
    if source is None:
        db.execute("DELETE FROM campaign_hold WHERE campaign=?", (campaign,))
    else:
        db.execute("DELETE FROM campaign_hold WHERE campaign=? AND source=?", (campaign, source))
    left = holds_of(db, campaign)
    if left:
        first = left[0]
        db.execute(
            "UPDATE campaign SET signal=?, figure=?, threshold=? WHERE name=?",
            (first["signal"], first["figure"], first["threshold"], campaign),
        )
    return left


def all_holds(outbox: Outbox) -> dict[str, list[dict[str, Any]]]:
    """Every campaign's holds, oldest first (for ``xinshi dispatch campaigns``)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in outbox.query(
        f"SELECT campaign, {', '.join(HOLD_KEYS)} FROM campaign_hold ORDER BY at, source"
    ):
        out[str(r[0])].append(dict(zip(HOLD_KEYS, r[1:], strict=True)))
    return dict(out)
