"""A progress counter for long runs, on stderr and only when stderr is a terminal.

Pipes, files and CI logs never see it: their output stays exactly the verdicts. On a terminal
the line is redrawn in place (``\\r``) at most every ``INTERVAL`` seconds, and cleared at the end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")
INTERVAL = 0.2  # seconds between redraws


class Progress:
    """Count items and show ``LABEL: N [of TOTAL]`` on a terminal's stderr."""

    def __init__(self, label: str, total: int | None = None, *, streaming: bool = False) -> None:
        """``streaming``: the run prints as it goes, so stay quiet when stdout is the same
        terminal (the counter would tear the output); show it when stdout goes to a file."""
        self.label, self.total, self.count = label, total, 0
        self.stream = sys.stderr
        self.shown = _is_tty(sys.stderr) and not (streaming and _is_tty(sys.stdout))
        self._last = 0.0

    def tick(self, n: int = 1) -> None:
        """Count ``n`` more items; redraw if the last redraw is old enough."""
        self.count += n
        now = time.monotonic()
        if self.shown and now - self._last >= INTERVAL:
            self._last = now
            self._draw()

    def close(self) -> None:
        """Draw the final count and end the line (nothing at all off a terminal)."""
        if self.shown and self.count:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        of = f" of {self.total}" if self.total is not None else ""
        self.stream.write(f"\r{self.label}: {self.count}{of}")
        self.stream.flush()


def counted(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """Yield ``items`` while a Progress counts them."""
    progress = Progress(label, total)
    try:
        for item in items:
            yield item
            progress.tick()
    finally:
        progress.close()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False
