"""``xinshi probe``: measure a provider before signing with it, directly, not through the outbox.

Stress step: N messages (OTPs by default) at a target rate, each sent with the provider's wire
client, receipts taken by a small receiver the provider pushes to (``--listen``; its path is
``/receipts/{provider}``, as the API's). Measures submit latency, receipt latency (send -> receipt
arrival), delivery rate (delivered receipts / accepted), throttles, errors, failure codes and
billed segments. Bounded in count and time; ``stop`` (Ctrl-C) ends sending early and the
measurements so far are still summarised. A provider that cannot be reached, or refuses the
credentials, on every one of the first sends stops the probe with an error that says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from engine.dispatch.carriers import carrier_of, region_of
from engine.dispatch.message import OutboxRow, Outcome, Status
from engine.dispatch.phone import PhoneError, normalize_cn
from engine.dispatch.providers import CALLBACKS, Provider
from engine.dispatch.providers.base import CallbackError
from engine.dispatch.scorecard import percentile, wilson
from engine.dispatch.storage import new_id
from engine.dispatch.templates import Template

MAX_COUNT = 100_000
FIRST_SENDS = 10  # all of these unreachable / refused: stop with an error


class ProbeError(ValueError):
    """A probe that cannot run as asked (bad numbers file, unreachable provider, ...)."""


@dataclass
class Sent:
    """One probe message: its call and, once it comes, its receipt."""

    id: str
    phone: str
    started: float
    submit_s: float = 0.0
    outcome: str = ""
    code: str = ""
    ref: str | None = None
    billed: int | None = None
    receipt_at: float | None = None
    delivered: bool | None = None
    receipt_code: str | None = None
    tag: str = ""  # the template, form or fault case it tests


@dataclass
class Stress:
    """What the stress step measured so far."""

    provider: str
    target: int
    rate: float
    sent: list[Sent] = field(default_factory=list)
    by_id: dict[str, Sent] = field(default_factory=dict)
    by_ref: dict[str, Sent] = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0
    step: str = "stress"
    interrupted: bool = False
    stray_receipts: int = 0
    early: dict[str, tuple[bool, str, int | None, float]] = field(default_factory=dict)

    def answered(self, s: Sent) -> None:
        """A send's answer is in: a receipt that came first (by provider id) is matched now."""
        if s.ref is None:
            return
        self.by_ref[s.ref] = s
        if s.ref in self.early:
            ok, code, billed, at = self.early.pop(s.ref)
            self.stray_receipts -= 1
            self.receipt(s.id, None, ok, code, billed, at)

    def receipt(self, out_id: str | None, ref: str | None, ok: bool, code: str,
                billed: int | None, at: float) -> None:  # fmt: skip
        """Match one pushed receipt to its message (the first one counts)."""
        s = self.by_id.get(out_id or "") or self.by_ref.get(ref or "")
        if s is None:
            self.stray_receipts += 1
            if ref:  # Tencent's receipts carry only its id: the answer may still be on its way
                self.early[ref] = (ok, code, billed, at)
            return
        if s.receipt_at is None:
            s.receipt_at, s.delivered, s.receipt_code = at, ok, code
            s.billed = billed if billed is not None else s.billed

    def counts(self) -> dict[str, int]:
        """Sent, accepted, receipts so far (for the progress line)."""
        accepted = sum(s.outcome == Outcome.ACCEPTED for s in self.sent)
        return {"sent": len(self.sent), "accepted": accepted,
                "receipts": sum(s.receipt_at is not None for s in self.sent)}  # fmt: skip

    def cells(self) -> list[dict[str, Any]]:
        """Compatibility: delivered and receipt latency per carrier x region x form."""
        groups: dict[tuple[str, str, str], list[Sent]] = {}
        for s in self.sent:
            key = (carrier_of(s.phone), region_of(s.phone), s.tag)
            groups.setdefault(key, []).append(s)
        out = []
        for (carrier, region, form), items in sorted(groups.items()):
            lat = sorted(s.receipt_at - s.started for s in items if s.receipt_at is not None)
            codes = {s.code for s in items if s.outcome and s.outcome != Outcome.ACCEPTED}
            codes |= {s.receipt_code or "" for s in items if s.delivered is False}
            out.append({"carrier": carrier, "region": region, "form": form, "sent": len(items),
                        "accepted": sum(s.outcome == Outcome.ACCEPTED for s in items),
                        "delivered": sum(bool(s.delivered) for s in items),
                        "codes": sorted(codes), "receipt_ms_p50": _pcts(lat)["p50"]})  # fmt: skip
        return out

    def summary(self, price: float | None = None) -> dict[str, Any]:
        """The step's figures (JSON-ready)."""
        done = [s for s in self.sent if s.outcome]
        accepted = [s for s in done if s.outcome == Outcome.ACCEPTED]
        delivered = sum(bool(s.delivered) for s in accepted)
        answered = [s for s in accepted if s.receipt_at is not None]
        low, high = wilson(delivered, len(accepted))
        sub = sorted(s.submit_s for s in done if s.outcome != Outcome.UNKNOWN)
        rec = sorted(s.receipt_at - s.started for s in answered if s.receipt_at is not None)
        billed = sum(s.billed or 0 for s in accepted)
        span = max(1e-9, (self.ended or time.time()) - self.started)
        codes = Counter(s.code for s in done if s.outcome != Outcome.ACCEPTED)
        codes.update(s.receipt_code or "" for s in answered if not s.delivered)
        return {
            "provider": self.provider, "target": self.target, "target_rate": self.rate,
            "sent": len(self.sent), "answered": len(done), "accepted": len(accepted),
            "throttled": sum(s.outcome == Outcome.PROVIDER_THROTTLED for s in done),
            "errors": sum(s.outcome in (Outcome.TRANSIENT, Outcome.UNKNOWN) for s in done),
            "rejected": len(done) - len(accepted)
            - sum(s.outcome in (Outcome.PROVIDER_THROTTLED, Outcome.TRANSIENT, Outcome.UNKNOWN)
                  for s in done),
            "delivered": delivered, "undelivered": len(answered) - delivered,
            "no_receipt": len(accepted) - len(answered),
            "delivery_rate": round(delivered / len(accepted), 4) if accepted else None,
            "delivery_rate_low": round(low, 4) if accepted else None,
            "delivery_rate_high": round(high, 4) if accepted else None,
            "submit_ms": _pcts(sub), "receipt_ms": _pcts(rec),
            "receipt_ms_all": [round(r * 1000, 1) for r in rec],
            "codes": dict(codes.most_common(10)),
            "billed_segments": billed,
            "price_fen_per_segment": price,
            "cost_per_delivered_fen": round(billed * price / delivered, 4)
            if price is not None and delivered else None,
            "seconds": round(span, 3), "achieved_rate": round(len(self.sent) / span, 1),
            "interrupted": self.interrupted, "stray_receipts": self.stray_receipts,
        }  # fmt: skip


def _pcts(values: Sequence[float]) -> dict[str, float | None]:
    return {f"p{q}": None if (v := percentile(values, q / 100)) is None else round(v * 1000, 1)
            for q in (50, 95, 99)}  # fmt: skip


def read_numbers(path: Path) -> list[str]:
    """One mainland mobile number a line (``#`` comments, blank lines skipped); ProbeError lists
    every bad line with file:line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ProbeError(f"{path}: cannot read the numbers file: {exc.strerror}") from None
    numbers, errors = [], []
    for i, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            numbers.append(normalize_cn(text.split("\t")[0]))  # later columns: notes
        except PhoneError as exc:
            errors.append(f"{path}:{i}: {exc}")
    if errors:
        raise ProbeError("\n".join(errors))
    if not numbers:
        raise ProbeError(f"{path}: no numbers; write one mobile number a line, e.g. 13812345678")
    return numbers


def _row(mid: str, phone: str, tpl: Template, params: dict[str, str]) -> OutboxRow:
    return OutboxRow(
        id=mid, idem_key=mid, lane=tpl.lane, phone=phone, sign_name=tpl.sign_name,
        template_id=tpl.id, params=params, rendered_text=tpl.render(params),
        ruleset_version="probe", status=Status.SENDING, not_before=0, expires_at=None,
        attempts=1, created_at=time.time(),
    )  # fmt: skip


def otp_params(tpl: Template, rng: random.Random) -> dict[str, str]:
    """A fresh value for every variable (6 digits: fits an OTP code and any other field)."""
    return {v: f"{rng.randrange(10**6):06d}" for v in tpl.variables}


# one message to send: (number, template, parameters, tag: the form or fault case it tests)
Item = tuple[str, Template, dict[str, str], str]


def stress_plan(tpl: Template, numbers: Sequence[str], count: int) -> list[Item]:
    """``count`` messages of ``tpl`` over the numbers, each with fresh parameters."""
    rng = random.Random()
    return [(numbers[i % len(numbers)], tpl, otp_params(tpl, rng), tpl.id) for i in range(count)]


def compat_plan(forms: Sequence[Template], numbers: Sequence[str]) -> list[Item]:
    """Every number (carrier x region) crossed with every message form."""
    rng = random.Random()
    return [(n, f, otp_params(f, rng), f.id) for n in numbers for f in forms]


async def send_plan(
    run: Stress,
    provider: Provider,
    plan: Sequence[Item],
    stop: asyncio.Event,
    progress: Callable[[Stress], None] | None = None,
    max_seconds: float = 1800.0,
    receipt_wait_s: float = 60.0,
    concurrency: int = 64,
) -> Stress:
    """Send the plan at ``run.rate`` per second, then wait for receipts (until every accepted
    message has one, ``receipt_wait_s``, or ``stop``); ``run`` fills as it goes (the receipt
    receiver writes into it too)."""
    ptpls = {}
    for _, tpl, _, _ in plan:
        if (ptpl := tpl.providers.get(provider.name)) is None:
            raise ProbeError(
                f"template {tpl.id!r} has no approved template at {provider.name}; "
                f"give one with a {provider.name} code (--template, --forms)"
            )
        ptpls[tpl.id] = ptpl
    run.started = time.time()
    gate = asyncio.Semaphore(concurrency)
    deadline = time.monotonic() + max_seconds
    first: list[Sent] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(s: Sent, row: OutboxRow) -> None:
        async with gate:
            t0 = time.monotonic()
            r = await provider.send(row, ptpls[row.template_id])
            s.submit_s = time.monotonic() - t0
            s.outcome, s.code, s.ref = r.outcome.value, r.code, r.provider_ref
            s.billed = r.billed_parts
            run.answered(s)

    t_start = time.monotonic()
    last_tick = 0.0
    for i, (phone, tpl, params, tag) in enumerate(plan):
        if stop.is_set() or time.monotonic() > deadline:
            run.interrupted = stop.is_set()
            break
        wait = t_start + i / run.rate - time.monotonic()
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            if stop.is_set():
                run.interrupted = True
                break
        mid = new_id(time.time())
        s = Sent(mid, phone, time.time(), tag=tag)
        run.sent.append(s)
        run.by_id[mid] = s
        task = asyncio.create_task(one(s, _row(mid, phone, tpl, params)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if len(first) < FIRST_SENDS:
            first.append(s)
            if len(first) == FIRST_SENDS:
                await asyncio.gather(*list(tasks))
                _check_reachable(first, provider.name)
        if progress and time.monotonic() - last_tick >= 1.0:
            last_tick = time.monotonic()
            progress(run)
    if tasks:
        await asyncio.gather(*list(tasks))
    _check_reachable(first, provider.name)
    wait_until = time.monotonic() + receipt_wait_s
    while not stop.is_set() and time.monotonic() < wait_until:
        if all(s.receipt_at is not None for s in run.sent if s.outcome == Outcome.ACCEPTED):
            break
        if progress and time.monotonic() - last_tick >= 1.0:
            last_tick = time.monotonic()
            progress(run)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)
    run.interrupted = run.interrupted or stop.is_set()
    run.ended = time.time()
    return run


def _check_reachable(first: list[Sent], name: str) -> None:
    if not first or any(not s.outcome for s in first):
        return
    if all(s.code == "connect_error" for s in first):
        raise ProbeError(
            f"provider {name} cannot be reached: the first {len(first)} sends all failed to "
            "connect. Check the URL and that it is running"
        )
    if all(s.outcome == Outcome.ACCOUNT for s in first):
        raise ProbeError(
            f"provider {name} refused the account on the first {len(first)} sends "
            f"({first[0].code}): check the credentials (and the balance)"
        )


def receiver_app(run_of: Callable[[], Stress | None]) -> Any:
    """The receipt receiver: POST /receipts/{provider} in the provider's format."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def receipts(request: Request) -> Response:
        provider = request.path_params["provider"]
        cb = CALLBACKS.get(provider)
        run = run_of()
        if cb is None:
            return Response(b'{"error": "unknown provider"}', 404)
        try:
            items = cb.parse_receipts(orjson.loads(await request.body()))
        except (orjson.JSONDecodeError, CallbackError):
            return Response(b'{"error": "not a receipt in the provider format"}', 400)
        now = time.time()
        if run is not None:
            for rc in items:
                run.receipt(rc.out_id, rc.provider_ref, rc.delivered, rc.code,
                            rc.billed_parts, now)  # fmt: skip
        return Response(orjson.dumps(dict(cb.ack)), media_type="application/json")

    async def inbound(request: Request) -> Response:  # replies are not measured: acknowledge
        cb = CALLBACKS.get(request.path_params["provider"])
        return Response(orjson.dumps(dict(cb.ack) if cb else {}), media_type="application/json")

    return Starlette(routes=[Route("/receipts/{provider}", receipts, methods=["POST"]),
                             Route("/inbound/{provider}", inbound, methods=["POST"])])  # fmt: skip
