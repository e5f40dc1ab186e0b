"""xinshi dispatch ...: queue, inspect and send messages (thin: parse, call, render)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from engine.cli.campaigns import campaigns_cmd, killswitch, resume_cmd
from engine.cli.scenes import trigger
from engine.dispatch import (
    DispatchSettings,
    Intake,
    IntakeError,
    Outbox,
    OutboxError,
    SendRequest,
    TemplateError,
    load_templates,
)
from engine.dispatch.backend import DatabaseUrlError
from engine.message import parse_send_at
from engine.ruleset import RulesetError, load_ruleset
from engine.usage import usage_error

dispatch_app = typer.Typer(
    help="Send approved messages: outbox, worker, fake provider.", no_args_is_help=True
)

dispatch_app.command("trigger")(trigger)  # scene events from a file (engine/cli/scenes.py)

DataOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Outbox and events directory (default: $XINSHI_DATA_DIR)."),
]
RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Rules directory (default: shipped rules).")
]


def _settings(data_dir: Path | None) -> DispatchSettings:
    try:
        return DispatchSettings.from_env(data_dir)
    except ValueError as exc:
        raise usage_error(str(exc)) from None


def _outbox(settings: DispatchSettings) -> Outbox:
    """The outbox the settings name; a database that cannot be reached is a usage error."""
    try:
        return Outbox(settings.outbox_target)
    except DatabaseUrlError as exc:
        raise usage_error(str(exc)) from None


# Timestamps are stored as epoch seconds; people read them as Beijing wall-clock time.
TIME_KEYS = frozenset(
    {"at", "created_at", "expires_at", "not_before", "next_fire_at", "reported_at", "received_at"}
)


def beijing(epoch: float) -> str:
    """``2026-12-03T18:20:05+08:00``: epoch seconds as ISO 8601 in Beijing time."""
    from datetime import datetime

    from engine.message import BEIJING

    return datetime.fromtimestamp(epoch, BEIJING).isoformat(timespec="seconds")


def with_beijing_times(data: object) -> object:
    """``data`` with every epoch timestamp (TIME_KEYS) rewritten by :func:`beijing`."""
    if isinstance(data, dict):
        return {
            k: beijing(v)
            if k in TIME_KEYS and isinstance(v, int | float) and not isinstance(v, bool)
            else with_beijing_times(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [with_beijing_times(v) for v in data]
    return data


def _print(data: object) -> None:
    out = with_beijing_times(data)
    sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")


ShowPhoneOpt = Annotated[
    bool,
    typer.Option("--show-phone", help="Print the full recipient number (masked by default)."),
]


def _print_record(record: dict[str, Any], show_phone: bool) -> None:
    """A message record as JSON; the recipient masked unless asked (output lands in logs)."""
    from engine.dispatch.records import view

    _print(view(record, show_phone))


@dispatch_app.command("enqueue")
def enqueue(
    phone: Annotated[str, typer.Option(help="Recipient, e.g. 13812345678.")],
    template: Annotated[str, typer.Option(help="Logical template id (rules/dispatch/).")],
    key: Annotated[str, typer.Option(help="Idempotency key: the same key is queued once.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Template parameter NAME=VALUE.")
    ] = None,
    send_at: Annotated[
        str | None, typer.Option(help="ISO 8601; Beijing time without offset.")
    ] = None,
    experiment: Annotated[str | None, typer.Option(help="A/B experiment id.")] = None,
    campaign: Annotated[
        str | None, typer.Option(help="Campaign (default: the experiment, else the template).")
    ] = None,
    variant: Annotated[str | None, typer.Option(help="A/B variant.")] = None,
    track_links: Annotated[bool, typer.Option(help="Rewrite URL params to /r/{code}.")] = False,
    data_dir: DataOpt = None,
    rules: RulesOpt = None,
    show_phone: ShowPhoneOpt = False,
) -> None:
    """Check and queue one message; print its record."""
    settings = _settings(data_dir)
    params: dict[str, str] = {}
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise usage_error(f"--param {item!r} is not NAME=VALUE")
        params[name] = value
    try:
        ruleset = load_ruleset(rules)
        book = load_templates(settings.templates)
        when = parse_send_at(send_at)
    except (RulesetError, TemplateError, ValueError) as exc:
        raise usage_error(str(exc)) from None
    outbox = _outbox(settings)
    intake = Intake(
        outbox, book, lambda: ruleset, settings.secret, settings.link_base, settings.approval_ttl_s
    )
    req = SendRequest(key, phone, template, params, send_at=when, experiment=experiment,
                      variant=variant, track_links=track_links, campaign=campaign)  # fmt: skip
    try:
        row, created = intake.submit(req)
    except IntakeError as exc:
        raise usage_error(f"{exc.field or 'request'}: {exc.message}") from None
    _print_record({**row.to_dict(), "created": created}, show_phone)


@dispatch_app.command("status")
def status(
    message_id: Annotated[str | None, typer.Argument(help="A message id; none: counts.")] = None,
    data_dir: DataOpt = None,
    show_phone: ShowPhoneOpt = False,
) -> None:
    """Print one message's record, history, provider calls and receipts, or the count per
    status."""
    from engine.dispatch.records import Records

    outbox = _outbox(_settings(data_dir))
    if message_id is None:
        _print(outbox.counts())
        return
    story = Records(outbox).story(message_id, show_phone)
    if story is None:
        raise usage_error(f"no message {message_id!r} in {outbox.where}")
    _print(story)


@dispatch_app.command("find")
def find(
    phone: Annotated[str | None, typer.Option(help="Recipient, e.g. 13812345678.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Created since: 7d, 24h, 30m or an ISO 8601 time.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Created before (same forms).")] = None,
    status: Annotated[str | None, typer.Option(help="queued, accepted, delivered, ...")] = None,
    template: Annotated[str | None, typer.Option(help="Logical template id.")] = None,
    scene: Annotated[str | None, typer.Option(help="Scene (rules/dispatch/scenes.yaml).")] = None,
    limit: Annotated[int, typer.Option(help="Messages per page (1-500).")] = 50,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
    data_dir: DataOpt = None,
    show_phone: ShowPhoneOpt = False,
) -> None:
    """Search the send record, newest first; prints a page and the cursor of the next one."""
    from engine.dispatch.records import QueryError, Records, make_find

    try:
        q = make_find(phone, since, until, status, template, limit, cursor, scene)
    except QueryError as exc:
        raise usage_error(f"--{exc.field}: {exc.message}") from None
    _print(Records(_outbox(_settings(data_dir))).find(q, show_phone))


@dispatch_app.command("purge")
def purge(
    retention_days: Annotated[
        int | None, typer.Option(help="Keep this many days (>= 153; default 186).")
    ] = None,
    data_dir: DataOpt = None,
) -> None:
    """Delete send records older than the retention period (never under 5 months)."""
    settings = _settings(data_dir)
    try:
        n = _outbox(settings).purge(time.time(), retention_days or settings.retention_days)
    except OutboxError as exc:
        raise usage_error(exc.message) from None
    _print({"purged": n})


@dispatch_app.command("migrate")
def migrate(data_dir: DataOpt = None) -> None:
    """Bring the PostgreSQL outbox ($XINSHI_DATABASE_URL) to this version's schema; print it.

    Workers and the API also migrate when they start; run this first to do it on its own.
    """
    from engine.dispatch.schema import POSTGRES_MIGRATIONS, postgres_version

    settings = _settings(data_dir)
    if not settings.database_url:
        raise usage_error(
            "XINSHI_DATABASE_URL is not set: an SQLite outbox needs no migration (it is brought "
            "up to date when opened). Set the URL of the PostgreSQL database to migrate"
        )
    outbox = _outbox(settings)  # opening applies what is missing
    with outbox.transaction() as db:
        version = postgres_version(db)
    notes = {v: note for v, note, _ in POSTGRES_MIGRATIONS}
    _print({"database": outbox.where, "schema_version": version, "note": notes.get(version)})


@dispatch_app.command("copy")
def copy(
    source: Annotated[
        Path | None,
        typer.Option("--from", help="SQLite outbox to copy (default: the data directory's)."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(help="PostgreSQL URL to copy into (default: $XINSHI_DATABASE_URL)."),
    ] = None,
    data_dir: DataOpt = None,
) -> None:
    """Copy an SQLite outbox into an empty PostgreSQL database (stop the workers first)."""
    from engine.dispatch.backend import is_postgres
    from engine.dispatch.copy import copy_outbox

    settings = _settings(data_dir)
    url = to or settings.database_url
    if not url or not is_postgres(url):
        raise usage_error(
            "--to: give the PostgreSQL URL to copy into (postgresql://user:password@host:5432/db)"
            " or set XINSHI_DATABASE_URL"
        )
    try:
        counts = copy_outbox(source or settings.outbox_path, url)
    except DatabaseUrlError as exc:
        raise usage_error(str(exc)) from None
    except OutboxError as exc:
        raise usage_error(f"--{exc.field}: {exc.message}" if exc.field else exc.message) from None
    _print({"copied": counts})


@dispatch_app.command("fake-provider")
def fake_provider(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 9100,
    latency_ms: Annotated[float, typer.Option(help="Mean response latency.")] = 20.0,
    callback: Annotated[
        str | None,
        typer.Option(
            help="Where to push receipts and replies, e.g. http://127.0.0.1:8000/v1/dispatch"
        ),
    ] = None,
    callback_secret: Annotated[
        str | None,
        typer.Option(help="HMAC key that signs each push; default $XINSHI_CALLBACK_SECRET."),
    ] = None,
    receipt_delay: Annotated[float, typer.Option(help="Seconds before a receipt is pushed.")] = 0.2,
    hang: Annotated[float, typer.Option(help="Seconds a ...0006 number hangs.")] = 30.0,
    lookup_latency_ms: Annotated[
        float, typer.Option(help="Extra time each status query (lookup) takes.")
    ] = 0.0,
    behaviour: Annotated[
        Path | None,
        typer.Option(
            help="YAML: delivery by carrier, latencies, qps limit, content filter, fees "
            "(replaces --latency-ms and --receipt-delay; keys in README)."
        ),
    ] = None,
) -> None:
    """Run the fake Aliyun + Tencent SMS provider on 127.0.0.1 (magic numbers: see docs)."""
    import os

    import uvicorn

    from engine.dispatch.behaviour import BehaviourError, load_behaviour
    from engine.dispatch.fake_provider import FakeConfig, create_fake_app, template_texts
    from engine.dispatch.templates import probe_forms_path

    try:
        conduct = load_behaviour(behaviour) if behaviour else None
        tpl = os.environ.get("XINSHI_TEMPLATES")  # the texts it renders, as the workers' book
        texts = template_texts(load_templates(Path(tpl) if tpl else None))
        texts |= template_texts(load_templates(probe_forms_path()))  # what xinshi probe sends
    except (BehaviourError, TemplateError) as exc:
        raise usage_error(str(exc)) from None

    config = FakeConfig(
        latency_ms=latency_ms,
        jitter_ms=latency_ms / 4,
        callback=callback.rstrip("/") if callback else None,
        callback_secret=(callback_secret or os.environ.get("XINSHI_CALLBACK_SECRET", "")).encode()
        or None,
        receipt_delay_s=receipt_delay,
        hang_s=hang,
        lookup_latency_ms=lookup_latency_ms,
        behaviour=conduct,
        templates=texts,
    )
    uvicorn.run(create_fake_app(config), host="127.0.0.1", port=port, log_level="warning",
                access_log=False, server_header=False)  # fmt: skip


def _rates(specs: list[str], names: list[str]) -> dict[str, float]:
    """--qps NAME=RATE values, checked against the configured providers."""
    rates: dict[str, float] = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if name.strip() not in names or not 0 < rate < float("inf"):
            raise usage_error(
                f"--qps {spec!r}: write it as NAME=RATE with NAME one of the providers "
                f"({', '.join(names)}) and RATE a number of sends per second above 0, "
                "e.g. --qps aliyun=200"
            )
        rates[name.strip()] = rate
    return rates


@dispatch_app.command("worker")
def worker(
    provider: Annotated[
        list[str],
        typer.Option(
            "--provider", help="KIND=URL, in failover order, e.g. aliyun=http://127.0.0.1:9100"
        ),
    ],
    lease: Annotated[float, typer.Option(help="Seconds a claimed message is leased.")] = 30.0,
    reconcile_after: Annotated[
        float, typer.Option(help="Seconds in 'unknown' before asking the provider.")
    ] = 60.0,
    timeout: Annotated[float, typer.Option(help="Provider call timeout (seconds).")] = 5.0,
    receipt_timeout: Annotated[
        float, typer.Option(help="Hours an accepted message waits for its receipt: no_receipt.")
    ] = 72.0,
    lookups: Annotated[
        int, typer.Option(help="Reconciliation lookups in flight at once (beside sending).")
    ] = 8,
    lookup_qps: Annotated[float, typer.Option(help="Lookups per second per provider.")] = 10.0,
    qps: Annotated[
        list[str] | None,
        typer.Option(
            "--qps",
            help="NAME=RATE: sends per second to a provider for all workers together "
            "(shared by the live workers), e.g. --qps aliyun=200. Repeat per provider.",
        ),
    ] = None,
    route: Annotated[
        str,
        typer.Option(
            help="order: failover order; scorecard: providers weighted by delivery rate and "
            "cost over the last hour (see xinshi providers report)."
        ),
    ] = "order",
    route_threshold: Annotated[
        float, typer.Option(help="--route scorecard: below this delivery rate, a tenth.")
    ] = 0.95,
    route_every: Annotated[
        float, typer.Option(help="--route scorecard: seconds between weight updates.")
    ] = 60.0,
    price: Annotated[
        list[str] | None,
        typer.Option("--price", help="NAME=FEN per segment (default $XINSHI_PROVIDER_PRICES)."),
    ] = None,
    data_dir: DataOpt = None,
    rules: RulesOpt = None,
) -> None:
    """Send queued messages until stopped (SIGTERM/Ctrl-C finish in-flight sends first)."""
    import asyncio
    import logging
    import signal

    from engine.dispatch.events import EventWriter
    from engine.dispatch.lanes import default_policies
    from engine.dispatch.providers import ProviderConfigError, make_provider
    from engine.dispatch.worker import Worker, WorkerOptions

    settings = _settings(data_dir)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s+08:00 %(levelname)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    for handler in logging.getLogger().handlers:  # log times in Beijing time, whatever $TZ says
        if handler.formatter is not None:
            handler.formatter.converter = lambda secs: time.gmtime((secs or 0) + 8 * 3600)
    try:
        ruleset = load_ruleset(rules)
        book = load_templates(settings.templates)
        providers = [make_provider(p, timeout=timeout) for p in provider]
    except (RulesetError, TemplateError, ProviderConfigError) as exc:
        raise usage_error(str(exc)) from None
    outbox = _outbox(settings)
    events = EventWriter(settings.events_dir, settings.recipient_salt)
    if receipt_timeout <= 0 or lookups < 1 or lookup_qps <= 0:
        raise usage_error(
            "--receipt-timeout and --lookup-qps must be above 0 and --lookups at least 1"
        )
    rates = _rates(qps or [], [p.name for p in providers])
    if route not in ("order", "scorecard") or not 0 <= route_threshold <= 1 or route_every <= 0:
        raise usage_error(
            "--route is order or scorecard, --route-threshold a rate from 0 to 1 and "
            "--route-every a number of seconds above 0"
        )
    from engine.cli.providers import prices_or_exit

    options = WorkerOptions(lease_s=lease, qps=rates, reconcile_after_s=reconcile_after,
                            retention_days=settings.retention_days,
                            receipt_timeout_s=receipt_timeout * 3600,
                            reconcile_concurrency=lookups, lookup_qps=lookup_qps, route=route,
                            route_threshold=route_threshold, route_every_s=route_every,
                            prices=prices_or_exit(price))  # fmt: skip
    w = Worker(outbox, providers, book, ruleset, default_policies(settings.marketing_hours),
               events, options, killswitch(outbox, settings, events))  # fmt: skip

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        sys.stderr.write(f"xinshi dispatch worker: {outbox.where}, providers {provider}\n")
        await w.run(stop)
        for p in providers:
            await p.aclose()

    asyncio.run(main())


@dispatch_app.command("schedule")
def schedule_cmd(
    schedule_id: Annotated[str, typer.Option("--id", help="Schedule id (idempotent).")],
    cron: Annotated[str, typer.Option(help="5-field cron, e.g. '0 6 * * *'.")],
    template: Annotated[str, typer.Option(help="Logical template id.")],
    phone: Annotated[list[str], typer.Option("--phone", help="Recipient (repeat).")],
    param: Annotated[list[str] | None, typer.Option("--param", help="NAME=VALUE.")] = None,
    tz: Annotated[str, typer.Option(help="Time zone of the cron.")] = "Asia/Shanghai",
    data_dir: DataOpt = None,
    rules: RulesOpt = None,
) -> None:
    """Send a template on a cron schedule; each firing is queued exactly once by the worker."""
    from engine.dispatch.schedule import create

    settings = _settings(data_dir)
    params = dict(p.partition("=")[::2] for p in param or [])
    try:
        ruleset = load_ruleset(rules)
        book = load_templates(settings.templates)
    except (RulesetError, TemplateError) as exc:
        raise usage_error(str(exc)) from None
    outbox = _outbox(settings)
    intake = Intake(
        outbox, book, lambda: ruleset, settings.secret, settings.link_base, settings.approval_ttl_s
    )
    try:
        s = create(outbox, intake, schedule_id, cron, template, [(p, params) for p in phone], tz,
                   settings.marketing_hours)  # fmt: skip
    except IntakeError as exc:
        raise usage_error(f"{exc.field or 'request'}: {exc.message}") from None
    for w in s.warnings:
        sys.stderr.write(f"warning: {w}\n")
    _print({"id": s.id, "cron": s.cron, "tz": s.tz, "next_fire_at": s.next_fire_at,
            "recipients": s.recipients, "warnings": list(s.warnings)})  # fmt: skip


dispatch_app.command("campaigns")(campaigns_cmd)  # the kill switch (engine/cli/campaigns.py)
dispatch_app.command("resume")(resume_cmd)
