"""The xinshi command's typer app (engine.cli.main runs it). Thin: parse, call the engine, render.

Exit codes of ``xinshi check``: 0 every message allowed, 1 any message blocked,
3 none blocked but some need review, 2 usage or input error (bad arguments, unreadable file,
bad rules, a bad JSONL line), which wins over the verdicts (engine.cli.batch).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from engine.cli.group import LazyGroup, Subcommand
from engine.usage import usage_error

# Subcommands load their modules (and DuckDB, SciPy, phonenumbers ...) only when they run:
# `xinshi check` and `xinshi --help` start in a blink. Help lines are written here so that
# `xinshi --help` imports none of them (tests/test_cli_startup.py keeps them in step).
LazyGroup.subcommands = {
    "rules": Subcommand(
        "engine.cli.rules", "rules_app", "Check, test, document and compare rule files."
    ),
    "model": Subcommand(
        "engine.cli.score",
        "model_app",
        "Engagement model: train on events or the simulator.",
        "score",
    ),
    "variants": Subcommand(
        "engine.cli.score",
        "variants_cmd",
        "Rank drafts by predicted click rate, with verdict, segments and cost; mark the best.",
    ),
    "ab": Subcommand(
        "engine.cli.ab",
        "ab_app",
        "A/B analysis of send events (DuckDB store in $XINSHI_DATA, default ./data).",
        "ab",
    ),
    "dispatch": Subcommand(
        "engine.cli.dispatch",
        "dispatch_app",
        "Send approved messages: outbox, worker, fake provider.",
        "dispatch",
    ),
    "probe": Subcommand(
        "engine.cli.probe",
        "probe_app",
        "Test a provider before signing: stress it, write a report, compare two reports.",
        "dispatch",
    ),
    "providers": Subcommand(
        "engine.cli.providers",
        "providers_app",
        "Choose a platform: the provider scorecard from our own receipts.",
        "dispatch",
    ),
}

app = typer.Typer(
    cls=LazyGroup,
    rich_markup_mode=None,  # plain help: rich's help renderer costs more than the rest of --help
    help="Xinshi (信使): pre-send compliance checks for Chinese SMS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from engine.cli import version_line

        sys.stdout.write(version_line() + "\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    del version  # handled, eagerly, by _version


RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Rules directory (default: shipped rules).")
]


@app.command("check")
def check_cmd(
    text: Annotated[
        str | None,
        typer.Argument(help="The SMS text to check; '-' reads one message per line from stdin."),
    ] = None,
    type_: Annotated[
        str, typer.Option("--type", help="verification | notification | marketing")
    ] = "marketing",
    industry: Annotated[str | None, typer.Option(help="Industry, e.g. air, finance.")] = None,
    send_at: Annotated[
        str | None, typer.Option("--send-at", help="ISO 8601; Beijing time if no offset.")
    ] = None,
    profile: Annotated[
        str, typer.Option(help="Provider profile: default, aliyun, tencent, ...")
    ] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    jsonl: Annotated[
        str | None,
        typer.Option("--jsonl", help="Check a JSONL file ('-' for stdin); one verdict per line."),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Check the bundled sample messages.")
    ] = False,
    rules: RulesOpt = None,
) -> None:
    """Check messages: allowed, needs review, or blocked — and why."""
    from engine.cli import batch
    from engine.cli.fast import check_one
    from engine.message import MessageError
    from engine.usage import load_rules_or_exit

    if text is None and jsonl is None and not demo and not _stdin_is_tty():
        text = "-"  # `echo TEXT | xinshi check`: the message comes from the pipe
    if (text is not None) + (jsonl is not None) + demo != 1:
        raise usage_error(
            "give exactly one of TEXT, - (stdin), --jsonl FILE or --demo. "
            'Example: xinshi check "【信使商城】验证码386512，5分钟内有效" --type verification'
        )
    ruleset = load_rules_or_exit(rules)
    if jsonl is not None:
        raise typer.Exit(batch.check_jsonl(jsonl, ruleset))
    if demo:
        raise typer.Exit(batch.check_demo(ruleset))
    assert text is not None
    if text == "-":
        options = {"type": type_, "industry": industry, "send_at": send_at, "profile": profile}
        code = batch.check_text_lines(sys.stdin.buffer, ruleset, options, as_json)
        raise typer.Exit(code)
    options = {"type": type_, "industry": industry, "send_at": send_at, "profile": profile}
    try:
        code = check_one(text, ruleset, options, as_json)
    except MessageError as exc:
        raise usage_error(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
    raise typer.Exit(code)


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is None or sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed stdin
        return True


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (one per core).")] = 1,
    rules: RulesOpt = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "info",
) -> None:
    """Run the HTTP API (FastAPI on uvicorn). Settings: XINSHI_* variables, see README."""
    import logging
    import os
    import tempfile

    if rules is not None:
        os.environ["XINSHI_RULES"] = str(rules)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="xinshi-metrics-")
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    from engine import regex_cache

    primed = regex_cache.prime("serve")  # FastAPI, pydantic and the engine compile ~200
    from engine.api import create_app
    from engine.api.server import run
    from engine.ruleset import RulesetError

    try:
        app_ = create_app()  # rules, dispatch settings and secret read once, before the fork
    except (RulesetError, ValueError) as exc:  # SecretError, bad XINSHI_* dispatch settings
        raise usage_error(str(exc)) from None
    if not primed:
        regex_cache.save("serve")
    try:
        run(app_, host, port, workers, log_level)
    except OSError as exc:
        raise usage_error(f"cannot listen on {host}:{port}: {exc.strerror}") from None
