"""Exported weights -> fast, dependency-free scoring (a dot product and a sigmoid).

The model is trained with scikit-learn (engine/score/train.py) but never *loaded* through it:
the artifact is a plain JSON file of weights, so loading runs no code (no pickle), and one
score costs a few µs instead of the ~170 µs of ``predict_proba`` on one row, which is almost
all input validation. tests/score/test_model.py asserts both give the same numbers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from engine.message import Message
from engine.score.features import FEATURE_NAMES, features

MODEL_FILE = "engagement.json"
FORMAT = 1


class ModelError(ValueError):
    """A model file is missing, unreadable or does not match this version's features."""


class Contribution(NamedTuple):
    """One present feature and what dropping it would change, in probability units."""

    feature: str
    value: float
    effect: float  # p(x) - p(x with this feature at its baseline 0)


@dataclass(frozen=True, slots=True)
class EngagementModel:
    """A logistic model of P(click | sent) over FEATURE_NAMES, for a reference audience.

    ``controls`` are audience coefficients learned in training (e.g. ``vip``); scoring holds
    them at 0, so a score is the click rate for a regular recipient.
    """

    version: str
    feature_names: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    controls: Mapping[str, float]
    meta: Mapping[str, Any]

    @property
    def trained_on(self) -> str:
        """'simulated' or 'events' (real logs)."""
        return str(self.meta.get("trained_on", "unknown"))

    def logit(self, x: tuple[float, ...]) -> float:
        """Return the linear predictor for a feature vector."""
        z = self.intercept
        for w, v in zip(self.coef, x, strict=True):
            if v:
                z += w * v
        return z

    def predict(self, message: Message) -> float:
        """Return the predicted click rate of one message."""
        return _sigmoid(self.logit(features(message)))

    def explain(self, message: Message) -> tuple[float, list[Contribution]]:
        """Return the predicted rate and the drop-one effect of every present feature."""
        x = features(message)
        z = self.logit(x)
        p = _sigmoid(z)
        out = []
        for name, w, v in zip(self.feature_names, self.coef, x, strict=True):
            if v and w:
                out.append(Contribution(name, v, p - _sigmoid(z - w * v)))
        return p, out

    def to_dict(self) -> dict[str, Any]:
        """Return the artifact as JSON-ready data (the file format)."""
        return {
            "format": FORMAT,
            "version": self.version,
            "features": list(self.feature_names),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "controls": dict(self.controls),
            "meta": dict(self.meta),
        }


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def model_from_dict(data: Any, source: str = "<model>") -> EngagementModel:
    """Validate artifact data and build the model; errors say what is wrong and how to fix it."""
    if not isinstance(data, dict):
        raise ModelError(f"{source}: a model file is a JSON object. Retrain: xinshi model train")
    missing = [k for k in ("format", "version", "features", "coef", "intercept") if k not in data]
    if missing:
        raise ModelError(
            f"{source}: missing key(s) {', '.join(missing)}. Retrain: xinshi model train"
        )
    if data["format"] != FORMAT:
        raise ModelError(
            f"{source}: model format {data['format']!r}, this version reads {FORMAT}. "
            "Retrain: xinshi model train"
        )
    names = tuple(data["features"])
    if names != FEATURE_NAMES:
        extra = sorted(set(names) - set(FEATURE_NAMES))
        lacking = sorted(set(FEATURE_NAMES) - set(names))
        raise ModelError(
            f"{source}: trained on other features than this version computes "
            f"(unknown: {extra or '-'}; missing: {lacking or '-'}; or another order). "
            "Retrain with this version: xinshi model train"
        )
    coef = data["coef"]
    if len(coef) != len(names) or not all(
        isinstance(c, int | float) and math.isfinite(c) for c in coef
    ):
        raise ModelError(
            f"{source}: 'coef' must be {len(names)} finite numbers. Retrain: xinshi model train"
        )
    intercept = data["intercept"]
    if not isinstance(intercept, int | float) or not math.isfinite(intercept):
        raise ModelError(f"{source}: 'intercept' must be a finite number")
    return EngagementModel(
        version=str(data["version"]),
        feature_names=names,
        coef=tuple(float(c) for c in coef),
        intercept=float(intercept),
        controls={str(k): float(v) for k, v in dict(data.get("controls") or {}).items()},
        meta=dict(data.get("meta") or {}),
    )


def load_model(path: Path | str | None = None) -> EngagementModel:
    """Read a model file (JSON weights; no code runs). Default: the shipped model."""
    p = Path(path) if path is not None else default_model_path()
    if p.is_dir():
        p = p / MODEL_FILE
    try:
        data = orjson.loads(p.read_bytes())
    except OSError as exc:
        raise ModelError(
            f"{p}: cannot read the model ({exc.strerror}). Train one: xinshi model train"
        ) from None
    except orjson.JSONDecodeError as exc:
        raise ModelError(f"{p}: not valid JSON ({exc}). Retrain: xinshi model train") from None
    return model_from_dict(data, str(p))


def default_model_path() -> Path:
    """XINSHI_MODEL, else models/ of a source checkout, else the copy bundled in the wheel."""
    env = os.environ.get("XINSHI_MODEL")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "models", here / "bundled_models"):
        if (candidate / MODEL_FILE).is_file():
            return candidate / MODEL_FILE
    return here.parent / "models" / MODEL_FILE


@lru_cache(maxsize=1)
def shipped_model() -> EngagementModel:
    """The default model, loaded once per process."""
    return load_model()
