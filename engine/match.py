"""Word lists -> one Aho-Corasick automaton per ruleset; a normalized message -> hits.

Every word of every list of a ruleset goes into one pyahocorasick automaton, keyed by its
skeleton form (see ``engine.normalize``). Each key carries the entries that produced it: which
list, the word as written, and, for generated entries, the evasive spelling it stands for
(``加威信`` is entered as a variant of ``加微信``). One pass over the skeleton of a message
finds every hit of every list.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

import ahocorasick

from engine.normalize import Normalized, fold_char, normalize_word

# Trigger ids beside list and gate ids: facts about a message that decide which rules run.
EVASIVE = -1  # a hit was disguised (symbols between characters, variant spelling)
HAS_DOT = -2  # the folded text has a "." (a link is possible)
LONG = -3  # more than 70 characters (more than one segment)
LATIN = -4  # mostly ASCII text

# A hit may span noise characters (最*低*价) but not arbitrary stretches of them: at most
# this many removed characters per character of the word.
MAX_NOISE_PER_CHAR = 3


class Role(StrEnum):
    """What a list is for: words that trigger rules, or phrases that excuse them."""

    DENY = "deny"
    ALLOW = "allow"
    GATE = "gate"  # literals a rule's regexes need: their presence selects the rules to run


@dataclass(frozen=True, slots=True)
class WordList:
    """One named list of words, from a file under ``rules/lists`` or inline in a rule."""

    name: str
    role: Role
    words: tuple[str, ...]
    origin: str  # file path (and line) the words come from, for error messages


@dataclass(frozen=True, slots=True)
class Entry:
    """One list word as entered into the automaton."""

    list_id: int
    word: str
    variant: str | None  # "威信" when this key is 微信 written as 威信


class Hit(NamedTuple):
    """A list word found in a message: skeleton span, original span, and how it was found."""

    start: int
    end: int
    orig_start: int
    orig_end: int
    entry: Entry
    evasion: str | None  # "variant", "noise" (symbols between characters) or None

    def overlaps(self, other: Hit) -> bool:
        """Tell whether two hits share at least one skeleton character."""
        return self.start < other.end and other.start < self.end


class Hits:
    """All hits of one message, grouped by list, and the gate lists whose literals occur."""

    __slots__ = ("by_list", "gates", "norm")

    def __init__(self, norm: Normalized, by_list: dict[int, list[Hit]], gates: set[int]) -> None:
        self.norm = norm
        self.by_list = by_list
        self.gates = gates

    def of(self, list_ids: Iterable[int], allow_ids: Iterable[int] = ()) -> list[Hit]:
        """Hits of ``list_ids`` that no hit of ``allow_ids`` overlaps, in text order."""
        found: list[Hit] = []
        for lid in list_ids:
            found.extend(self.by_list.get(lid, ()))
        if not found:
            return found
        allowed = [h for aid in allow_ids for h in self.by_list.get(aid, ())]
        if allowed:
            found = _not_covered(found, allowed)
        found.sort(key=lambda h: (h.start, -h.end))
        return found

    def any(self, list_ids: Iterable[int]) -> bool:
        """Tell whether any of ``list_ids`` has a hit."""
        return not self.by_list.keys().isdisjoint(list_ids)

    def triggered(self) -> set[int]:
        """Ids of every list with a hit, every gate that is open, and the message facts."""
        ids = self.by_list.keys() | self.gates
        text = self.norm.original
        if "." in self.norm.folded.text:
            ids.add(HAS_DOT)
        if len(text) > 70:
            ids.add(LONG)
        if len(text.encode("ascii", "ignore")) * 10 >= len(text) * 8 and text:
            ids.add(LATIN)
        return ids


class Lexicon:
    """The compiled automaton of a ruleset's word lists."""

    def __init__(self, lists: Sequence[WordList], variants: Mapping[str, Sequence[str]]) -> None:
        self.lists = tuple(lists)
        keys: dict[str, list[Entry]] = {}
        gates: dict[str, set[int]] = {}
        canon = {normalize_word(c): [normalize_word(v) for v in vs] for c, vs in variants.items()}
        for lid, wl in enumerate(self.lists):
            for word in wl.words:
                key = normalize_word(word)
                if not key:
                    continue
                if wl.role is Role.GATE:
                    gates.setdefault(key, set()).add(lid)
                    continue
                keys.setdefault(key, []).append(Entry(lid, word, None))
                if wl.role is Role.DENY:
                    for alt, variant in _variants(key, canon):
                        keys.setdefault(alt, []).append(Entry(lid, word, variant))
        self.automaton: Any = ahocorasick.Automaton()
        self.word_count = len(keys)
        for key in sorted(keys.keys() | gates.keys(), key=_insertion_order):
            # per entry: list id, entry, variant flag (unpacked in the scan loop)
            entries = tuple((e.list_id, e, bool(e.variant)) for e in keys.get(key, ()))
            gate_ids = frozenset(gates.get(key, ()))
            self.automaton.add_word(key, (len(key), entries, _latin_edges(key), gate_ids))
        if keys or gates:
            self.automaton.make_automaton()
        self._size = len(self.automaton)
        # pyahocorasick is not thread safe (its maintainer, issue #111); iteration keeps
        # state inside the automaton, so threads take turns.
        self._lock = threading.Lock()

    def scan(self, norm: Normalized) -> Hits:
        """Find every list word in the skeleton of ``norm``."""
        by_list: dict[int, list[Hit]] = {}
        gates: set[int] = set()
        if not self._size:
            return Hits(norm, by_list, gates)
        with self._lock:
            found = list(self.automaton.iter(norm.skeleton.text))
        starts: list[int] | tuple[int, ...] | None = None
        mapped = False
        original = norm.original
        for end_index, (klen, entries, latin, gate_ids) in found:
            if gate_ids:
                gates |= gate_ids  # permissive: no boundary or noise checks for gates
                if not entries:
                    continue
            start = end_index - klen + 1
            if not mapped:
                starts, mapped = norm.skeleton_starts(), True
            if starts is None:
                os, oe = start, end_index + 1
            else:
                os, oe = starts[start], starts[end_index] + 1
            if latin and not _latin_bounded(original, os, oe, latin):
                continue
            noise = oe - os - klen
            if noise > MAX_NOISE_PER_CHAR * klen:
                continue
            if noise:
                gates.add(EVASIVE)
                for lid, entry, variant in entries:
                    if variant:
                        gates.add(EVASIVE)
                    hit = _new_hit(
                        Hit,
                        (start, end_index + 1, os, oe, entry, "variant" if variant else "noise"),
                    )
                    if lid in by_list:
                        by_list[lid].append(hit)
                    else:
                        by_list[lid] = [hit]
            else:
                for lid, entry, variant in entries:
                    if variant:
                        gates.add(EVASIVE)
                    hit = _new_hit(
                        Hit, (start, end_index + 1, os, oe, entry, "variant" if variant else None)
                    )
                    if lid in by_list:
                        by_list[lid].append(hit)
                    else:
                        by_list[lid] = [hit]
        return Hits(norm, by_list, gates)


_new_hit = tuple.__new__


def _not_covered(found: list[Hit], allowed: list[Hit]) -> list[Hit]:
    """Hits of ``found`` that overlap no hit of ``allowed`` (n log n: a message can repeat a
    word a thousand times)."""
    spans: list[list[int]] = []
    for s, e in sorted((a.start, a.end) for a in allowed):
        if spans and s <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], e)
        else:
            spans.append([s, e])
    starts = [s for s, _ in spans]
    out = []
    for h in found:
        i = bisect_right(starts, h.end - 1)  # the last span starting before the hit ends
        if not (i and spans[i - 1][1] > h.start):
            out.append(h)
    return out


def _variants(key: str, canon: Mapping[str, Sequence[str]]) -> Iterable[tuple[str, str]]:
    for c, alts in canon.items():
        if c and c in key:
            for alt in alts:
                if alt and alt != c:
                    yield key.replace(c, alt), alt


@lru_cache(maxsize=1)
def _char_rank() -> dict[str, int]:
    text = resources.files("engine").joinpath("data/char_rank.txt").read_text(encoding="utf-8")
    chars = "".join(line for line in text.splitlines() if not line.startswith("#"))
    return {ch: i for i, ch in enumerate(chars)}


def _insertion_order(key: str) -> tuple[int, int, str]:
    # pyahocorasick scans a node's children linearly, in insertion order (sensitive_words.md
    # §3.1): keys whose first character is common in Chinese text go first, so the root's
    # hot children are found after a few comparisons. Digits and Latin letters are not in
    # the Chinese rank but fill SMS (codes, prices, links): they go first.
    rank = _char_rank()
    first = key[0]
    if "0" <= first <= "9" or "a" <= first <= "z":
        return (-1, len(key), key)
    return (rank.get(first, len(rank)), len(key), key)


def _latin_edges(key: str) -> int:
    """Bit 1: the key starts with an ASCII letter; bit 2: it ends with one."""
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


class _Segmenter:
    """jieba, loaded on first use: only whole-word rules need it (~5k msg/s)."""

    def __init__(self) -> None:
        self._tok: Any = None
        self._lock = threading.Lock()
        self.setup_seconds = 0.0  # CPU time spent loading jieba (not a message's fault)

    def boundaries(self, text: str) -> set[int]:
        with self._lock:
            if self._tok is None:
                import logging
                import time

                import jieba

                t0 = time.thread_time()
                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                self._tok = tok
                self.setup_seconds += time.thread_time() - t0
            cuts = self._tok.lcut(text, HMM=False)
        bounds = {0}
        pos = 0
        for piece in cuts:
            pos += len(piece)
            bounds.add(pos)
        return bounds


SEGMENTER = _Segmenter()
_WINDOW = 12


def on_word_boundaries(norm: Normalized, hit: Hit) -> bool:
    """Tell whether a hit starts and ends on jieba token boundaries (回T退订 is not 退)."""
    skel = norm.skeleton.text
    lo = max(0, hit.start - _WINDOW)
    bounds = SEGMENTER.boundaries(skel[lo : hit.end + _WINDOW])
    return (hit.start - lo) in bounds and (hit.end - lo) in bounds
