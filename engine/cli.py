"""xinshi: the command line. Thin: parse, call the engine, render.

Exit codes of ``xinshi check``: 0 every message allowed, 1 any message blocked,
3 none blocked but some need review, 2 usage error (bad arguments, unreadable file, bad rules).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from engine.cli_group import LazyGroup, Subcommand
from engine.usage import EXIT_USAGE, usage_error

if TYPE_CHECKING:
    from rich.console import Console

    from engine.ruleset import RuleSet
    from engine.verdict import Verdict

# Subcommands load their modules (and DuckDB, SciPy, phonenumbers ...) only when they run:
# `xinshi check` and `xinshi --help` start in a blink. Help lines are written here so that
# `xinshi --help` imports none of them (tests/test_cli_startup.py keeps them in step).
LazyGroup.subcommands = {
    "rules": Subcommand(
        "engine.rules_cli", "rules_app", "Check, test, document and compare rule files."
    ),
    "model": Subcommand(
        "engine.score_cli",
        "model_app",
        "Engagement model: train on events or the simulator.",
        "score",
    ),
    "variants": Subcommand(
        "engine.score_cli",
        "variants_cmd",
        "Rank drafts by predicted click rate, with verdict, segments and cost; mark the best.",
    ),
    "ab": Subcommand(
        "engine.ab_cli",
        "ab_app",
        "A/B analysis of send events (DuckDB store in $XINSHI_DATA, default ./data).",
        "ab",
    ),
    "dispatch": Subcommand(
        "engine.dispatch_cli",
        "dispatch_app",
        "Send approved messages: outbox, worker, fake provider.",
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
        from engine.cli_group import version_line

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


EXIT_ALLOW, EXIT_BLOCK, EXIT_REVIEW = 0, 1, 3  # 2: usage error (engine.usage)
_STYLE = {"block": "bold white on red", "warn": "black on yellow", "info": "black on cyan"}
_VERDICT_STYLE = {"allow": "bold green", "review": "bold yellow", "block": "bold red"}

RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Rules directory (default: shipped rules).")
]


@app.command("check")
def check_cmd(
    text: Annotated[str | None, typer.Argument(help="The SMS text to check.")] = None,
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
    import orjson

    from engine.check import check
    from engine.message import MessageError, make_message
    from engine.usage import load_rules_or_exit

    if (text is not None) + (jsonl is not None) + demo != 1:
        raise usage_error(
            "give exactly one of TEXT, --jsonl FILE or --demo. "
            'Example: xinshi check "【信使商城】验证码386512，5分钟内有效" --type verification'
        )
    ruleset = load_rules_or_exit(rules)
    if jsonl is not None:
        raise typer.Exit(_check_jsonl(jsonl, ruleset))
    if demo:
        _check_demo(ruleset)
        return
    assert text is not None
    try:
        msg = make_message(text, type=type_, industry=industry, send_at=send_at, profile=profile)
        verdict = check(msg, ruleset)
    except MessageError as exc:
        raise usage_error(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
    if as_json:
        sys.stdout.write(
            orjson.dumps(verdict.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"
        )
    else:
        from rich.console import Console

        render(Console(), text, verdict)
    raise typer.Exit(_exit_code([verdict]))


def _exit_code(verdicts: Iterable[Verdict]) -> int:
    from engine.verdict import Decision

    decisions = {v.verdict for v in verdicts}
    if Decision.BLOCK in decisions:
        return EXIT_BLOCK
    return EXIT_REVIEW if Decision.REVIEW in decisions else EXIT_ALLOW


def _open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise usage_error(f"cannot read {path}: {exc.strerror}") from None


def _check_jsonl(path: str, ruleset: RuleSet) -> int:
    import orjson

    from engine.verdict import Verdict

    out = sys.stdout
    verdicts: list[Verdict] = []
    had_error = False
    stream = _open(path)
    try:
        for lineno, result in _iter_jsonl(stream, ruleset):
            if isinstance(result, Verdict):
                verdicts.append(result)
                out.write(orjson.dumps(result.to_dict()).decode() + "\n")
            else:
                had_error = True
                out.write(orjson.dumps({"line": lineno, **result}).decode() + "\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    code = _exit_code(verdicts)
    return EXIT_USAGE if had_error and code == EXIT_ALLOW else code


def _iter_jsonl(
    stream: BinaryIO, ruleset: RuleSet
) -> Iterator[tuple[int, Verdict | dict[str, Any]]]:
    for lineno, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"not valid UTF-8 at byte {exc.start} ({exc.reason}). Save the file as UTF-8"
            yield lineno, _error(None, "invalid_utf8", msg, None)
            continue
        if line.strip():
            yield lineno, _check_line(line, ruleset)


def _check_line(line: str, ruleset: RuleSet) -> Verdict | dict[str, Any]:
    import orjson
    from pydantic import ValidationError

    from engine.check import check
    from engine.message import MessageError, MessageIn

    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return _error(None, "invalid_json", f"not valid JSON: {exc}", None)
    if not isinstance(data, dict):
        return _error(
            None, "invalid_json", 'each line must be a JSON object like {"text": "..."}', None
        )
    raw_id = data.get("id")
    mid = None if raw_id is None else str(raw_id)
    try:
        msg = MessageIn.model_validate(data).to_message()
        return check(msg, ruleset)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        what = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        return _error(mid, "invalid_message", f"{field}: {what}", field)
    except MessageError as exc:
        return _error(mid, "invalid_message", exc.message, exc.field)


def _error(mid: str | None, code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"id": mid, "error": {"code": code, "message": message, "field": field}}


def _check_demo(ruleset: RuleSet) -> None:
    from importlib import resources

    import orjson
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from engine.check import check
    from engine.message import MessageIn

    console = Console()
    data = resources.files("engine").joinpath("data/demo.jsonl").read_text(encoding="utf-8")
    rows = []
    for line in data.splitlines():
        item = MessageIn.model_validate(orjson.loads(line))
        msg = item.to_message()
        verdict = check(msg, ruleset)
        console.rule(
            f"{msg.id} · {msg.type.value}" + (f" · {msg.industry}" if msg.industry else "")
        )
        render(console, msg.text, verdict)
        rows.append((msg.id, verdict))
    summary = Table(title=f"{len(rows)} demo messages · ruleset {ruleset.version}")
    for col in ("id", "verdict", "findings", "chars", "segments"):
        summary.add_column(col)
    for mid, v in rows:
        style = _VERDICT_STYLE[v.verdict.value]
        summary.add_row(
            str(mid),
            Text(v.verdict.value, style=style),
            str(len(v.findings)),
            str(v.chars),
            str(v.segments),
        )
    console.print(summary)


def render(console: Console, text: str, verdict: Verdict) -> None:
    """Print the message with findings highlighted, then one line per finding."""
    from rich.text import Text

    body = Text(text)
    for f in sorted(
        verdict.findings, key=lambda f: (f.severity.value != "info", f.severity.value == "block")
    ):
        if f.end > f.start:
            body.stylize(_STYLE[f.severity.value], f.start, f.end)
    console.print(body)
    head = Text(verdict.verdict.value.upper(), style=_VERDICT_STYLE[verdict.verdict.value])
    size = f"{verdict.chars} chars · {verdict.segments} segment(s)"
    head.append(f"  {size} · ruleset {verdict.ruleset_version}", style="dim")
    console.print(head)
    for f in verdict.findings:
        line = Text("  ")
        line.append(f" {f.severity.value} ", style=_STYLE[f.severity.value])
        line.append(f" {f.rule_id} ", style="bold")
        where = f"[{f.start}:{f.end}] “{f.matched}”" if f.end > f.start else f"[{f.start}]"
        line.append(f"{where} {f.message}")
        if f.evasion:
            line.append(f" (evasion: {f.evasion})", style="magenta")
        if f.related:
            line.append(f" (also: {', '.join(f.related)})", style="dim")
        console.print(line)
        console.print(Text(f"      → {f.suggestion}", style="green"))
        console.print(Text(f"      {f.source}", style="dim"))


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
    from engine.api import create_app
    from engine.api.server import run
    from engine.ruleset import RulesetError

    try:
        app_ = create_app()  # rules, dispatch settings and secret read once, before the fork
    except (RulesetError, ValueError) as exc:  # SecretError, bad XINSHI_* dispatch settings
        raise usage_error(str(exc)) from None
    try:
        run(app_, host, port, workers, log_level)
    except OSError as exc:
        raise usage_error(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def main() -> None:  # pragma: no cover - console entry point
    """Run the CLI."""
    app()


if __name__ == "__main__":  # pragma: no cover - python -m engine.cli
    main()
