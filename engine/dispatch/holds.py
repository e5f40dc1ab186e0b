"""Pauses of a signature or a template (a kill-switch scope) and the campaigns they hold.

When a signature's or a template's opt-out or blacklist rate trips (engine.dispatch.campaigns.
KillSwitch.evaluate_scope), the scope itself is recorded as paused: a row of the ``campaign``
table named ``signature S`` or ``template T`` (a space: no campaign name has one). Every
campaign under it is paused then, and a campaign whose marketing arrives under it later is
paused on arrival (or when a worker claims it) with the scope's reason, unless a person
resumed that campaign after the scope's pause: the scope holds until it is resumed itself.

Resuming the scope (``xinshi dispatch resume --signature S``) makes it active and resumes every
campaign paused *by it*, releasing their held messages once; a campaign paused by its own
complaints stays paused. Resuming one campaign (``--campaign C``) releases that campaign only:
the scope stays paused for the others and for campaigns that arrive later. OTP, alert and
notice messages are never held.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from engine.dispatch.backend import Connection
from engine.dispatch.send_record import send_scopes

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


def paused_scope(db: Connection, sign: str, template: str) -> tuple[Any, ...] | None:
    """(name, signal, figure, threshold, paused_at) of the earliest paused scope over a message
    of this signature and template, or None."""
    row = db.execute(
        "SELECT name, signal, figure, threshold, paused_at FROM campaign "
        "WHERE name IN (?, ?) AND state='paused' ORDER BY paused_at, name LIMIT 1",
        send_scopes(sign, template),
    ).fetchone()
    return None if row is None else tuple(row)


def pause_campaign(db: Connection, campaign: str, signal: str, figure: str, threshold: str,
                   now: float) -> list[str] | None:  # fmt: skip
    """In the caller's transaction: pause an active campaign and hold its queued marketing;
    the ids held, or None when it was not active (paused already, by another process say)."""
    cur = db.execute(
        "UPDATE campaign SET state='paused', signal=?, figure=?, threshold=?, paused_at=? "
        "WHERE name=? AND state='active'",
        (signal, figure, threshold, now, campaign),
    )
    if cur.rowcount == 0:
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


def inherit(db: Connection, campaign: str, sign: str, template: str, now: float) -> bool:
    """In the caller's transaction: pause ``campaign`` when its signature or template is paused
    and nobody resumed the campaign since that pause. True when this call paused it."""
    scope = paused_scope(db, sign, template)
    if scope is None:
        return False
    name, signal, figure, threshold, scope_paused_at = scope
    db.execute(
        "INSERT INTO campaign (name, state, sign_name) VALUES (?, 'active', ?) "
        "ON CONFLICT (name) DO NOTHING",
        (campaign, sign),
    )
    state = db.execute(
        "SELECT state, resumed_at FROM campaign WHERE name=?", (campaign,)
    ).fetchone()
    if state[0] != "active" or (state[1] or 0.0) > scope_paused_at:
        return False  # paused already, or a person resumed this campaign after the scope paused
    if pause_campaign(db, campaign, signal, figure, threshold, now) is None:
        return False
    log.warning("campaign %s paused on arrival: %s is paused (%s)", campaign, name, figure)
    return True


def resume_scope(outbox: Outbox, kind: str, value: str, reason: str, who: str, now: float,
                 ) -> dict[str, Any]:  # fmt: skip
    """Make a paused signature or template active again and resume the campaigns it paused
    (released once, as a campaign's resume); campaigns paused by their own signals stay paused.
    ``reason`` is checked by the caller (engine.dispatch.campaigns.resume)."""
    name = scope_name(kind, value)
    prefix = f"{name}: "  # every campaign a scope pauses carries its figure, naming it
    out: dict[str, Any] = {kind: value, "state": "active", "campaigns": [], "released": 0}
    with outbox.transaction() as db:
        cur = db.execute(
            "UPDATE campaign SET state='active', resumed_at=?, resumed_by=?, reason=? "
            "WHERE name=? AND state='paused'",
            (now, who, reason, name),
        )
        if cur.rowcount == 0:
            return {**out, "note": f"the {kind} is not paused: nothing to release"}
        paused = [str(c) for c, f in db.execute(
            f"SELECT name, figure FROM campaign WHERE state='paused' AND {CAMPAIGNS_ONLY}"
        ).fetchall() if (f or "").startswith(prefix)]  # fmt: skip
        released = 0
        for campaign in sorted(paused):
            db.execute(
                "UPDATE campaign SET state='active', resumed_at=?, resumed_by=?, reason=? "
                "WHERE name=? AND state='paused'",
                (now, who, f"{name} resumed: {reason}", campaign),
            )
            ids = [r[0] for r in db.execute(
                "UPDATE message SET status='queued' WHERE campaign=? AND status='held' "
                "RETURNING id", (campaign,)).fetchall()]  # fmt: skip
            db.executemany("INSERT INTO history VALUES (?,?,'queued','campaign_resumed',?)",
                           [(i, now, reason[:200]) for i in ids])  # fmt: skip
            db.execute("INSERT INTO campaign_log VALUES (?,?,'resumed',?,?,?)",
                       (campaign, now, who, f"{name} resumed: {reason}", len(ids)))  # fmt: skip
            released += len(ids)
        db.execute("INSERT INTO campaign_log VALUES (?,?,'resumed',?,?,?)",
                   (name, now, who, reason, released))  # fmt: skip
    log.warning("%s resumed by %s (%s): %d campaigns, %d messages released", name, who, reason,
                len(paused), released)  # fmt: skip
    return {**out, "campaigns": sorted(paused), "released": released, "resumed_by": who,
            "reason": reason, "resumed_at": now}  # fmt: skip


def list_scopes(outbox: Outbox) -> list[dict[str, Any]]:
    """Signatures and templates the kill switch paused (paused first): why, and the last
    resume."""
    rows = outbox.query(
        "SELECT name, state, signal, figure, threshold, paused_at, resumed_at, resumed_by, "
        f"reason FROM campaign WHERE NOT ({CAMPAIGNS_ONLY}) ORDER BY state DESC, paused_at DESC"
    )
    keys = ("state", "signal", "figure", "threshold", "paused_at", "resumed_at", "resumed_by",
            "reason")  # fmt: skip
    out = []
    for r in rows:
        kind, _, value = str(r[0]).partition(" ")
        out.append({"scope": kind, "name": value, **dict(zip(keys, r[1:], strict=True))})
    return out
