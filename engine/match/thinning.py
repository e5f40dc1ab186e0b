"""Long messages: the automaton's matches thinned to a few per key and context.

A message of one phrase repeated yields hundreds of matches of each key; past ``_LONG``
characters (no platform sends that many) only a few in each context are checked.
"""

from __future__ import annotations

from typing import Any

from engine.match.collect import _MAP_AFTER, _NEVER_MAP
from engine.normalize import Normalized

_DISTINCT_OVER = 64  # automaton matches in a long message before _distinct runs
_PER_CONTEXT = 4  # matches kept per key and context in a long message


def _distinct(found: list[tuple[int, Any]], norm: Normalized, reach: int) -> list[tuple[int, Any]]:
    """The automaton's matches in a long message, at most _PER_CONTEXT of each key in each
    context: the same characters around it in the skeleton (``reach`` each side: as far as
    any key, allow phrase or jieba window reaches), the same original characters from one
    before to one after it (removed noise, digit and Latin edges) and the same look-alikes.

    Two such matches are one finding's worth: every allow phrase, boundary and edge test
    answers the same for both. A message of one phrase repeated (2,000 characters, ~400
    matches of each key) keeps a handful. Only past _LONG characters, which no platform
    sends: a rule that counts matches or measures the distance between two words far apart
    may see fewer there, on a message length.max blocks anyway.
    """
    skel, original, plain = norm.skeleton.text, norm.original, norm.plain
    starts: list[int] | tuple[int, ...] | None = None
    mapped = 0  # word matches mapped by bisection; the full map is built at the _MAP_AFTER-th
    if norm.folded.permuted:
        mapped = _NEVER_MAP  # part read backwards: no index map, every span by min and max
    seen: dict[tuple[object, ...], int] = {}
    out: list[tuple[int, Any]] = []
    size = len(skel)
    # the skeleton is the original text, character for character: its window says it all
    same = plain is None and skel == original
    gates_seen: set[int] = set()
    for item in found:
        end_index, value = item
        if not value[1]:  # a gate literal only: its first match opens the gates
            if id(value) not in gates_seen:
                gates_seen.add(id(value))
                out.append(item)
            continue
        end = end_index + 1
        start = end - value[0]
        if (
            value[2] & 4
            and not value[3]
            and ((start and skel[start - 1].isdigit()) or (end < size and skel[end].isdigit()))
        ):
            continue  # a digit-only word inside a longer number (gates open on any match)
        window = skel[start - reach if start > reach else 0 : end + reach]
        key: tuple[object, ...]
        if same:
            key = (id(value), window)
        else:
            if mapped < _MAP_AFTER:  # a few words after a long run: no full map needed
                mapped += 1
                if mapped == _MAP_AFTER:
                    starts = norm.skeleton_starts()
                os, oe = norm.skeleton_span(start, end)
            elif starts is None:
                os, oe = start, end
            else:
                os, oe = starts[start], starts[end - 1] + 1
            key = (
                id(value),
                window,
                original[os - 1 if os else 0 : oe + 1],
                plain[start:end] if plain is not None else None,
            )
        n = seen.get(key, 0)
        if n < _PER_CONTEXT:
            seen[key] = n + 1
            out.append(item)
    return out
