"""Engagement model: score a draft's predicted click rate, explain it, suggest compliant rewrites.

    features(message)        -> the feature vector (ONE function for training and scoring)
    score(message)           -> Score(score, reasons, suggestions)
    check_scored(message)    -> the compliance Verdict with an added ``score`` block
    load_model(path)         -> EngagementModel from plain JSON weights

The shipped model (models/engagement.json) is trained on SIMULATED sends: its numbers show
how drafts compare under documented assumptions, not what real customers will do. Retrain
on your own randomised A/B logs with ``xinshi model train --events FILE`` (models/CARD.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from engine.check import check
from engine.message import Message, make_message
from engine.ruleset import RuleSet
from engine.score.elements import elements
from engine.score.features import FEATURE_NAMES, features
from engine.score.model import EngagementModel, ModelError, load_model, shipped_model
from engine.score.suggest import Suggestion, may_offer, rewrites
from engine.verdict import Verdict

__all__ = [
    "FEATURE_NAMES",
    "EngagementModel",
    "ModelError",
    "Reason",
    "Score",
    "Suggestion",
    "check_scored",
    "features",
    "load_model",
    "reason_text",
    "score",
    "shipped_model",
]

MIN_EFFECT = 0.0005  # reasons smaller than 0.05 percentage points are noise to a copywriter


class Reason(NamedTuple):
    """Why the score is what it is: one present element and its drop-one effect."""

    feature: str
    effect: float  # change in predicted click rate if the element were absent (probability)
    text: str  # in Chinese, with what to do

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {"feature": self.feature, "effect": round(self.effect, 5), "text": self.text}


@dataclass(frozen=True, slots=True)
class Score:
    """A draft's predicted click rate, its reasons and compliant rewrites."""

    score: float
    reasons: tuple[Reason, ...]
    suggestions: tuple[Suggestion, ...]
    model_version: str
    trained_on: str
    dropped: int = 0  # rewrites that failed the quality gate (engine.rewrite), never shown

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data (the ``score`` block of a verdict)."""
        return {
            "score": round(self.score, 5),
            "reasons": [r.to_dict() for r in self.reasons],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "dropped": self.dropped,
            "model": {"version": self.model_version, "trained_on": self.trained_on},
        }


def reason_text(feature: str, effect: float, message: Message | None = None) -> str:
    """Say what an element does, in Chinese, in the direction of its sign: a gain as
    "提高", a loss as "降低" with the advice; never one with the other's words. Advice that
    stands for a rewrite ``message`` does not take (a coupon, or a greeting by name on a
    notice whose template fills no name) is left out."""
    e = elements().features[feature]
    way = "提高" if effect > 0 else "降低"
    text = f"{e.reason}，预计使点击率{way}{abs(effect) * 100:.1f}个百分点"
    extra = e.upgrade if effect > 0 else e.advice
    if e.edit and message is not None and not may_offer(e.edit, message):
        extra = None
    return f"{text}；{extra}" if extra else text


def explain(message: Message, model: EngagementModel) -> tuple[float, tuple[Reason, ...]]:
    """Return the predicted click rate and the reasons, largest effect first."""
    p, parts = model.explain(message)
    reasons = [
        Reason(c.feature, c.effect, reason_text(c.feature, c.effect, message))
        for c in parts
        if abs(c.effect) >= MIN_EFFECT
    ]
    reasons.sort(key=lambda r: -abs(r.effect))
    return p, tuple(reasons)


def score(
    message: Message | str,
    model: EngagementModel | None = None,
    ruleset: RuleSet | None = None,
    *,
    suggestions: bool = True,
) -> Score:
    """Score one draft: predicted click rate, reasons, and rewrites that pass the check."""
    m = model if model is not None else shipped_model()
    msg = make_message(message) if isinstance(message, str) else message
    p, reasons = explain(msg, m)
    if not suggestions:
        return Score(p, reasons, (), m.version, m.trained_on)
    found = rewrites(msg, m, ruleset)
    return Score(p, reasons, tuple(found.kept), m.version, m.trained_on, len(found.dropped))


def check_scored(
    message: Message | str,
    ruleset: RuleSet | None = None,
    model: EngagementModel | None = None,
) -> Verdict:
    """Check a message and add the engagement ``score`` block (engine.check stays as fast)."""
    msg = make_message(message) if isinstance(message, str) else message
    verdict = check(msg, ruleset)
    return replace(verdict, score=score(msg, model, ruleset).to_dict())
