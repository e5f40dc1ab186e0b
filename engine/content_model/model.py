"""Score a message with the exported content model: pure Python, no numpy or sklearn.

Features are the distinct character n-grams of the skeleton view of the normalized text
(``engine.normalize``: folded, traditional -> simplified, look-alikes folded, noise removed),
with every ASCII digit read as ``0`` so that numbers and contacts share their n-grams. The
score of a class is its bias plus the weights of the n-grams present (binary features); the
probabilities are their softmax. Training (``train.py``) uses the same ``grams`` function.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from bisect import bisect_left
from functools import lru_cache
from operator import add
from pathlib import Path

import orjson

from engine.normalize import HARD_BREAKS, Normalized

MODEL_FORMAT = 1
_SCALE = 10_000  # weights are exported with 4 decimals: exact in fixed point
_OFFSET = 1 << 22  # keeps every field positive: |weight| < 419
_FIELD = 52  # bits per label: sums of up to 2**29 n-grams cannot carry into the next field
_MASK = (1 << _FIELD) - 1
_DIGITS = str.maketrans("123456789", "000000000")
FIX = (
    "retrain it with `python -m engine.content_model.train` (needs the dev extras) "
    "or restore models/content.json from git"
)


class ModelFileError(ValueError):
    """The model file is missing or unreadable; the message names the file and the fix."""


def prepared(norm: Normalized, body: tuple[int, int] | None = None) -> tuple[str, int]:
    """The text the model reads: the skeleton of the body (original span ``body``; None: the
    whole message), digits as 0, one character per character; and its skeleton offset.

    The 【signature】 and the opt-out footer are left out: they say who sends and that the
    text is marketing, not what it is about (news-like text has neither).
    """
    text = norm.skeleton.text
    start, end = 0, len(text)
    if body is not None and (body[0] > 0 or body[1] < len(norm.original)):
        starts = norm.skeleton_starts()
        if starts is not None:
            start, end = bisect_left(starts, body[0]), bisect_left(starts, body[1])
        else:
            start, end = min(body[0], end), min(body[1], end)
    return text[start:end].translate(_DIGITS), start


def grams(text: str, orders: tuple[int, ...]) -> set[str]:
    """The distinct character n-grams of ``text`` for each order."""
    out: set[str] = set()
    for n in orders:
        if n == 1:
            out.update(text)
        elif n == 2:
            out.update(map(add, text, text[1:]))
        elif n == 3:
            out.update(map(add, map(add, text, text[1:]), text[2:]))
        else:
            out.update(text[i : i + n] for i in range(len(text) - n + 1))
    return out


@dataclass(frozen=True, slots=True)
class Scores:
    """The model's answer for one message: the probability of each label."""

    probs: tuple[float, ...]
    text: str  # the prepared text that was scored
    offset: int  # skeleton index of its first character


@dataclass(frozen=True)
class ContentModel:
    """Exported weights: label -> bias, n-gram -> one weight per label."""

    labels: tuple[str, ...]
    orders: tuple[int, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    thresholds: dict[str, float]
    digest: str  # sha256 of the file, so a ruleset can say which weights it used
    vocab: frozenset[str] = frozenset()
    # n-gram -> its weights as one integer: field i holds round(w_i * _SCALE) + _OFFSET, so
    # summing a message's n-grams is one C-level sum, exact and deterministic
    packed: dict[str, int] = field(default_factory=dict)

    def index(self, label: str) -> int:
        """Position of ``label`` in the score vectors."""
        return self.labels.index(label)

    def score_text(self, text: str) -> tuple[float, ...]:
        """Probabilities of every label for a prepared text."""
        # C-level loops only: a set intersection, then one sum of packed integers
        hits = grams(text, self.orders) & self.vocab
        total = sum(map(self.packed.__getitem__, hits))
        base = len(hits) * _OFFSET
        logits = [
            b + (((total >> (_FIELD * i)) & _MASK) - base) / _SCALE
            for i, b in enumerate(self.bias)
        ]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return tuple(e / total for e in exps)

    def score(self, norm: Normalized, body: tuple[int, int] | None = None) -> Scores:
        """Score a normalized message (its ``body`` span of the original text, if given)."""
        text, offset = prepared(norm, body)
        return Scores(self.score_text(text), text, offset)

    def evidence(self, text: str, label: int, width: int = 12) -> tuple[int, int]:
        """The window of at most ``width`` characters of ``text``, inside one clause, whose
        n-grams weigh most for ``label`` against the ham labels: [start, end) of ``text``
        (empty when no n-gram speaks for the label)."""
        ham = [i for i, name in enumerate(self.labels) if name in ("clean", "news")]
        # ends[e]: (start, weight) of the n-grams ending at e that speak for the label
        ends: list[list[tuple[int, float]]] = [[] for _ in range(len(text) + 1)]
        for n in self.orders:
            for i in range(len(text) - n + 1):
                v = self.weights.get(text[i : i + n])
                if v is not None:
                    w = v[label] - max(v[h] for h in ham)
                    if w > 0:
                        ends[i + n].append((i, w))
        best, span = 0.0, (0, 0)
        for start in range(len(text)):
            total = 0.0
            for end in range(start + 1, min(len(text), start + width) + 1):
                if text[end - 1] in HARD_BREAKS:
                    break  # evidence stays inside one clause
                total += sum(w for s, w in ends[end] if s >= start)
                if total > best:
                    best, span = total, (start, end)
        return span


def model_from_dict(data: dict[str, object], digest: str = "") -> ContentModel:
    """Build the model from the exported JSON (validated: raises ValueError)."""
    if data.get("format") != MODEL_FORMAT:
        raise ValueError(f"format {data.get('format')!r}, expected {MODEL_FORMAT}")
    labels = tuple(str(x) for x in data["labels"])  # type: ignore[attr-defined]
    orders = tuple(int(x) for x in data["orders"])  # type: ignore[attr-defined]
    bias = tuple(float(x) for x in data["bias"])  # type: ignore[attr-defined]
    raw = data["weights"]
    if not isinstance(raw, dict) or len(bias) != len(labels):
        raise ValueError("weights must be an object and bias have one value per label")
    weights: dict[str, tuple[float, ...]] = {}
    for gram, vec in raw.items():
        if len(vec) != len(labels):
            raise ValueError(f"n-gram {gram!r} has {len(vec)} weights for {len(labels)} labels")
        weights[gram] = tuple(float(x) for x in vec)
    thresholds = {str(k): float(v) for k, v in data["thresholds"].items()}  # type: ignore[attr-defined]
    packed: dict[str, int] = {}
    for gram, vec in weights.items():
        value = 0
        for i, w in enumerate(vec):
            q = round(w * _SCALE)
            if abs(q) >= _OFFSET:
                raise ValueError(f"n-gram {gram!r} weight {w} is out of range")
            value |= (q + _OFFSET) << (_FIELD * i)
        packed[gram] = value
    return ContentModel(
        labels, orders, bias, weights, thresholds, digest, frozenset(weights), packed
    )


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
