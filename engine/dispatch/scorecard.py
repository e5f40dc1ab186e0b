"""The provider scorecard: how each provider did, from our own send record and receipts.

Per provider (and per carrier, region, template, lane or scene when asked; messages no event
triggered have scene "(none)"), over messages created in
a time window:

- ``sent`` messages that reached the provider (at least one call), ``accepted``, ``delivered``,
  ``failed`` (refused at submit, or a failure receipt), ``no_receipt``, ``pending`` (no answer
  or receipt yet). A message counts for the provider that accepted it, else the last one called.
- ``delivery_rate`` = delivered / (delivered + failed + no_receipt), with a 95% Wilson interval
  (pending messages are left out until they settle).
- submit latency (each answered call) and receipt latency (call -> receipt), p50 and p95 in ms.
- the top failure codes with their meaning (engine/data/provider_codes.tsv).
- billed segments: what the provider reported (Tencent's Fee, Aliyun's receipt sms_size), or
  the text's segments for a message it accepted when it reported nothing; cost at the given
  price per segment, and cost per delivered message, so failed-but-billed messages (a hidden
  fee) raise it.

Routing by scorecard (``weights``) gives each provider a share of traffic by its delivery rate
and cost per delivered message.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from engine.dispatch.carriers import carrier_of, region_of
from engine.dispatch.outbox import Outbox
from engine.segments import ucs2_length

GROUPS = ("carrier", "region", "template", "lane", "scene")
NO_SCENE = "(none)"  # a message sent without a scene (POST /v1/messages, schedules)
ACCEPTED = frozenset({"accepted", "delivered", "undelivered", "no_receipt"})
FAILED = frozenset({"failed", "undelivered"})
Z95 = 1.959964


class ScorecardError(ValueError):
    """A scorecard parameter that cannot be used; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def parse_by(value: str | None) -> tuple[str, ...]:
    """``carrier,region`` -> ("carrier", "region"); ScorecardError for an unknown group."""
    names = tuple(dict.fromkeys(p.strip() for p in (value or "").split(",") if p.strip()))
    for name in names:
        if name not in GROUPS:
            raise ScorecardError(
                "by", f"by {name!r} is not a group; use any of {', '.join(GROUPS)}, "
                "comma-separated, e.g. carrier,region"
            )  # fmt: skip
    return names


def parse_prices(specs: Iterable[str]) -> dict[str, float]:
    """``NAME=FEN`` items (``aliyun=4.5``) -> {name: fen per segment}; ScorecardError if bad."""
    prices: dict[str, float] = {}
    for spec in specs:
        for item in filter(None, (s.strip() for s in spec.split(","))):
            name, _, value = item.partition("=")
            try:
                fen = float(value)
            except ValueError:
                fen = -1.0
            if not name.strip() or not 0 <= fen < math.inf:
                raise ScorecardError(
                    "price", f"price {item!r}: write NAME=FEN, the provider's price per "
                    "segment in fen, e.g. aliyun=4.5"
                )  # fmt: skip
            prices[name.strip()] = fen
    return prices


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ((0, 1) when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted values (None when empty)."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[k]


@cache
def _meanings() -> dict[str, str]:
    text = resources.files("engine").joinpath("data/provider_codes.tsv").read_text("utf-8")
    rows = (line.split("\t", 1) for line in text.splitlines() if line and line[0] != "#")
    return {code: meaning for code, meaning in rows if code != "code"}


def meaning(code: str) -> str:
    """What a provider or receipt code means (Chinese), or 未收录的代码."""
    table = _meanings()
    if code in table:
        return table[code]
    for key, text in table.items():
        if key.endswith(".") and code.startswith(key):
            return text
    return "未收录的代码"


@dataclass
class _Cell:
    sent: int = 0
    accepted: int = 0
    delivered: int = 0
    failed: int = 0
    no_receipt: int = 0
    billed: int = 0
    submit_ms: list[float] = field(default_factory=list)
    receipt_ms: list[float] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    errors: int = 0

    def row(self, price: float | None) -> dict[str, Any]:
        settled = self.delivered + self.failed + self.no_receipt
        low, high = wilson(self.delivered, settled)
        sub, rec = sorted(self.submit_ms), sorted(self.receipt_ms)
        cost = None if price is None else round(self.billed * price, 2)
        per = self.delivered or None
        return {
            "sent": self.sent, "accepted": self.accepted, "delivered": self.delivered,
            "failed": self.failed, "no_receipt": self.no_receipt,
            "pending": self.sent - settled,
            "delivery_rate": round(self.delivered / settled, 4) if settled else None,
            "delivery_rate_low": round(low, 4) if settled else None,
            "delivery_rate_high": round(high, 4) if settled else None,
            "submit_ms": {"p50": _ms(percentile(sub, 0.5)), "p95": _ms(percentile(sub, 0.95))},
            "receipt_ms": {"p50": _ms(percentile(rec, 0.5)), "p95": _ms(percentile(rec, 0.95))},
            "top_failures": [{"code": c, "count": n, "meaning": meaning(c)}
                             for c, n in self.codes.most_common(5)],
            "throttled": self.throttled, "errors": self.errors,
            "billed_segments": self.billed, "price_fen_per_segment": price, "cost_fen": cost,
            "segments_per_delivered": round(self.billed / per, 4) if per else None,
            "cost_per_delivered_fen": round(cost / per, 4) if per and cost is not None else None,
        }  # fmt: skip


def _group(name: str, phone: str, template: str, lane: str, scene: str | None) -> str:
    if name == "carrier":
        return carrier_of(phone)
    if name == "region":
        return region_of(phone)
    if name == "scene":
        return scene or NO_SCENE
    return template if name == "template" else lane


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _min_id(since: float) -> str:
    """The smallest message id created at ``since`` (ids start with their creation time)."""
    return f"{max(0, int(since * 1000)):012x}"


def scorecard(
    outbox: Outbox,
    since: float,
    by: Sequence[str] = (),
    prices: Mapping[str, float] | None = None,
    until: float | None = None,
) -> dict[str, Any]:
    """The scorecard of messages created in [since, until): one row per provider x group."""
    until = time.time() if until is None else until
    prices = prices or {}
    low, high = _min_id(since), _min_id(until + 0.001)
    messages = {
        r[0]: r
        for r in outbox.query(
            "SELECT id, phone, template_id, lane, status, last_code, provider, billed_parts, "
            "rendered_text, final_at, scene FROM message WHERE id>=? AND id<?",
            (low, high),
        )
    }
    calls: dict[str, list[tuple[str, float, float, str]]] = defaultdict(list)
    for mid, provider, started, ended, outcome in outbox.query(
        "SELECT message_id, provider, started_at, ended_at, outcome FROM attempt "
        "WHERE message_id>=? AND message_id<? ORDER BY started_at",
        (low, high),
    ):
        if mid in messages:
            calls[mid].append((provider, started, ended, outcome))
    cells: dict[tuple[str, ...], _Cell] = defaultdict(_Cell)
    for mid, tried in calls.items():
        _, phone, template, lane, status, code, accepted_by, billed, text, final_at, scene = (
            messages[mid]
        )
        provider = accepted_by or tried[-1][0]
        key = (provider, *(_group(g, phone, template, lane, scene) for g in by))
        cell = cells[key]
        for name, started, ended, outcome in tried:  # every call to this provider
            if name != provider:
                continue
            if outcome == "provider_throttled":
                cell.throttled += 1
            elif outcome in ("transient", "unknown"):
                cell.errors += 1
            if outcome != "unknown":
                cell.submit_ms.append(max(0.0, ended - started))
        cell.sent += 1
        if status in ACCEPTED:
            cell.accepted += 1
            billed = billed if billed is not None else ucs2_length(text).segments
        cell.billed += billed or 0
        if status == "delivered":
            cell.delivered += 1
        elif status in FAILED or status == "no_receipt":
            cell.failed += status != "no_receipt"
            cell.no_receipt += status == "no_receipt"
            cell.codes[code or status] += 1
        if status in ("delivered", "undelivered") and final_at is not None:
            sent_at = next(s for n, s, _, _ in reversed(tried) if n == provider)
            cell.receipt_ms.append(max(0.0, final_at - sent_at))
    rows = [
        {"provider": key[0], **dict(zip(by, key[1:], strict=True)),
         **cell.row(prices.get(key[0]))}
        for key, cell in sorted(cells.items())
    ]  # fmt: skip
    return {"since": since, "until": until, "by": list(by), "prices": dict(prices), "rows": rows}


def weights(
    rows: Iterable[Mapping[str, Any]],
    providers: Sequence[str],
    threshold: float = 0.95,
    floor: float = 0.02,
) -> dict[str, float]:
    """Traffic shares from a scorecard grouped by provider alone.

    A provider's weight is the lower bound of its delivery rate divided by its cost per
    delivered message (segments per delivered when no price is known); one whose lower bound
    is under ``threshold`` gets a tenth of that. A provider with nothing settled yet gets the
    mean weight of the others, and none falls below ``floor`` of the total (so a recovered
    provider is seen to recover). Shares sum to 1.
    """
    raw: dict[str, float] = {}
    for r in rows:
        name, rate = r["provider"], r.get("delivery_rate_low")
        if name not in providers or rate is None:
            continue
        cost = r.get("cost_per_delivered_fen") or r.get("segments_per_delivered") or 1.0
        w = rate / max(cost, 1e-9)
        raw[name] = w * (0.1 if rate < threshold else 1.0)
    known = [w for w in raw.values() if w > 0]
    prior = sum(known) / len(known) if known else 1.0
    shares = {p: raw.get(p, prior) for p in providers}
    total = sum(shares.values()) or 1.0
    shares = {p: max(floor, w / total) for p, w in shares.items()}
    total = sum(shares.values())
    return {p: w / total for p, w in shares.items()}
