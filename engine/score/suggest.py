"""Rewrite operators: concrete edits of a draft, re-scored and re-checked for compliance.

Each operator applies where its copy element is missing or harmful, and inserts template
variables (``${name}``, ``${n}``, ``${date}``) rather than inventing numbers or dates: the
copywriter or the sending platform fills them. A rewrite is offered only if the compliance
check does not block it and the model predicts a gain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from engine.check import check
from engine.message import Message
from engine.ruleset import RuleSet
from engine.score.elements import elements
from engine.score.features import (
    CLEAR_CTA,
    DEADLINE,
    HYPE,
    NAME_SALUTATION,
    SPECIFIC_OFFER,
    VAGUE_OFFER,
    fold,
)
from engine.score.model import EngagementModel
from engine.verdict import Decision

_SIGNATURE = re.compile(r"^\s*【[^】]{1,20}】")
_GENERIC = re.compile(r"(?:尊敬的|亲爱的)[^，,：:。！!？?\s]{0,8}[，,：:]?")
_VAGUE = re.compile(r"全场[^，,。！!]{0,4}?\d+(?:\.\d+)?折起?|\d+(?:\.\d+)?折起")
_TAIL = re.compile(
    r"[，,。.\s]*(?:拒收请?回复?\s*[Rr]|回复?\s*[Tt][Dd]?\s*退订|退订回[Tt])[。.]?\s*$"
)
_HYPE_RAW = re.compile(r"(?:" + HYPE.pattern + r")[^，,。！!]{0,4}")
_BANGS = re.compile(r"[！!]+")
_URL = re.compile(r"(?:https?://)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?:/[\w./?=&%#-]*)?")
_POKE = re.compile(r"(?:猛戳|戳|点我|点|详见|访问|登录)\s*$")


def _tidy(text: str) -> str:
    text = re.sub(r"[，,]{2,}", "，", text)
    text = re.sub(r"】[，,]", "】", text)
    text = re.sub(r"[，,]([。.])", r"\1", text)
    return text


def _add_name(text: str) -> str | None:
    if NAME_SALUTATION.search(fold(text)):
        return None
    ins = elements().edits["name_salutation"].insert or ""
    m = _GENERIC.search(text)
    if m:
        return text[: m.start()] + ins + text[m.end() :]
    sig = _SIGNATURE.match(text)
    at = sig.end() if sig else 0
    return text[:at] + ins + text[at:]


def _specific_offer(text: str) -> str | None:
    t = fold(text)
    if SPECIFIC_OFFER.search(t) or not VAGUE_OFFER.search(t):
        return None  # never invent an offer the draft does not have
    m = _VAGUE.search(text)
    if m is None:
        return None
    return text[: m.start()] + (elements().edits["specific_offer"].insert or "") + text[m.end() :]


def _add_deadline(text: str) -> str | None:
    if DEADLINE.search(fold(text)):
        return None
    ins = "，" + (elements().edits["deadline"].insert or "")
    m = _TAIL.search(text)
    if m:
        return _tidy(text[: m.start()] + ins + text[m.start() :])
    body = text.rstrip().rstrip("。.")
    return body + ins + "。"


def _drop_hype(text: str) -> str | None:
    t = fold(text)
    if not HYPE.search(t) and "!" not in t:
        return None
    out = _HYPE_RAW.sub("", text)
    out = _BANGS.sub("，", out)
    out = _tidy(out)
    out = re.sub(r"[，,]\s*$", "", out)
    return out if out != text else None


def _clear_cta(text: str) -> str | None:
    if CLEAR_CTA.search(fold(text)):
        return None
    m = _URL.search(text)
    if m is None:
        return None
    head = _POKE.sub("", text[: m.start()]).rstrip()
    tail = text[m.end() :]
    return head + "点击 " + m.group() + " 领取" + tail


Operator = Callable[[str], "str | None"]
OPERATORS: dict[str, Operator] = {
    "specific_offer": _specific_offer,
    "name_salutation": _add_name,
    "hype": _drop_hype,
    "deadline": _add_deadline,
    "clear_cta": _clear_cta,
}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One compliant rewrite and its predicted gain."""

    operator: str
    edit: str  # what was changed, in Chinese
    text: str  # the rewritten draft
    score: float
    gain: float  # score - score of the original
    verdict: str  # compliance verdict of the rewrite: allow or review

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {
            "operator": self.operator,
            "edit": self.edit,
            "text": self.text,
            "score": round(self.score, 5),
            "gain": round(self.gain, 5),
            "verdict": self.verdict,
        }


def _describe(op: str, before: str) -> str:
    edit = elements().edits[op]
    old = ""
    if op == "specific_offer":
        m = _VAGUE.search(before)
        old = m.group() if m else ""
    elif op == "hype":
        old = "、".join(
            dict.fromkeys(m.group() for m in re.finditer(HYPE.pattern + "|[！!]+", before))
        )
    return edit.describe.replace("{old}", old)


def suggest(
    message: Message,
    model: EngagementModel,
    ruleset: RuleSet | None = None,
    min_gain: float = 0.001,
) -> list[Suggestion]:
    """Apply each operator, keep rewrites that pass the check and gain, best first."""
    base = model.predict(message)
    out: list[Suggestion] = []
    combined = message.text
    applied = 0
    for op, apply in OPERATORS.items():
        new = apply(message.text)
        if new is None or new == message.text:
            continue
        s = _evaluate(message, new, op, _describe(op, message.text), base, model, ruleset)
        if s is not None and s.gain >= min_gain:
            out.append(s)
            step = apply(combined)
            if step is not None:
                combined, applied = step, applied + 1
    if applied > 1:
        s = _evaluate(
            message,
            combined,
            "combined",
            elements().edits["combined"].describe,
            base,
            model,
            ruleset,
        )
        if s is not None and s.gain >= min_gain:
            out.append(s)
    out.sort(key=lambda s: -s.gain)
    return out


def _evaluate(
    message: Message,
    text: str,
    op: str,
    edit: str,
    base: float,
    model: EngagementModel,
    ruleset: RuleSet | None,
) -> Suggestion | None:
    rewritten = replace(message, text=text)
    verdict = check(rewritten, ruleset)
    if verdict.verdict is Decision.BLOCK:
        return None
    p = model.predict(rewritten)
    return Suggestion(op, edit, text, p, p - base, verdict.verdict.value)
