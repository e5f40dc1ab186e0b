"""xinshi probe ...: test a provider before signing (stress step), compare two reports. Thin."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer

from engine.usage import usage_error

probe_app = typer.Typer(
    help="Test a provider before signing: stress it, write a report, compare two reports.",
    invoke_without_command=True,
)


def parse_at(text: str, now: float) -> float:
    """'fri 19:00' or '19:00' (Beijing time) -> the next such moment, as epoch seconds."""
    from datetime import datetime, timedelta

    from engine.message import BEIJING

    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    parts = text.lower().split()
    day = parts[0][:3] if len(parts) == 2 else None
    hm = parts[-1] if parts else ""
    hour, _, minute = hm.partition(":")
    if (len(parts) not in (1, 2) or (day is not None and day not in days)
            or not (hour.isdigit() and minute.isdigit())
            or int(hour) > 23 or int(minute) > 59):  # fmt: skip
        raise ValueError(f"--at {text!r}: write a Beijing time like 'fri 19:00' or '19:00'")
    base = datetime.fromtimestamp(now, BEIJING)
    when = base.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
    if day is not None:
        when += timedelta(days=(days.index(day) - when.weekday()) % 7)
    if when.timestamp() <= now:
        when += timedelta(days=7 if day is not None else 1)
    return when.timestamp()


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise usage_error(f"--listen {value!r}: write HOST:PORT, e.g. 127.0.0.1:9180")
    return host or "127.0.0.1", int(port)


@probe_app.callback()
def probe(
    ctx: typer.Context,
    provider: Annotated[
        str | None,
        typer.Option(help="KIND=URL to test, e.g. aliyun=http://127.0.0.1:9100 (see dispatch)."),
    ] = None,
    count: Annotated[int, typer.Option(help="Messages to send (1-100,000).")] = 1000,
    rate: Annotated[float, typer.Option(help="Target sends per second.")] = 50.0,
    template: Annotated[str, typer.Option(help="Template to send (template book).")] = "login_code",
    numbers: Annotated[
        Path | None,
        typer.Option(help="Test numbers, one a line (default: one per shipped number block)."),
    ] = None,
    listen: Annotated[
        str,
        typer.Option(help="Where the provider pushes receipts (HOST:PORT; /receipts/KIND)."),
    ] = "127.0.0.1:9180",
    out: Annotated[
        Path | None, typer.Option(help="Report path prefix: writes PREFIX.json and PREFIX.md.")
    ] = None,
    price: Annotated[float | None, typer.Option(help="Price per segment in fen.")] = None,
    at: Annotated[
        str | None, typer.Option(help="Start at a Beijing time, e.g. 'fri 19:00' (peak).")
    ] = None,
    max_minutes: Annotated[float, typer.Option(help="Stop sending after this long.")] = 30.0,
    receipt_wait: Annotated[
        float, typer.Option(help="Seconds to wait for receipts after the last send.")
    ] = 60.0,
    timeout: Annotated[float, typer.Option(help="Provider call timeout (seconds).")] = 5.0,
    steps: Annotated[
        str, typer.Option(help="Steps to run, in order: stress, compat, fault.")
    ] = "stress,compat,fault",
    forms: Annotated[
        Path | None,
        typer.Option(help="Template book of the message forms (default: shipped probe forms)."),
    ] = None,
    faults: Annotated[
        Path | None, typer.Option(help="Fault cases (default: shipped; see probe_fault.yaml).")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="Rules the fault step checks with (default: shipped).")
    ] = None,
) -> None:
    """Test a provider: stress (COUNT OTPs at RATE/s), compatibility (carrier x region x message
    form), fault (sensitive texts: Xinshi's check first). Ctrl-C still writes the report."""
    if ctx.invoked_subcommand is not None:
        return
    if provider is None:
        raise usage_error("--provider: give the provider to test, e.g. --provider aliyun=URL")
    if not 1 <= count <= 100_000 or not 0 < rate <= 10_000 or max_minutes <= 0:
        raise usage_error(
            "--count is 1 to 100,000, --rate above 0 (at most 10,000/s), --max-minutes above 0"
        )
    chosen = tuple(dict.fromkeys(x.strip() for x in steps.split(",") if x.strip()))
    if not chosen or any(x not in STEPS for x in chosen):
        raise usage_error(f"--steps {steps!r}: any of {', '.join(STEPS)}, comma-separated")
    run_probe(Args(provider, count, rate, template, numbers, _listen(listen), out, price, at,
                   max_minutes, receipt_wait, timeout, chosen, forms, faults, rules))  # fmt: skip


class Args(NamedTuple):
    """What to probe and how (the command's options, checked)."""

    spec: str
    n: int  # stress messages
    rate: float
    template: str
    numbers: Path | None
    listen: tuple[str, int]
    out: Path | None
    price: float | None
    at: str | None
    max_minutes: float
    receipt_wait: float
    timeout: float
    steps: tuple[str, ...]
    forms: Path | None
    faults: Path | None
    rules: Path | None


STEPS = ("stress", "compat", "fault")


def run_probe(a: Args) -> None:
    """Load, run the steps with a receipt receiver, write the report (also when interrupted)."""
    import asyncio
    import os
    import signal
    import time

    import uvicorn

    from engine.cli.dispatch import beijing
    from engine.dispatch.carriers import carrier_of, region_of, sample_numbers
    from engine.dispatch.probe import (
        Item,
        ProbeError,
        Stress,
        compat_plan,
        read_numbers,
        receiver_app,
        send_plan,
        stress_plan,
    )  # fmt: skip
    from engine.dispatch.probe_fault import fault_plan, fault_summary, load_cases
    from engine.dispatch.probe_report import write
    from engine.dispatch.providers import ProviderConfigError, make_provider
    from engine.dispatch.templates import TemplateError, load_templates, probe_forms_path
    from engine.ruleset import RulesetError, load_ruleset

    forms_path = a.forms or probe_forms_path()
    try:
        p = make_provider(a.spec, timeout=a.timeout)
        tpl_path = os.environ.get("XINSHI_TEMPLATES")
        tpl = load_templates(Path(tpl_path) if tpl_path else None).get(a.template)
        book = load_templates(forms_path)
        forms = [t for i, t in book.templates.items() if i != "probe_fault"]
        nums = read_numbers(a.numbers) if a.numbers else [
            "+86" + n for n, _, _ in sample_numbers()]  # fmt: skip
        start_at = parse_at(a.at, time.time()) if a.at else None
        cases = load_cases(a.faults) if "fault" in a.steps else []
        ruleset = load_ruleset(a.rules) if "fault" in a.steps else None
        fault_tpl = book.get("probe_fault") if "fault" in a.steps else None
    except (ProviderConfigError, ProbeError, RulesetError, ValueError) as exc:
        raise usage_error(exc.message if isinstance(exc, TemplateError) else str(exc)) from None
    matrix = list({(carrier_of(n), region_of(n)): n for n in reversed(nums)}.values())[::-1]
    runs: dict[str, Stress] = {}
    verdicts: dict[str, dict[str, Any]] = {}
    prefix = a.out or Path(f"probe-{p.name}-{time.strftime('%Y%m%d-%H%M%S')}")

    def progress(r: Stress) -> None:
        c = r.counts()
        sys.stderr.write(f"{r.step}: {c['sent']}/{r.target} sent, {c['accepted']} accepted, "
                         f"{c['receipts']} receipts\n")  # fmt: skip

    def plan_of(step: str) -> list[Item]:
        if step == "stress":
            return stress_plan(tpl, nums, a.n)
        if step == "compat":
            return compat_plan(forms, matrix)
        assert fault_tpl is not None and ruleset is not None
        plan, found = fault_plan(cases, fault_tpl, nums, ruleset)
        verdicts.update(found)
        return plan

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        current: list[Stress | None] = [None]
        app = receiver_app(lambda: current[0])
        config = uvicorn.Config(app, host=a.listen[0], port=a.listen[1], log_level="warning",
                                access_log=False)  # fmt: skip
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                raise ProbeError(
                    f"--listen {a.listen[0]}:{a.listen[1]}: cannot listen there (in use?); "
                    "pick another port and point the provider's receipts at it"
                )
            await asyncio.sleep(0.05)
        try:
            if start_at is not None:
                sys.stderr.write(f"waiting until {beijing(start_at)}\n")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, start_at - time.time()))
            deadline = time.monotonic() + a.max_minutes * 60
            for step in a.steps:
                if stop.is_set() or time.monotonic() >= deadline:
                    break
                plan = plan_of(step)
                run = current[0] = runs[step] = Stress(p.name, len(plan), a.rate, step=step)
                await send_plan(run, p, plan, stop, progress, deadline - time.monotonic(),
                                a.receipt_wait)  # fmt: skip
        finally:
            server.should_exit = True
            await serving
            await p.aclose()

    try:
        asyncio.run(main())
    except ProbeError as exc:
        raise usage_error(str(exc)) from None
    if not runs:
        sys.stderr.write("stopped before the probe started: no report\n")
        raise typer.Exit(130)
    first = next(iter(runs.values()))
    report: dict[str, Any] = {"provider": p.name, "provider_spec": a.spec,
                              "template": a.template, "numbers": len(nums),
                              "started": beijing(first.started), "steps": list(runs),
                              "interrupted": any(r.interrupted for r in runs.values())}  # fmt: skip
    if "stress" in runs:
        report["stress"] = runs["stress"].summary(a.price)
    if "compat" in runs:
        c = runs["compat"]
        report["compatibility"] = {"summary": c.summary(a.price), "cells": c.cells()}
    if "fault" in runs:
        report["fault"] = fault_summary(cases, verdicts, runs["fault"])
    js, md = write(report, prefix)
    sent = sum(len(r.sent) for r in runs.values())
    sys.stderr.write(f"{'interrupted: ' if report['interrupted'] else ''}{sent} sent in "
                     f"{', '.join(runs)}, wrote {js} and {md}\n")  # fmt: skip


@probe_app.command("compare")
def compare(
    a: Annotated[Path, typer.Argument(help="Report A (.json from xinshi probe).")],
    b: Annotated[Path, typer.Argument(help="Report B.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Put two providers' probe reports side by side; say which wins on each measure."""
    import orjson

    from engine.dispatch.probe_report import ReportError, compare_markdown, read
    from engine.dispatch.probe_report import compare as rows_of

    try:
        ra, rb = read(a), read(b)
    except ReportError as exc:
        raise usage_error(str(exc)) from None
    rows = rows_of(ra, rb)
    if as_json:
        sys.stdout.write(orjson.dumps({"a": str(a), "b": str(b), "measures": rows},
                                      option=orjson.OPT_INDENT_2).decode() + "\n")  # fmt: skip
        return
    sys.stdout.write(compare_markdown(ra, rb, rows))
