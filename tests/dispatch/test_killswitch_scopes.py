"""A signature's (template's) trip holds the marketing of every campaign under it, also of
campaigns that first send after the trip, until the signature (template) is resumed; both
backends. OTP and notices are never held."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.dispatch.campaigns import CampaignError, KillSwitch, hold_claimed, resume
from engine.dispatch.message import Lane, Status
from engine.dispatch.outbox import Outbox
from tests.dispatch import test_killswitch as killswitch_tests
from tests.dispatch.test_killswitch import SIGN, _cli_env, _queue, _reply, _sent

# the kill switch's fixtures, shared with tests/dispatch/test_killswitch.py
outbox = killswitch_tests.outbox
switch = killswitch_tests.switch


FIGURE = f"signature {SIGN}: opt-out rate 25.0% (3 of 12 sent) within 10 min"


def _trip_signature(outbox: Outbox, switch: KillSwitch, figure: str = FIGURE) -> None:
    """Three campaigns of 4 sends each, one opt-out apiece: the signature trips (3 of 12)."""
    for n, c in enumerate("abc"):
        _sent(outbox, 4, campaign=c, first=4 * n, template=f"tpl-{c}")
    assert switch.on_replies([_reply(0, "TD"), _reply(4, "退订")]) == []
    (trip,) = switch.on_replies([_reply(8, "T")])
    assert trip.figure == figure


def _status(outbox: Outbox, mid: str) -> Status:
    row = outbox.get(mid)
    assert row is not None
    return row.status


def test_a_campaign_that_first_sends_after_its_signature_tripped_is_held(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    _trip_signature(outbox, switch)
    late = _queue(outbox, "late-1", "+8613700000011", campaign="late", template="tpl-new")
    other_sign = _queue(outbox, "late-2", "+8613700000012", campaign="late2", sign="别家店")
    otp = _queue(outbox, "late-otp", "+8613700000013", lane=Lane.OTP, campaign="late")
    notice = _queue(outbox, "late-n", "+8613700000014", lane=Lane.NOTICE, campaign="late")
    assert _status(outbox, late) is Status.HELD
    assert {_status(outbox, m) for m in (other_sign, otp, notice)} == {Status.QUEUED}
    r = subprocess.run([sys.executable, "-m", "engine.cli", "dispatch", "campaigns"],
                       env=_cli_env(outbox, tmp_path), capture_output=True, text=True,
                       timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    late_row = next(c for c in shown["campaigns"] if c["campaign"] == "late")
    assert (late_row["state"], late_row["figure"], late_row["held"]) == ("paused", FIGURE, 1)
    ((scope,),) = [[s for s in shown["paused_scopes"] if s["state"] == "paused"]]
    assert (scope["scope"], scope["name"], scope["figure"]) == ("signature", SIGN, FIGURE)


def test_a_message_queued_before_the_trip_and_claimed_after_it_is_held_not_sent(
    outbox: Outbox, switch: KillSwitch
) -> None:
    # a campaign with nothing waiting and no signal at the trip: the worker's claim catches it
    for n, c in enumerate("abc"):
        _sent(outbox, 4, campaign=c, first=4 * n, template=f"tpl-{c}")
    mid = _queue(outbox, "q-1", "+8613700000021", campaign="q", template="tpl-q")
    (claimed,) = outbox.claim(Lane.MARKETING, 1, 10**10, 60)
    assert claimed.id == mid
    assert switch.on_replies([_reply(0, "TD"), _reply(4, "退订")]) == []
    assert len(switch.on_replies([_reply(8, "T")])) == 1
    assert hold_claimed(outbox, mid, 10**10) is True
    assert _status(outbox, mid) is Status.HELD


def test_resuming_the_signature_releases_the_campaigns_it_paused_once(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    # a campaign of the same signature paused by its own complaints stays paused
    own = _sent(outbox, 1, campaign="own", first=30, template="tpl-own")
    assert own and switch.on_replies([_reply(30, "投诉")]) == []
    (mine,) = switch.on_replies([_reply(30, "我要举报")])
    assert mine.campaign == "own" and mine.signal == "complaint"
    _trip_signature(outbox, switch, FIGURE.replace("25.0% (3 of 12", "23.1% (3 of 13"))
    late = [_queue(outbox, f"late-{i}", f"+861370000003{i}", campaign="late") for i in range(2)]
    own_q = _queue(outbox, "own-q", "+8613700000040", campaign="own", template="tpl-own")
    assert {_status(outbox, m) for m in (*late, own_q)} == {Status.HELD}
    never = "signature '信使' was never paused by the kill switch. Did you mean '信使商城'?"
    with pytest.raises(CampaignError, match=re.escape(never)):
        resume(outbox, "信使", "copy reworded", "ops", kind="signature")
    env = _cli_env(outbox, tmp_path)
    cmd = [sys.executable, "-m", "engine.cli", "dispatch", "resume", "--signature", f"【{SIGN}】",
           "--reason", "copy reworded; opt-outs answered", "--by", "li.lei"]  # fmt: skip
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["campaigns"], out["released"], out["resumed_by"]) == (
        ["a", "b", "c", "late"],
        2,
        "li.lei",
    )
    assert {_status(outbox, m) for m in late} == {Status.QUEUED}
    assert _status(outbox, own_q) is Status.HELD  # paused by its own complaints
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(again.stdout)["released"] == 0
    # the signature is active again: a new campaign under it sends
    fresh = _queue(outbox, "fresh-1", "+8613700000050", campaign="fresh")
    assert _status(outbox, fresh) is Status.QUEUED


def test_resuming_one_campaign_leaves_the_signature_holding_the_others(
    outbox: Outbox, switch: KillSwitch
) -> None:
    _trip_signature(outbox, switch)
    held = _queue(outbox, "late-1", "+8613700000061", campaign="late")
    assert resume(outbox, "late", "this one reviewed", "ops")["released"] == 1
    assert _status(outbox, held) is Status.QUEUED
    again = _queue(outbox, "late-2", "+8613700000062", campaign="late")
    assert _status(outbox, again) is Status.QUEUED  # resumed by a person after the trip
    newer = _queue(outbox, "newer-1", "+8613700000063", campaign="newer")
    assert _status(outbox, newer) is Status.HELD


def test_resume_needs_one_target_on_the_command_line(outbox: Outbox, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "engine.cli", "dispatch", "resume", "--campaign",
                        "a", "--signature", SIGN, "--reason", "why not"],
                       env=_cli_env(outbox, tmp_path), capture_output=True, text=True,
                       timeout=120)  # fmt: skip
    assert r.returncode == 2
    assert "give one of --campaign, --signature or --template" in r.stderr


def _as_before_the_counters(outbox: Outbox) -> Outbox:
    """The outbox as an older xinshi left it (no send_count), opened by this one."""
    with outbox.transaction() as db:
        db.execute("DROP TABLE send_count")
        db.execute("DROP TABLE campaign_hold")  # newer than the counters too
        if outbox.postgres:
            db.execute("DELETE FROM schema_version WHERE version >= 5")
    return Outbox(outbox.target)


def test_sends_accepted_before_the_counters_existed_count_after_the_upgrade(
    outbox: Outbox, switch: KillSwitch
) -> None:
    """40 sends before the upgrade, 10 after, 3 opt-outs to the earlier ones: the signature's
    rate is 3 of 50 (6%), not 3 of 10 (30%, which would pause every campaign of it)."""
    _sent(outbox, 40, campaign="before", template="tpl-before")
    upgraded = _as_before_the_counters(outbox)
    scope = f"signature {SIGN}"
    assert upgraded.query("SELECT SUM(n) FROM send_count WHERE scope=?", (scope,)) == [(40,)]
    assert upgraded.query("SELECT SUM(n) FROM send_count WHERE scope='template tpl-before'") == [
        (40,)
    ]
    _sent(upgraded, 10, campaign="after", first=40, template="tpl-after")
    assert upgraded.query("SELECT SUM(n) FROM send_count WHERE scope=?", (scope,)) == [(50,)]
    again = Outbox(outbox.target)  # a second open fills nothing twice
    assert again.query("SELECT SUM(n) FROM send_count WHERE scope=?", (scope,)) == [(50,)]
    switch.outbox = upgraded
    assert switch.on_replies([_reply(i, "TD") for i in range(3)]) == []
    assert upgraded.query("SELECT COUNT(*) FROM campaign WHERE state='paused'") == [(0,)]
