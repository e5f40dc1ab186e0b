"""The complaint kill switch on the outbox (both backends): vocabulary, thresholds, pause holds
the campaign's queued marketing (never OTP or notices), resume releases once, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.dispatch.campaigns import CampaignError, KillSwitch, list_campaigns, resume
from engine.dispatch.complaints import ComplaintRulesError, load_policy, read_policy
from engine.dispatch.events import EventWriter
from engine.dispatch.intake import Intake, IntakeError, SendRequest
from engine.dispatch.message import Lane, Status
from engine.dispatch.optout import load_optout_words
from engine.dispatch.outbox import NewMessage, Outbox
from engine.dispatch.providers.base import Inbound
from engine.dispatch.scenes import load_scenes
from engine.dispatch.templates import load_templates
from engine.dispatch.triggers import Event, Triggers
from engine.ruleset import RuleSet
from tests.conftest import RULES
from tests.dispatch.conftest import StoreAt

SIGN = "信使商城"
POLICY = """\
vocabulary:
  words: [投诉, 举报, 12321, 骚扰]
  negations: [不是, 没有, 不]
provider_codes:
  - {code: DB:0141, provider: aliyun, source: https://help.aliyun.com/zh/sms/}
defaults: {window: 10m, complaints: 3, optout_rate: 0.2, blacklist_rate: 0.2, min_sends: 10}
signatures:
  信使商城: {complaints: 2}
"""


def _cli_env(outbox: Outbox, tmp_path: Path) -> dict[str, str]:
    """The CLI's environment for this test's outbox (an SQLite file here, or a database)."""
    env = {**os.environ, "XINSHI_DATA_DIR": str(tmp_path)}
    if not isinstance(outbox.target, Path):
        env["XINSHI_DATABASE_URL"] = str(outbox.target)
    return env


@pytest.fixture
def outbox(store_at: StoreAt) -> Outbox:
    return Outbox(store_at("dispatch.sqlite"))


@pytest.fixture
def switch(outbox: Outbox, tmp_path: Path) -> KillSwitch:
    path = tmp_path / "complaints.yaml"
    path.write_text(POLICY, encoding="utf-8")
    events = EventWriter(tmp_path / "events", "salt")
    return KillSwitch(outbox, load_policy(path), load_optout_words(), events, tmp_path / "alerts")


def _queue(
    outbox: Outbox, key: str, phone: str, *, lane: Lane = Lane.MARKETING,
    campaign: str | None = "c1", at: float | None = None, experiment: str | None = None,
    sign: str = SIGN, template: str = "double11",
) -> str:  # fmt: skip
    now = time.time() if at is None else at
    msg = NewMessage(
        key, "h", lane, phone, sign, template, {}, f"【{sign}】text", "v1", now, now + 86400,
        experiment=experiment, variant="A" if experiment else None, campaign=campaign,
    )  # fmt: skip
    row, _ = outbox.enqueue(msg, now)
    return row.id


def _sent(outbox: Outbox, n: int, campaign: str = "c1", first: int = 0, sign: str = SIGN,
          template: str = "double11") -> list[str]:  # fmt: skip
    """``n`` marketing messages of a campaign the provider accepted just now."""
    ids = []
    for i in range(first, first + n):
        mid = _queue(outbox, f"{campaign}-sent-{i}", f"+86139{i:08d}", campaign=campaign,
                     sign=sign, template=template)  # fmt: skip
        outbox.accept(mid, "aliyun", f"ref-{campaign}-{i}", "OK")
        ids.append(mid)
    return ids


def _reply(i: int, text: str, sign: str | None = SIGN) -> Inbound:
    return Inbound("aliyun", f"139{i:08d}", sign, text, "{}")


@pytest.mark.parametrize(
    ("reply", "word"),
    [("我要投诉你们", "投诉"), ("再发就打12321举报", "举报"), ("骚扰短信！！", "骚扰"),
     ("１２３２１", "12321"), ("不是投诉，问下活动", None), ("没有举报", None), ("好的谢谢", None),
     ("TD", None), ("不投诉了，但是再发我就举报", "举报")],
)  # fmt: skip
def test_the_vocabulary_reads_complaints_and_their_negations(reply: str, word: str | None) -> None:
    assert load_policy(RULES / "dispatch" / "complaints.yaml").vocabulary.complaint(reply) == word


def test_a_complaint_storm_pauses_the_campaign_and_holds_only_its_marketing(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    sent = _sent(outbox, 5)
    waiting = [_queue(outbox, f"c1-q{i}", f"+8613700000{i:03d}") for i in range(4)]
    other = _queue(outbox, "c2-q", "+8613700001000", campaign="c2")
    otp = _queue(outbox, "otp", "+8613700002000", lane=Lane.OTP, campaign="c1")
    notice = _queue(outbox, "notice", "+8613700003000", lane=Lane.NOTICE, campaign="c1")
    assert switch.on_replies([_reply(0, "我要投诉")]) == []  # 1 of 2
    assert switch.on_replies([_reply(1, "不是投诉，问一下")]) == []  # negated: not counted
    (trip,) = switch.on_replies([_reply(2, "骚扰！")])
    assert (trip.campaign, trip.signal, trip.held) == ("c1", "complaint", 4)
    assert trip.figure == "2 complaint replies within 10 min" and trip.threshold == "2 complaints"
    status = {mid: outbox.get(mid).status for mid in [*waiting, other, otp, notice]}  # type: ignore[union-attr]
    assert [status[m] for m in waiting] == [Status.HELD] * 4
    assert status[other] is status[otp] is status[notice] is Status.QUEUED
    claimed = {r.id for lane in Lane for r in outbox.claim(lane, 50, time.time() + 1, 30)}
    assert claimed == {other, otp, notice}  # held marketing is never claimed
    late = _queue(outbox, "c1-late", "+8613700004000")
    assert outbox.get(late).status is Status.HELD  # type: ignore[union-attr]
    (listed,) = [c for c in list_campaigns(outbox) if c["campaign"] == "c1"]
    assert listed["state"] == "paused" and listed["signal"] == "complaint" and listed["held"] == 5
    assert listed["held_at_pause"] == 4 and listed["sign_name"] == SIGN
    assert outbox.history(waiting[0])[-1]["status"] == "held"
    assert switch.on_replies([_reply(3, "投诉")]) == []  # paused already: no second pause
    (alert,) = (tmp_path / "alerts").glob("alerts-*.jsonl")
    assert '"campaign":"c1","signal":"complaint"' in alert.read_text()
    assert sent  # the complainers' messages were sent before the storm


def test_a_resume_releases_the_held_messages_once_and_records_who_and_why(
    outbox: Outbox, switch: KillSwitch
) -> None:
    _sent(outbox, 3)
    held = [_queue(outbox, f"c1-q{i}", f"+8613700000{i:03d}") for i in range(6)]
    switch.on_replies([_reply(0, "投诉"), _reply(1, "举报")])
    first = resume(outbox, "c1", "copy reworded, complaints answered", "li.lei")
    assert first["released"] == 6 and first["resumed_by"] == "li.lei"
    assert {outbox.get(m).status for m in held} == {Status.QUEUED}  # type: ignore[union-attr]
    again = resume(outbox, "c1", "again", "han.meimei")
    assert (
        again["released"] == 0 and again["note"] == "the campaign is not paused: nothing to release"
    )
    (listed,) = list_campaigns(outbox)
    assert (listed["state"], listed["resumed_by"], listed["held"]) == ("active", "li.lei", 0)
    assert listed["reason"] == "copy reworded, complaints answered"
    # signals before the resume no longer count: one new complaint does not pause it again
    assert switch.on_replies([_reply(2, "投诉")]) == []
    claimed = outbox.claim(Lane.MARKETING, 50, time.time() + 1, 30)
    assert {r.id for r in claimed} == set(held)  # each released message is claimable once


def test_two_concurrent_resumes_release_the_messages_once(
    outbox: Outbox, switch: KillSwitch
) -> None:
    _sent(outbox, 2)
    held = [_queue(outbox, f"c1-q{i}", f"+8613700000{i:03d}") for i in range(20)]
    switch.on_replies([_reply(0, "投诉"), _reply(1, "投诉")])
    boxes = [Outbox(outbox.target) for _ in range(4)]
    results: list[int] = []
    start = threading.Barrier(len(boxes))

    def go(box: Outbox) -> None:
        start.wait()
        results.append(int(resume(box, "c1", "checked by compliance", "ops")["released"]))

    threads = [threading.Thread(target=go, args=(b,)) for b in boxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 0, 0, len(held)]
    released = outbox.query("SELECT COUNT(*) FROM history WHERE code='campaign_resumed'")
    assert released == [(len(held),)]


def test_an_opt_out_rate_needs_the_minimum_sends_before_it_trips(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    _sent(outbox, 2)
    assert switch.on_replies([_reply(0, "TD")]) == []  # 1 of 2 is 50%, but under min_sends 10
    _sent(outbox, 8, first=2)
    assert switch.on_replies([_reply(1, "退订")]) == []  # 2 of 10 = 20%: not above 20%
    (trip,) = switch.on_replies([_reply(2, "R")])
    assert trip.signal == "opt_out"
    assert trip.figure == "opt-out rate 30.0% (3 of 10 sent) within 10 min"
    assert trip.threshold == "20.0% once 10 sent"


def test_a_signature_opt_out_rate_pauses_every_campaign_under_it(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    # three campaigns of one signature, four sends each: no campaign reaches min_sends 10 and no
    # template either, but the signature has 12 sends and 3 opt-outs (25% > 20%)
    for n, c in enumerate("abc"):
        _sent(outbox, 4, campaign=c, first=4 * n, template=f"tpl-{c}")
    waiting = _queue(outbox, "d-q", "+8613700000001", campaign="d", template="tpl-d")
    other_sign = _queue(outbox, "e-q", "+8613700000002", campaign="e", sign="别家店")
    otp = _queue(outbox, "otp", "+8613700000003", lane=Lane.OTP, campaign="a")
    assert switch.on_replies([_reply(0, "TD"), _reply(4, "退订")]) == []
    (trip,) = switch.on_replies([_reply(8, "T")])
    figure = f"signature {SIGN}: opt-out rate 25.0% (3 of 12 sent) within 10 min"
    assert (trip.campaign, trip.signal, trip.figure) == ("c", "opt_out", figure)
    assert outbox.get(waiting).status is Status.HELD  # type: ignore[union-attr]
    assert outbox.get(other_sign).status is outbox.get(otp).status is Status.QUEUED  # type: ignore[union-attr]
    r = subprocess.run([sys.executable, "-m", "engine.cli", "dispatch", "campaigns"],
                       env=_cli_env(outbox, tmp_path), capture_output=True, text=True,
                       timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    shown = {c["campaign"]: c for c in json.loads(r.stdout)["campaigns"]}
    assert sorted(shown) == ["a", "b", "c", "d"]
    assert {(c["state"], c["signal"], c["figure"], c["threshold"]) for c in shown.values()} == {
        ("paused", "opt_out", figure, "20.0% once 10 sent")
    }
    assert shown["d"]["held"] == 1 and shown["d"]["held_at_pause"] == 1
    # a resumed campaign is not paused again by the opt-outs before the signature's pause
    assert resume(outbox, "a", "signature reviewed", "ops")["state"] == "active"
    _sent(outbox, 1, campaign="a", first=20, template="tpl-a")
    assert switch.on_replies([_reply(20, "TD")]) == []


def test_a_template_opt_out_rate_pauses_its_campaigns_across_signatures(
    outbox: Outbox, switch: KillSwitch
) -> None:
    _sent(outbox, 5, campaign="x", template="t1")
    _sent(outbox, 5, campaign="y", first=5, sign="别家店", template="t1")
    _sent(outbox, 10, campaign="z", first=10, template="t2")  # same signature, other template
    queued = {c: _queue(outbox, f"{c}-q", f"+861370000000{i}", campaign=c, template=t, sign=s)
              for i, (c, t, s) in enumerate([("x", "t1", SIGN), ("y", "t1", "别家店"),
                                             ("z", "t2", SIGN)])}  # fmt: skip
    assert switch.on_replies([_reply(0, "TD"), _reply(5, "TD", sign="别家店")]) == []
    (trip,) = switch.on_replies([_reply(6, "退订", sign="别家店")])
    assert trip.campaign == "y"
    assert trip.figure == "template t1: opt-out rate 30.0% (3 of 10 sent) within 10 min"
    state = {c["campaign"]: c["state"] for c in list_campaigns(outbox)}
    assert state == {"x": "paused", "y": "paused"}  # z drew no signal and is not under t1
    held = {c: outbox.get(m).status for c, m in queued.items()}  # type: ignore[union-attr]
    assert held == {"x": Status.HELD, "y": Status.HELD, "z": Status.QUEUED}


def test_blacklist_codes_trip_by_rate_and_other_codes_count_for_nothing(
    outbox: Outbox, switch: KillSwitch
) -> None:
    ids = _sent(outbox, 10)
    assert switch.on_code(ids[0], "MK:0001") is None  # 空号: not a blacklist
    assert switch.on_code(ids[0], "DB:0141") is None and switch.on_code(ids[1], "DB:0141") is None
    trip = switch.on_code(ids[2], "DB:0141")
    assert trip is not None and trip.signal == "provider_code"
    assert trip.figure == "blacklist codes 30.0% (3 of 10 sent) within 10 min"


def test_otp_and_notice_replies_never_pause_anything(outbox: Outbox, switch: KillSwitch) -> None:
    for i in range(3):
        mid = _queue(outbox, f"n{i}", f"+86139{i:08d}", lane=Lane.NOTICE, campaign="orders")
        outbox.accept(mid, "aliyun", f"r{i}", "OK")
    assert switch.on_replies([_reply(i, "投诉") for i in range(3)]) == []
    assert list_campaigns(outbox) == []


def test_replies_write_the_ab_events_the_report_reads(
    outbox: Outbox, switch: KillSwitch, tmp_path: Path
) -> None:
    a = _queue(outbox, "ab-0", "+8613900000000", experiment="exp1")
    b = _queue(outbox, "ab-1", "+8613900000001", experiment="exp1")
    for mid in (a, b):
        outbox.accept(mid, "aliyun", f"ref-{mid}", "OK")
    switch.on_replies([_reply(0, "投诉"), _reply(1, "TD"), _reply(1, "好的")])
    lines = "".join(p.read_text() for p in (tmp_path / "events").glob("*.jsonl"))
    assert f'"event":"complained","message_id":"{a}","experiment":"exp1","variant":"A"' in lines
    assert f'"event":"opted_out","message_id":"{b}"' in lines and lines.count("\n") == 2
    assert outbox.is_suppressed("+8613900000000", SIGN)  # a complainer gets no more marketing


def test_resume_refuses_an_unknown_campaign_and_an_empty_reason(
    outbox: Outbox, switch: KillSwitch
) -> None:
    _sent(outbox, 2, campaign="double11-2026")
    switch.on_replies([_reply(0, "投诉")])
    with pytest.raises(CampaignError) as exc:
        resume(outbox, "double11-2062", "reason given", "ops")
    assert exc.value.message == (
        "unknown campaign 'double11-2062'. Did you mean 'double11-2026'? "
        "List them with xinshi dispatch campaigns"
    )
    with pytest.raises(CampaignError, match="a resume needs a reason") as exc:
        resume(outbox, "double11-2026", "  ", "ops")
    assert exc.value.field == "reason"


def test_the_campaign_is_the_request_field_else_the_experiment_else_the_template_or_scene(
    outbox: Outbox, ruleset: RuleSet
) -> None:
    book = load_templates(RULES / "dispatch" / "templates.yaml")
    intake = Intake(outbox, book, lambda: ruleset, b"secret", "https://xinshi.cn")
    params = {"name": "会员", "url": "https://m.xinshi-mall.cn/1111"}

    def campaign(req: SendRequest) -> object:
        row, _ = intake.submit(req)
        return outbox.query("SELECT campaign FROM message WHERE id=?", (row.id,))[0][0]

    assert campaign(SendRequest("k1", "13812340100", "double11", params, campaign="d11")) == "d11"
    assert campaign(SendRequest("k2", "13812340101", "double11", params, experiment="e9")) == "e9"
    assert campaign(SendRequest("k3", "13812340102", "double11", params)) == "double11"
    assert campaign(SendRequest("k4", "13812340103", "order_confirmed", {"order": "1"})) is None
    scenes = load_scenes(RULES / "dispatch" / "scenes.yaml", book)
    birthday = {"name": "王女士", "amount": "20", "date": "2026-12-31"}
    got = Triggers(intake, scenes).trigger(Event("bd-1", "birthday", "13812340105", birthday))
    assert got.message is not None
    sql = "SELECT campaign FROM message WHERE id=?"
    assert outbox.query(sql, (got.message.id,)) == [("birthday",)]  # its scene
    with pytest.raises(IntakeError, match="is not a campaign name") as exc:
        intake.submit(SendRequest("k5", "13812340104", "double11", params, campaign="a b"))
    assert exc.value.field == "campaign"


@pytest.mark.parametrize(
    ("yaml_text", "error"),
    [
        ("defaults: {optout_rate: 2}\n",
         "x.yaml:1: defaults.optout_rate 2 is not a rate between 0 and 1 (exclusive); write 0.02 for 2%"),
        ("defaults:\n  complaints: 0\n",
         "x.yaml:2: defaults.complaints 0 is not a whole number of at least 1"),
        ("defaults:\n  window: 5s\n",
         "x.yaml:2: defaults.window '5s' is not a window from 1 minute to 7 days; write it like 30m, 1h or 1d"),
        ("signatures:\n  信使商城: {min_sends: 2}\n",
         "x.yaml:2: signatures.信使商城: optout_rate 0.02 with min_sends 2 trips on a single reply; raise min_sends to at least 51 or the rate"),
        ("defaults: {complaint: 3}\n",
         "x.yaml:1: unknown key 'defaults.complaint'. Did you mean 'complaints'?"),
        ("provider_codes:\n  - {code: DB:0141}\n",
         "x.yaml:2: provider code 'DB:0141' has no source: cite the provider's public error-code page"),
    ],
)  # fmt: skip
def test_thresholds_that_make_no_sense_are_refused_with_file_and_line(
    tmp_path: Path, yaml_text: str, error: str
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("vocabulary: {words: [投诉], negations: [不是]}\n" + yaml_text, "utf-8")
    policy, errors = read_policy(path)
    assert policy is None
    got = [str(e).replace(str(tmp_path) + "/", "") for e in errors]
    line, _, rest = error.partition(": ")
    n = int(line.split(":")[1]) + 1  # the vocabulary line comes first
    assert got[0] == f"x.yaml:{n}: {rest}"


def test_rules_check_reports_the_complaints_file_as_readme_shows(tmp_path: Path) -> None:
    import os
    import shutil

    from tests.conftest import ROOT
    from tests.processes import xinshi

    ok = xinshi(dict(os.environ), "rules", "check", str(RULES))
    assert ok.returncode == 0, ok.stdout
    shutil.copytree(RULES, tmp_path / "rules")
    path = tmp_path / "rules" / "dispatch" / "complaints.yaml"
    path.write_text(
        path.read_text("utf-8").replace("optout_rate: 0.02 ", "optout_rate: 2 "), "utf-8"
    )
    r = xinshi(dict(os.environ), "rules", "check", str(tmp_path / "rules"))
    assert r.returncode == 1
    line = r.stdout.splitlines()[0].replace(str(tmp_path) + "/", "")
    assert line == (
        "rules/dispatch/complaints.yaml:31: defaults.optout_rate 2 is not a rate between 0 and 1 "
        "(exclusive); write 0.02 for 2%"
    )
    readme = " ".join((ROOT / "README.md").read_text("utf-8").split())
    assert f"`{line}`" in readme


def test_an_outbox_file_from_before_campaigns_gets_them_on_open(tmp_path: Path) -> None:
    import sqlite3

    from engine.dispatch.schema import create_sqlite

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    create_sqlite(db)  # the tables as they were: no campaign column, no campaign tables
    db.close()
    outbox = Outbox(path)
    mid = _queue(outbox, "old-1", "+8613700000001", campaign="c-old")
    assert outbox.query("SELECT campaign FROM message WHERE id=?", (mid,)) == [("c-old",)]
    assert list_campaigns(outbox) == []


def test_a_rules_tree_without_dispatch_files_uses_the_shipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XINSHI_RULES naming a tree of packs and lists alone: the server still starts with the
    shipped complaint, opt-out, template and scene files; a tree's own file wins when present."""
    own = tmp_path / "rules"
    (own / "packs").mkdir(parents=True)
    monkeypatch.setenv("XINSHI_RULES", str(own))
    monkeypatch.delenv("XINSHI_COMPLAINTS", raising=False)
    assert load_policy().source == str(RULES / "dispatch" / "complaints.yaml")
    assert load_optout_words().matches("TD")
    shipped = load_templates(RULES / "dispatch" / "templates.yaml")
    assert set(load_templates().templates) == set(shipped.templates) != set()
    assert set(load_scenes().scenes) == set(load_scenes(RULES / "dispatch" / "scenes.yaml").scenes)
    (own / "dispatch").mkdir()
    (own / "dispatch" / "complaints.yaml").write_text("defaults: [\n", encoding="utf-8")
    with pytest.raises(ComplaintRulesError, match=str(own / "dispatch" / "complaints.yaml")):
        load_policy()
