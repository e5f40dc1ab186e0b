"""xinshi providers ...: how each SMS provider did, from our own records (thin: parse, call,
render)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.usage import usage_error

providers_app = typer.Typer(
    help="Choose a platform: the provider scorecard from our own receipts.", no_args_is_help=True
)
PRICES_ENV = "XINSHI_PROVIDER_PRICES"


@providers_app.callback()
def _group() -> None:
    """Choose a platform: the provider scorecard from our own receipts."""


def prices_or_exit(specs: list[str] | None) -> dict[str, float]:
    """--price NAME=FEN values over $XINSHI_PROVIDER_PRICES (``aliyun=4.5,tencent=4.2``)."""
    from engine.dispatch.scorecard import ScorecardError, parse_prices

    try:
        prices = parse_prices([os.environ.get(PRICES_ENV, "")])
    except ScorecardError as exc:
        raise usage_error(f"{PRICES_ENV}: {exc.message}") from None
    try:
        return prices | parse_prices(specs or [])
    except ScorecardError as exc:
        raise usage_error(f"--price: {exc.message}") from None


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _num(x: float | None, fmt: str = "{:.0f}") -> str:
    return "-" if x is None else fmt.format(x)


def table(card: dict[str, Any]) -> str:
    """The scorecard as a plain-text table, one line per provider x group."""
    by = list(card["by"])
    head = ["provider", *by, "sent", "delivered", "failed", "no_rcpt", "rate", "95% CI",
            "submit p50/p95 ms", "receipt p50/p95 ms", "segments", "fen/delivered",
            "top failure"]  # fmt: skip
    lines = [head]
    for r in card["rows"]:
        low, high = r["delivery_rate_low"], r["delivery_rate_high"]
        top = r["top_failures"][0] if r["top_failures"] else None
        lines.append([
            r["provider"], *(str(r[g]) for g in by), str(r["sent"]), str(r["delivered"]),
            str(r["failed"]), str(r["no_receipt"]), _pct(r["delivery_rate"]),
            "-" if low is None else f"{low * 100:.1f}-{high * 100:.1f}%",
            f"{_num(r['submit_ms']['p50'])}/{_num(r['submit_ms']['p95'])}",
            f"{_num(r['receipt_ms']['p50'])}/{_num(r['receipt_ms']['p95'])}",
            str(r["billed_segments"]), _num(r["cost_per_delivered_fen"], "{:.2f}"),
            f"{top['code']} {top['meaning']} x{top['count']}" if top else "-",
        ])  # fmt: skip
    widths = [max(_width(row[i]) for row in lines) for i in range(len(head))]
    out = ["  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip()
           for row in lines]  # fmt: skip
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@providers_app.command("report")
def report(
    since: Annotated[
        str, typer.Option(help="Messages created since: 7d, 24h, 30m or an ISO 8601 time.")
    ] = "7d",
    by: Annotated[
        str | None,
        typer.Option(help="Group each provider's row by carrier, region, template, lane, scene."),
    ] = None,
    price: Annotated[
        list[str] | None,
        typer.Option(
            "--price",
            help=f"NAME=FEN: price per segment, e.g. --price aliyun=4.5 (default ${PRICES_ENV}).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Outbox directory (default: $XINSHI_DATA_DIR)."),
    ] = None,
) -> None:
    """Print each provider's delivery rate (Wilson 95%), latencies, failure codes and cost."""
    from engine.cli.dispatch import _outbox, _settings, beijing
    from engine.dispatch.records import QueryError, parse_time
    from engine.dispatch.scorecard import ScorecardError, parse_by, scorecard

    try:
        groups = parse_by(by)
        start = parse_time(since, "since")
    except ScorecardError as exc:
        raise usage_error(f"--by: {exc.message}") from None
    except QueryError as exc:
        raise usage_error(f"--since: {exc.message}") from None
    prices = prices_or_exit(price)
    card = scorecard(_outbox(_settings(data_dir)), start, groups, prices, time.time())
    if as_json:
        import orjson

        out = {**card, "since": beijing(card["since"]), "until": beijing(card["until"])}
        sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if not card["rows"]:
        sys.stdout.write(f"no message reached a provider since {since}\n")
        return
    sys.stdout.write(table(card))
