"""What every xinshi command does on a usage error: one unwrapped line on stderr, exit 2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

    from engine.ruleset import RuleSet

EXIT_USAGE = 2


def usage_error(message: str) -> typer.Exit:
    """Print ``error: MESSAGE`` (one grep-able line) and return the Exit to raise."""
    import typer

    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(EXIT_USAGE)


def load_rules_or_exit(rules: Path | None) -> RuleSet:
    """Load a rules directory (through the compiled-ruleset cache); on errors print every one
    of them and exit 2."""
    from engine.ruleset import RulesetError, load_ruleset

    try:
        return load_ruleset(rules, cached=True)
    except RulesetError as exc:
        raise usage_error(str(exc)) from None
