"""Prometheus metrics: requests and latency per route, verdicts and findings by category."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from engine.api.limits import ASGIApp, Message, Receive, Scope, Send
from engine.dispatch.holds import CAMPAIGNS_ONLY
from engine.dispatch.outbox import Outbox
from engine.verdict import Verdict

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "xinshi_http_requests", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "xinshi_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
VERDICTS = Counter("xinshi_verdicts", "Verdicts returned", ["verdict"], registry=REGISTRY)
FINDINGS = Counter(
    "xinshi_findings", "Findings returned", ["category", "severity"], registry=REGISTRY
)
RELOADS = Counter("xinshi_rules_reloads", "Rule reload attempts", ["result"], registry=REGISTRY)
RULESET = Gauge(
    "xinshi_ruleset_info", "Ruleset version each worker serves (1; 0 once replaced)",
    ["version"], registry=REGISTRY, multiprocess_mode="liveall",
)  # fmt: skip
CALLBACKS_REFUSED = Counter(
    "xinshi_callbacks_refused", "Receipt and reply pushes refused (401/403): receipts lost",
    ["kind", "provider", "reason"], registry=REGISTRY,
)  # fmt: skip
DISPATCH_OPEN = Gauge(
    "xinshi_dispatch_messages", "Messages not yet settled, and those that got no receipt",
    ["status"], registry=REGISTRY, multiprocess_mode="livemostrecent",
)  # fmt: skip
CAMPAIGN_PAUSES = Counter(
    "xinshi_campaign_pauses", "Campaigns the complaint kill switch paused (API process)",
    ["signal"], registry=REGISTRY,
)  # fmt: skip
CAMPAIGNS_PAUSED = Gauge(
    "xinshi_campaigns_paused", "Campaigns paused now (complaints, opt-outs, blacklist codes)",
    registry=REGISTRY, multiprocess_mode="livemostrecent",
)  # fmt: skip
IN_FLIGHT = Gauge(
    "xinshi_http_requests_in_flight", "Requests being handled (what SIGTERM waits for)",
    registry=REGISTRY, multiprocess_mode="livesum",
)  # fmt: skip


def count(verdicts: Iterable[Verdict]) -> None:
    """Record verdicts and their findings."""
    for v in verdicts:
        VERDICTS.labels(v.verdict.value).inc()
        for f in v.findings:
            FINDINGS.labels(f.category, f.severity.value).inc()


_OUTBOXES: dict[Path | str, Outbox] = {}


def dispatch_counts(target: Path | str) -> None:
    """Set ``xinshi_dispatch_messages`` from the outbox (queued ... no_receipt)."""
    outbox = _OUTBOXES.get(target)
    if outbox is None:
        outbox = _OUTBOXES[target] = Outbox(target)
    counts = outbox.open_counts()
    for status in ("queued", "sending", "unknown", "accepted", "no_receipt", "held"):
        DISPATCH_OPEN.labels(status).set(counts.get(status, 0))
    ((paused,),) = outbox.query(  # campaigns, not the signatures and templates over them
        f"SELECT COUNT(*) FROM campaign WHERE state='paused' AND {CAMPAIGNS_ONLY}"
    )
    CAMPAIGNS_PAUSED.set(int(paused))


def exposition() -> tuple[bytes, str]:
    """The metrics page; all workers' metrics when running multi-process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class RequestMetrics:
    """ASGI middleware: count and time every request by route template."""

    def __init__(self, app: ASGIApp, routes: frozenset[str]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        IN_FLIGHT.inc()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            IN_FLIGHT.dec()
            # the route template (/v1/ab/{experiment}) FastAPI records on the scope; unmatched
            # paths share one label so scanners cannot blow up the label set
            template = getattr(scope.get("route"), "path", None)
            route = template or (scope["path"] if scope["path"] in self.routes else "other")
            LATENCY.labels(route).observe(time.perf_counter() - start)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
