"""Score a message with the exported content model: pure Python, no numpy or sklearn.

Features are the character n-grams of the skeleton view of the message body (``engine
.normalize``: folded, traditional -> simplified, look-alikes folded, noise removed; the
【signature】 and opt-out footer left out), every ASCII digit read as ``0`` so that numbers and
contacts share their n-grams, every character of a link (``engine.rule_types.link``) read as
``LINK_MASK`` and no n-gram that touches one kept (the letters of t.cn/xQ82zL said
"pornography" to a model that had seen them in spam; the link rules judge links), counted.
The score of a label is its bias plus the weights of the n-grams present (once per
occurrence); the probabilities are their softmax. Training
(``train.py``) uses the same ``prepared`` and ``ngrams`` functions.

Speed: one Aho-Corasick pass over the text finds every weighted n-gram; each carries its
weights packed into one integer (field i: round(w_i * 10^4) + offset, the top field counts
the n-grams), so summing a message is a single C-level ``sum``: exact and deterministic.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Any

import ahocorasick
import orjson

from engine.normalize import HARD_BREAKS, Normalized, char_rank
from engine.rule_types.link import Link, scan_links

MODEL_FORMAT = 1
_DIGIT = re.compile("[1-9]")
# a template's variables: ${name} (Aliyun, Huawei) and {1} (Tencent); the value is unknown,
# so the model reads neither the variable's name nor the brackets
_VARIABLE = re.compile(r"\$\{[A-Za-z_]\w{0,31}\}|\{\d{1,2}\}")
_SCALE = 10_000  # weights are exported with 4 decimals: exact in fixed point
_OFFSET = 1 << 22  # keeps every field positive: |weight| < 419
_FIELD = 52  # bits per field: sums of up to 2**29 n-grams cannot carry into the next field
_MASK = (1 << _FIELD) - 1
_VALUE = itemgetter(1)
_MEMO_MAX = 4096  # scored texts remembered per model
_MEMO_CHARS = 300  # ... of at most this length: about 4 MB at most
_MEMOS = ("_memo", "_evidence")  # not pickled: a loaded model starts with empty memos
HAM = ("clean", "news")
# A link's characters in the prepared text: one per character, so that offsets stay those of
# the skeleton. A symbol, which the skeleton never keeps; no n-gram containing it is a feature.
LINK_MASK = "\u25a1"
_BREAKS = HARD_BREAKS | {LINK_MASK}  # an evidence window never takes one in
MAX_READ = 500  # characters of the body the model reads (the longest SMS a platform sends)
FIX = (
    "retrain it with `python -m engine.content_model.train` (needs the dev extras) "
    "or restore models/content.json from git"
)


class ModelFileError(ValueError):
    """The model file is missing or unreadable; the message names the file and the fix."""


def prepared(
    norm: Normalized, body: tuple[int, int] | None = None, links: list[Link] | None = None
) -> tuple[str, int]:
    """The text the model reads and its skeleton offset: the skeleton of the original span
    ``body`` (None: the whole message), digits as 0, links (``links``, else found here) as
    LINK_MASK, template variables (``${name}``, ``{1}``) as LINK_MASK too, one character per
    character.

    Callers pass the body (``find_zones``): the 【signature】 and the opt-out footer say who
    sends and that the text is marketing, not what it is about (news-like text has neither).
    The model reads at most MAX_READ characters of it: no platform sends more (the
    ``length.max`` rule blocks longer messages), and a padded 5,000-character message would
    otherwise cost ~10 ms in the evidence search.
    """
    text = norm.skeleton.text
    start, end = 0, len(text)
    if body is not None and (body[0] > 0 or body[1] < len(norm.original)):
        start, end = norm.skeleton_bounds(*body)
    text = text[start : min(end, start + MAX_READ)]
    if _DIGIT.search(text):
        text = _DIGIT.sub("0", text)
    masked = [(x.start, x.end) for x in (scan_links(norm) if links is None else links)]
    if "{" in norm.original:
        masked += [m.span() for m in _VARIABLE.finditer(norm.original)]
    for a, b in masked:
        a, b = norm.skeleton_bounds(a, b)
        a, b = max(a - start, 0), min(b - start, len(text))
        if a < b:
            text = text[:a] + LINK_MASK * (b - a) + text[b:]
    return text, start


def ngrams(text: str, orders: tuple[int, ...]) -> list[str]:
    """Every character n-gram of ``text`` (repeats included) for each order, but those that
    touch a masked link."""
    grams = [text[i : i + n] for n in orders for i in range(len(text) - n + 1)]
    return [g for g in grams if LINK_MASK not in g] if LINK_MASK in text else grams


@dataclass(frozen=True, slots=True)
class Scores:
    """The model's answer for one message: the probability of each label."""

    probs: tuple[float, ...]
    text: str  # the prepared text that was scored
    offset: int  # skeleton index of its first character


class ContentModel:
    """Exported weights: label -> bias, n-gram -> one weight per label (plain data plus an
    automaton, all picklable)."""

    __slots__ = (
        "_evidence",
        "_memo",
        "automaton",
        "bias",
        "digest",
        "labels",
        "margins",
        "orders",
        "thresholds",
        "weights",
    )

    def __init__(
        self,
        labels: tuple[str, ...],
        orders: tuple[int, ...],
        bias: tuple[float, ...],
        weights: dict[str, tuple[float, ...]],
        thresholds: dict[str, float],
        digest: str,
    ) -> None:
        self.labels, self.orders, self.bias = labels, orders, bias
        self.weights, self.thresholds, self.digest = weights, thresholds, digest
        self.margins: dict[int, dict[str, int]] = {}  # label -> see _margins
        count = 1 << (_FIELD * len(labels))  # the top field counts the n-grams found
        automaton: Any = ahocorasick.Automaton()
        for gram in sorted(weights, key=_gram_order):
            vec = weights[gram]
            value = count
            for i, w in enumerate(vec):
                q = round(w * _SCALE)
                if abs(q) >= _OFFSET:
                    raise ValueError(f"n-gram {gram!r} weight {w} is out of range")
                value |= (q + _OFFSET) << (_FIELD * i)
            automaton.add_word(gram, value)
        if weights:
            automaton.make_automaton()
        self.automaton = automaton
        self._memo: dict[str, tuple[float, ...]] = {}
        self._evidence: dict[tuple[str, int, int], tuple[int, int]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # pickled (engine.ruleset.cache) without the memos of scored texts
        return {name: getattr(self, name) for name in self.__slots__ if name not in _MEMOS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self._memo, self._evidence = {}, {}

    def index(self, label: str) -> int:
        """Position of ``label`` in the score vectors."""
        return self.labels.index(label)

    def score_text(self, text: str) -> tuple[float, ...]:
        """Probabilities of every label for a prepared text.

        Remembered for the last ``_MEMO_MAX`` distinct texts: messages of one template differ
        in their numbers, which the prepared text reads as 0, and often nothing else (a
        campaign sends one body to many numbers), so most repeat a text scored before.
        """
        if len(text) > _MEMO_CHARS:
            return self._score_text(text)  # long texts do not repeat; keeps the memo small
        memo = self._memo
        probs = memo.get(text)
        if probs is None:
            probs = self._score_text(text)
            if len(memo) >= _MEMO_MAX:
                memo.clear()  # bounded: unique texts (or an attacker) cannot grow it
            memo[text] = probs
        return probs

    def _score_text(self, text: str) -> tuple[float, ...]:
        total = sum(map(_VALUE, self.automaton.iter(text))) if text and self.weights else 0
        base = (total >> (_FIELD * len(self.labels))) * _OFFSET
        logits = [
            b + (((total >> (_FIELD * i)) & _MASK) - base) / _SCALE for i, b in enumerate(self.bias)
        ]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        norm = sum(exps)
        return tuple(e / norm for e in exps)

    def score(
        self, norm: Normalized, body: tuple[int, int] | None = None, links: list[Link] | None = None
    ) -> Scores:
        """Score a normalized message (the ``body`` span of the original text, if given;
        ``links``: its links, when the caller has found them already)."""
        text, offset = prepared(norm, body, links)
        return Scores(self.score_text(text), text, offset)

    def evidence(self, text: str, label: int, width: int = 12) -> tuple[int, int]:
        """The window of at most ``width`` characters of ``text``, inside one clause, whose
        n-grams weigh most for ``label`` against the ham labels: [start, end) of ``text``
        (empty when no n-gram speaks for the label). Words come first: n-grams with digits
        (dates, prices, numbers) count only when no other n-gram speaks for the label.
        Run only when a rule fires; remembered like ``score_text`` (a campaign's messages
        that fire share their prepared text, and the search is ~100 µs of Python)."""
        if len(text) > _MEMO_CHARS:
            return self._evidence_of(text, label, width)
        memo = self._evidence
        key = (text, label, width)
        span = memo.get(key)
        if span is None:
            span = self._evidence_of(text, label, width)
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[key] = span
        return span

    def _evidence_of(self, text: str, label: int, width: int) -> tuple[int, int]:
        for digits in (False, True):
            span = self._window(text, label, width, digits)
            if span[0] < span[1]:
                return span
        return 0, 0

    def _window(self, text: str, label: int, width: int, digits: bool) -> tuple[int, int]:
        """The evidence window in time linear in ``text`` (a 4,000-character message of one
        word repeated is ~4,000 candidate starts): weights in fixed point (exact, as
        exported), totals from prefix sums, and for each start only its widest window,
        trimmed back to the last n-gram inside it (weights that count are positive, so a
        window's total only grows with its end; the shortest widest-total window wins)."""
        margins = self._margins(label)
        size = len(text)
        at_end = [0] * (size + 1)  # fixed-point weight of the n-grams ending at each end
        starts_at: dict[int, list[int]] = {}  # end -> starts of the n-grams ending there
        for n in self.orders:
            for i in range(size - n + 1):
                gram = text[i : i + n]
                w = margins.get(gram)
                if w is not None and (digits or "0" not in gram):
                    at_end[i + n] += w
                    if i + n in starts_at:
                        starts_at[i + n].append(i)
                    else:
                        starts_at[i + n] = [i]
        if not starts_at:
            return 0, 0
        prefix = list(accumulate(at_end))  # prefix[e]: weight of n-grams ending at or before e
        begins = {i for found in starts_at.values() for i in found}
        reach = max(self.orders) - 1  # n-grams that start before a window may end inside it
        # limit[j]: the first hard break or masked link at or after j (never inside a window)
        limit = [size] * (size + 1)
        for j in range(size - 1, -1, -1):
            limit[j] = j if text[j] in _BREAKS else limit[j + 1]
        best, span = 0, (0, 0)
        for start in sorted(begins, reverse=True):  # on a tie the later start: no dead head
            stop = min(start + width, limit[start])
            if stop <= start:
                continue
            total = prefix[stop] - prefix[start]
            for e in range(start + 1, min(stop, start + reach) + 1):
                for s in starts_at.get(e, ()):
                    if s < start:  # an n-gram reaching in from the left does not count
                        total -= margins[text[s:e]]
            if total <= best:
                continue
            end = stop
            while not any(s >= start for s in starts_at.get(end, ())):
                end -= 1  # trim to the last n-gram inside: same total, shorter window
            best, span = total, (start, end)
        return span

    def _margins(self, label: int) -> dict[str, int]:
        """The n-grams that speak for ``label`` against every ham label, and by how much
        (fixed point, exact: weights are exported with 4 decimals); built on first use."""
        found = self.margins.get(label)
        if found is None:
            ham = [i for i, name in enumerate(self.labels) if name in HAM]
            found = {}
            for gram, v in self.weights.items():
                w = v[label] - max(v[h] for h in ham)
                if w > 0:
                    found[gram] = round(w * _SCALE)
            self.margins[label] = found
        return found


def _gram_order(gram: str) -> tuple[int, ...]:
    # pyahocorasick scans a node's children linearly, in insertion order: with the common
    # characters first (digits and Latin letters before all, as in engine.match), a scan
    # step compares a few children instead of hundreds (~20% of score_text).
    rank = char_rank()
    rest = len(rank)
    return tuple(-1 if ch.isascii() else rank.get(ch, rest) for ch in gram)


def model_from_dict(data: dict[str, Any], digest: str = "") -> ContentModel:
    """Build the model from the exported JSON (validated: raises ValueError)."""
    if data.get("format") != MODEL_FORMAT:
        raise ValueError(f"format {data.get('format')!r}, expected {MODEL_FORMAT}")
    labels = tuple(str(x) for x in data["labels"])
    orders = tuple(int(x) for x in data["orders"])
    bias = tuple(float(x) for x in data["bias"])
    raw = data["weights"]
    if not isinstance(raw, dict) or len(bias) != len(labels) or not orders:
        raise ValueError("weights must be an object, bias have one value per label")
    weights: dict[str, tuple[float, ...]] = {}
    for gram, vec in raw.items():
        if len(vec) != len(labels):
            raise ValueError(f"n-gram {gram!r} has {len(vec)} weights for {len(labels)} labels")
        weights[gram] = tuple(float(x) for x in vec)
    thresholds = {str(k): float(v) for k, v in data["thresholds"].items()}
    return ContentModel(labels, orders, bias, weights, thresholds, digest)


def models_dir() -> Path:
    """XINSHI_MODELS, else models/ of a source checkout, else the copy bundled in the wheel."""
    env = os.environ.get("XINSHI_MODELS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "models", here / "bundled_models"):
        if candidate.is_dir():
            return candidate
    return here.parent / "models"


def model_path(name: str) -> Path:
    """The file of the model called ``name`` (``content`` -> models/content.json)."""
    return models_dir() / f"{name}.json"


def load_model(path: Path) -> ContentModel:
    """Load a model file (cached by path, size and modification time)."""
    try:
        st = path.stat()
    except OSError:
        raise ModelFileError(f"model file {path} does not exist; {FIX}") from None
    return _load(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: str, size: int, mtime: int) -> ContentModel:
    del size, mtime  # cache keys only
    try:
        raw = Path(path).read_bytes()
        return model_from_dict(orjson.loads(raw), hashlib.sha256(raw).hexdigest()[:12])
    except (OSError, orjson.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"model file {path} cannot be read ({exc}); {FIX}") from None
