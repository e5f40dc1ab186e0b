"""The A/B report against an independent oracle: plain Python over the raw events.

The DuckDB scan (engine/abtest/queries.py) folds events into messages and sums them; here the
same numbers are computed from the rows we wrote, with dicts and loops, and must agree exactly:
counts, revenue, revenue squared, orphans, per segment and per send hour.
"""

from __future__ import annotations

import csv
import math
import random
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pytest

from engine.abtest import ingest, report, store
from engine.abtest.queries import Counts, GroupRow, sufficient_stats

SEGMENTS = ("carrier", "region", "age_band", "gender", "channel")
FIELDS = ["experiment", "variant", "message_id", "recipient", "event", "ts", "value_fen",
          *SEGMENTS]  # fmt: skip
START = datetime(2026, 11, 9, 7, 0)  # a Monday, Beijing time (no offset in the file)


def _event(
    base: dict[str, str], event: str, at: datetime, value: int | None = None
) -> dict[str, str]:
    return {
        **base,
        "event": event,
        "ts": at.isoformat(),
        "value_fen": "" if value is None else str(value),
    }


def _events(seed: int, messages: int) -> list[dict[str, str]]:
    """Random but plausible event rows, including repeats, orphans and missing segments."""
    rnd = random.Random(seed)
    rows: list[dict[str, str]] = []
    for i in range(messages):
        variant = rnd.choice(["control", "B", "C"])
        seg = {
            "carrier": rnd.choice(["cmcc", "cucc", "ctcc"]),
            "region": rnd.choice(["北京", "上海", ""]),
            "age_band": rnd.choice(["18-24", "25-34", "35-44"]),
            "gender": rnd.choice(["f", "m", ""]),
            "channel": rnd.choice(["app", "sms"]),
        }
        sent = START + timedelta(minutes=rnd.randrange(0, 5 * 24 * 60))

        base = {"experiment": "oracle", "variant": variant, "message_id": f"m{i}",
                "recipient": f"h{i}", **seg}  # fmt: skip
        if rnd.random() < 0.05:  # an orphan: events without a 'sent' row
            rows.append(_event(base, "clicked", sent + timedelta(minutes=3)))
            continue
        rows.append(_event(base, "sent", sent))
        if rnd.random() < 0.03:
            rows.append(
                _event(base, "sent", sent + timedelta(seconds=30))
            )  # a retried send: still one message
        if rnd.random() < 0.9:
            rows.append(_event(base, "delivered", sent + timedelta(seconds=5)))
        else:
            rows.append(_event(base, "failed", sent + timedelta(seconds=5)))
        if rnd.random() < 0.2:
            rows.append(_event(base, "clicked", sent + timedelta(minutes=10)))
            if rnd.random() < 0.4:
                rows.append(
                    _event(base, "clicked", sent + timedelta(minutes=11))
                )  # clicked twice: one clicker
            if rnd.random() < 0.5:
                rows.append(
                    _event(base, "converted", sent + timedelta(hours=1), rnd.randrange(100, 50_000))
                )
                if rnd.random() < 0.2:  # a second order on the same message adds up
                    rows.append(
                        _event(
                            base, "converted", sent + timedelta(hours=2), rnd.randrange(100, 9_000)
                        )
                    )
    rnd.shuffle(rows)
    return rows


def _oracle(rows: list[dict[str, str]]) -> dict[tuple[str, str | None, object], Counts]:
    """Fold and sum in plain Python: (variant, dimension, key) -> Counts."""
    msgs: dict[tuple[str, str], dict[str, object]] = {}
    for r in rows:
        m = msgs.setdefault(
            (r["variant"], r["message_id"]), {"events": set(), "value": 0, "sent_at": None}
        )
        m["events"].add(r["event"])  # type: ignore[attr-defined]
        m["value"] = int(m["value"]) + int(r["value_fen"] or 0)  # type: ignore[call-overload]
        if r["event"] == "sent":
            at = datetime.fromisoformat(r["ts"])
            if m["sent_at"] is None or at < m["sent_at"]:  # type: ignore[operator]
                m["sent_at"] = at
            m.update({s: r[s] or None for s in SEGMENTS})
    acc: dict[tuple[str, str | None, object], list[int]] = defaultdict(lambda: [0] * 8)
    for (variant, _), m in msgs.items():
        ev: set[str] = m["events"]  # type: ignore[assignment]
        if "sent" not in ev:
            acc[(variant, None, None)][7] += 1
            continue
        value = int(m["value"])  # type: ignore[call-overload]
        at: datetime = m["sent_at"]  # type: ignore[assignment]
        # DuckDB's dayofweek: Sunday = 0 ... Saturday = 6
        keys = [(variant, None, None), (variant, "send_time", ((at.weekday() + 1) % 7, at.hour))]
        keys += [(variant, s, m[s] if m[s] is not None else "(none)") for s in SEGMENTS]
        for key in keys:
            a = acc[key]
            a[0] += 1
            a[1] += "delivered" in ev
            a[2] += "failed" in ev
            a[3] += "clicked" in ev
            a[4] += "converted" in ev
            a[5] += value
            a[6] += value * value
    return {k: Counts(*v) for k, v in acc.items()}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, list]:
    tmp = tmp_path_factory.mktemp("oracle")
    rows = _events(seed=20, messages=3000)
    path = tmp / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows(rows)
    con = store.connect(tmp / "data")
    ingest.ingest_file(con, path)
    yield con, rows
    con.close()


def test_sufficient_statistics_match_plain_python(ingested: tuple) -> None:
    con, rows = ingested
    got = {
        (g.variant, g.dimension, g.key): g.counts
        for g in sufficient_stats(con, "oracle")
        if g.dimension is not None or g.key is None
    }
    expected = _oracle(rows)
    # orphans (no 'sent') have no segment and no send time: the whole-arm row counts them
    sliced = {k: replace(v, orphans=0) for k, v in got.items() if k[1] is not None}
    assert {k: v for k, v in sliced.items() if v.sent} == {
        k: v for k, v in expected.items() if k[1] is not None
    }
    assert {k: v for k, v in got.items() if k[1] is None} == {
        k: v for k, v in expected.items() if k[1] is None
    }
    assert all(v.orphans > 0 for k, v in got.items() if k[1] is None)
    whole = {k[0]: v for k, v in expected.items() if k[1] is None}
    assert sorted(whole) == ["B", "C", "control"]
    assert all(c.revenue_sq_fen > c.revenue_fen > 0 for c in whole.values())  # not a plain sum


def test_a_report_with_orphan_events_does_not_crash(ingested: tuple) -> None:
    con, rows = ingested
    orphans = {r["message_id"] for r in rows} - {
        r["message_id"] for r in rows if r["event"] == "sent"
    }
    rep = report.report(con, "oracle")
    assert len(orphans) > 0 and rep.control == "control"
    assert rep.orphans["total"] == len(orphans)
    assert rep.warnings[0].startswith(
        f"{len(orphans)} message(s) have events but no 'sent' event ("
    )


def _pooled_z_p(n1: int, c1: int, n2: int, c2: int) -> float:
    pooled = (c1 + c2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (c2 / n2 - c1 / n1) / se
    return math.erfc(abs(z) / math.sqrt(2))


def _row(variant: str, sent: int, clicked: int) -> GroupRow:
    return GroupRow(variant, None, None, Counts(sent, sent, 0, clicked, 0, 0, 0))


def test_the_verdict_follows_holm_not_the_raw_p() -> None:
    rows = [_row("control", 2000, 200), _row("B", 2000, 240), _row("C", 2000, 205)]
    rep = report.build_report(rows, "e")
    b, c = rep.comparisons
    raw_b, raw_c = _pooled_z_p(2000, 200, 2000, 240), _pooled_z_p(2000, 200, 2000, 205)
    assert b.test == "z-test (pooled)"
    assert (b.p_value, c.p_value) == (
        pytest.approx(raw_b, rel=1e-9),
        pytest.approx(raw_c, rel=1e-9),
    )
    assert raw_b < 0.05 < b.p_holm  # significant alone, not after correcting for two variants
    # Holm by hand for two tests: the smaller p doubled, the larger at least that
    assert b.p_holm == pytest.approx(min(1.0, 2 * raw_b), rel=1e-12)
    assert c.p_holm == pytest.approx(max(2 * raw_b, raw_c), rel=1e-12)
    assert (b.decision, c.decision) == ("leaning_better", "no_difference")
    assert b.verdict.endswith("— 略好，但校正后不显著：请继续收集")
    assert c.verdict.endswith("— 无明显差异")


def test_significant_after_holm_is_too_early_while_the_sequential_interval_holds_0() -> None:
    rows = [_row("control", 2000, 200), _row("B", 2000, 260), _row("C", 2000, 205)]
    b = report.build_report(rows, "e").comparisons[0]
    assert b.p_holm == pytest.approx(2 * _pooled_z_p(2000, 200, 2000, 260), rel=1e-12)
    assert b.p_holm < 0.05
    assert b.always_valid_lift_ci is not None and b.always_valid_lift_ci[0] < 0
    assert b.decision == "too_early" and "胜出" not in b.verdict


def test_a_variant_significant_after_holm_and_sequentially_clear_is_the_winner() -> None:
    rows = [_row("control", 20000, 2000), _row("B", 20000, 2600), _row("C", 20000, 2050)]
    b = report.build_report(rows, "e").comparisons[0]
    assert b.p_holm == pytest.approx(2 * _pooled_z_p(20000, 2000, 20000, 2600), rel=1e-12)
    assert b.always_valid_lift_ci is not None and b.always_valid_lift_ci[0] > 0
    assert b.decision == "ship" and b.verdict.endswith(
        "— 胜出：校正后显著，且随时可看的序贯区间已排除 0"
    )
