"""Automaton matches -> hits: which are real words, how each was disguised, [boundary] words.

A match is kept when its noise, Latin and digit edges allow it; it is labelled with its
evasion (noise, homoglyph, repeat, insertion, the spelling it was entered as, a mark of the
folded view). A key found back to back keeps the ends of its chain. Hits of [boundary] words
are checked against jieba's word boundaries last.
"""

from __future__ import annotations

from collections import deque

from engine.match.edges import _latin_bounded
from engine.match.hits import EVASIVE, MAX_NOISE_PER_CHAR, Cover, Hit, Hits, _new_hit
from engine.match.lists import _Entries
from engine.normalize import Normalized
from engine.word_boundaries import SEGMENTER, WINDOW
from engine.word_boundaries import bounded as on_boundaries

_MAP_AFTER = 8
_NEVER_MAP = -(1 << 62)  # a hit count that never reaches _MAP_AFTER
_CHAIN_ENDS = 8  # hits kept at each end of a chain of one key found back to back
_WINDOWS = 32  # jieba windows per long message (~0.1 ms each)
_LONG = 500  # characters: the longest message any platform accepts (rules/packs/length.yaml)


class _Collector:
    """The hits of one message as the automaton reports them."""

    __slots__ = ("by_list", "chains", "gates", "mapped", "norm", "pending", "starts")

    def __init__(self, norm: Normalized) -> None:
        self.norm = norm
        self.by_list: dict[int, list[Hit]] = {}
        self.gates: set[int] = set()
        self.pending: list[tuple[int, Hit]] = []  # hits of [boundary] words, checked last
        self.starts: list[int] | tuple[int, ...] | None = None  # skeleton -> original
        self.mapped = 0  # word hits so far: starts is built at the _MAP_AFTER-th
        if norm.folded.permuted:
            self.mapped = _NEVER_MAP  # part read backwards: no index map (see _distinct)
        # per key (its entries tuple): the chain of back-to-back hits it is in (see _chain)
        self.chains: dict[int, _Chain] = {}

    def add(
        self,
        start: int,
        end: int,
        klen: int,
        entries: _Entries,
        edges: int,
        how: str | None,
    ) -> None:
        """Record the hits of one key at skeleton span [start, end), if it is a real word."""
        norm = self.norm
        if self.mapped < _MAP_AFTER:
            # the first few hits map by bisection; a message with many builds the full map
            self.mapped += 1
            if self.mapped == _MAP_AFTER:
                self.starts = norm.skeleton_starts()
            os, oe = norm.skeleton_span(start, end)
        elif (m := self.starts) is None:
            os, oe = start, end
        else:
            os, oe = m[start], m[end - 1] + 1
        if edges:
            if edges & 4:
                skel = norm.skeleton.text
                if (start and skel[start - 1].isdigit()) or (
                    end < len(skel) and skel[end].isdigit()
                ):
                    return  # 69 is not in 695: digit-only words match whole numbers
            elif not _latin_bounded(norm.original, os, oe, edges):
                return
        noise = oe - os - (end - start)
        if noise > MAX_NOISE_PER_CHAR * klen and not (
            norm.marks and norm.evasion_in(os, oe) == "pinyin"  # 稳 read from wen3: 4 letters
        ):
            return
        if noise and how == "insertion":
            return  # 满${a}减 is a template placeholder, not a letter slipped into 满减
        if how is None:
            plain = norm.plain
            if plain is not None and plain[start:end] != norm.skeleton.text[start:end]:
                how = "homoglyph"
            elif (
                noise
                and not _as_listed(norm.original, os, oe, entries)
                and not _quoted_apart(norm.original, os, oe)
            ):
                how = "noise"
        if norm.marks and (how is None or how == "noise"):
            how = norm.evasion_in(os, oe) or how  # written apart, combining marks, radicals
        if self.mapped == _MAP_AFTER and not self._chain(start, end, os, oe, entries, how):
            return
        self.emit(start, end, os, oe, entries, how)

    def _chain(
        self,
        start: int,
        end: int,
        os: int,
        oe: int,
        entries: _Entries,
        how: str | None,
    ) -> bool:
        """Tell whether this hit is recorded now; a long chain keeps its ends only.

        A key found back to back (扣扣扣扣…, 最低最低…: each hit overlaps or touches the
        previous valid hit of the same key, found the same way) forms a chain. Its first and
        last _CHAIN_ENDS hits are recorded; the ones between are the same word again, next
        to copies of itself, and would cost ~1 µs each per list (a word repeated 2,000 times
        was 50 ms). Only valid hits chain (noise, digit and Latin edges checked first), so
        padding the ends of a chain cannot hide a clean copy in its middle. The last hits
        are held back and recorded when the chain breaks or the scan ends.
        """
        key = id(entries)
        chain = self.chains.get(key)
        if chain is not None and start <= chain.end and how == chain.how:
            chain.end = end
            chain.length += 1
            if chain.length <= _CHAIN_ENDS:
                return True
            chain.tail.append((start, end, os, oe))  # keeps the last _CHAIN_ENDS
            return False
        if chain is not None and chain.tail:
            self._flush(chain)
        self.chains[key] = _Chain(end, how, entries)
        return True

    def _flush(self, chain: _Chain) -> None:
        for start, end, os, oe in chain.tail:
            self.emit(start, end, os, oe, chain.entries, chain.how)
        chain.tail.clear()

    def emit(
        self,
        start: int,
        end: int,
        os: int,
        oe: int,
        entries: _Entries,
        how: str | None,
    ) -> None:
        """Record one valid hit of a key for each list the key belongs to."""
        by_list = self.by_list
        for lid, entry, label, bounded in entries:
            evasion = how if how is not None and how != "noise" else label or how
            hit = _new_hit(Hit, (start, end, os, oe, entry, evasion))
            if bounded:
                self.pending.append((lid, hit))
                continue
            if evasion is not None:
                self.gates.add(EVASIVE)
            if lid in by_list:
                by_list[lid].append(hit)
            else:
                by_list[lid] = [hit]

    def hits(self) -> Hits:
        """The hits, once [boundary] words are checked against jieba's word boundaries.

        A bounded word inside a longer word of its own list (最低 in 最低价) is dropped
        without asking jieba: the longer hit already reports those characters.
        """
        for chain in self.chains.values():
            if chain.tail:
                self._flush(chain)
        covers: dict[int, Cover] = {}
        bounds: set[int] | None = None  # jieba over the whole skeleton, once per message
        skel = self.norm.skeleton.text
        # Past _LONG characters (longer than any platform sends; length.max blocks them),
        # jieba (~4 µs a character) reads a window around each bounded hit instead of the
        # whole text, each distinct window once. Past _WINDOWS distinct windows a hit counts
        # as a word without asking: more findings on a message refused anyway, never fewer.
        windows: dict[tuple[str, int], bool] | None = {} if len(skel) > _LONG else None
        for lid, hit in self.pending:
            if lid not in covers:
                covers[lid] = Cover(self.by_list.get(lid, ()))
            if covers[lid].covers(hit.start, hit.end):
                continue
            if windows is not None:
                lo = max(0, hit.start - WINDOW)
                key = (skel[lo : hit.end + WINDOW], hit.start - lo)
                word = windows.get(key)
                if word is None:
                    word = len(windows) >= _WINDOWS or on_boundaries(self.norm, hit.start, hit.end)
                    windows[key] = word
                if not word:
                    continue
            else:
                if bounds is None:
                    bounds = SEGMENTER.boundaries(skel)
                if hit.start not in bounds or hit.end not in bounds:
                    continue
            if hit.evasion is not None:
                self.gates.add(EVASIVE)
            self.by_list.setdefault(lid, []).append(hit)
        return Hits(self.norm, self.by_list, self.gates)


class _Chain:
    """Back-to-back hits of one key: where the last one ends, and the held-back tail."""

    __slots__ = ("end", "entries", "how", "length", "tail")

    def __init__(self, end: int, how: str | None, entries: _Entries) -> None:
        self.end = end
        self.how = how
        self.entries = entries
        self.length = 1
        self.tail: deque[tuple[int, int, int, int]] = deque(maxlen=_CHAIN_ENDS)


def _as_listed(original: str, start: int, end: int, entries: _Entries) -> bool:
    """Tell whether a hit is written exactly as a listed phrase with spaces or symbols.

    ``guaranteed return`` and ``weed & coke`` written as listed are plain text, not noise.
    """
    text = original[start:end].lower()
    return any(e[1].word.lower() == text for e in entries)


_OPEN_QUOTES = frozenset("“「『‘《")
_CLOSE_QUOTES = frozenset("”」』’》")


def _quoted_apart(original: str, start: int, end: int) -> bool:
    """Tell whether a hit is two words set apart by quotation marks, no disguise.

    代办“驾照”, “刷单”“返利”: an anti-fraud notice quotes the words it warns of. Only quotation
    marks were skipped, and none of them closes a quote opened inside the hit: 刷“单”返利
    encloses a piece of the word, which is a disguise.
    """
    opened = False
    for ch in original[start:end]:
        if ch.isalnum():
            continue
        if ch in _CLOSE_QUOTES or (ch == '"' and opened):
            if opened:
                return False
        elif ch in _OPEN_QUOTES or ch == '"':
            opened = True
        else:
            return False
    return True
