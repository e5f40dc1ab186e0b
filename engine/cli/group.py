"""The top-level ``xinshi`` command group: subcommands imported only when they run.

``xinshi --help`` lists every subcommand from the help lines registered here, without
importing any; ``xinshi ab report`` imports engine.cli.ab (and DuckDB) and nothing else.
A subcommand whose optional dependencies are missing names the extra to install, exit 2.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any, ClassVar, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from engine.extras import missing_message

EXIT_USAGE = 2


class Subcommand(NamedTuple):
    """Where a subcommand lives: a Typer app or a command function in ``module``."""

    module: str
    attr: str
    help: str
    extra: str | None = None  # the extra its dependencies come from, if any


class LazyGroup(TyperGroup):
    """A TyperGroup that loads the registered ``subcommands`` on first use."""

    subcommands: ClassVar[dict[str, Subcommand]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False  # formatting --help: placeholders instead of imports
        self._loaded: dict[str, Any] = {}  # name -> the loaded command
        self._running: str | None = None

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *self.subcommands]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        sub = self.subcommands.get(cmd_name)
        if sub is None:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            return TyperCommand(cmd_name, help=sub.help, short_help=sub.help)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = _load(cmd_name, sub)
        return self._loaded[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        self._running = args[0] if args else None
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ImportError as exc:
            sub = self.subcommands.get(self._running or "")
            message = missing_message(exc, sub.extra if sub else None)
            if message is None:
                raise
            sys.stderr.write(f"error: xinshi {self._running}: {message}\n")
            raise typer.Exit(EXIT_USAGE) from None


def _load(name: str, sub: Subcommand) -> Any:
    obj = getattr(import_module(sub.module), sub.attr)
    if not isinstance(obj, typer.Typer):  # a command function: wrap it in a one-command app
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name)(obj)
        obj = single
    cmd = typer.main.get_command(obj)
    cmd.name = name
    return cmd
