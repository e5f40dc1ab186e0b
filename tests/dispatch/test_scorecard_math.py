"""The scorecard's arithmetic: Wilson intervals, percentiles, code meanings, routing weights."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from engine.dispatch.scorecard import (
    ScorecardError,
    meaning,
    parse_by,
    parse_prices,
    percentile,
    weights,
    wilson,
)
from engine.dispatch.worker import weighted_order


def test_wilson_interval_matches_the_textbook_values() -> None:
    # Newcombe (1998), example: 81 of 263 -> 0.2553 to 0.3662
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(10, 10)
    assert high == pytest.approx(1.0) and round(low, 4) == 0.7225  # n / (n + z²)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95)) == (50.0, 95.0)
    assert percentile([], 0.5) is None and percentile([7.0], 0.95) == 7.0


def test_codes_have_meanings_with_prefixes() -> None:
    assert meaning("MK:0001") == "空号"
    assert meaning("Throttling.User") == "平台限流（发送速率过高）"
    assert meaning("isp.SYSTEM_ERROR") == "平台系统错误"
    assert meaning("XYZ:9") == "未收录的代码"


def test_groups_and_prices_are_checked() -> None:
    assert parse_by("carrier, region,carrier") == ("carrier", "region")
    with pytest.raises(ScorecardError, match="by 'city' is not a group; use any of carrier"):
        parse_by("carrier,city")
    assert parse_prices(["aliyun=4.5,tencent=4", "huawei=5"]) == {
        "aliyun": 4.5, "tencent": 4.0, "huawei": 5.0}  # fmt: skip
    for bad in ("aliyun", "aliyun=-1", "=3", "aliyun=inf"):
        with pytest.raises(ScorecardError, match="write NAME=FEN"):
            parse_prices([bad])


def _row(provider: str, low: float | None, cost: float | None) -> dict[str, Any]:
    return {"provider": provider, "delivery_rate_low": low, "cost_per_delivered_fen": cost,
            "segments_per_delivered": None}  # fmt: skip


def test_weights_favour_delivery_and_price_and_punish_a_provider_under_the_threshold() -> None:
    w = weights([_row("a", 0.99, 4.5), _row("b", 0.98, 4.0)], ["a", "b"])
    assert w["b"] > w["a"] and sum(w.values()) == pytest.approx(1.0)  # cheaper, as good
    w = weights([_row("a", 0.99, 4.5), _row("b", 0.90, 4.0)], ["a", "b"])
    assert w["b"] < 0.12  # under 0.95: a tenth
    w = weights([_row("a", 0.99, 4.5), _row("b", 0.0, None)], ["a", "b"])
    assert w["b"] == pytest.approx(0.02 / 1.02)  # never below the floor
    w = weights([_row("a", 0.99, 4.5)], ["a", "b"])
    assert w == {"a": 0.5, "b": 0.5}  # nothing settled yet: the mean of the others
    assert weights([], ["a", "b"]) == {"a": 0.5, "b": 0.5}


def test_weighted_order_puts_each_route_first_in_proportion_to_its_share() -> None:
    class P:
        def __init__(self, name: str) -> None:
            self.name = name

    routes: list[Any] = [(P("a"), None), (P("b"), None), (P("c"), None)]
    rng = random.Random(7)
    first = Counter(weighted_order(routes, {"a": 0.7, "b": 0.2, "c": 0.1}, rng.random)[0][0].name
                    for _ in range(20_000))  # fmt: skip
    assert abs(first["a"] / 20_000 - 0.7) < 0.015 and abs(first["c"] / 20_000 - 0.1) < 0.01
    assert sorted(p.name for p, _ in weighted_order(routes, {"a": 1}, rng.random)) == [
        "a",
        "b",
        "c",
    ]
