"""Scenes and event triggers on a real outbox (both backends), with the clock given: the send
window across midnight, the per-recipient cap, idempotent keys under concurrency, and every
refusal's text."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from engine.dispatch.intake import Intake, IntakeError
from engine.dispatch.lanes import LanePolicy, admit, default_policies
from engine.dispatch.message import Lane
from engine.dispatch.outbox import Admit, Outbox
from engine.dispatch.scenes import SceneBook, SceneError, load_scenes, scene_errors
from engine.dispatch.templates import TemplateError, load_templates
from engine.dispatch.triggers import Event, Triggered, Triggers
from engine.dispatch.variables import type_errors
from engine.message import BEIJING
from engine.ruleset import RuleSet
from tests.conftest import RULES
from tests.dispatch.conftest import StoreAt

SECRET = b"test-secret"
BOOK = load_templates(RULES / "dispatch" / "templates.yaml")
SCENES = load_scenes(RULES / "dispatch" / "scenes.yaml", BOOK)
BIRTHDAY = {"name": "王女士", "amount": "20", "date": "2026-12-31"}


def _at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 12, day, hour, minute, tzinfo=BEIJING).timestamp()


def _bj(ts: float | None) -> str:
    assert ts is not None
    return datetime.fromtimestamp(ts, BEIJING).strftime("%m-%d %H:%M")


def _triggers(target: Path | str, ruleset: RuleSet, scenes: SceneBook = SCENES) -> Triggers:
    intake = Intake(Outbox(target), BOOK, lambda: ruleset, SECRET, "https://xinshi.cn")
    return Triggers(intake, scenes)


@pytest.fixture
def triggers(store_at: StoreAt, ruleset: RuleSet) -> Triggers:
    return _triggers(store_at("dispatch.sqlite"), ruleset)


def test_birthdays_across_midnight_wait_for_the_window_and_the_yearly_cap(
    triggers: Triggers,
) -> None:
    burst = {  # phone -> when its birthday event arrives (Beijing time)
        "13800000001": _at(5, 22, 30),
        "13800000002": _at(5, 23, 59),
        "13800000003": _at(6, 0, 1),
        "13800000004": _at(6, 8, 59),
        "13800000005": _at(6, 9, 30),  # inside the window: now
    }
    first: dict[str, Triggered] = {}
    for phone, now in burst.items():
        first[phone] = triggers.trigger(Event(f"bd-{phone}", "birthday", phone, BIRTHDAY), now)
        again = triggers.trigger(Event(f"bd2-{phone}", "birthday", phone, BIRTHDAY), now + 60)
        assert (again.outcome, again.code, again.message) == (
            "capped", "scene_cap_1_per_31536000s", None,
        )  # fmt: skip
    assert {p: (r.outcome, _bj(r.not_before)) for p, r in first.items()} == {
        "13800000001": ("queued", "12-06 09:00"),
        "13800000002": ("queued", "12-06 09:00"),
        "13800000003": ("queued", "12-06 09:00"),
        "13800000004": ("queued", "12-06 09:00"),
        "13800000005": ("queued", "12-06 09:30"),
    }
    rows = [r.message for r in first.values()]
    assert all(r is not None and r.scene == "birthday" and r.send_window == "09:00-20:00"
               and r.experiment == "birthday-2026" and r.variant == r.template_id
               for r in rows)  # fmt: skip
    assert {r.template_id for r in rows if r} == {"birthday_wish", "birthday_coupon"}
    # a worker that only gets to them at 20:30 (lane open, the scene's window shut) holds them
    # to the next 09:00 — or drops them where that is past their day (expires_after: 1d)
    outbox, gate = triggers.outbox, default_policies()[Lane.MARKETING]
    assert outbox.claim(Lane.MARKETING, 10, _at(6, 20, 30), 60, _gate(gate, _at(6, 20, 30))) == []
    held = {r.phone[3:]: outbox.get(r.id) for r in rows if r}
    assert {p: (r.status.value, r.last_code) for p, r in held.items() if r} == {
        "13800000001": ("expired", "expired_in_scene_window"),
        "13800000002": ("expired", "expired_in_scene_window"),
        "13800000003": ("expired", "expired_in_scene_window"),
        "13800000004": ("expired", "expired_in_scene_window"),
        "13800000005": ("queued", "scene_window"),
    }
    assert _bj(held["13800000005"].not_before) == "12-07 09:00"  # type: ignore[union-attr]
    sent = outbox.claim(Lane.MARKETING, 10, _at(7, 9, 0), 60, _gate(gate, _at(7, 9, 0)))
    assert [r.phone for r in sent] == ["+8613800000005"]
    # an expired message was never sent: it does not use up the recipient's yearly cap
    retry = triggers.trigger(Event("bd3", "birthday", "13800000001", BIRTHDAY), _at(7, 10, 0))
    assert (retry.outcome, _bj(retry.not_before)) == ("queued", "12-07 10:00")
    # 364 days on the cap still holds; a year and a day on, the next birthday message goes
    soon = triggers.trigger(Event("bd-4", "birthday", "13800000001", BIRTHDAY),
                            _at(7, 10, 0) + 364 * 86400)  # fmt: skip
    later = triggers.trigger(Event("bd-5", "birthday", "13800000001", BIRTHDAY),
                             _at(7, 10, 0) + 366 * 86400)  # fmt: skip
    assert (soon.outcome, later.outcome) == ("capped", "queued")


def _gate(policy: LanePolicy, now: float) -> Admit:
    """The worker's admission at ``now``: expiry, the lane's hours, the scene's window, caps."""
    return lambda row, sent_since: admit(row, policy, now, sent_since)


def _race(n: int, make: object) -> list[Triggered | IntakeError]:
    """Run ``make(i)`` on ``n`` threads released together; each returns or raises."""
    out: list[Triggered | IntakeError] = []
    start = threading.Barrier(n)
    lock = threading.Lock()

    def run(i: int) -> None:
        start.wait()
        try:
            got: Triggered | IntakeError = make(i)  # type: ignore[operator]
        except IntakeError as exc:
            got = exc
        with lock:
            out.append(got)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_a_key_delivered_many_times_at_once_queues_one_message(
    store_at: StoreAt, ruleset: RuleSet
) -> None:
    target = store_at("dispatch.sqlite")
    hosts = [_triggers(target, ruleset) for _ in range(6)]  # one connection each, as API hosts
    now = _at(6, 10)
    event = Event("order-77-shipped", "order_tracking", "13800000077",
                  {"order": "1111000077", "tracking": "SF1234567890"})  # fmt: skip
    results = _race(6, lambda i: hosts[i].trigger(event, now))
    assert all(isinstance(r, Triggered) for r in results)
    got = [r for r in results if isinstance(r, Triggered)]
    assert len({r.message.id for r in got if r.message}) == 1
    assert sorted(r.created for r in got) == [False] * 5 + [True]
    (n,) = hosts[0].outbox.query("SELECT COUNT(*) FROM message")[0]
    assert n == 1
    # the same key for another event is refused, whatever the first one got
    other = Event("order-77-shipped", "order_tracking", "13800000078", event.params)
    with pytest.raises(IntakeError) as exc:
        hosts[0].trigger(other, now)
    assert (exc.value.code, exc.value.field) == ("idempotency_conflict", "idempotency_key")
    assert exc.value.message == (
        "idempotency key 'order-77-shipped' was already used for a different event (scene "
        "'order_tracking'). Use a new key for a new event"
    )


def test_events_racing_for_the_last_slot_of_a_cap_take_it_once(
    store_at: StoreAt, ruleset: RuleSet
) -> None:
    target = store_at("dispatch.sqlite")
    hosts = [_triggers(target, ruleset) for _ in range(8)]
    now = _at(6, 10)
    results = _race(8, lambda i: hosts[i].trigger(
        Event(f"renew-{i}", "membership_renewal", "13800000088",
              {"name": "王女士", "date": "2026-12-31", "url": "https://m.xinshi-mall.cn/v"}),
        now))  # fmt: skip
    outcomes = sorted(r.outcome for r in results if isinstance(r, Triggered))
    assert outcomes == ["capped"] * 7 + ["queued"]
    # every event has its answer on record: a retry of each gets the same one
    again = [hosts[0].trigger(Event(f"renew-{i}", "membership_renewal", "13800000088",
             {"name": "王女士", "date": "2026-12-31", "url": "https://m.xinshi-mall.cn/v"}), now)
             for i in range(8)]  # fmt: skip
    assert sorted(r.outcome for r in again) == outcomes and not any(r.created for r in again)


GOOD_ORDER = {"order": "1111000123", "tracking": "SF1234567890"}


@pytest.mark.parametrize(
    ("event", "code", "field", "says"),
    [
        (Event("k", "birthdy", "13800000001", BIRTHDAY), "unknown_scene", "scene",
         "unknown scene 'birthdy'. Did you mean 'birthday'? Known scenes: abandoned_cart, "
         "birthday, event_reminder, login, membership_renewal, order_tracking, payment_due "
         "(rules/dispatch/scenes.yaml)"),
        (Event("k", "birthday", "13800000001", {"name": "王女士"}), "missing_params",
         "params.amount", "scene 'birthday' needs params amount, date (it takes: name, amount, "
         "date). Add them to the event"),
        (Event("k", "order_tracking", "13800000001", {**GOOD_ORDER, "coupon": "x"}),
         "invalid_template", "params.coupon",
         "scene 'order_tracking' has no parameter 'coupon' (it takes: order, tracking)"),
        (Event("k", "order_tracking", "1380000", GOOD_ORDER), "invalid_phone", "phone",
         "not a valid number"),
        (Event("k", "login", "13800000001", {"code": "12ab"}), "invalid_template",
         "params.code", "parameter 'code' of template 'login_code' (code) is not a valid "
         "code: '12ab'. Write 4 to 8 digits, e.g. 386512"),
        (Event("k", "order_tracking", "13800000001", {**GOOD_ORDER, "tracking": "13912345678"}),
         "invalid_template", "params.tracking", "parameter 'tracking' of template "
         "'logistics_update' (number) holds a phone number; a number may not (platforms "
         "refuse it): '13912345678'. Write an order, tracking or member number"),
        (Event("k", "payment_due", "13800000001", {"amount": "128.50元", "date": "2026-12-20"}),
         "invalid_template", "params.amount", "(amount) is not a valid amount: '128.50元'. "
         "Write a sum of money in yuan, digits only, e.g. 128.50 (元 belongs in the template's "
         "text)"),
        (Event("k", "payment_due", "13800000001", {"amount": "128.50", "date": "tomorrow"}),
         "invalid_template", "params.date", "(date) is not a valid date: 'tomorrow'. Write a date"),
        (Event("k", "event_reminder", "13800000001",
               {"event": "沙龙", "date": "12月20日 14:00", "place": "见 www.x.cn"}),
         "invalid_template", "params.place", "(text) holds a link; a text may not (platforms "
         "refuse links in variables: write the link as fixed text of the template, or use a url "
         "variable): '见 www.x.cn'"),
        (Event("k", "abandoned_cart", "13800000001",
               {"name": "王女士", "date": "12月10日", "url": "m.xinshi-mall.cn/c"}),
         "invalid_template", "params.url", "(url) is not a valid url: 'm.xinshi-mall.cn/c'. Write a "
         "full link on your own registered domain"),
        (Event("", "login", "13800000001", {"code": "386512"}), "invalid_request",
         "idempotency_key", "idempotency_key is required (1-128 characters)"),
        (Event("k", "login", "13800000001", {"code": "386512"},
               datetime(9999, 12, 31, tzinfo=BEIJING)), "invalid_request", "occurred_at",
         "occurred_at is more than a year ahead"),
    ],
)  # fmt: skip
def test_bad_events_say_what_and_how_to_fix(
    triggers: Triggers, event: Event, code: str, field: str, says: str
) -> None:
    with pytest.raises(IntakeError) as exc:
        triggers.trigger(event, _at(6, 10))
    assert (exc.value.code, exc.value.field) == (code, field)
    assert says in exc.value.message
    assert triggers.outbox.query("SELECT COUNT(*) FROM scene_event")[0] == (0,)


def test_free_text_values_are_checked_again_fixed_ones_reuse_the_template_verdict(
    triggers: Triggers,
) -> None:
    fixed = {t for t, tpl in BOOK.templates.items() if tpl.fixed}
    assert fixed == {"login_code", "order_confirmed", "logistics_update", "payment_due"}
    bait = Event("k-bait", "birthday", "13800000001",
                 {**BIRTHDAY, "name": "加微信领红包"})  # fmt: skip
    with pytest.raises(IntakeError) as exc:
        triggers.trigger(bait, _at(6, 10))
    assert exc.value.code == "not_allowed" and "the check answered" in exc.value.message
    ok = triggers.trigger(Event("k-due", "payment_due", "13800000001",
                                {"amount": "99.00", "date": "12月20日"}), _at(6, 10))  # fmt: skip
    assert ok.message is not None
    assert ok.message.rendered_text == "【信使商城】您本期账单99.00元，还款日12月20日，请按时还款。"


BAD_SCENES = """\
scenes:
  birthday:
    type: marketing
    lane: marketing
    window: "07:00-22:00"
    cap: {count: 0, per: 1y}
    templates: [birthday_wsh]
    windw: "09:00-20:00"
  renew:
    type: promo
    lane: notic
    window: "9am"
    cap: {count: 1, per: 7d}
    templates: []
  pay:
    type: marketing
    lane: notice
    cap: {count: 1, per: 7d}
    templates: [login_code, login_code]
"""


def test_every_problem_of_a_scenes_file_has_its_line_and_a_fix(tmp_path: Path) -> None:
    path = tmp_path / "scenes.yaml"
    path.write_text(BAD_SCENES, encoding="utf-8")
    scenes, errors = scene_errors(path, BOOK)
    assert scenes is None
    at = f"{path}:"
    assert (
        errors
        == [
            f"{at}5: scene 'birthday': window 07:00-22:00 reaches outside the marketing hours "
            "08:00-21:00 (platforms refuse marketing at night). Keep a marketing window within "
            "them, e.g. 09:00-20:00",
            f"{at}6: scene 'birthday': cap count 0 is not a positive whole number. Write how many "
            "messages one recipient may get per period, e.g. count: 1",
            f"{at}6: scene 'birthday': cap per '1y' is not a period. Write a positive number and a "
            "unit (s, m, h, d), e.g. 365d or 7d",
            f"{at}7: scene 'birthday': unknown template 'birthday_wsh'. Did you mean "
            "'birthday_wish'? Known templates: " + ", ".join(sorted(BOOK.templates)),
            f"{at}8: scenes.birthday.windw: unknown key 'windw'. Did you mean 'window'? Known keys: "
            "type, lane, window, cap, templates, experiment, delay, expires_after, description",
            f"{at}10: scene 'renew': unknown type 'promo'. Known types: verification, "
            "notification, marketing",
            f"{at}11: scene 'renew': unknown lane 'notic'. Did you mean 'notice'? Known lanes: "
            "otp, alert, notice, marketing",
            f"{at}12: scene 'renew': window hours '9am' are not a window. Write them like "
            "08:00-21:00 (Beijing time)",
            f"{at}14: scene 'renew': templates is empty. Name at least one template of "
            "templates.yaml (two or more: an A/B test)",
            f"{at}16: scene 'pay': the notice lane sends notification messages, not marketing. "
            "Make type notification, or pick the lane of a marketing message",
            f"{at}19: scene 'pay': a template is listed twice. List each variant once",
        ]
        + [  # once per listing
            f"{at}19: scene 'pay': template 'login_code' is in the otp lane, the scene in notice. "
            "Use a notice template, or change the scene's lane"
        ]
        * 2
    )
    with pytest.raises(SceneError):
        load_scenes(path, BOOK)


def test_typed_variables_in_templates_are_checked_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "templates.yaml"
    path.write_text(
        "templates:\n"
        "  a:\n"
        "    lane: otp\n"
        "    sign_name: X\n"
        "    text: 【X】验证码${code}，5分钟内有效。\n"
        "    example: {code: '12'}\n"
        "    variables:\n"
        "      code: code\n"
        "      kode: code\n"
        "  b:\n"
        "    lane: notice\n"
        "    sign_name: X\n"
        "    text: 【X】订单${order}已发货\n"
        "    example: {order: '1'}\n"
        "    variables: {order: ordr}\n"
        "    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as exc:
        load_templates(path)
    assert exc.value.message.splitlines() == [f"{path}:16: templates.b.colour: unknown key"]
    path.write_text(path.read_text(encoding="utf-8").replace("    colour: red\n", ""), "utf-8")
    with pytest.raises(TemplateError) as exc:
        load_templates(path)
    assert exc.value.message.splitlines() == [
        f"{path}:8: template 'a': the example value of 'code' is not a valid code. Write 4 to 8 "
        "digits, e.g. 386512",
        f"{path}:9: template 'a': variables names 'kode', which is not in the text (its "
        "variables: code). Remove it or fix the name",
        f"{path}:15: template 'b': variable 'order' has unknown type 'ordr'. Known types: "
        f"amount, code, date, name, number, text, url ({RULES / 'dispatch' / 'variables.yaml'})",
    ]


def test_a_variable_types_file_with_a_slow_or_broken_pattern_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "variables.yaml"
    path.write_text(
        "types:\n"
        "  code: {max_chars: 8, pattern: '([0-9]+)+', free_text: false, hint: digits}\n"
        "  name: {max_chars: 0, free_text: true, hint: a name}\n"
        "  text: {max_chars: 35, free_txt: true, hint: words}\n",
        encoding="utf-8",
    )
    types, errors = type_errors(path)
    assert types is None
    assert errors == [
        f"{path}:3: types.name.max_chars: Input should be greater than or equal to 1",
        f"{path}:4: types.text.free_text: Field required",
        f"{path}:4: types.text.free_txt: unknown key",
    ]
    path.write_text(
        "types:\n  code: {max_chars: 8, pattern: '([0-9]+)+', free_text: false, hint: digits}\n",
        encoding="utf-8",
    )
    types, errors = type_errors(path)
    assert len(errors) == 1 and errors[0].startswith(
        f"{path}:2: type 'code': pattern the repeat '([0-9]+)+' repeats a part"
    )


def test_the_readme_scene_example_and_its_errors_are_real(tmp_path: Path) -> None:
    readme = (RULES.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Scenes and events\n", 1)[1].split("\n### ", 1)[0]
    example = section.split("):\n\n", 1)[1].split("\n\n", 1)[0]
    path = tmp_path / "scenes.yaml"
    path.write_text("scenes:\n" + example + "\n", encoding="utf-8")
    scenes, errors = scene_errors(path, BOOK)
    assert errors == [] and scenes is not None
    assert scenes.scenes["birthday"].delay_s == 3600 and scenes.scenes["birthday"].cap_count == 1
    shown = [line.strip() for line in section.splitlines() if "scenes.yaml:" in line]
    bad = tmp_path / "bad" / "rules" / "dispatch" / "scenes.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_SCENES, encoding="utf-8")
    found = scene_errors(bad, BOOK)[1]
    prefix = str(bad.parent.parent.parent) + "/"
    assert len(shown) == 2 and all(line in [e.replace(prefix, "") for e in found] for line in shown)


def test_purge_forgets_events_with_their_messages(triggers: Triggers) -> None:
    now = _at(6, 10)
    triggers.trigger(Event("p-1", "payment_due", "13800000066",
                           {"amount": "128.50", "date": "12月20日"}), now)  # fmt: skip
    outbox = triggers.outbox
    outbox.purge(now + 100 * 86400, 186)
    assert outbox.query("SELECT COUNT(*) FROM scene_event")[0] == (1,)
    outbox.purge(now + 188 * 86400, 186)
    assert outbox.query("SELECT COUNT(*) FROM scene_event")[0] == (0,)
    assert outbox.query("SELECT COUNT(*) FROM message")[0] == (0,)
