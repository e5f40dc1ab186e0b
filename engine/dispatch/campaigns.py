"""The complaint kill switch: signals against a campaign, pausing it, and resuming it once.

A campaign (engine.dispatch.intake.campaign_of: the send's ``campaign``, else its experiment,
else its template) collects signals: complaint replies (the vocabulary of
rules/dispatch/complaints.yaml), opt-out replies, and provider codes that mean a blacklist.
Each signal is checked against the campaign's signature's thresholds over a sliding window;
when one trips, the campaign is paused in one transaction: its queued marketing becomes
``held`` (the claim query skips it; nothing is dropped), new marketing of it is held on
arrival, and an alert is written. ``resume`` puts the held messages back in the queue once: the
state change is guarded by the state it expects, so a second or a concurrent resume releases
nothing more. What holds a paused campaign (its own signals, signatures and templates over
it) is recorded per source (engine.dispatch.hold_sources): resuming a signature or template
removes its source only, ``resume`` of the campaign removes them all (the override). OTP, alert
and notice messages are never held.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from engine.dispatch.backend import Connection
from engine.dispatch.complaints import ComplaintPolicy, Thresholds
from engine.dispatch.events import EventWriter
from engine.dispatch.hold_sources import all_holds, drop_holds, holds_of, lock_holds
from engine.dispatch.holds import (
    CAMPAIGNS_ONLY,
    SCOPE_KINDS,
    hold_uncampaigned,
    inherit,
    pause_campaign,
    paused_scopes,
    release_campaign,
    resume_scope,
    scope_name,
)
from engine.dispatch.message import Lane
from engine.dispatch.optout import OptOutWords
from engine.dispatch.outbox import Outbox
from engine.dispatch.phone import PhoneError, normalize_cn
from engine.dispatch.providers.base import Inbound
from engine.dispatch.send_record import send_scopes
from engine.message import BEIJING

log = logging.getLogger("xinshi.dispatch")
COMPLAINT, OPT_OUT, BLACKLIST = "complaint", "opt_out", "provider_code"


class CampaignError(ValueError):
    """A resume the kill switch refuses: ``code`` and ``field`` for the API, one line."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True, slots=True)
class Trip:
    """Why a campaign stopped: the signal, the figure measured and the threshold it passed."""

    campaign: str
    signal: str
    figure: str
    threshold: str
    held: int
    at: float


def _pct(n: int, d: int) -> str:
    return f"{n / d:.1%} ({n} of {d} sent)"


def trips(
    t: Thresholds, complaints: int, optouts: int, blacklist: int, sends: int
) -> list[tuple[str, str, str]]:
    """(signal, figure, threshold) of every threshold the window's counts pass, in order:
    complaints, opt-out rate, blacklist rate."""
    window = f"within {t.window_s / 60:g} min"
    out = []
    if complaints >= t.complaints:
        out.append((COMPLAINT, f"{complaints} complaint replies {window}",
                    f"{t.complaints} complaints"))  # fmt: skip
    if sends >= t.min_sends and optouts / sends > t.optout_rate:
        out.append((OPT_OUT, f"opt-out rate {_pct(optouts, sends)} {window}",
                    f"{t.optout_rate:.1%} once {t.min_sends} sent"))  # fmt: skip
    if sends >= t.min_sends and blacklist / sends > t.blacklist_rate:
        out.append((BLACKLIST, f"blacklist codes {_pct(blacklist, sends)} {window}",
                    f"{t.blacklist_rate:.1%} once {t.min_sends} sent"))  # fmt: skip
    return out


def tripped(
    t: Thresholds, complaints: int, optouts: int, blacklist: int, sends: int
) -> tuple[str, str, str] | None:
    """(signal, figure, threshold) of the first threshold the window's counts pass, or None."""
    return next(iter(trips(t, complaints, optouts, blacklist, sends)), None)


class KillSwitch:
    """Signals in, pauses out; one per process, beside the outbox it reads and writes."""

    def __init__(
        self,
        outbox: Outbox,
        policy: ComplaintPolicy,
        optout: OptOutWords,
        events: EventWriter | None = None,
        alerts_dir: Path | None = None,
    ) -> None:
        self.outbox, self.policy, self.optout = outbox, policy, optout
        self.events, self.alerts_dir = events, alerts_dir

    # -- signals -----------------------------------------------------------------------------

    def on_replies(self, replies: list[Inbound], now: float | None = None) -> list[Trip]:
        """Read each reply for a complaint or an opt-out; count it against the campaign of the
        latest message to that number; write the A/B event; return the pauses it caused."""
        now = time.time() if now is None else now
        trips: list[Trip] = []
        for mo in replies:
            word = self.policy.vocabulary.complaint(mo.text)
            optout = self.optout.matches(mo.text)
            if word is None and not optout:
                continue
            try:
                phone = normalize_cn(mo.phone)
            except PhoneError:
                continue
            sign = (mo.sign_name or "").strip("【】 ") or None
            if word is not None and sign is not None:  # a complainer gets no more of its marketing
                self.outbox.suppress(phone, sign, f"complaint:{mo.text[:20]}", mo.provider, now)
            mid = self._latest(phone, sign, now)
            row = None if mid is None else self.outbox.get(mid)
            if row is None:
                continue
            if self.events is not None:
                self.events.write("complained" if word else "opted_out", row, ts=now)
            kind, detail = (COMPLAINT, word) if word else (OPT_OUT, mo.text[:20])
            trip = self.signal(row.id, kind, detail, now)
            if trip is not None:
                trips.append(trip)
        return trips

    def on_code(self, message_id: str, code: str, now: float | None = None) -> Trip | None:
        """A provider answer or receipt code: counted when it means a blacklist."""
        if code not in self.policy.provider_codes:
            return None
        return self.signal(message_id, BLACKLIST, code, time.time() if now is None else now)

    def _latest(self, phone: str, sign: str | None, now: float) -> str | None:
        """The latest message sent to ``phone`` (under ``sign``) within the attribution time."""
        since = now - self.policy.attribute_within_s
        rows = self.outbox.query(
            "SELECT id, sign_name FROM message WHERE phone=? AND accepted_at>=? "
            "ORDER BY accepted_at DESC LIMIT 20",
            (phone, since),
        )
        return next((str(i) for i, s in rows if sign is None or s.strip("【】 ") == sign), None)

    def signal(self, message_id: str, kind: str, detail: str | None, now: float) -> Trip | None:
        """Record one signal against a marketing message's campaign; pause it if a threshold
        trips. Messages of other lanes, or without a campaign, count for nothing."""
        found = self.outbox.query(
            "SELECT campaign, sign_name, lane, template_id FROM message WHERE id=?", (message_id,)
        )
        if not found or found[0][0] is None or found[0][2] != Lane.MARKETING.value:
            return None
        campaign, sign, _, template = found[0]
        t = self.policy.for_signature(sign)
        scopes = send_scopes(sign, template)
        with self.outbox.transaction() as db:
            db.execute(
                "INSERT INTO campaign (name, state, sign_name) VALUES (?, 'active', ?) "
                "ON CONFLICT (name) DO NOTHING",
                (campaign, sign),
            )
            # the signature's and template's rates count the same signal under their own keys
            rows = [(c, kind, message_id, detail, now) for c in (campaign, *scopes)]
            db.executemany("INSERT INTO campaign_signal VALUES (?,?,?,?,?)", rows)
        trip = self.evaluate(campaign, t, now)
        if kind == COMPLAINT:  # complaints are counted per campaign; rates across campaigns too
            return trip
        for scope, column, value in zip(scopes, ("sign_name", "template_id"), (sign, template),
                                        strict=True):  # fmt: skip
            trips = self.evaluate_scope(scope, column, value, t, now)
            trip = trip or next((x for x in trips if x.campaign == campaign), None)
        return trip

    def evaluate_scope(self, scope: str, column: str, value: str, t: Thresholds, now: float,
                       ) -> list[Trip]:  # fmt: skip
        """A signature's or template's opt-out and blacklist rates over its accepted marketing
        since its last pause; on a trip, hold every campaign under it with the reason naming
        it, and its queued marketing of no campaign.

        The window slides by the minute: sends are counted per minute (``send_count``, one row
        a scope and minute), and the window takes every minute that began at or after its
        start, so the sends of the minute the window starts in count in full. The sends can
        only be over-counted, by those of at most 59.999 s before the window's start, never
        under-counted: the rate can only read lower than exact (later to trip), never higher.
        The signals (opt-outs, blacklist codes) are counted to the second."""
        state = self.outbox.query("SELECT state, resumed_at FROM campaign WHERE name=?", (scope,))
        if state and state[0][0] == "paused":
            return []  # paused already: its campaigns, and those that arrive, are held
        ((last,),) = self.outbox.query(
            "SELECT MAX(at) FROM campaign_log WHERE campaign=? AND action='paused'", (scope,)
        )
        since = max(now - t.window_s, last or 0.0, (state[0][1] if state else None) or 0.0)
        counts = dict(self.outbox.query(
            "SELECT kind, COUNT(*) FROM campaign_signal WHERE campaign=? AND at>=? GROUP BY kind",
            (scope, since)))  # fmt: skip
        optouts, blacklist = int(counts.get(OPT_OUT, 0)), int(counts.get(BLACKLIST, 0))
        if optouts <= t.optout_rate * t.min_sends and blacklist <= t.blacklist_rate * t.min_sends:
            return []
        ((sends,),) = self.outbox.query(
            "SELECT COALESCE(SUM(n), 0) FROM send_count WHERE scope=? AND minute>=?",
            (scope, int(since // 60)),
        )
        why = tripped(t, 0, optouts, blacklist, int(sends))
        if why is None:
            return []
        signal, figure, threshold = why
        figure = f"{scope}: {figure}"
        # the scope first: a campaign that arrives from now on is paused on arrival
        # (engine.dispatch.holds.inherit); then those it has now
        kind = "signature" if column == "sign_name" else "template"
        with self.outbox.transaction() as db:
            lock_holds(db)
            cur = db.execute(
                "INSERT INTO campaign (name, state, sign_name, signal, figure, threshold, "
                "paused_at, held) VALUES (?, 'paused', ?, ?, ?, ?, ?, 0) ON CONFLICT (name) DO "
                "UPDATE SET state='paused', signal=excluded.signal, figure=excluded.figure, "
                "threshold=excluded.threshold, paused_at=excluded.paused_at "
                "WHERE campaign.state='active'",
                (scope, value if column == "sign_name" else None, signal, figure, threshold, now),
            )
            if cur.rowcount == 0:
                return []  # another process paused it a moment ago
            loose = hold_uncampaigned(db, kind, value, now)  # its marketing of no campaign
        # its campaigns: those with messages waiting, and those its signals came from
        campaigns = sorted({str(r[0]) for r in self.outbox.query(
            "SELECT DISTINCT campaign FROM message WHERE status IN ('queued','sending','held') AND "
            f"lane='marketing' AND {column}=? AND campaign IS NOT NULL", (value,))} | {
            str(r[0]) for r in self.outbox.query(
            "SELECT DISTINCT m.campaign FROM campaign_signal s JOIN message m ON m.id=s.message_id "
            "WHERE s.campaign=? AND m.campaign IS NOT NULL", (scope,))})  # fmt: skip
        with self.outbox.transaction() as db:
            db.executemany(
                "INSERT INTO campaign (name, state, sign_name) VALUES (?, 'active', ?) "
                "ON CONFLICT (name) DO NOTHING",
                [(c, value if column == "sign_name" else None) for c in campaigns],
            )
            db.execute("INSERT INTO campaign_log VALUES (?,?,'paused','kill switch',?,?)",
                       (scope, now, f"{figure} > {threshold}", len(campaigns) + loose))  # fmt: skip
        if loose:
            log.warning("%s paused: %d queued messages of no campaign held", scope, loose)
        paused = [self.pause(c, signal, figure, threshold, now, scope) for c in campaigns]
        return [x for x in paused if x is not None]

    def evaluate(self, campaign: str, t: Thresholds, now: float) -> Trip | None:
        """Count the window's signals and sends (since the last resume); pause on a trip. A
        campaign paused already (by a signature, say) gets each signal of its own that trips
        as one more hold (engine.dispatch.hold_sources), so resuming the signature leaves it
        held by its complaints."""
        state = self.outbox.query(
            "SELECT state, resumed_at FROM campaign WHERE name=?", (campaign,)
        )
        if not state:
            return None
        held = {str(r[0]) for r in self.outbox.query(
            "SELECT source FROM campaign_hold WHERE campaign=?", (campaign,))}  # fmt: skip
        since = max(now - t.window_s, state[0][1] or 0.0)
        counts = dict(
            self.outbox.query(
                "SELECT kind, COUNT(*) FROM campaign_signal WHERE campaign=? AND at>=? "
                "GROUP BY kind",
                (campaign, since),
            )
        )
        complaints, optouts = int(counts.get(COMPLAINT, 0)), int(counts.get(OPT_OUT, 0))
        blacklist, sends = int(counts.get(BLACKLIST, 0)), 0
        # fewer signals than rate x min_sends cannot pass a rate: count the sends only when near
        if optouts > t.optout_rate * t.min_sends or blacklist > t.blacklist_rate * t.min_sends:
            ((sends,),) = self.outbox.query(
                "SELECT COUNT(*) FROM message WHERE campaign=? AND accepted_at>=? "
                "AND lane='marketing'",
                (campaign, since),
            )
        why = next((w for w in trips(t, complaints, optouts, blacklist, int(sends))
                    if w[0] not in held), None)  # fmt: skip
        return None if why is None else self.pause(campaign, *why, now=now)

    # -- pause and resume ----------------------------------------------------------------------

    def pause(self, campaign: str, signal: str, figure: str, threshold: str, now: float,
              source: str | None = None) -> Trip | None:  # fmt: skip
        """Hold a campaign by ``source`` (default: the signal, its own); pause it and hold its
        queued marketing if it was active, in one transaction. None when it was paused already
        (by another source, or by another process a moment ago): the hold is added only."""
        with self.outbox.transaction() as db:
            ids = pause_campaign(db, campaign, source or signal, signal, figure, threshold, now)
        if ids is None:
            return None
        trip = Trip(campaign, signal, figure, threshold, len(ids), now)
        self.alert(trip)
        return trip

    def alert(self, trip: Trip) -> None:
        """Log the pause and append it to alerts-YYYYMMDD.jsonl (what an on-call reads)."""
        log.warning("campaign %s paused: %s (threshold %s); %d queued messages held",
                    trip.campaign, trip.figure, trip.threshold, trip.held)  # fmt: skip
        if self.alerts_dir is None:
            return
        self.alerts_dir.mkdir(parents=True, exist_ok=True)
        when = datetime.fromtimestamp(trip.at, BEIJING)
        line = orjson.dumps({
            "alert": "campaign_paused", "campaign": trip.campaign, "signal": trip.signal,
            "figure": trip.figure, "threshold": trip.threshold, "held": trip.held,
            "at": when.isoformat(timespec="seconds"),
        }) + b"\n"  # fmt: skip
        fd = os.open(self.alerts_dir / f"alerts-{when:%Y%m%d}.jsonl",
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # fmt: skip
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def list_campaigns(outbox: Outbox) -> list[dict[str, Any]]:
    """Every campaign the kill switch knows (paused first), with why it was paused, what holds
    it now (``held_by``: the sources; ``holds``: each with its figure) and how many of its
    messages are held now."""
    held = dict(
        outbox.query("SELECT campaign, COUNT(*) FROM message WHERE status='held' GROUP BY campaign")
    )
    rows = outbox.query(
        "SELECT name, state, sign_name, signal, figure, threshold, paused_at, held, resumed_at, "
        f"resumed_by, reason FROM campaign WHERE {CAMPAIGNS_ONLY} "
        "ORDER BY state DESC, paused_at DESC, name"
    )
    keys = ("campaign", "state", "sign_name", "signal", "figure", "threshold", "paused_at",
            "held_at_pause", "resumed_at", "resumed_by", "reason")  # fmt: skip
    holds = all_holds(outbox)
    return [{**dict(zip(keys, r, strict=True)), "held": int(held.get(r[0], 0)),
             "held_by": [h["source"] for h in holds.get(r[0], [])], "holds": holds.get(r[0], [])}
            for r in rows]  # fmt: skip


def held_without_campaign_total(outbox: Outbox) -> int:
    """Held marketing messages that belong to no campaign (a paused signature or template
    holds them)."""
    ((n,),) = outbox.query(
        "SELECT COUNT(*) FROM message WHERE campaign IS NULL AND lane='marketing' AND status='held'"
    )
    return int(n)


def resume(outbox: Outbox, campaign: str, reason: str, who: str, now: float | None = None,
           kind: str = "campaign") -> dict[str, Any]:  # fmt: skip
    """Release a paused campaign's held messages back to the queue, once; record who and why.

    The explicit override: every hold of the campaign is removed, whatever placed it (its own
    signals, signatures, templates; the answer's ``released_holds``); a signature or template
    that is still paused holds the campaign's later marketing no more (it was resumed by a
    person after that pause), but keeps holding the other campaigns under it.

    ``kind`` "signature" or "template": ``campaign`` names a signature or template whose rate
    paused it; it becomes active and the campaigns it paused are resumed with it
    (engine.dispatch.holds.resume_scope). A campaign (scope) that is not paused (resumed
    already, or by a concurrent call) releases nothing: ``released`` is 0. Raises
    CampaignError for an unknown campaign (scope) or an empty reason.
    """
    now = time.time() if now is None else now
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise CampaignError(
            "invalid_request",
            "a resume needs a reason (at least 3 characters): why it is safe to send again, "
            "e.g. template reworded, complaints answered",
            "reason",
        )
    if kind != "campaign":
        return _resume_scope(outbox, kind, campaign, reason, who, now)
    known = [r[0] for r in outbox.query(f"SELECT name FROM campaign WHERE {CAMPAIGNS_ONLY}")]
    if campaign not in known:
        from engine.ruleset.errors import did_you_mean

        hint = did_you_mean(campaign, known) or (
            " Known: " + ", ".join(sorted(known)[:10]) if known else " No campaign is known yet."
        )
        raise CampaignError("not_found", f"unknown campaign {campaign!r}.{hint} "
                            "List them with xinshi dispatch campaigns", "campaign")  # fmt: skip
    with outbox.transaction() as db:
        lock_holds(db)
        sources = [h["source"] for h in holds_of(db, campaign)]
        drop_holds(db, campaign)
        released = release_campaign(db, campaign, who, reason, now)
        if released is None:
            return {"campaign": campaign, "state": "active", "released": 0,
                    "note": "the campaign is not paused: nothing to release"}  # fmt: skip
    log.warning("campaign %s resumed by %s (%s): %d messages released", campaign, who, reason,
                released)  # fmt: skip
    return {"campaign": campaign, "state": "active", "released": released, "resumed_by": who,
            "reason": reason, "resumed_at": now, "released_holds": sources}  # fmt: skip


def _resume_scope(outbox: Outbox, kind: str, value: str, reason: str, who: str, now: float,
                  ) -> dict[str, Any]:  # fmt: skip
    if kind not in SCOPE_KINDS:
        raise ValueError(f"kind {kind!r}: campaign, signature or template")
    name = scope_name(kind, value)
    known = [r[0] for r in outbox.query(f"SELECT name FROM campaign WHERE NOT ({CAMPAIGNS_ONLY})")]
    if name not in known:
        from engine.ruleset.errors import did_you_mean

        mine = [n.partition(" ")[2] for n in known if n.startswith(f"{kind} ")]
        hint = did_you_mean(value, mine) or (
            " Paused ones: " + ", ".join(sorted(mine)[:10]) if mine else ""
        )
        message = (f"{kind} {value!r} was never paused by the kill switch.{hint} List them "
                   "with xinshi dispatch campaigns")  # fmt: skip
        raise CampaignError("not_found", message, kind)
    return resume_scope(outbox, kind, value, reason, who, now)


def hold_claimed(outbox: Outbox, message_id: str, now: float) -> bool:
    """Worker: a claimed marketing message whose campaign was paused since the claim goes back
    as ``held`` instead of to the provider (its attempt not counted), as does one whose
    signature or template was paused (engine.dispatch.holds.inherit pauses its campaign then;
    a message of no campaign is held on the signature or template itself). Reads first: sends
    of campaigns that run normally take no write here."""
    found = outbox.query(
        "SELECT m.campaign, m.sign_name, m.template_id, c.state FROM message m "
        "LEFT JOIN campaign c ON c.name=m.campaign WHERE m.id=?",
        (message_id,),
    )
    if not found:
        return False
    campaign, sign, template, state = found[0]
    if campaign is None:
        if not outbox.query("SELECT 1 FROM campaign WHERE name IN (?, ?) AND state='paused'",
                            send_scopes(sign, template)):  # fmt: skip
            return False
        with outbox.transaction() as db:
            lock_holds(db)  # a resume of the scope either released it or finds it held
            scopes = paused_scopes(db, sign, template)
            return _hold_claimed(db, message_id, now, scopes[0][0] if scopes else None)
    if state != "paused":  # a signature or template paused since it was queued holds it too
        scopes = outbox.query(
            "SELECT 1 FROM campaign WHERE name IN (?, ?) AND state='paused'",
            send_scopes(sign, template),
        )
        if not scopes:
            return False
        with outbox.transaction() as db:
            inherit(db, campaign, sign, template, now)
            ((state,),) = db.execute(
                "SELECT state FROM campaign WHERE name=?", (campaign,)
            ).fetchall()
        if state != "paused":  # resumed by a person after the scope paused: it goes
            return False
    with outbox.transaction() as db:
        return _hold_claimed(db, message_id, now, "")


def _hold_claimed(db: Connection, message_id: str, now: float, scope: str | None) -> bool:
    """Put a claimed marketing message back as ``held`` (``scope``: the paused signature or
    template holding a message of no campaign; "" for a paused campaign; None: not held)."""
    if scope is None:
        return False
    cur = db.execute(
        "UPDATE message SET status='held', lease_until=NULL, claimed_at=NULL, "
        "attempts=CASE WHEN attempts>0 THEN attempts-1 ELSE 0 END WHERE id=? AND "
        "status='sending' AND lane='marketing'",
        (message_id,),
    )
    if cur.rowcount:
        code, detail = ("scope_paused", scope) if scope else ("campaign_paused", None)
        db.execute("INSERT INTO history VALUES (?,?,'held',?,?)", (message_id, now, code, detail))
    return cur.rowcount > 0
