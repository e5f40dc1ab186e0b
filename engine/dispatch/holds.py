"""Pauses of a signature or a template (a kill-switch scope) and what they hold.

When a signature's or a template's opt-out or blacklist rate trips (engine.dispatch.campaigns.
KillSwitch.evaluate_scope), the scope itself is recorded as paused: a row of the ``campaign``
table named ``signature S`` or ``template T`` (a space: no campaign name has one). Every
campaign under it is held by it then (a ``campaign_hold`` row, engine.dispatch.hold_sources),
and a campaign whose marketing arrives under it later is held on arrival (or when a worker
claims it) with the scope's reason, unless a person resumed that campaign after the scope's
pause: the scope holds until it is resumed itself. Marketing that belongs to no campaign
(queued without one) is held too, keyed on its signature and template: when the scope trips,
on arrival, and at claim.

Resuming the scope (``xinshi dispatch resume --signature S``) makes it active and removes it
from the holds of every campaign: a campaign with no hold left is resumed, its held messages
released once; one still held by another source (its own complaints, another signature or
template) stays paused and is answered as ``still_held``. Resuming one campaign (``--campaign
C``) is the override: C is released whatever holds it, while the scope stays paused for the
others and for campaigns that arrive later. OTP, alert and notice messages are never held.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from engine.dispatch.backend import Connection
from engine.dispatch.hold_sources import add_hold, drop_holds, held_by, lock_holds
from engine.dispatch.send_record import send_scopes
from engine.dispatch.storage import ROW_COLS

if TYPE_CHECKING:
    from engine.dispatch.outbox import Outbox

log = logging.getLogger("xinshi.dispatch")
SCOPE_KINDS = ("signature", "template")
# SQL: rows of the campaign table that are campaigns, not a signature's or template's scope
CAMPAIGNS_ONLY = "name NOT LIKE '% %'"


def is_scope(name: str) -> bool:
    """Whether a campaign-table name is a signature's or template's scope."""
    return " " in name


def scope_name(kind: str, value: str) -> str:
    """The scope row's name of a signature (its 【】 stripped) or a template."""
    sign, template = send_scopes(value, value)
    return sign if kind == "signature" else template


def paused_scopes(db: Connection, sign: str, template: str) -> list[tuple[Any, ...]]:
    """(name, signal, figure, threshold, paused_at) of each paused scope over a message of this
    signature and template, earliest first (ties by name)."""
    rows = db.execute(
        "SELECT name, signal, figure, threshold, paused_at FROM campaign "
        "WHERE name IN (?, ?) AND state='paused' ORDER BY paused_at, name",
        send_scopes(sign, template),
    ).fetchall()
    return [tuple(r) for r in rows]


def pause_campaign(db: Connection, campaign: str, source: str, signal: str, figure: str,
                   threshold: str, now: float) -> list[str] | None:  # fmt: skip
    """In the caller's transaction: record that ``source`` holds ``campaign``
    (engine.dispatch.hold_sources); pause it if it was active and hold its queued marketing.
    The ids held, or None when it was paused already (by another source, or by another
    process a moment ago): then the new source is only added to its holds."""
    lock_holds(db)
    if is_scope(source):  # checked again under the lock: a resume may just have committed
        scope = db.execute(
            "SELECT s.paused_at, c.resumed_at FROM campaign s, campaign c "
            "WHERE s.name=? AND s.state='paused' AND c.name=?",
            (source, campaign),
        ).fetchone()
        if scope is None or (scope[1] or 0.0) > scope[0]:
            return None  # the scope was resumed, or a person resumed the campaign after it
    added = add_hold(db, campaign, source, signal, figure, threshold, now)
    cur = db.execute(
        "UPDATE campaign SET state='paused', signal=?, figure=?, threshold=?, paused_at=? "
        "WHERE name=? AND state='active'",
        (signal, figure, threshold, now, campaign),
    )
    if cur.rowcount == 0:
        if added:
            db.execute("INSERT INTO campaign_log VALUES (?,?,'held',?,?,0)",
                       (campaign, now, source, f"{figure} > {threshold}"))  # fmt: skip
        return None
    ids = [str(r[0]) for r in db.execute(
        "UPDATE message SET status='held' WHERE campaign=? AND lane='marketing' AND "
        "status='queued' RETURNING id", (campaign,)).fetchall()]  # fmt: skip
    db.executemany("INSERT INTO history VALUES (?,?,'held','campaign_paused',?)",
                   [(i, now, signal) for i in ids])  # fmt: skip
    db.execute("UPDATE campaign SET held=? WHERE name=?", (len(ids), campaign))
    db.execute("INSERT INTO campaign_log VALUES (?,?,'paused',?,?,?)",
               (campaign, now, "kill switch", f"{figure} > {threshold}", len(ids)))  # fmt: skip
    return ids


def release_campaign(db: Connection, campaign: str, who: str, reason: str, now: float,
                     note: str | None = None) -> int | None:  # fmt: skip
    """In the caller's transaction: make a paused campaign active and put its held messages
    back in the queue; how many, or None when it was not paused (a concurrent resume). The
    caller removed its holds first."""
    cur = db.execute(
        "UPDATE campaign SET state='active', resumed_at=?, resumed_by=?, reason=? "
        "WHERE name=? AND state='paused'",
        (now, who, note or reason, campaign),
    )
    if cur.rowcount == 0:
        return None
    ids = [r[0] for r in db.execute(
        "UPDATE message SET status='queued' WHERE campaign=? AND status='held' RETURNING id",
        (campaign,)).fetchall()]  # fmt: skip
    db.executemany("INSERT INTO history VALUES (?,?,'queued','campaign_resumed',?)",
                   [(i, now, reason[:200]) for i in ids])  # fmt: skip
    db.execute("INSERT INTO campaign_log VALUES (?,?,'resumed',?,?,?)",
               (campaign, now, who, note or reason, len(ids)))  # fmt: skip
    return len(ids)


def inherit(db: Connection, campaign: str, sign: str, template: str, now: float) -> bool:
    """In the caller's transaction: hold ``campaign`` by each paused signature or template over
    this message, unless a person resumed the campaign after that scope paused. True when this
    call paused it (it was active)."""
    scopes = paused_scopes(db, sign, template)
    if not scopes:
        return False
    db.execute(
        "INSERT INTO campaign (name, state, sign_name) VALUES (?, 'active', ?) "
        "ON CONFLICT (name) DO NOTHING",
        (campaign, sign),
    )
    ((resumed_at,),) = db.execute(
        "SELECT resumed_at FROM campaign WHERE name=?", (campaign,)
    ).fetchall()
    paused = False
    for name, signal, figure, threshold, scope_paused_at in scopes:
        if (resumed_at or 0.0) > scope_paused_at:
            continue  # a person resumed this campaign after the scope paused: it goes
        if db.execute("SELECT 1 FROM campaign_hold WHERE campaign=? AND source=?",
                      (campaign, name)).fetchone():  # fmt: skip
            continue  # held by it already: no lock taken on the way of every send
        # pause_campaign takes the holds' lock and checks the scope is still paused
        if pause_campaign(db, campaign, name, signal, figure, threshold, now) is not None:
            log.warning("campaign %s paused on arrival: %s is paused (%s)", campaign, name, figure)
            paused = True
    return paused


def _scope_match(kind: str, value: str) -> tuple[str, tuple[str, ...]]:
    """SQL matching the messages of a signature (written with or without 【】) or template."""
    if kind == "signature":
        bare = value.strip("【】 ")
        return "sign_name IN (?, ?)", (bare, f"【{bare}】")
    return "template_id=?", (value,)


def hold_uncampaigned(db: Connection, kind: str, value: str, now: float) -> int:
    """In the caller's transaction, when a signature or template trips: hold its queued
    marketing that belongs to no campaign (keyed on the signature or template); how many."""
    where, args = _scope_match(kind, value)
    ids = [str(r[0]) for r in db.execute(
        "UPDATE message SET status='held' WHERE campaign IS NULL AND lane='marketing' AND "
        f"status='queued' AND {where} RETURNING id", args).fetchall()]  # fmt: skip
    detail = scope_name(kind, value)
    db.executemany("INSERT INTO history VALUES (?,?,'held','scope_paused',?)",
                   [(i, now, detail) for i in ids])  # fmt: skip
    return len(ids)


def hold_on_arrival(db: Connection, message_id: str, sign: str, template: str, now: float,
                    ) -> Any:  # fmt: skip
    """In the enqueue's transaction: a marketing message of no campaign under a paused
    signature or template is held at once; its row (``cols``) when held, else None."""
    if not paused_scopes(db, sign, template):
        return None
    lock_holds(db)  # a resume of the scope either sees this message held or ran before it
    scopes = paused_scopes(db, sign, template)
    if not scopes:
        return None
    got = db.execute(
        f"UPDATE message SET status='held' WHERE id=? AND status='queued' RETURNING {ROW_COLS}",
        (message_id,),
    ).fetchone()
    if got is not None:
        db.execute("INSERT INTO history VALUES (?,?,'held','scope_paused',?)",
                   (message_id, now, scopes[0][0]))  # fmt: skip
    return got


def release_uncampaigned(db: Connection, kind: str, value: str, reason: str, now: float) -> int:
    """In the resume's transaction (the scope active again): put back in the queue the held
    marketing of no campaign under this signature or template that no other paused scope
    holds; how many."""
    where, args = _scope_match(kind, value)
    rows = db.execute(
        "SELECT id, sign_name, template_id FROM message WHERE campaign IS NULL AND "
        f"lane='marketing' AND status='held' AND {where}", args).fetchall()  # fmt: skip
    if not rows:
        return 0
    paused = {
        str(r[0])
        for r in db.execute(
            f"SELECT name FROM campaign WHERE state='paused' AND NOT ({CAMPAIGNS_ONLY})"
        ).fetchall()
    }
    free = [str(i) for i, s, t in rows if not paused.intersection(send_scopes(s, t))]
    released = 0
    for n in range(0, len(free), 500):
        chunk = free[n : n + 500]
        ids = [r[0] for r in db.execute(
            f"UPDATE message SET status='queued' WHERE id IN ({','.join('?' * len(chunk))}) "
            "AND status='held' RETURNING id", chunk).fetchall()]  # fmt: skip
        db.executemany("INSERT INTO history VALUES (?,?,'queued','scope_resumed',?)",
                       [(i, now, reason[:200]) for i in ids])  # fmt: skip
        released += len(ids)
    return released


def held_without_campaign(outbox: Outbox) -> dict[str, int]:
    """Held marketing of no campaign, per paused signature and template over it."""
    counts: dict[str, int] = {}
    rows = outbox.query(
        "SELECT sign_name, template_id, COUNT(*) FROM message WHERE campaign IS NULL AND "
        "lane='marketing' AND status='held' GROUP BY sign_name, template_id"
    )
    paused = {
        str(r[0])
        for r in outbox.query(
            f"SELECT name FROM campaign WHERE state='paused' AND NOT ({CAMPAIGNS_ONLY})"
        )
    }
    for sign, template, n in rows:
        for scope in send_scopes(sign, template):
            if scope in paused:
                counts[scope] = counts.get(scope, 0) + int(n)
    return counts


def resume_scope(outbox: Outbox, kind: str, value: str, reason: str, who: str, now: float,
                 ) -> dict[str, Any]:  # fmt: skip
    """Make a paused signature or template active again and remove it from the holds of every
    campaign it holds: a campaign with no hold left is resumed (released once, as a campaign's
    resume); one still held by another source (its own complaints, another signature or
    template) stays paused and is listed under ``still_held`` with what holds it. Marketing of
    no campaign under it goes back to the queue unless another paused scope covers it.
    ``reason`` is checked by the caller (engine.dispatch.campaigns.resume)."""
    name = scope_name(kind, value)
    out: dict[str, Any] = {kind: value, "state": "active", "campaigns": [], "still_held": [],
                           "released": 0, "released_without_campaign": 0}  # fmt: skip
    note = f"{name} resumed: {reason}"
    with outbox.transaction() as db:
        lock_holds(db)
        cur = db.execute(
            "UPDATE campaign SET state='active', resumed_at=?, resumed_by=?, reason=? "
            "WHERE name=? AND state='paused'",
            (now, who, reason, name),
        )
        if cur.rowcount == 0:
            return {**out, "note": f"the {kind} is not paused: nothing to release"}
        resumed: list[str] = []
        still: list[dict[str, Any]] = []
        released = 0
        for campaign in held_by(db, name):
            left = drop_holds(db, campaign, name)
            if left:
                sources = [h["source"] for h in left]
                still.append({"campaign": campaign, "held_by": sources})
                db.execute(
                    "INSERT INTO campaign_log VALUES (?,?,'hold_removed',?,?,0)",
                    (campaign, now, who, f"{note}; still held by {', '.join(sources)}"),
                )
                continue
            n = release_campaign(db, campaign, who, reason, now, note)
            if n is not None:
                resumed.append(campaign)
                released += n
        loose = release_uncampaigned(db, kind, value, reason, now)
        db.execute("INSERT INTO campaign_log VALUES (?,?,'resumed',?,?,?)",
                   (name, now, who, reason, released + loose))  # fmt: skip
    log.warning("%s resumed by %s (%s): %d campaigns, %d messages released, %d still held",
                name, who, reason, len(resumed), released + loose, len(still))  # fmt: skip
    return {**out, "campaigns": resumed, "still_held": still, "released": released,
            "released_without_campaign": loose, "resumed_by": who, "reason": reason,
            "resumed_at": now}  # fmt: skip


def list_scopes(outbox: Outbox) -> list[dict[str, Any]]:
    """Signatures and templates the kill switch paused (paused first): why, the last resume,
    and how many held messages of no campaign wait on each (``held_without_campaign``)."""
    rows = outbox.query(
        "SELECT name, state, signal, figure, threshold, paused_at, resumed_at, resumed_by, "
        f"reason FROM campaign WHERE NOT ({CAMPAIGNS_ONLY}) ORDER BY state DESC, paused_at DESC"
    )
    keys = ("state", "signal", "figure", "threshold", "paused_at", "resumed_at", "resumed_by",
            "reason")  # fmt: skip
    loose = held_without_campaign(outbox)
    out = []
    for r in rows:
        kind, _, value = str(r[0]).partition(" ")
        out.append({"scope": kind, "name": value, **dict(zip(keys, r[1:], strict=True)),
                    "held_without_campaign": loose.get(str(r[0]), 0)})  # fmt: skip
    return out
