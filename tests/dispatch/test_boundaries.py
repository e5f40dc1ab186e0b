"""Data-driven edges: quiet hours at 08:00 and 21:00 Beijing time, every opt-out word.

The expected values are written out here from the rules they come from (工信部《通信短信息
服务管理规定》第18条 for opt-out; the 08:00-21:00 marketing window), never read from the code or
its YAML: dropping a word from rules/dispatch/optout.yaml or moving an edge must fail a test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import pytest

from engine.dispatch.lanes import SEND, admit, default_policies, in_window, next_open
from engine.dispatch.message import Lane, OutboxRow, Status
from engine.dispatch.optout import OptOutWords, apply_inbound, load_optout_words
from engine.dispatch.outbox import Outbox
from engine.dispatch.providers.base import Inbound
from engine.message import BEIJING
from tests.dispatch.conftest import StoreAt

P = default_policies()
HOURS = P[Lane.MARKETING].hours
DAY = datetime(2026, 11, 11, tzinfo=BEIJING)


def _at(h: int, m: int = 0, s: int = 0, delta: float = 0.0) -> float:
    return (DAY + timedelta(hours=h, minutes=m, seconds=s)).timestamp() + delta


def _row(lane: Lane = Lane.MARKETING) -> OutboxRow:
    return OutboxRow(
        id="m", idem_key="k", lane=lane, phone="+8613812345678", sign_name="信使商城",
        template_id="t", params={}, rendered_text="x", ruleset_version="v", status=Status.SENDING,
        not_before=0, expires_at=None, attempts=1, created_at=0,
    )  # fmt: skip


# (moment, open?) around both edges: exact edge and one second either side
EDGES = [
    (_at(7, 59, 59), False),
    (_at(8), True),
    (_at(8, 0, 1), True),
    (_at(20, 59, 59), True),
    (_at(21), False),
    (_at(21, 0, 1), False),
    (_at(0), False),
    (_at(12), True),
]


@pytest.mark.parametrize(("moment", "open_"), EDGES)
def test_marketing_window_edges_in_beijing_time(moment: float, open_: bool) -> None:
    assert in_window(moment, HOURS) is open_
    decision = admit(_row(), P[Lane.MARKETING], moment, lambda _: 0)
    if open_:
        assert decision is SEND
    else:
        assert (decision.status, decision.code) == (Status.QUEUED, "quiet_hours")
        opens = _at(8) if moment < _at(8) else _at(8) + 86400
        assert decision.not_before == opens
        assert next_open(moment, HOURS) == opens


@pytest.mark.parametrize(("moment", "_open"), EDGES)
def test_notices_and_otps_ignore_the_window(moment: float, _open: bool) -> None:
    for lane in (Lane.NOTICE, Lane.OTP, Lane.ALERT):
        assert P[lane].hours is None
        assert admit(_row(lane), P[lane], moment, lambda _: 0) is SEND


def test_the_window_is_the_same_instant_whatever_the_host_zone() -> None:
    # 00:00 UTC is 08:00 in Beijing: open; 12:59:59 UTC is 20:59:59: open; 13:00 UTC: closed
    base = datetime(2026, 11, 11, tzinfo=UTC)
    assert in_window(base.timestamp(), HOURS)
    assert in_window((base + timedelta(hours=12, minutes=59, seconds=59)).timestamp(), HOURS)
    assert not in_window((base + timedelta(hours=13)).timestamp(), HOURS)
    assert not in_window((base - timedelta(seconds=1)).timestamp(), HOURS)


# every word the rules name, and the forms subscribers actually type
EXACT = ["T", "TD", "R", "N", "STOP", "UNSUBSCRIBE", "退订", "取消", "退", "不要再发", "TD退订",
         "T退订", "回T退订"]  # fmt: skip
CONTAINS = ["退订", "拒收"]


def test_the_shipped_words_are_exactly_these() -> None:
    words = load_optout_words()
    assert words.exact == frozenset(EXACT)
    assert set(words.contains) == set(CONTAINS)


@pytest.mark.parametrize("word", EXACT)
def test_every_exact_word_opts_out_in_any_case_width_and_punctuation(word: str) -> None:
    words = load_optout_words()
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
    for reply in (word, word.lower(), f" {word}。", full_width, f"{word}!"):
        assert words.matches(reply), reply
    if not any(w in word for w in CONTAINS):  # exact words count alone, not in a sentence
        assert not words.matches(word + "好的呀")


@pytest.mark.parametrize("word", CONTAINS)
def test_every_contains_word_opts_out_inside_a_sentence(word: str) -> None:
    words = load_optout_words()
    assert words.matches(f"请{word}，谢谢")
    assert words.matches(f"以后都{word}了！！")


@pytest.mark.parametrize(
    "reply", ["好的", "收到", "Thanks", "TT", "退款", "取消订单了吗", "RT", "不要", "", "。。"]
)
def test_ordinary_replies_do_not_opt_out(reply: str) -> None:
    assert not load_optout_words().matches(reply)


def test_a_custom_word_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "optout.yaml"
    path.write_text("exact: [quit]\ncontains: [别发]\n", encoding="utf-8")
    words = load_optout_words(path)
    assert words == OptOutWords(frozenset({"QUIT"}), ("别发",))
    assert words.matches("Quit") and words.matches("别发了") and not words.matches("T")


@pytest.mark.parametrize("reply", ["TD👍", "T\u200b", "退订~", "R★", "\u200bTD\u200d"])
def test_symbols_emoji_and_invisible_characters_around_a_word_are_ignored(reply: str) -> None:
    assert load_optout_words().matches(reply)


def test_a_word_file_may_give_only_one_of_the_two_lists(tmp_path: Path) -> None:
    only_exact, only_contains = tmp_path / "a.yaml", tmp_path / "b.yaml"
    only_exact.write_text("exact: [td]\n", encoding="utf-8")
    only_contains.write_text("contains: [unsub, 别发]\n", encoding="utf-8")
    assert load_optout_words(only_exact) == OptOutWords(frozenset({"TD"}), ())
    words = load_optout_words(only_contains)
    assert words == OptOutWords(frozenset(), ("UNSUB", "别发"))
    assert words.matches("please unsub me") and words.matches("别发了")


def test_replies_are_recorded_and_opt_outs_suppress_their_signature(
    store_at: StoreAt, tmp_path: Path
) -> None:
    outbox = Outbox(store_at("o.sqlite"))
    replies = [
        Inbound(
            "aliyun",
            "13812345678",
            "【信使商城】",
            "退订！以后别再给我发任何营销短信了，谢谢你们的服务",
            "{}",
        ),
        Inbound(
            "tencent", "+86 139 1234 5678", None, "TD", '{"m": "TD"}'
        ),  # no signature: everything
        Inbound("aliyun", "13712345678", "信使商城", "好的，谢谢", "{}"),
        Inbound("aliyun", "12345", "信使商城", "R", "{}"),  # an odd number is still recorded
    ]
    assert apply_inbound(outbox, load_optout_words(), replies) == 3
    assert outbox.is_suppressed("+8613812345678", "信使商城")
    assert not outbox.is_suppressed("+8613812345678", "别的品牌")
    assert outbox.is_suppressed("+8613912345678", "别的品牌")  # opted out of every signature
    assert not outbox.is_suppressed("+8613712345678", "信使商城")
    inbound = outbox.query("SELECT provider, phone, sign_name, text, optout, raw FROM inbound")
    assert [tuple(r) for r in inbound] == [
        (
            "aliyun",
            "+8613812345678",
            "【信使商城】",
            "退订！以后别再给我发任何营销短信了，谢谢你们的服务",
            1,
            "{}",
        ),
        ("tencent", "+8613912345678", None, "TD", 1, '{"m": "TD"}'),
        ("aliyun", "+8613712345678", "信使商城", "好的，谢谢", 0, "{}"),
        ("aliyun", "12345", "信使商城", "R", 1, "{}"),
    ]
    rows = outbox.query("SELECT phone, scope, reason, source FROM suppression ORDER BY phone")
    assert [tuple(r) for r in rows] == [
        (
            "+8613812345678",
            "信使商城",
            "reply:退订！以后别再给我发任何营销短信了，谢谢",
            "aliyun",
        ),  # first 20 characters
        ("+8613912345678", "*", "reply:TD", "tencent"),
        ("12345", "信使商城", "reply:R", "aliyun"),
    ]


# per-recipient caps as README states them (Aliyun's OTP limits; notice 50/day; carriers'
# marketing 3/day): (lane, window seconds, limit). At limit - 1 the message goes; at limit it
# does not: an OTP fails at once, the others wait out the window.
CAPS = [
    (Lane.OTP, 60, 1), (Lane.OTP, 3600, 5), (Lane.OTP, 86400, 10),
    (Lane.NOTICE, 86400, 50), (Lane.MARKETING, 86400, 3),
]  # fmt: skip


@pytest.mark.parametrize(("lane", "window", "limit"), CAPS)
def test_each_recipient_cap_at_its_edge(lane: Lane, window: int, limit: int) -> None:
    now = _at(12)

    def sent(count: int):  # type: ignore[no-untyped-def]
        # `count` sends inside this window, none in any shorter one
        return lambda since: count if since <= now - window else 0

    assert admit(_row(lane), P[lane], now, sent(limit - 1)) is SEND
    d = admit(_row(lane), P[lane], now, sent(limit))
    assert d.code == f"recipient_cap_{window}s"
    if lane is Lane.OTP:
        assert (d.status, d.not_before) == (Status.FAILED, None)
    else:
        assert (d.status, d.not_before) == (Status.QUEUED, now + window)


def test_alerts_have_no_recipient_cap() -> None:
    assert admit(_row(Lane.ALERT), P[Lane.ALERT], _at(3), lambda since: 10_000) is SEND


@pytest.mark.parametrize(
    ("moment", "open_"),
    [(_at(21, 59, 59), False), (_at(22), True), (_at(23, 30), True), (_at(5, 59, 59), True),
     (_at(6), False), (_at(6, 0, 1), False), (_at(12), False)],
)  # fmt: skip
def test_a_window_across_midnight(moment: float, open_: bool) -> None:
    assert in_window(moment, (dtime(22), dtime(6))) is open_
