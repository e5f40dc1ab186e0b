"""``xinshi check TEXT [--type T] [--industry I] [--send-at S] [--profile P] [--rules DIR]
[--json]`` without the command framework: the per-message hook's call, answered before typer
and click are imported (about a third of a warm check's start).

Only that plain form is taken here: any other argument, a repeated option, ``--opt=value``,
``-`` or ``--help`` goes to the typer app, which accepts the same form with the same meaning
(tests/test_cli_fast.py runs both on the same arguments). ``check_one`` is the code both run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.ruleset import RuleSet

OPTIONS = {
    "--type": "type",
    "--industry": "industry",
    "--send-at": "send_at",
    "--profile": "profile",
    "--rules": "rules",
}
FLAGS = {"--json": "json"}


def parse_check(args: list[str]) -> dict[str, str] | None:
    """The TEXT and options of a plain ``check TEXT`` call, or None to leave it to typer."""
    found: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in OPTIONS:
            key = OPTIONS[arg]
            if key in found or i + 1 >= len(args) or args[i + 1].startswith("-"):
                return None
            found[key] = args[i + 1]
            i += 2
        elif arg in FLAGS:
            if FLAGS[arg] in found:
                return None
            found[FLAGS[arg]] = ""
            i += 1
        elif arg.startswith("-") or "text" in found:
            return None
        else:
            found["text"] = arg
            i += 1
    return found if "text" in found else None


def run(found: dict[str, str]) -> int:
    """Check one message as ``xinshi check`` does; the exit code (2 after a usage error)."""
    from engine import regex_cache

    primed = regex_cache.prime()  # before the imports that compile regexes
    from engine.message import MessageError
    from engine.ruleset import RulesetError, load_ruleset

    rules = found.get("rules")
    try:
        ruleset = load_ruleset(Path(rules) if rules is not None else None, cached=True)
    except RulesetError as exc:
        return _usage(str(exc))
    options = {k: found.get(k) for k in ("type", "industry", "send_at", "profile")}
    try:
        code = check_one(found["text"], ruleset, options, "json" in found)
    except MessageError as exc:
        return _usage(f"--{exc.field.replace('_', '-')}: {exc.message}")
    if not primed:
        sys.stdout.flush()  # the answer first; then the file for the next run
        regex_cache.save()
    return code


def check_one(text: str, ruleset: RuleSet, options: dict[str, str | None], as_json: bool) -> int:
    """Check ``text``, print the verdict (rendered, or JSON), return the exit code.

    Raises MessageError for a bad option value (the caller reports it as a usage error).
    """
    from engine.check import check
    from engine.cli.batch import exit_code
    from engine.message import make_message

    msg = make_message(
        text,
        type=options.get("type") or "marketing",
        industry=options.get("industry"),
        send_at=options.get("send_at"),
        profile=options.get("profile") or "default",
    )
    verdict = check(msg, ruleset)
    if as_json:
        import orjson

        sys.stdout.write(
            orjson.dumps(verdict.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"
        )
    else:
        from engine.cli.render import render, verdict_console

        render(verdict_console(), text, verdict)
    return exit_code([verdict])


def _usage(message: str) -> int:
    from engine.usage import EXIT_USAGE

    sys.stderr.write(f"error: {message}\n")
    return EXIT_USAGE
