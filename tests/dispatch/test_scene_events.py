"""Scene events end to end: the API, the worker and the fake provider as real processes on
loopback (both backends). POST /v1/events and `xinshi dispatch trigger` queue each event's
message once, with the scene's window and cap; the scene is in the send record, the A/B
events and the provider scorecard; bad events and bad CSV rows say what to fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from engine.message import BEIJING
from tests.conftest import RULES
from tests.dispatch.conftest import KEY, Stack, outbox_url, running_stack, stop
from tests.dispatch.test_end_to_end import _wait
from tests.processes import HTTP, xinshi

AUTH = {"Authorization": f"Bearer {KEY}"}
# a scene that may go out at any hour (so the test does not depend on the clock), two variants
RECEIPT_SCENE = """
  receipt:
    type: notification
    lane: notice
    cap: {count: 2, per: 1d}
    templates: [logistics_update, order_confirmed]
"""
ORDER = {"order": "1111000123", "tracking": "SF1234567890"}
BIRTHDAY = {"name": "王女士", "amount": "20", "date": "2026-12-31"}


@pytest.fixture(params=["sqlite", "postgres"])
def scene_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    """A stack whose scenes are the shipped ones plus ``receipt``."""
    scenes = tmp_path / "scenes.yaml"
    shipped = (RULES / "dispatch" / "scenes.yaml").read_text(encoding="utf-8")
    scenes.write_text(shipped + RECEIPT_SCENE, encoding="utf-8")
    env = {"XINSHI_SCENES": str(scenes), "XINSHI_RECIPIENT_SALT": "salt"}
    with running_stack(tmp_path, outbox_url(request.param), env) as running:
        yield running


def _event(stack: Stack, key: str | None, scene: str, phone: str, params: dict[str, str],
           occurred_at: str | None = None, **extra: object) -> tuple[int, dict[str, object]]:  # fmt: skip
    body: dict[str, object] = {"scene": scene, "phone": phone, "params": params, **extra}
    if key is not None:
        body["idempotency_key"] = key
    if occurred_at is not None:
        body["occurred_at"] = occurred_at
    r = HTTP.post(f"{stack.api}/v1/events", json=body, headers=AUTH, timeout=30)
    return r.status_code, dict(r.json())


def _beijing(days: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time ``days`` from today, Beijing time."""
    today = datetime.now(BEIJING).date()
    return datetime.combine(today + timedelta(days=days), time(hour, minute), BEIJING)


def _status(stack: Stack, mid: str) -> str:
    r = HTTP.get(f"{stack.api}/v1/messages/{mid}", headers=AUTH, timeout=10)
    return str(r.json()["status"])


def test_events_queue_once_with_the_scene_timing_and_cap(scene_stack: Stack) -> None:
    stack = scene_stack
    ids: dict[str, str] = {}
    for phone in ("13700010000", "13700020000", "13700030000"):
        code, body = _event(stack, f"rcpt-{phone}", "receipt", phone, ORDER)
        assert code == 201, body
        assert (body["outcome"], body["scene"], body["duplicate"]) == ("queued", "receipt", False)
        msg = body["message"]
        assert isinstance(msg, dict) and msg["scene"] == "receipt"
        assert msg["experiment"] == "scene-receipt" and msg["variant"] == msg["template"]
        assert msg["phone"] == f"+86{phone[:3]}****{phone[-4:]}"
        ids[phone] = str(msg["id"])
    # the same key again (body or header): the first answer, nothing queued
    code, again = _event(stack, "rcpt-13700010000", "receipt", "13700010000", ORDER)
    assert code == 200 and again["duplicate"] is True
    assert again["message"]["id"] == ids["13700010000"]  # type: ignore[index]
    r = HTTP.post(f"{stack.api}/v1/events", headers={**AUTH, "Idempotency-Key": "rcpt-13700010000"},
                  json={"scene": "receipt", "phone": "13700010000", "params": ORDER}, timeout=30)  # fmt: skip
    assert r.status_code == 200 and r.json()["message"]["id"] == ids["13700010000"]
    # cap 2 a day: a second event for one recipient is queued, a third is capped
    code, second = _event(stack, "rcpt-2", "receipt", "13700010000", ORDER)
    assert code == 201 and second["outcome"] == "queued"
    ids["second"] = str(second["message"]["id"])  # type: ignore[index]
    code, third = _event(stack, "rcpt-3", "receipt", "13700010000", ORDER)
    assert (code, third["outcome"], third["message"]) == (201, "capped", None)
    assert third["code"] == "scene_cap_2_per_86400s" and "quota" in str(third["reason"])
    # birthdays across midnight: tomorrow 23:30 and the night after wait for 09:00; one a year
    late = _beijing(1, 23, 30).isoformat()
    code, bd = _event(stack, "bd-1", "birthday", "13700040000", BIRTHDAY, late)
    assert code == 201 and bd["outcome"] == "queued"
    opens = _beijing(2, 9).timestamp()
    assert bd["not_before"] == opens and bd["message"]["not_before"] == opens  # type: ignore[index]
    code, bd2 = _event(stack, "bd-2", "birthday", "13700040000", BIRTHDAY,
                       _beijing(2, 0, 30).isoformat())  # fmt: skip
    assert (code, bd2["outcome"]) == (201, "capped")
    code, bd3 = _event(stack, "bd-3", "birthday", "13700050000", BIRTHDAY,
                       _beijing(2, 8, 59).isoformat())  # fmt: skip
    assert bd3["outcome"] == "queued"
    assert bd3["not_before"] == opens
    # the send record is searchable by scene, newest first
    r = HTTP.get(f"{stack.api}/v1/messages", params={"scene": "receipt"}, headers=AUTH, timeout=10)
    assert r.status_code == 200, r.text
    found = [m["id"] for m in r.json()["messages"]]
    assert sorted(found) == sorted(ids.values()) and found == sorted(found, reverse=True)
    assert {m["scene"] for m in r.json()["messages"]} == {"receipt"}
    r = HTTP.get(f"{stack.api}/v1/messages", params={"scene": "birthday"}, headers=AUTH, timeout=10)
    assert [m["id"] for m in r.json()["messages"]] == [bd3["message"]["id"], bd["message"]["id"]]  # type: ignore[index]

    # the same through a file: good rows queue, bad rows are reported, a re-run queues nothing
    csv = stack.tmp / "contacts.csv"
    csv.write_text(
        "phone,order,tracking,occurred_at\n"
        "13700060000,1111000601,SF0000000601,\n"  # line 2: good
        "1370006,1111000602,SF0000000602,\n"  # 3: bad phone
        "13700080000,,SF0000000603,\n"  # 4: missing order
        "13700090000,1111 000604,SF0000000604,\n"  # 5: not a number
        "13700100000,1111000605,SF0000000605,tomorrow\n"  # 6: bad time
        "13700110000,1111000606,SF0000000606,,extra\n"  # 7: a field too many
        "13700120000,1111000607,SF0000000607,\n",  # 8: good
        encoding="utf-8",
    )
    env = {**stack.env}
    r = xinshi(env, "dispatch", "trigger", "--scene", "receipt", "--from", str(csv))
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    assert (report["rows"], report["queued"], report["duplicate"]) == (7, 2, 0)
    assert [(e["line"], e["code"], e["field"]) for e in report["errors"]] == [
        (3, "invalid_phone", "phone"),
        (4, "missing_params", "params.order"),
        (5, "invalid_template", "params.order"),
        (6, "invalid_row", "occurred_at"),
        (7, "invalid_row", None),
    ]
    lines = r.stderr.splitlines()
    assert lines[1] == (
        f"{csv}:4: params.order: scene 'receipt' needs params order (it takes: order, "
        "tracking). Add them to the event"
    )
    assert lines[-1] == "7 rows: 2 queued, 0 capped, 0 suppressed, 0 already taken, 5 refused"
    again = xinshi(env, "dispatch", "trigger", "--scene", "receipt", "--from", str(csv))
    assert json.loads(again.stdout)["duplicate"] == 2 and json.loads(again.stdout)["queued"] == 0
    unknown = xinshi(env, "dispatch", "trigger", "--scene", "birthdy", "--from", str(csv))
    assert unknown.returncode == 2
    assert "--scene: unknown scene 'birthdy'. Did you mean 'birthday'?" in unknown.stderr

    # the worker sends each queued event once; the birthdays wait for their morning
    worker = stack.worker()
    try:
        _wait(lambda: all(_status(stack, m) == "delivered" for m in ids.values()))
        _wait(lambda: stack.stats()["accepted"] == 6)  # 4 by the API, 2 by the file
    finally:
        stop(worker)
    stats = stack.stats()
    assert stats["duplicates"] == [] and stats["unique"] == 6
    assert _status(stack, str(bd["message"]["id"])) == "queued"  # type: ignore[index]
    # the scene is in the A/B events and the scorecard
    events = [json.loads(line) for f in sorted((stack.data / "events").glob("events-*.jsonl"))
              for line in f.read_text(encoding="utf-8").splitlines()]  # fmt: skip
    sent = [e for e in events if e["event"] == "sent"]
    assert len(sent) == 6 and {(e["scene"], e["experiment"]) for e in sent} == {
        ("receipt", "scene-receipt")
    }
    card = HTTP.get(f"{stack.api}/v1/providers/scorecard?by=scene", headers=AUTH, timeout=10)
    rows = card.json()["rows"]
    assert {r["scene"] for r in rows} == {"receipt"} and sum(r["sent"] for r in rows) == 6


@pytest.mark.parametrize(
    ("body", "code", "field", "says"),
    [
        ({"scene": "birthdy", "phone": "13700010000", "params": BIRTHDAY}, "unknown_scene",
         "scene", "unknown scene 'birthdy'. Did you mean 'birthday'?"),
        ({"scene": "birthday", "phone": "13700010000", "params": {"name": "王女士"}},
         "missing_params", "params.amount", "scene 'birthday' needs params amount, date"),
        ({"scene": "login", "phone": "13700010000", "params": {"code": "12ab"}},
         "invalid_template", "params.code", "parameter 'code' of template 'login_code' (code) "
         "is not a valid code: '12ab'. Write 4 to 8 digits, e.g. 386512"),
        ({"scene": "login", "phone": "13700010000", "params": {"code": 386512}},
         "invalid_template", "params.code", "must be a string (providers reject numbers)"),
        ({"scene": "login", "phone": "13700010000", "params": {"code": "386512"},
          "occurred_at": "yesterday"}, "invalid_request", "occurred_at", "occurred_at"),
        ({"scene": "login", "phone": "13700010000", "params": {"code": "386512"}, "when": "now"},
         "invalid_request", "when", "when: unknown field"),
        ({"phone": "13700010000", "params": {"code": "386512"}}, "invalid_request", "scene",
         "scene: Field required"),
    ],
)  # fmt: skip
def test_bad_events_get_a_422_naming_the_field(
    shared_stack: Stack, body: dict[str, object], code: str, field: str, says: str
) -> None:
    r = HTTP.post(f"{shared_stack.api}/v1/events", headers={**AUTH, "Idempotency-Key": "bad-1"},
                  json=body, timeout=30)  # fmt: skip
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert (err["code"], err["field"]) == (code, field) and says in err["message"]


def test_an_event_without_a_key_is_refused(shared_stack: Stack) -> None:
    r = HTTP.post(f"{shared_stack.api}/v1/events", headers=AUTH, timeout=30,
                  json={"scene": "login", "phone": "13700010000", "params": {"code": "386512"}})  # fmt: skip
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "invalid_request",
        "message": "idempotency_key is required (1-128 characters), e.g. birthday-2026-u123",
        "field": "idempotency_key",
    }


def test_scene_files_are_read_at_start_and_a_rules_reload_does_not_change_them(
    tmp_path: Path,
) -> None:
    """README "Scenes and events": rules/dispatch/ is read when the server starts; a hot reload
    of rules/ leaves the running scenes as they were until a restart."""
    scenes = tmp_path / "scenes.yaml"
    shipped = (RULES / "dispatch" / "scenes.yaml").read_text(encoding="utf-8")
    scenes.write_text(shipped, encoding="utf-8")
    env = {"XINSHI_SCENES": str(scenes), "XINSHI_RECIPIENT_SALT": "salt"}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with running_stack(tmp_path / "one", None, env) as stack:
        scenes.write_text(shipped + RECEIPT_SCENE, encoding="utf-8")  # before any event
        r = HTTP.post(f"{stack.api}/v1/rules/reload", headers=AUTH, timeout=60)
        assert r.status_code == 200, r.text
        code, body = _event(stack, "late-1", "receipt", "13700010000", ORDER)
        assert code == 422 and body["error"]["code"] == "unknown_scene"  # type: ignore[index]
    with running_stack(tmp_path / "two", None, env) as stack:  # a restart reads the new file
        code, body = _event(stack, "late-1", "receipt", "13700010000", ORDER)
        assert code == 201 and body["scene"] == "receipt"
        run_env = stack.env
    scenes.write_text(shipped + "\n  broken: {type: marketing}\n", encoding="utf-8")
    r = xinshi(run_env, "serve", "--port", "1")  # a bad file stops the start, naming it
    assert r.returncode != 0 and "scenes.yaml" in r.stderr, r.stderr
