"""Hold sources of the kill switch (both backends): marketing of no campaign is held on a
tripped signature while OTP and notices flow; a campaign held by two sources stays held when
one is resumed (``still_held``) and is released once when the last goes; ``xinshi dispatch
campaigns`` shows what holds each campaign and the held messages of no campaign."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from engine.dispatch.campaigns import KillSwitch, hold_claimed, list_campaigns, resume
from engine.dispatch.complaints import load_policy
from engine.dispatch.message import Lane, Status
from engine.dispatch.optout import load_optout_words
from engine.dispatch.outbox import Outbox
from tests.dispatch import test_killswitch as killswitch_tests
from tests.dispatch.test_killswitch import SIGN, _cli_env, _queue, _reply, _sent
from tests.dispatch.test_killswitch_scopes import FIGURE, _trip_signature

SIGNATURE, TEMPLATE = f"signature {SIGN}", "template double11"


# the kill switch's fixtures, shared with tests/dispatch/test_killswitch.py
outbox = killswitch_tests.outbox
switch = killswitch_tests.switch


def _status(outbox: Outbox, mid: str) -> Status:
    row = outbox.get(mid)
    assert row is not None
    return row.status


def _cli(outbox: Outbox, tmp_path: Path, *args: str) -> dict[str, Any]:
    r = subprocess.run([sys.executable, "-m", "engine.cli", "dispatch", *args],
                       env=_cli_env(outbox, tmp_path), capture_output=True, text=True,
                       timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


def _resume_cli(outbox: Outbox, tmp_path: Path, flag: str, name: str) -> dict[str, Any]:
    return _cli(outbox, tmp_path, "resume", flag, name, "--reason", "list cleaned", "--by", "ops")


def test_marketing_of_no_campaign_is_held_on_a_signature_trip_while_otp_and_notices_flow(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    claimed_first = _queue(outbox, "nc-claimed", "+8613700000101", campaign=None)
    (row,) = outbox.claim(Lane.MARKETING, 5, 10**10, 60)  # claimed before the trip
    assert row.id == claimed_first
    waiting = _queue(outbox, "nc-waiting", "+8613700000102", campaign=None)
    other_sign = _queue(outbox, "nc-other", "+8613700000103", campaign=None, sign="别家店")
    _trip_signature(outbox, switch)  # queue time: the waiting one is held by the trip
    assert _status(outbox, waiting) is Status.HELD
    assert hold_claimed(outbox, claimed_first, 10**10) is True  # at claim
    arriving = _queue(outbox, "nc-late", "+8613700000104", campaign=None, template="tpl-x")
    otp = _queue(outbox, "nc-otp", "+8613700000105", lane=Lane.OTP, campaign=None)
    notice = _queue(outbox, "nc-notice", "+8613700000106", lane=Lane.NOTICE, campaign=None)
    assert _status(outbox, arriving) is Status.HELD  # on arrival
    assert outbox.history(arriving)[-1]["status"] == "held"
    flowing = {r.id for lane in Lane for r in outbox.claim(lane, 50, 10**10 + 1, 60)}
    assert flowing == {other_sign, otp, notice}

    shown = _cli(outbox, tmp_path, "campaigns")
    assert shown["held_without_campaign"] == 3
    ((scope,),) = [[s for s in shown["paused_scopes"] if s["state"] == "paused"]]
    assert (scope["name"], scope["figure"], scope["held_without_campaign"]) == (SIGN, FIGURE, 3)
    assert {c["campaign"]: c["held_by"] for c in shown["campaigns"]} == {
        c: [SIGNATURE] for c in "abc"}  # fmt: skip

    out = _resume_cli(outbox, tmp_path, "--signature", SIGN)
    assert (out["campaigns"], out["still_held"], out["released_without_campaign"]) == (
        ["a", "b", "c"], [], 3)  # fmt: skip
    assert {_status(outbox, m) for m in (claimed_first, waiting, arriving)} == {Status.QUEUED}
    again = _resume_cli(outbox, tmp_path, "--signature", SIGN)
    assert (again["released"], again["released_without_campaign"]) == (0, 0)
    assert _cli(outbox, tmp_path, "campaigns")["held_without_campaign"] == 0


def test_resuming_the_signature_leaves_a_campaign_its_complaints_hold_then_campaign_overrides(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    _trip_signature(outbox, switch)
    # two complaints from campaign a's recipients: a second source holds the paused campaign
    assert switch.on_replies([_reply(1, "我要投诉"), _reply(2, "举报你们")]) == []
    held = _queue(outbox, "a-q", "+8613700000201", campaign="a", template="tpl-a")
    assert _status(outbox, held) is Status.HELD
    shown = {c["campaign"]: c for c in _cli(outbox, tmp_path, "campaigns")["campaigns"]}
    assert shown["a"]["held_by"] == [SIGNATURE, "complaint"]
    assert [h["figure"] for h in shown["a"]["holds"]] == [
        FIGURE, "2 complaint replies within 10 min"]  # fmt: skip
    assert shown["a"]["holds"][0]["at"].endswith("+08:00")  # Beijing time, as paused_at
    assert shown["b"]["held_by"] == [SIGNATURE]

    out = _resume_cli(outbox, tmp_path, "--signature", SIGN)
    assert (out["campaigns"], out["still_held"], out["released"]) == (
        ["b", "c"], [{"campaign": "a", "held_by": ["complaint"]}], 0)  # fmt: skip
    assert _status(outbox, held) is Status.HELD
    after = {c["campaign"]: c for c in _cli(outbox, tmp_path, "campaigns")["campaigns"]}
    assert (after["a"]["state"], after["a"]["held_by"], after["a"]["figure"]) == (
        "paused", ["complaint"], "2 complaint replies within 10 min")  # fmt: skip
    assert (after["b"]["state"], after["b"]["held_by"]) == ("active", [])
    # --campaign is the override: it releases a whatever holds it
    override = _resume_cli(outbox, tmp_path, "--campaign", "a")
    assert (override["released"], override["released_holds"]) == (1, ["complaint"])
    assert _status(outbox, held) is Status.QUEUED


def test_a_campaign_held_by_signature_and_template_is_released_once_when_the_last_resumes(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    """Two campaigns of 5 sends on one template and signature, 3 opt-outs: both scopes trip
    (3 of 10 sent) and hold both campaigns, a later one and marketing of no campaign."""
    _sent(outbox, 5, campaign="a")
    _sent(outbox, 5, campaign="b", first=5)
    switch.on_replies([_reply(i, "TD") for i in (0, 5, 1)])  # to a, b, a
    late = [_queue(outbox, f"late-{i}", f"+861370000030{i}", campaign="late") for i in range(2)]
    loose = _queue(outbox, "loose", "+8613700000310", campaign=None)
    assert {_status(outbox, m) for m in (*late, loose)} == {Status.HELD}
    listed = {c["campaign"]: c["held_by"] for c in list_campaigns(outbox)}
    assert listed == {c: [SIGNATURE, TEMPLATE] for c in ("a", "b", "late")}

    first = _resume_cli(outbox, tmp_path, "--signature", SIGN)
    assert first["campaigns"] == [] and first["released"] == 0
    assert first["still_held"] == [
        {"campaign": c, "held_by": [TEMPLATE]} for c in ("a", "b", "late")
    ]
    assert first["released_without_campaign"] == 0  # the template still holds it
    assert {_status(outbox, m) for m in (*late, loose)} == {Status.HELD}

    # the last source, resumed by two people at once: released once, and only once
    boxes = [Outbox(outbox.target) for _ in range(2)]
    answers: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda b=b: answers.append(
        resume(b, "double11", "template rewritten", "ops", kind="template")))
        for b in boxes]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(a["released"] + a["released_without_campaign"] for a in answers) == [0, 3]
    (done,) = [a for a in answers if a["released"]]
    assert (done["campaigns"], done["still_held"]) == (["a", "b", "late"], [])
    assert {_status(outbox, m) for m in (*late, loose)} == {Status.QUEUED}
    assert _resume_cli(outbox, tmp_path, "--template", "double11")["released"] == 0
    assert outbox.query("SELECT COUNT(*) FROM campaign_hold") == [(0,)]
    for b in boxes:
        b.close()


def test_campaigns_paused_before_the_holds_existed_get_their_source_on_upgrade(
    outbox: Outbox, switch: KillSwitch
) -> None:
    _trip_signature(outbox, switch)
    with outbox.transaction() as db:  # as an older xinshi left it
        db.execute("DROP TABLE campaign_hold")
        if outbox.postgres:
            db.execute("DELETE FROM schema_version WHERE version >= 7")
    upgraded = Outbox(outbox.target)
    assert {c["campaign"]: c["held_by"] for c in list_campaigns(upgraded)} == {
        c: [SIGNATURE] for c in "abc"}  # fmt: skip
    assert resume(upgraded, SIGN, "list cleaned", "ops", kind="signature")["campaigns"] == [
        "a", "b", "c"]  # fmt: skip
    upgraded.close()


def test_a_signature_and_a_template_tripping_at_once_both_hold_and_hold_each_message_once(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    """Two processes evaluate the signature and the template at the same moment: the campaign
    ends up held by both, and each waiting message is held once."""
    sent = _sent(outbox, 5, campaign="a") + _sent(outbox, 5, campaign="b", first=5)
    waiting = _queue(outbox, "a-wait", "+8613700000401", campaign="a")
    with outbox.transaction() as db:  # 3 opt-outs counted, not yet evaluated
        db.executemany("INSERT INTO campaign_signal VALUES (?,?,?,?,?)", [
            (scope, "opt_out", mid, "TD", time.time()) for scope in (SIGNATURE, TEMPLATE)
            for mid in (sent[0], sent[5], sent[1])])  # fmt: skip
    policy = load_policy(tmp_path / "complaints.yaml")
    t, now = policy.for_signature(SIGN), time.time()
    switches = [KillSwitch(Outbox(outbox.target), policy, load_optout_words()) for _ in range(2)]
    jobs = [(switches[0], SIGNATURE, "sign_name", SIGN),
            (switches[1], TEMPLATE, "template_id", "double11")]  # fmt: skip
    threads = [threading.Thread(target=s.evaluate_scope, args=(scope, col, value, t, now))
               for s, scope, col, value in jobs]  # fmt: skip
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    listed = {c["campaign"]: c for c in list_campaigns(outbox)}
    assert {c: listed[c]["held_by"] for c in ("a", "b")} == {
        c: [SIGNATURE, TEMPLATE] for c in ("a", "b")}  # fmt: skip
    assert (listed["a"]["state"], listed["a"]["held"]) == ("paused", 1)
    assert [h["status"] for h in outbox.history(waiting)].count("held") == 1
    for s in switches:
        s.outbox.close()
