"""Plain verdict output that stays readable in a narrow terminal: CJK-aware, hanging indents.

A CJK character takes two terminal columns (``unicodedata.east_asian_width`` W or F), so
wrapping counts columns, not characters. Chinese text may break between any two characters;
Latin words break at spaces when they can. Each wrapped line is indented under its label, and
a label (``→``, a severity badge) is never left alone on its line.
"""

from __future__ import annotations

import itertools
import os
import sys
import unicodedata
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from engine.verdict import Verdict

STYLE = {"block": "bold white on red", "warn": "black on yellow", "info": "black on cyan"}
VERDICT_STYLE = {"allow": "bold green", "review": "bold yellow", "block": "bold red"}
MIN_BODY = 20  # columns a wrapped line keeps for text: a wider label falls back to INDENT
INDENT = 4
NO_LINE_START = set("，。、；：？！）」』”’》〉】…,.;:?!)]")


def char_width(ch: str) -> int:
    """Terminal columns of one character: 2 for wide CJK, 0 for combining marks, else 1."""
    if unicodedata.combining(ch) or ch in "\u200b\u200c\u200d\ufeff":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns of ``text``."""
    return sum(char_width(ch) for ch in text)


def break_points(text: str, first: int, rest: int) -> list[int]:
    """Offsets at which to cut ``text`` so line 1 fits ``first`` columns and the others ``rest``."""
    cuts: list[int] = []
    limit, used, start, word = first, 0, 0, -1  # word: where the current Latin word began
    for i, ch in enumerate(text):
        w = char_width(ch)
        latin = ch.isascii() and not ch.isspace()
        if latin and word < 0:
            word = i
        while used + w > limit and i > start:
            cut = i
            if latin and word > start:
                cut = word  # keep a Latin word or number whole
            elif ch in NO_LINE_START and i - 1 > start:
                cut = i - 1  # a closing mark never starts a line: take one character along
            cuts.append(cut)
            start, limit = cut, rest
            used = display_width(text[cut:i])
        if not latin:
            word = -1
        used += w
    return cuts


def wrapped(label: Text, body: Text, width: int) -> list[Text]:
    """``label`` + ``body`` as lines of at most ``width`` columns, wrapped under the body."""
    lead = display_width(label.plain)
    indent = lead if width - lead >= MIN_BODY else min(INDENT, lead)
    first, rest = max(width - lead, 1), max(width - indent, 1)
    parts = body.divide(break_points(body.plain, first, rest)) if body.plain else [body]
    lines = [label + parts[0]]
    for part in parts[1:]:
        part.rstrip()
        line = type(label)(" " * indent)  # rich's Text, or PlainText off a terminal
        line.append_text(_lstrip(part))
        lines.append(line)
    return lines


def _lstrip(part: Text) -> Text:
    n = len(part.plain) - len(part.plain.lstrip(" "))
    return part[n:] if n else part


def emit(console: Console | PlainConsole, lines: list[Text]) -> None:
    """Print pre-wrapped lines as they are (rich must not wrap them again)."""
    if isinstance(console, PlainConsole):
        console.write(lines)
        return
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)


def render(
    console: Console | PlainConsole, text: str, verdict: Verdict, width: int | None = None
) -> None:
    """Print the message with findings highlighted, then one entry per finding."""
    Text: Any = PlainText  # noqa: N806 - rich's Text, or its plain stand-in off a terminal
    if not isinstance(console, PlainConsole):
        from rich.text import Text as RichText

        Text = RichText  # noqa: N806

    width = width or console.width
    body = Text(text.replace("\n", " "))
    for f in sorted(
        verdict.findings, key=lambda f: (f.severity.value != "info", f.severity.value == "block")
    ):
        if f.end > f.start:
            body.stylize(STYLE[f.severity.value], f.start, f.end)
    emit(console, wrapped(Text("  "), body, width))
    head = Text(verdict.verdict.value.upper(), style=VERDICT_STYLE[verdict.verdict.value])
    size = f"{verdict.chars} 字 · 计费 {verdict.segments} 条"
    tail = Text(f"  {size} · 规则集 {verdict.ruleset_version}", style="dim")
    emit(console, wrapped(head, tail, width))
    for f in verdict.findings:
        label = Text("  ")
        label.append(f" {f.severity.value} ", style=STYLE[f.severity.value])
        label.append(" ")
        line = Text(f"{f.rule_id} ", style="bold")
        where = f"[{f.start}:{f.end}] “{f.matched}”" if f.end > f.start else f"[{f.start}]"
        line.append(f"{where} {f.message}")
        if f.evasion:
            from engine.evasion_names import evasion_zh

            line.append(f"（变形写法：{evasion_zh(f.evasion)}）", style="magenta")
        if f.related:
            line.append(f"（另见 {', '.join(f.related)}）", style="dim")
        emit(console, wrapped(label, line, width))
        emit(console, wrapped(Text("      → ", style="green"), Text(f.suggestion, "green"), width))
        emit(console, wrapped(Text("      "), Text(f.source, style="dim"), width))


def verdict_console() -> Console | PlainConsole:
    """rich's Console when styles can show (a terminal, or FORCE_COLOR / TTY_COMPATIBLE set);
    otherwise a plain writer of the same lines, which spares ``xinshi check`` importing rich."""
    env = os.environ
    if sys.stdout.isatty() or env.get("FORCE_COLOR") or env.get("TTY_COMPATIBLE") == "1":
        from rich.console import Console

        return Console()
    return PlainConsole(sys.stdout, terminal_width())


def terminal_width() -> int:
    """The width rich gives a Console whose output is not a terminal: $COLUMNS, else the
    first of stdin, stdout, stderr that is a terminal, else 80."""
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    return width or 80


class PlainConsole:
    """Writes pre-wrapped lines without styles: what rich's Console prints off a terminal."""

    def __init__(self, file: IO[str], width: int) -> None:
        self.file = file
        self.width = width

    def print(self) -> None:
        """Print an empty line (as ``Console.print()`` does)."""
        self.file.write("\n")

    def write(self, lines: list[Any]) -> None:
        """Print each line's text, tabs expanded as rich does (to the next multiple of 8)."""
        self.file.write("".join(f"{expand_tabs(line.plain)}\n" for line in lines))


def expand_tabs(line: str, size: int = 8) -> str:
    """A tab becomes a space, then spaces up to the next column that is a multiple of
    ``size`` (counting terminal columns, as ``rich.text.Text.expand_tabs``)."""
    if "\t" not in line:
        return line
    out: list[str] = []
    col = 0
    for ch in line:
        if ch == "\t":
            pad = 1 + (-(col + 1)) % size
            out.append(" " * pad)
            col += pad
        else:
            out.append(ch)
            col += char_width(ch)
    return "".join(out)


class PlainText:
    """The part of ``rich.text.Text`` that ``render`` and ``wrapped`` use, styles ignored."""

    __slots__ = ("plain",)

    def __init__(self, text: str = "", style: str = "") -> None:
        del style
        self.plain = text

    def __add__(self, other: PlainText) -> PlainText:
        return PlainText(self.plain + other.plain)

    def __getitem__(self, index: slice) -> PlainText:
        return PlainText(self.plain[index])

    def append(self, text: str, style: str | None = None) -> None:
        """Add ``text`` at the end."""
        self.plain += text

    def append_text(self, text: PlainText) -> None:
        """Add another text at the end."""
        self.plain += text.plain

    def stylize(self, style: str, start: int, end: int) -> None:
        """Styles do not show off a terminal."""

    def rstrip(self) -> None:
        """Drop trailing whitespace."""
        self.plain = self.plain.rstrip()

    def divide(self, offsets: list[int]) -> list[PlainText]:
        """Cut at ``offsets``."""
        bounds = [0, *offsets, len(self.plain)]
        return [PlainText(self.plain[a:b]) for a, b in itertools.pairwise(bounds)]
