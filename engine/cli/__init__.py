"""xinshi: the command line. Thin: parse, call the engine, render.

``main`` answers ``xinshi --version`` and a plain ``xinshi check TEXT`` (engine.cli.fast)
before importing the command framework (typer, click), and hands everything else to the typer
app in ``engine.cli.commands`` (exit codes of ``xinshi check``: see there).
"""

from __future__ import annotations

import sys
from typing import Any


def version_line() -> str:
    """``xinshi 0.1.0 (Python 3.11.2)``: the package version (tests keep it equal to
    pyproject.toml's)."""
    from engine import __version__

    py = ".".join(str(n) for n in sys.version_info[:3])
    return f"xinshi {__version__} (Python {py})"


def main() -> None:
    """Run the CLI (the ``xinshi`` console script). Output piped into a reader that stops
    early (``xinshi check … | head``) ends the command quietly, as it does for other Unix
    tools, instead of with a BrokenPipeError traceback."""
    try:
        _main()
    except BrokenPipeError:
        # Python's own recipe (docs: signal, "Note on SIGPIPE"): point stdout at devnull so
        # the interpreter's final flush does not raise again; exit 141 like a SIGPIPE death.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)


def _main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        sys.stdout.write(version_line() + "\n")
        return
    if args[:1] == ["check"]:  # the per-message hook: answered without typer when plain
        from engine.cli.fast import parse_check, run

        found = parse_check(args[1:])
        if found is not None:
            sys.exit(run(found))
    from engine.cli.commands import app

    app()


def __getattr__(name: str) -> Any:
    # the typer app and its group class, imported on first use (a console script made before
    # the entry point became engine.cli:main asks for ``app``; hence commands.py, not app.py)
    if name == "app":
        from engine.cli.commands import app

        return app
    if name == "LazyGroup":
        from engine.cli.group import LazyGroup

        return LazyGroup
    raise AttributeError(f"module 'engine.cli' has no attribute {name!r}")
