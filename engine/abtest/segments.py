"""Slices of a report: per-segment comparisons and split checks, and the day x hour heatmap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from engine.abtest import design, proportions
from engine.abtest.compare import MIN_PER_ARM, SMALL_CELL, compare_means, compare_proportions
from engine.abtest.queries import Counts, GroupRow

HEATMAP_MIN_SENT, HEATMAP_MIN_EVENTS = 100, 10
DOW = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")  # DuckDB dayofweek: 0 = Sunday


@dataclass(frozen=True)
class SegmentRow:
    dimension: str
    value: str
    variant: str
    sent: int
    events: int
    rate: float
    diff: float | None
    lift: float | None
    p_value: float | None
    p_bh: float | None
    small: bool
    too_few: bool = False  # this arm or control has <= 1 send here: nothing is compared


@dataclass(frozen=True)
class SegmentSrm:
    dimension: str
    value: str
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    p_value: float
    level: str
    flagged: bool


@dataclass(frozen=True)
class HeatCell:
    dow: str
    hour: int
    sent: int
    events: int
    rate: float
    small: bool


def rate(c: Counts, metric: str) -> float:
    """Return events per send (revenue: fen per send); 0 for an arm with no sends."""
    if c.sent == 0:
        return 0.0
    return c.revenue_fen / c.sent if metric == "revenue" else c.events(metric) / c.sent


def _by_segment(rows: list[GroupRow]) -> dict[tuple[str, str], dict[str, Counts]]:
    by_key: dict[tuple[str, str], dict[str, Counts]] = defaultdict(dict)
    for r in rows:
        if r.dimension and r.dimension != "send_time":
            by_key[(r.dimension, str(r.key))][r.variant] = r.counts
    return by_key


def segment_rows(
    rows: list[GroupRow], control: str, metric: str, alpha: float = proportions.ALPHA
) -> list[SegmentRow]:
    """Compare each variant with control inside every segment value; BH-adjust the p-values.

    A segment where this arm or control has fewer than 2 sends is marked ``too_few`` and not
    compared (a variance needs n - 1 > 0).
    """
    out: list[SegmentRow] = []
    for (dim, val), arms in sorted(_by_segment(rows).items()):
        base = arms.get(control)
        for variant, c in sorted(arms.items(), key=lambda kv: (kv[0] != control, kv[0])):
            if c.sent == 0:
                continue  # only orphan events here: no sends to compare
            events = c.events(metric) if metric != "revenue" else 0
            small = metric != "revenue" and (events < SMALL_CELL or c.sent < HEATMAP_MIN_SENT)
            too_few = c.sent < MIN_PER_ARM or base is None or base.sent < MIN_PER_ARM
            diff = lift = p = None
            if variant != control and not too_few and base is not None:
                if metric == "revenue":
                    cmp = compare_means(base, c, variant, alpha)
                else:
                    cmp = compare_proportions(
                        base.events(metric), base.sent, events, c.sent, variant, alpha, False
                    )
                diff, lift, p = cmp.diff, cmp.lift, cmp.p_value
            out.append(
                SegmentRow(
                    dim, val, variant, c.sent, events, rate(c, metric), diff, lift, p, None,
                    small, too_few and variant != control,
                )
            )  # fmt: skip
    tested = [i for i, s in enumerate(out) if s.p_value is not None]
    adjusted = design.benjamini_hochberg([out[i].p_value or 1.0 for i in tested])
    for i, q in zip(tested, adjusted, strict=True):
        out[i] = SegmentRow(**{**asdict(out[i]), "p_bh": q})
    return out


def segment_srm(
    rows: list[GroupRow], order: Sequence[str], weights: Sequence[float] | None
) -> list[SegmentSrm]:
    """Check the split inside every segment value against the planned weights."""
    out: list[SegmentSrm] = []
    for (dim, val), arms in sorted(_by_segment(rows).items()):
        observed = [arms[n].sent if n in arms else 0 for n in order]
        s = design.srm(observed, weights)
        out.append(SegmentSrm(dim, val, s.observed, s.expected, s.p_value, s.level, s.flagged))
    return out


def heatmap(rows: list[GroupRow], metric: str) -> tuple[list[HeatCell], list[dict[str, Any]]]:
    """Return the day x hour cells (small ones marked) and the three best send hours."""
    cells: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r.dimension == "send_time" and isinstance(r.key, tuple):
            acc = cells[r.key]
            acc[0] += r.counts.sent
            acc[1] += r.counts.events(metric) if metric != "revenue" else r.counts.revenue_fen
    heat = [
        HeatCell(
            DOW[dow],
            hour,
            sent,
            events,
            events / sent if sent else 0.0,
            sent < HEATMAP_MIN_SENT or (metric != "revenue" and events < HEATMAP_MIN_EVENTS),
        )
        for (dow, hour), (sent, events) in sorted(cells.items())
    ]
    hours: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for cell in heat:
        hours[cell.hour][0] += cell.sent
        hours[cell.hour][1] += cell.events
    best = sorted(
        (
            {"hour": h, "sent": s, "events": e, "rate": e / s}
            for h, (s, e) in hours.items()
            if s >= HEATMAP_MIN_SENT
        ),
        key=lambda d: -float(d["rate"]),
    )[:3]
    return heat, best
