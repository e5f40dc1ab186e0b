"""xinshi dispatch trigger: a file of events -> the scene's messages (thin: parse, call, render).

Registered on the ``dispatch`` group by engine.cli.dispatch. Each CSV row is one event: a
``phone`` column, optional ``idempotency_key`` and ``occurred_at`` columns, and one column per
template parameter. A bad row is reported (its line, what, how to fix) and never stops the
good ones; running the same file again queues nothing twice (each row's key, or a hash of the
row when the file has no key column).
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from engine.cli.progress import Progress
from engine.usage import usage_error

RESERVED = ("phone", "idempotency_key", "occurred_at")


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and (line number, row) of a CSV file; usage errors for the file itself."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise usage_error(f"--from {path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise usage_error(f"--from {path}: not UTF-8 text. Save the file as UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "phone" not in header:
        raise usage_error(
            f"--from {path}: the first line must name the columns, with a phone column "
            "(e.g. phone,name,amount,date); it has: " + (", ".join(header) or "nothing")
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if None in row:  # more fields than the header names
            clean["\0extra"] = "1"
        rows.append((reader.line_num, clean))
    return header, rows


def _event(scene: str, row: dict[str, str]) -> tuple[Any, str | None, str]:
    """The Event of a row, or (None, the column at fault, what is wrong with it)."""
    from engine.dispatch.triggers import Event
    from engine.message import MessageError, parse_send_at

    if "\0extra" in row:
        return None, None, "more fields than the header has columns. Quote values holding a comma"
    params = {k: v for k, v in row.items() if k not in RESERVED and v != ""}
    key = (
        row.get("idempotency_key")
        or "csv:"
        + hashlib.sha256(
            orjson.dumps({"scene": scene, **row}, option=orjson.OPT_SORT_KEYS)
        ).hexdigest()[:32]
    )
    try:
        when = parse_send_at(row.get("occurred_at") or None)
    except MessageError as exc:
        return None, "occurred_at", exc.message.replace("send_at", "occurred_at", 1)
    return Event(key, scene, row.get("phone", ""), params, when), None, ""


def trigger(
    scene: Annotated[str, typer.Option("--scene", help="Scene id (rules/dispatch/scenes.yaml).")],
    source: Annotated[
        Path,
        typer.Option(
            "--from",
            help="CSV: phone, optional idempotency_key and occurred_at, "
            "and one column per template parameter.",
        ),
    ],
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Outbox and events directory (default: $XINSHI_DATA_DIR)."),
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules directory (default: shipped rules).")
    ] = None,
) -> None:
    """Send a scene's message for every row of a CSV file; report each bad row (exit 1)."""
    from engine.dispatch import DispatchSettings, Intake, IntakeError, Outbox, load_templates
    from engine.dispatch.backend import DatabaseUrlError
    from engine.dispatch.scenes import SceneError, load_scenes
    from engine.dispatch.templates import TemplateError
    from engine.dispatch.triggers import Triggers
    from engine.ruleset import RulesetError, load_ruleset

    try:
        settings = DispatchSettings.from_env(data_dir)
        ruleset = load_ruleset(rules)
        book = load_templates(settings.templates)
        scenes = load_scenes(settings.scenes_path, book)
    except (RulesetError, TemplateError, SceneError, ValueError) as exc:
        raise usage_error(str(exc)) from None
    if scenes.get(scene) is None:
        raise usage_error(f"--scene: {scenes.unknown(scene)}")
    _, rows = _rows(source)
    try:
        outbox = Outbox(settings.outbox_target)
    except DatabaseUrlError as exc:
        raise usage_error(str(exc)) from None
    intake = Intake(outbox, book, lambda: ruleset, settings.secret, settings.link_base,
                    settings.approval_ttl_s)  # fmt: skip
    triggers = Triggers(intake, scenes)
    counts = {"queued": 0, "capped": 0, "suppressed": 0, "duplicate": 0}
    errors: list[dict[str, Any]] = []
    progress = Progress(f"xinshi dispatch trigger {scene}", len(rows))
    for line, row in rows:
        event, column, problem = _event(scene, row)
        try:
            if event is None:
                raise IntakeError("invalid_row", problem, column)
            result = triggers.trigger(event)
        except IntakeError as exc:
            errors.append({"line": line, "field": exc.field, "code": exc.code,
                           "message": exc.message})  # fmt: skip
        else:
            counts["duplicate" if not result.created else result.outcome] += 1
        progress.tick()
    progress.close()
    for e in errors:
        where = f" {e['field']}" if e["field"] else ""
        sys.stderr.write(f"{source}:{e['line']}:{where}: {e['message']}\n")
    sys.stderr.write(
        f"{len(rows)} rows: {counts['queued']} queued, {counts['capped']} capped, "
        f"{counts['suppressed']} suppressed, {counts['duplicate']} already taken, "
        f"{len(errors)} refused\n"
    )
    report = {"scene": scene, "rows": len(rows), **counts, "errors": errors}
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    if errors:
        raise typer.Exit(1)
