"""Word lists -> one Aho-Corasick automaton; the scan of a normalized message -> hits.

Keys go in by ``_insertion_order``; each key's value is its length, its entries, its edges
(``engine.match.edges``) and the gate lists it opens.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import ahocorasick

from engine.match.collect import _LONG, _Collector
from engine.match.edges import _edges
from engine.match.emoji import emoji_hits
from engine.match.hits import Hits
from engine.match.lists import Entry, Role, WordList
from engine.match.thinning import _DISTINCT_OVER, _distinct
from engine.normalize import (
    SQUEEZE,
    SQUEEZE_HINT,
    Normalized,
    char_rank,
    emoji_names,
    normalize_word,
)
from engine.normalize.pinyin import Readings
from engine.normalize.view import View
from engine.spellings import Spellings, readings_of
from engine.word_boundaries import WINDOW


class Lexicon:
    """The compiled automaton of a ruleset's word lists."""

    def __init__(
        self,
        lists: Sequence[WordList],
        variants: Mapping[str, Sequence[str]],
        spellings: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    ) -> None:
        self.lists = tuple(lists)
        self._build(lists, variants, spellings)
        # pyahocorasick is not thread safe (its maintainer, issue #111); iteration keeps
        # state inside the automaton, so threads take turns.
        self._lock = threading.Lock()

    def _build(
        self,
        lists: Sequence[WordList],
        variants: Mapping[str, Sequence[str]],
        spellings: Mapping[str, Mapping[str, Sequence[str]]] | None,
    ) -> None:
        keys: dict[str, list[tuple[int, Entry, str | None, bool]]] = {}
        gates: dict[str, set[int]] = {}
        expand = Spellings({"variant": variants, **(spellings or {})}).expand
        none: frozenset[str] = frozenset()
        for lid, wl in enumerate(self.lists):
            for i, word in enumerate(wl.words):
                key = normalize_word(word)
                if not key:
                    continue
                if wl.role is Role.GATE:
                    gates.setdefault(key, set()).add(lid)
                    continue
                tags = wl.tags[i] if wl.tags else none
                bounded = "boundary" in tags
                # per entry: list id, entry, evasion, boundary (unpacked in the scan loop)
                entry = Entry(lid, word, None, None, bounded)
                keys.setdefault(key, []).append((lid, entry, None, bounded))
                if wl.role is Role.DENY:
                    for alt, label in expand(key, tags):
                        if alt != key:
                            # a two-character sound-alike is most often a piece of an everyday
                            # word (假毕 in 假毕业证, 跟治 in 跟治疗师, 有校 in 所有校区): it
                            # counts only on jieba's word edges, as a [boundary] word does
                            edge = bounded or (label == "homophone" and len(alt) == 2)
                            entry = Entry(lid, word, alt, label, edge)
                            keys.setdefault(alt, []).append((lid, entry, label, edge))
        self.automaton: Any = ahocorasick.Automaton()
        self.word_count = len(keys)
        add_word = self.automaton.add_word
        no_gates: frozenset[int] = frozenset()
        for key in sorted(keys.keys() | gates.keys(), key=_insertion_order):
            entries = keys.get(key)
            gate_ids = gates.get(key)
            add_word(
                key,
                (
                    len(key),
                    tuple(entries) if entries else (),
                    _edges(key),
                    frozenset(gate_ids) if gate_ids else no_gates,
                ),
            )
        if keys or gates:
            self.automaton.make_automaton()
        # tone-marked pinyin of a listed word or gate literal is read as the word (wěnzhuàn):
        # the table is built on the first message with a tone mark (~0.3 s; few have one)
        listed = [k for k, es in keys.items() if any(e[2] is None for e in es)]  # plain spelling
        self._words = tuple(sorted({*listed, *gates}))
        self._readings: Readings | None = None
        self._size = len(self.automaton)
        # how far a key, an allow phrase or a jieba window reaches around a match
        self.reach = max([WINDOW, *map(len, keys.keys() | gates.keys())])

    @property
    def readings(self) -> Readings:
        """The ruleset's Chinese words by their pinyin (built on first use)."""
        readings = self._readings
        if readings is None:
            readings = self._readings = readings_of(self._words)
        return readings

    def scan(self, norm: Normalized) -> Hits:
        """Find every list word in the skeleton of ``norm``."""
        if not self._size:
            return Hits(norm, {}, set())
        skel = norm.skeleton.text
        squeezed = SQUEEZE.sub("", skel) if SQUEEZE_HINT.search(skel) else ""
        with self._lock:
            found = list(self.automaton.iter(skel))
            again = list(self.automaton.iter(squeezed)) if squeezed else []
        if len(skel) > _LONG and len(found) > _DISTINCT_OVER:
            found = _distinct(found, norm, self.reach)
        out = _Collector(norm)
        for end_index, (klen, entries, edges, gate_ids) in found:
            if gate_ids:
                out.gates |= gate_ids  # permissive: no boundary or noise checks for gates
                if not entries:
                    continue
            out.add(end_index - klen + 1, end_index + 1, klen, entries, edges, None)
        if again:
            view = View(squeezed, source=skel, removed=SQUEEZE)
            for end_index, (klen, entries, edges, _gate_ids) in again:
                if not entries:
                    continue
                start, end = view.to_source(end_index - klen + 1, end_index + 1)
                inner = skel[start:end]
                if squeezed[end_index - klen + 1 : end_index + 1] in inner:
                    continue  # squeezed only at its edges (冻冻结): the first pass found it
                how = "insertion" if any(c.isascii() for c in inner) else "repeat"
                out.add(start, end, klen, entries, edges, how)
        hits = out.hits()
        emoji = emoji_names()
        if emoji.candidate.search(norm.original):
            where = emoji.beside_cjk(norm.original)
            if where:
                emoji_hits(self.automaton, self._lock, self.reach, norm, hits, emoji.names, where)
        return hits


def _insertion_order(key: str) -> tuple[int, int, str]:
    # pyahocorasick scans a node's children linearly, in insertion order (sensitive_words.md
    # §3.1): keys whose first character is common in Chinese text go first, so the root's
    # hot children are found after a few comparisons. Digits and Latin letters are not in
    # the Chinese rank but fill SMS (codes, prices, links): they go first.
    rank = char_rank()
    first = key[0]
    if "0" <= first <= "9" or "a" <= first <= "z":
        return (-1, len(key), key)
    return (rank.get(first, len(rank)), len(key), key)
