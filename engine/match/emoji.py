"""Words with an emoji in place of one character (🐮股 = 牛股): extra hits of a scan."""

from __future__ import annotations

import threading
from typing import Any

from engine.match.hits import EVASIVE, MAX_NOISE_PER_CHAR, Hit, Hits, _new_hit
from engine.normalize import Normalized


def emoji_hits(
    automaton: Any,
    lock: threading.Lock,
    reach: int,
    norm: Normalized,
    hits: Hits,
    names: dict[str, str],
    where: list[int],
) -> None:
    """Add the hits of words with an emoji in place of one character (🐮股 = 牛股).

    An emoji may stand for any character of its Chinese name (CLDR: 🐮 奶牛头, 👜
    手提包); each is tried in the emoji's place among the skeleton characters around it,
    and a Chinese word of the lists that takes in the emoji counts. ``automaton``, ``lock``
    and ``reach`` are the Lexicon's (see ``Lexicon.scan``).
    """
    skel, original = norm.skeleton.text, norm.original
    reach = min(reach, 12)
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
            with lock:
                found = list(automaton.iter(left + ch + right))
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
