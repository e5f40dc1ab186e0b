"""Scheduled sends: cron + time zone, checked at creation, each firing queued exactly once."""

from __future__ import annotations

from datetime import datetime
from datetime import time as dtime
from pathlib import Path

import pytest

from engine.dispatch.intake import Intake, IntakeError
from engine.dispatch.outbox import Outbox
from engine.dispatch.schedule import create, materialize_due
from engine.dispatch.templates import load_templates
from engine.message import BEIJING
from engine.ruleset import RuleSet
from tests.dispatch.conftest import StoreAt


def _at(iso: str) -> float:
    return datetime.fromisoformat(iso).replace(tzinfo=BEIJING).timestamp()


@pytest.fixture
def setup(store_at: StoreAt, tmp_path: Path, ruleset: RuleSet) -> tuple[Outbox, Intake]:
    outbox = Outbox(store_at("o.sqlite"))
    return outbox, Intake(outbox, load_templates(), lambda: ruleset, b"s", "https://xinshi.cn")


def test_each_firing_is_queued_once(setup: tuple[Outbox, Intake]) -> None:
    outbox, intake = setup
    s = create(outbox, intake, "daily", "0 6 * * *", "order_confirmed",
               [("13812345678", {"order": "1"}), ("13912345678", {"order": "2"})], now=_at("2026-11-25T07:00"))  # fmt: skip
    assert s.next_fire_at == _at("2026-11-26T06:00") and s.warnings == ()
    assert materialize_due(outbox, _at("2026-11-26T05:59")) == 0
    assert materialize_due(outbox, _at("2026-11-26T06:00:01")) == 2
    assert materialize_due(outbox, _at("2026-11-26T06:00:02")) == 0  # a second tick: nothing
    assert materialize_due(outbox, _at("2026-11-27T06:00:01")) == 2  # the next day
    rows = outbox.query("SELECT not_before FROM message ORDER BY not_before")
    assert [r[0] for r in rows] == [_at("2026-11-26T06:00")] * 2 + [_at("2026-11-27T06:00")] * 2


def test_marketing_at_six_is_warned_and_bad_text_refused(setup: tuple[Outbox, Intake]) -> None:
    outbox, intake = setup
    s = create(outbox, intake, "mk", "0 6 * * *", "double11", [("13812345678", {"name": "尊敬的会员", "url": "https://m.xinshi-mall.cn/1111"})],
               marketing_hours=(dtime(8), dtime(21)), now=_at("2026-11-25T07:00"))  # fmt: skip
    assert "waits until the marketing window opens" in s.warnings[0]
    with pytest.raises(IntakeError, match="only allowed text is sent"):
        create(
            outbox,
            intake,
            "bad",
            "0 9 * * *",
            "double11",
            [("13812345678", {"name": "加V信", "url": "https://m.xinshi-mall.cn/1111"})],
        )


def test_bad_cron_and_zone_say_how_to_fix(setup: tuple[Outbox, Intake]) -> None:
    outbox, intake = setup
    with pytest.raises(
        IntakeError, match=r"Write 5 fields: minute hour day month weekday, e.g. '0 6 \* \* \*'"
    ):
        create(
            outbox, intake, "x", "every day", "order_confirmed", [("13812345678", {"order": "1"})]
        )
    with pytest.raises(IntakeError, match="unknown time zone 'Mars/Base'"):
        create(
            outbox,
            intake,
            "x",
            "0 6 * * *",
            "order_confirmed",
            [("13812345678", {"order": "1"})],
            tz="Mars/Base",
        )
