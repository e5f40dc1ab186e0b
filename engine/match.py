"""Word lists -> one Aho-Corasick automaton per ruleset; a normalized message -> hits.

Every word of every list of a ruleset goes into one pyahocorasick automaton, keyed by its
skeleton form (see ``engine.normalize``). Each key carries the entries that produced it: which
list, the word as written, and, for generated entries, the evasive spelling it stands for and
its evasion (``加威信`` is entered as a variant of ``加微信``, ``dubo`` as the pinyin of 赌博;
see ``engine.spellings``). One pass over the skeleton of a message finds every hit of every
list; a second pass over a squeezed skeleton (repeated characters and single letters or
digits between Chinese characters removed) runs only when the skeleton has either.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

import ahocorasick

from engine.normalize import (
    SQUEEZE,
    SQUEEZE_HINT,
    Normalized,
    char_rank,
    emoji_names,
    fold_char,
    normalize_word,
)
from engine.normalize.pinyin import Readings
from engine.normalize.view import View
from engine.spellings import Spellings, readings_of
from engine.word_boundaries import SEGMENTER, WINDOW
from engine.word_boundaries import bounded as on_boundaries

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
    tags: tuple[frozenset[str], ...] = ()  # per word (same order), e.g. {"boundary"}; () = none


@dataclass(frozen=True, slots=True)
class Entry:
    """One list word as entered into the automaton."""

    list_id: int
    word: str
    variant: str | None  # "威信" when this key is 微信 written as 威信
    evasion: str | None = None  # what the generated key stands for: "variant", "pinyin", ...
    boundary: bool = False  # the hit must start and end on jieba word boundaries


# per list a key belongs to: list id, entry, evasion label, boundary (the automaton's value)
_Entries = tuple[tuple[int, Entry, str | None, bool], ...]


class Hit(NamedTuple):
    """A list word found in a message: skeleton span, original span, and how it was found."""

    start: int
    end: int
    orig_start: int
    orig_end: int
    entry: Entry
    evasion: str | None  # an engine.spellings.EVASIONS name, or None for the plain word

    def overlaps(self, other: Hit) -> bool:
        """Tell whether two hits share at least one skeleton character."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: Hit) -> bool:
        """Tell whether every skeleton character of ``other`` lies inside this hit."""
        return self.start <= other.start and other.end <= self.end


class Hits:
    """All hits of one message, grouped by list, and the gate lists whose literals occur."""

    __slots__ = ("by_list", "gates", "norm")

    def __init__(self, norm: Normalized, by_list: dict[int, list[Hit]], gates: set[int]) -> None:
        self.norm = norm
        self.by_list = by_list
        self.gates = gates

    def of(self, list_ids: Iterable[int], allow_ids: Iterable[int] = ()) -> list[Hit]:
        """Hits of ``list_ids`` that no hit of ``allow_ids`` contains, in text order.

        An allow phrase excuses only the deny hits inside it: 冷冻柜 excuses 冻 but 你 does
        not excuse 操你妈, and 最低气温 does not excuse a 全网最低价 that merely touches it.
        """
        found: list[Hit] = []
        for lid in list_ids:
            found.extend(self.by_list.get(lid, ()))
        if not found:
            return found
        allowed = [h for aid in allow_ids for h in self.by_list.get(aid, ())]
        if allowed:
            inside = Cover(allowed)
            found = [h for h in found if not inside.covers(h.start, h.end)]
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
                self._emoji_hits(norm, hits, emoji.names, where)
        return hits

    def _emoji_hits(
        self, norm: Normalized, hits: Hits, names: dict[str, str], where: list[int]
    ) -> None:
        """Add the hits of words with an emoji in place of one character (🐮股 = 牛股).

        An emoji may stand for any character of its Chinese name (CLDR: 🐮 奶牛头, 👜
        手提包); each is tried in the emoji's place among the skeleton characters around it,
        and a Chinese word of the lists that takes in the emoji counts.
        """
        skel, original = norm.skeleton.text, norm.original
        reach = min(self.reach, 12)
        folded = norm.folded
        noise = norm.skeleton._removed  # what the skeleton drops from the folded view
        ftext = folded.text
        k = last = 0
        for o in where:
            o_end = o + 2 if original[o + 1 : o + 2] == "\ufe0f" else o + 1
            # skeleton characters before the emoji, counted from the previous one's place
            if folded.permuted:
                # part read backwards (倒着读): the emoji's place in the reading, not the original
                try:
                    k = norm.skeleton.count_before((folded._starts or ()).index(o))
                except ValueError:  # folded away
                    continue
            else:
                f = folded.count_before(o)
                k = k + len(noise.sub("", ftext[last:f])) if noise is not None else f
                last = f
            left, right = skel[max(0, k - reach) : k], skel[k : k + reach]
            at = len(left)

            def index(i: int, k: int = k, at: int = at) -> int:
                return k - at + i if i < at else k + i - at - 1

            for ch in dict.fromkeys(names[original[o]]):
                with self._lock:
                    found = list(self.automaton.iter(left + ch + right))
                for end_index, (klen, entries, edges, _gates) in found:
                    ws, we = end_index - klen + 1, end_index + 1
                    if not entries or edges or not ws <= at < we or klen < 2:
                        continue  # not through the emoji, or a Latin or digit word
                    start = index(ws) if ws < at else k
                    end = index(we - 1) + 1 if we - 1 > at else k
                    os = o if ws == at else norm.skeleton_span(start, start + 1)[0]
                    oe = o_end if we - 1 == at else norm.skeleton_span(end - 1, end)[1]
                    if folded.permuted:  # the emoji and the characters may swap sides
                        s0, s1 = norm.skeleton_span(start, end)
                        os, oe = min(s0, o), max(s1, o_end)
                    if oe - os - klen > MAX_NOISE_PER_CHAR * klen:
                        continue
                    for lid, entry, _label, boundary in entries:
                        if boundary:
                            continue  # a [boundary] word needs jieba's word edges: not here
                        hit = _new_hit(Hit, (start, end, os, oe, entry, "emoji"))
                        hits.by_list.setdefault(lid, []).append(hit)
                        hits.gates.add(EVASIVE)


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


_new_hit = tuple.__new__
_MAP_AFTER = 8
_NEVER_MAP = -(1 << 62)  # a hit count that never reaches _MAP_AFTER
_CHAIN_ENDS = 8  # hits kept at each end of a chain of one key found back to back
_DISTINCT_OVER = 64  # automaton matches in a long message before _distinct runs
_PER_CONTEXT = 4  # matches kept per key and context in a long message
_WINDOWS = 32  # jieba windows per long message (~0.1 ms each)
_LONG = 500  # characters: the longest message any platform accepts (rules/packs/length.yaml)


class _Chain:
    """Back-to-back hits of one key: where the last one ends, and the held-back tail."""

    __slots__ = ("end", "entries", "how", "length", "tail")

    def __init__(self, end: int, how: str | None, entries: _Entries) -> None:
        self.end = end
        self.how = how
        self.entries = entries
        self.length = 1
        self.tail: deque[tuple[int, int, int, int]] = deque(maxlen=_CHAIN_ENDS)


class Cover:
    """Spans, ready to tell whether one of them contains a given span (O(log n) each).

    Adversarial text can hold thousands of hits and allow phrases; comparing every pair
    would be quadratic.
    """

    __slots__ = ("_max_end", "_starts")

    def __init__(self, hits: Iterable[Hit]) -> None:
        spans = sorted((h.start, h.end) for h in hits)
        self._starts = [st for st, _ in spans]
        self._max_end: list[int] = []
        top = -1
        for _, end in spans:
            top = max(top, end)
            self._max_end.append(top)

    def covers(self, start: int, end: int) -> bool:
        """Tell whether some span starts at or before ``start`` and ends at or after ``end``."""
        k = bisect_right(self._starts, start)
        return k > 0 and self._max_end[k - 1] >= end


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
