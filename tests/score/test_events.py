"""Events exports -> cells: per-send and aggregate rows, Parquet, errors for every bad row."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.score.events import EventsError, load_events, write_jsonl
from engine.score.simulate import cells_to_rows, simulate

TEXT = "【优选商城】王先生，您有3张满200减50券待领，拒收请回复R"


def _jsonl(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    p = tmp_path / "events.jsonl"
    write_jsonl(rows, p)
    return p


def test_per_send_rows_are_grouped(tmp_path: Path) -> None:
    rows = [
        {"campaign_id": "c1", "text": TEXT, "sent_at": "2026-11-25T20:05", "clicked": True},
        {"campaign_id": "c1", "text": TEXT, "sent_at": "2026-11-25T20:40", "clicked": False},
        {"campaign_id": "c1", "text": TEXT, "sent_at": "2026-11-25T20:41", "clicked_at": None},
        {"campaign_id": "c1", "text": TEXT, "vip": 1, "clicked_at": "2026-11-25T21:00"},
        {"campaign_id": "c1", "text": TEXT, "assignment": "targeted", "clicked": True},
    ]
    cells = load_events(_jsonl(tmp_path, rows))
    by_vip = {(c.vip, c.message.send_at is None): (c.n, c.clicks) for c in cells}
    assert by_vip == {(0.0, False): (3, 1), (1.0, True): (1, 1)}


def test_simulated_rows_round_trip_through_parquet(tmp_path: Path) -> None:
    sim = simulate(campaigns=5, sends=200, seed=3)
    rows = cells_to_rows(sim.cells)
    p = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pylist(rows), p)
    cells = load_events(p)
    assert sum(c.n for c in cells) == 5 * 4 * 200
    assert sum(c.clicks for c in cells) == sum(c.clicks for c in sim.cells)
    assert {c.message.text for c in cells} == {c.message.text for c in sim.cells}


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "events.jsonl"
    p.write_bytes(
        b"\n".join(
            [
                orjson.dumps({"campaign_id": "c1", "text": TEXT, "clicked": True}),
                b"{oops",
                orjson.dumps({"text": TEXT, "clicked": True}),
                orjson.dumps({"campaign_id": "c1", "text": TEXT}),
                orjson.dumps({"campaign_id": "c1", "text": TEXT, "n": 3, "clicks": 5}),
                orjson.dumps({"campaign_id": "c1", "text": TEXT, "n": 3, "type": "promo"}),
            ]
        )
    )
    with pytest.raises(EventsError) as err:
        load_events(p)
    text = str(err.value)
    assert f"{p}:2: not valid JSON" in text
    assert f"{p}:3: missing 'campaign_id'" in text
    assert f"{p}:4: no outcome: give 'clicked' (per send) or 'n' and 'clicks'" in text
    assert f"{p}:5: 'n' and 'clicks' must be integers with 0 <= clicks <= n" in text
    assert f"{p}:6: " in text and "Fix these rows" in text


def test_no_usable_rows(tmp_path: Path) -> None:
    p = _jsonl(
        tmp_path, [{"campaign_id": "c", "text": TEXT, "assignment": "targeted", "clicked": 1}]
    )
    with pytest.raises(EventsError, match="no usable rows"):
        load_events(p)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(EventsError, match="cannot read events"):
        load_events(tmp_path / "missing.jsonl")
