"""Word edges: a Latin word matches whole words only, a digit-only word whole numbers.

The automaton stores per key which of its edges are Latin letters or whether it is all
digits (``_edges``); a hit of such a key is checked against the original characters beside it.
"""

from __future__ import annotations

from engine.normalize import fold_char


def _edges(key: str) -> int:
    """Bit 1: the key starts with an ASCII letter; bit 2: it ends with one; 4: only digits."""
    if key.isascii() and key.isdigit():
        return 4
    return (1 if _is_latin(key[0]) else 0) | (2 if _is_latin(key[-1]) else 0)


def _is_latin(ch: str) -> bool:
    return "a" <= ch <= "z"


def _latin_bounded(original: str, start: int, end: int, edges: int) -> bool:
    """Latin words match whole words only: ``av`` does not hit inside ``have``."""
    if edges & 1 and start > 0 and _latin_side(original[start - 1], -1):
        return False
    return not (edges & 2 and end < len(original) and _latin_side(original[end], 0))


def _latin_side(ch: str, side: int) -> bool:
    """Tell whether ``ch`` folds to a Latin letter at ``side`` (0 first, -1 last)."""
    if ch < "\x80":  # ASCII folds to itself in lower case (a word repeated 2,000 times)
        return "a" <= ch.lower() <= "z"
    folded = fold_char(ch)
    return bool(folded) and _is_latin(folded[side])
