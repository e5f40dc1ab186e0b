"""Chinese word boundaries (jieba), for list words that must be whole words.

A ``[boundary]`` word (最低, 冠军) counts only where jieba's segmentation starts and ends a
token: 最低 in 最低价 is a word, in 最低温 it is not. jieba loads on first use (~0.1 s of CPU
time, counted apart from any message's budget) and reads a window of text around a hit, or
the whole skeleton once when a message has many bounded hits (``engine.match``).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from engine.normalize import Normalized


class Span(Protocol):
    """A skeleton span, such as an ``engine.match.Hit``."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


class Segmenter:
    """jieba, loaded on first use: only whole-word rules need it (~5k msg/s)."""

    def __init__(self) -> None:
        self._tok: Any = None
        self._lock = threading.Lock()
        self.setup_seconds = 0.0  # CPU time spent loading jieba (not a message's fault)
        self._long_run: re.Pattern[str] | None = None  # ASCII runs jieba need not read whole
        self._keep = 0

    def boundaries(self, text: str) -> set[int]:
        with self._lock:
            if self._tok is None:
                self._load()
            short, removed = self._shorten(text)
            cuts = self._tok.lcut(short, HMM=False)
        bounds = {0}
        pos = 0
        for piece in cuts:
            pos += len(piece)
            bounds.add(pos)
        if removed:
            bounds = {b + _shift(removed, b) for b in bounds}
        return bounds

    def _load(self) -> None:
        import logging
        import time

        t0 = time.thread_time()  # the import too: ~0.1 s of CPU time
        from engine.jieba_load import import_jieba, tokenizer

        import_jieba().setLogLevel(logging.WARNING)
        tok = tokenizer()
        # A long run of ASCII letters and digits is one token to jieba (it joins single
        # letters and digits), and no dictionary word lies inside one: each inner position
        # is a cut every segmentation passes through. So the middle of such a run is
        # dropped before segmenting (a 2,000-digit run costs ~5 ms in jieba) and the
        # boundaries shifted back. ``keep`` characters stay at each end: more than any
        # dictionary word reaches into a run (江南style, 4s店). Off if some word is all
        # ASCII letters and digits.
        words = "\n".join([w for w, f in tok.FREQ.items() if f])
        if not re.search(r"(?m)^[A-Za-z0-9]{2,}$", words):
            reach = max(map(len, re.findall(r"[A-Za-z0-9]+", words)), default=0)
            self._keep = reach + 8
            self._long_run = re.compile(f"[A-Za-z0-9]{{{4 * self._keep},}}")
        self._tok = tok
        self.setup_seconds += time.thread_time() - t0

    def _shorten(self, text: str) -> tuple[str, list[tuple[int, int]]]:
        """``text`` without the middle of its long ASCII runs; (position in the short text,
        characters removed there so far) for each cut."""
        if self._long_run is None or len(text) < 4 * self._keep:
            return text, []
        parts: list[str] = []
        removed: list[tuple[int, int]] = []
        prev = gone = 0
        keep = self._keep
        for m in self._long_run.finditer(text):
            cut_start, cut_end = m.start() + keep, m.end() - keep
            parts.append(text[prev:cut_start])
            gone += cut_end - cut_start
            removed.append((cut_start - (gone - (cut_end - cut_start)), gone))
            prev = cut_end
        if not removed:
            return text, []
        parts.append(text[prev:])
        return "".join(parts), removed


def _shift(removed: list[tuple[int, int]], pos: int) -> int:
    """Characters removed before short-text position ``pos`` (never a cut point itself)."""
    k = bisect_right(removed, (pos, -1))
    return removed[k - 1][1] if k else 0


SEGMENTER = Segmenter()
WINDOW = 12  # characters jieba reads on each side of a hit


def on_word_boundaries(norm: Normalized, hit: Span) -> bool:
    """Tell whether a hit starts and ends on jieba token boundaries (回T退订 is not 退)."""
    return bounded(norm, hit.start, hit.end)


def bounded(norm: Normalized, start: int, end: int) -> bool:
    """Tell whether the skeleton span [start, end) starts and ends on jieba token boundaries,
    reading WINDOW characters on each side."""
    skel = norm.skeleton.text
    lo = max(0, start - WINDOW)
    bounds = SEGMENTER.boundaries(skel[lo : end + WINDOW])
    return (start - lo) in bounds and (end - lo) in bounds
