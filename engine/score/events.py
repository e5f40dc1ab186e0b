"""Logged sends and clicks (JSONL or Parquet export) -> aggregated training cells.

One row is either one send or an aggregate of sends:

    column       required  meaning
    campaign_id  yes       campaign (train/test split and within-campaign comparisons use it)
    text         yes       the exact text sent (template variables may stay as ${name})
    variant_id   no        draft id inside the campaign
    type         no        verification | notification | marketing (default marketing)
    industry     no        e.g. finance, travel, education
    sent_at      no        ISO 8601; Beijing time without an offset
    vip          no        1 if the recipient is in the VIP/high-value segment (audience control)
    assignment   no        'random' or 'targeted'; targeted rows are skipped (they confound)
    clicked      per send  true/false (or clicked_at: a time, or null when not clicked)
    n, clicks    aggregate number of sends and of clicked sends

Rows are grouped by (campaign, text, type, industry, send hour, vip) into cells.
The A/B store (engine/abtest) can feed :func:`cells_from_rows` with the same columns from one
GROUP BY query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from engine.message import MessageError, make_message
from engine.score.simulate import Cell

MAX_ERRORS = 20


class EventsError(ValueError):
    """An events file cannot be used; the message lists every bad row (up to MAX_ERRORS)."""


def read_rows(path: Path | str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (row number, row) from a .jsonl/.json-lines or .parquet file."""
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - pyarrow is a dev dependency
            raise EventsError(
                f"{p}: reading Parquet needs pyarrow (pip install pyarrow), "
                "or export the events as JSONL"
            ) from None
        for i, row in enumerate(pq.read_table(p).to_pylist(), start=1):
            yield i, row
        return
    try:
        stream = p.open("rb")
    except OSError as exc:
        raise EventsError(f"{p}: cannot read events ({exc.strerror})") from None
    with stream:
        for i, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            try:
                row = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield i, {"__error__": f"not valid JSON ({exc})"}
                continue
            yield i, row if isinstance(row, dict) else {"__error__": "not a JSON object"}


def _outcome(row: dict[str, Any]) -> tuple[int, int]:
    if "n" in row or "clicks" in row:
        n, clicks = row.get("n"), row.get("clicks")
        if not (isinstance(n, int) and isinstance(clicks, int) and 0 <= clicks <= n):
            raise ValueError("'n' and 'clicks' must be integers with 0 <= clicks <= n")
        return n, clicks
    if "clicked" in row:
        return 1, int(bool(row["clicked"]))
    if "clicked_at" in row:
        return 1, int(row["clicked_at"] not in (None, ""))
    raise ValueError("no outcome: give 'clicked' (per send) or 'n' and 'clicks' (aggregate)")


def cells_from_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], source: str = "<rows>"
) -> list[Cell]:
    """Validate rows and group them into cells; raise EventsError listing every bad row."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    errors: list[str] = []
    for line, row in rows:
        try:
            if "__error__" in row:
                raise ValueError(row["__error__"])
            if row.get("assignment") == "targeted":
                continue
            for key in ("campaign_id", "text"):
                if not row.get(key):
                    raise ValueError(f"missing '{key}'")
            n, clicks = _outcome(row)
            sent_at = row.get("sent_at")
            msg = make_message(
                str(row["text"]),
                type=row.get("type"),
                industry=row.get("industry"),
                send_at=sent_at,
            )
            hour = msg.send_at.replace(minute=0, second=0, microsecond=0) if msg.send_at else None
            vip = float(bool(row.get("vip") or 0))
            group = (str(row["campaign_id"]), msg.text, msg.type, msg.industry, hour, vip)
        except (ValueError, MessageError) as exc:
            errors.append(f"{source}:{line}: {exc}")
            if len(errors) >= MAX_ERRORS:
                break
            continue
        acc = groups.get(group)
        if acc is None:
            groups[group] = [row.get("variant_id"), n, clicks]
        else:
            acc[1] += n
            acc[2] += clicks
    if errors:
        raise EventsError(
            "\n".join(errors) + "\nFix these rows (columns: see engine/score/events.py)"
        )
    if not groups:
        raise EventsError(f"{source}: no usable rows (randomised sends with an outcome)")
    cells = []
    for (cid, text, mtype, industry, hour, vip), (vid, n, clicks) in groups.items():
        msg = make_message(
            text,
            type=mtype,
            industry=industry,
            send_at=hour,
            id=None if vid is None else str(vid),
        )
        cells.append(Cell(cid, msg, vip, n, clicks))
    return cells


def load_events(path: Path | str) -> list[Cell]:
    """Read an events export (JSONL or Parquet) into training cells."""
    return cells_from_rows(read_rows(path), str(path))


def write_jsonl(rows: Iterable[dict[str, Any]], path: Path | str) -> None:
    """Write event rows as JSONL."""
    with Path(path).open("wb") as out:
        for row in rows:
            out.write(orjson.dumps(row) + b"\n")
