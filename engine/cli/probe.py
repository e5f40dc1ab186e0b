"""xinshi probe ...: test a provider before signing (stress step), compare two reports. Thin."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

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
) -> None:
    """Stress a provider: COUNT messages at RATE/s; submit and receipt latency p50/p95/p99,
    delivery rate, throttles, errors, cost. Ctrl-C stops and still writes the report."""
    if ctx.invoked_subcommand is not None:
        return
    if provider is None:
        raise usage_error("--provider: give the provider to test, e.g. --provider aliyun=URL")
    if not 1 <= count <= 100_000 or not 0 < rate <= 10_000 or max_minutes <= 0:
        raise usage_error(
            "--count is 1 to 100,000, --rate above 0 (at most 10,000/s), --max-minutes above 0"
        )
    run_probe(provider, count, rate, template, numbers, _listen(listen), out, price, at,
              max_minutes, receipt_wait, timeout)  # fmt: skip


def run_probe(
    spec: str,
    count: int,
    rate: float,
    template: str,
    numbers_file: Path | None,
    listen: tuple[str, int],
    out: Path | None,
    price: float | None,
    at: str | None,
    max_minutes: float,
    receipt_wait: float,
    timeout: float,
) -> None:
    """Load, run the stress step with a receipt receiver, write the report."""
    import asyncio
    import os
    import signal
    import time

    import uvicorn

    from engine.cli.dispatch import beijing
    from engine.dispatch.carriers import sample_numbers
    from engine.dispatch.probe import ProbeError, Stress, read_numbers, receiver_app, stress
    from engine.dispatch.probe_report import write
    from engine.dispatch.providers import ProviderConfigError, make_provider
    from engine.dispatch.templates import TemplateError, load_templates

    try:
        p = make_provider(spec, timeout=timeout)
        tpl_path = os.environ.get("XINSHI_TEMPLATES")
        tpl = load_templates(Path(tpl_path) if tpl_path else None).get(template)
        nums = read_numbers(numbers_file) if numbers_file else [
            "+86" + n for n, _, _ in sample_numbers()]  # fmt: skip
        start_at = parse_at(at, time.time()) if at else None
    except (ProviderConfigError, ProbeError, ValueError) as exc:
        msg = exc.message if isinstance(exc, TemplateError) else str(exc)
        raise usage_error(msg) from None
    run = Stress(p.name, count, rate)
    prefix = out or Path(f"probe-{p.name}-{time.strftime('%Y%m%d-%H%M%S')}")

    def progress(r: Stress) -> None:
        c = r.counts()
        sys.stderr.write(f"stress: {c['sent']}/{r.target} sent, {c['accepted']} accepted, "
                         f"{c['receipts']} receipts\n")  # fmt: skip

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        config = uvicorn.Config(receiver_app(lambda: run), host=listen[0], port=listen[1],
                                log_level="warning", access_log=False)  # fmt: skip
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                raise ProbeError(
                    f"--listen {listen[0]}:{listen[1]}: cannot listen there (in use?); "
                    "pick another port and point the provider's receipts at it"
                )
            await asyncio.sleep(0.05)
        try:
            if start_at is not None:
                sys.stderr.write(f"waiting until {beijing(start_at)}\n")
                try:
                    await asyncio.wait_for(stop.wait(), max(0.0, start_at - time.time()))
                    return  # stopped before it started: nothing measured
                except TimeoutError:
                    pass
            await stress(run, p, tpl, nums, stop, progress, max_minutes * 60, receipt_wait)
        finally:
            server.should_exit = True
            await serving
            await p.aclose()

    try:
        asyncio.run(main())
    except ProbeError as exc:
        raise usage_error(str(exc)) from None
    if not run.started:
        sys.stderr.write("stopped before the probe started: no report\n")
        raise typer.Exit(130)
    report: dict[str, Any] = {"provider": p.name, "provider_spec": spec, "template": template,
              "numbers": len(nums), "started": beijing(run.started),
              "stress": run.summary(price)}  # fmt: skip
    js, md = write(report, prefix)
    s = report["stress"]
    sys.stderr.write(f"{'interrupted: ' if s['interrupted'] else ''}{s['sent']} sent, "
                     f"delivery {s['delivery_rate']}, wrote {js} and {md}\n")  # fmt: skip


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
