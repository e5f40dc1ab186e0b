"""``xinshi check`` over many messages: lines of text, JSONL, the bundled demo.

Exit codes: 0 every message allowed, 3 none blocked but some need review, 1 any blocked, and
2 for a usage or input error, which wins over the verdicts: a JSONL file with one bad line exits
2 even if another line is blocked, so a hook never mistakes broken input for a verdict.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from engine.usage import EXIT_USAGE, usage_error

if TYPE_CHECKING:
    from engine.message import Message
    from engine.ruleset import RuleSet
    from engine.verdict import Verdict

EXIT_ALLOW, EXIT_BLOCK, EXIT_REVIEW = 0, 1, 3
FIELDS = "id, text, type, industry, send_at, profile"


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """The exit code for these verdicts: 1 any blocked, 3 any for review, else 0."""
    from engine.verdict import Decision

    decisions = {v.verdict for v in verdicts}
    if Decision.BLOCK in decisions:
        return EXIT_BLOCK
    return EXIT_REVIEW if Decision.REVIEW in decisions else EXIT_ALLOW


def open_input(path: str) -> BinaryIO:
    """``path`` opened for reading, or stdin for ``-``; a usage error if unreadable."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise usage_error(f"cannot read {path}: {exc.strerror}") from None


def check_text_lines(
    stream: BinaryIO, ruleset: RuleSet, options: dict[str, str | None], as_json: bool
) -> int:
    """Check each non-blank line of ``stream`` as one message (``xinshi check -``)."""
    import orjson

    from engine.check import check
    from engine.message import MessageError, make_message

    console = None
    verdicts: list[Verdict] = []
    for lineno, raw in enumerate(stream, start=1):
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text.strip():
            continue
        try:
            msg = make_message(
                text,
                type=options["type"],
                industry=options["industry"],
                send_at=options["send_at"],
                profile=options["profile"],
            )
            verdict = check(msg, ruleset)
        except MessageError as exc:
            raise usage_error(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
        verdicts.append(verdict)
        if as_json:
            sys.stdout.write(orjson.dumps({"line": lineno, **verdict.to_dict()}).decode() + "\n")
            sys.stdout.flush()
            continue
        from engine.cli.render import render, verdict_console

        if console is None:
            console = verdict_console()
        else:
            console.print()
        render(console, text, verdict)
    if not verdicts:
        raise usage_error(
            "no message on stdin: pipe one message per line, "
            'e.g. echo "【信使商城】…" | xinshi check -'
        )
    return exit_code(verdicts)


def check_jsonl(path: str, ruleset: RuleSet) -> int:
    """Check a JSONL file: one verdict (or error object) per line on stdout, in order."""
    import orjson

    from engine.cli.progress import Progress
    from engine.verdict import Verdict

    name = "<stdin>" if path == "-" else path
    verdicts: list[Verdict] = []
    errors = 0
    stream = open_input(path)
    progress = Progress("checked", streaming=True)
    try:
        for lineno, result in _iter_jsonl(stream, ruleset):
            progress.tick()
            if isinstance(result, Verdict):
                verdicts.append(result)
                sys.stdout.write(orjson.dumps(result.to_dict()).decode() + "\n")
                continue
            errors += 1
            sys.stdout.write(orjson.dumps({"line": lineno, **result}).decode() + "\n")
            sys.stderr.write(f"{name}:{lineno}: {result['error']['message']}\n")
    finally:
        progress.close()
        if stream is not sys.stdin.buffer:
            stream.close()
    if errors:
        sys.stderr.write(
            f"error: {errors} invalid line(s) in {name}; the other {len(verdicts)} were checked\n"
        )
        return EXIT_USAGE
    return exit_code(verdicts)


def _iter_jsonl(
    stream: BinaryIO, ruleset: RuleSet
) -> Iterator[tuple[int, Verdict | dict[str, Any]]]:
    for lineno, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"not valid UTF-8 at byte {exc.start} ({exc.reason}); save the file as UTF-8"
            yield lineno, _error(None, "invalid_utf8", msg, None)
            continue
        if line.strip():
            yield lineno, _check_line(line, ruleset)


def _check_line(line: str, ruleset: RuleSet) -> Verdict | dict[str, Any]:
    import orjson
    from pydantic import ValidationError

    from engine.check import check
    from engine.message import MessageError
    from engine.message_in import MessageIn

    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        msg = f'not valid JSON ({exc}); write one object per line, e.g. {{"text": "..."}}'
        return _error(None, "invalid_json", msg, None)
    if not isinstance(data, dict):
        msg = 'not a JSON object; write one object per line, e.g. {"text": "..."}'
        return _error(None, "invalid_json", msg, None)
    raw_id = data.get("id")
    mid = None if raw_id is None else str(raw_id)
    try:
        msg_in = MessageIn.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        if err["type"] == "extra_forbidden":
            what = f"unknown field; known fields: {FIELDS}"
        elif err["type"] == "missing":
            what = 'missing; every line needs "text": "the message"'
        else:
            what = err["msg"]
        return _error(mid, "invalid_message", f"{field}: {what}", field)
    try:
        return check(msg_in.to_message(), ruleset)
    except MessageError as exc:
        return _error(mid, "invalid_message", f"{exc.field}: {exc.message}", exc.field)


def _error(mid: str | None, code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"id": mid, "error": {"code": code, "message": message, "field": field}}


def check_demo(ruleset: RuleSet) -> int:
    """Check the bundled sample messages, show each, and summarise; exit 0 when they ran.

    The demo shows what blocked and reviewed messages look like: a blocked example is the demo
    working, not failing, so it exits 0 and says plainly how many were blocked.
    """
    from importlib import resources

    import orjson
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from engine.check import check
    from engine.cli.render import VERDICT_STYLE, render
    from engine.message_in import MessageIn

    console = Console()
    data = resources.files("engine").joinpath("data/demo.jsonl").read_text(encoding="utf-8")
    rows: list[tuple[Message, Verdict]] = []
    for line in data.splitlines():
        msg = MessageIn.model_validate(orjson.loads(line)).to_message()
        verdict = check(msg, ruleset)
        console.rule(
            f"{msg.id} · {msg.type.value}" + (f" · {msg.industry}" if msg.industry else "")
        )
        render(console, msg.text, verdict)
        rows.append((msg, verdict))
    summary = Table(title=f"{len(rows)} demo messages · ruleset {ruleset.version}")
    for col in ("id", "verdict", "findings", "chars", "segments"):
        summary.add_column(col)
    for msg, v in rows:
        summary.add_row(
            str(msg.id),
            Text(v.verdict.value, style=VERDICT_STYLE[v.verdict.value]),
            str(len(v.findings)),
            str(v.chars),
            str(v.segments),
        )
    console.print(summary)
    counts = {d: sum(v.verdict.value == d for _, v in rows) for d in ("allow", "review", "block")}
    sys.stdout.flush()
    console.print(
        f"demo: {counts['allow']} allowed, {counts['review']} review, {counts['block']} block "
        "(these are examples)",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_ALLOW
