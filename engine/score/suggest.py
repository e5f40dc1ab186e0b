"""Rewrite operators: concrete edits of a draft, re-scored, re-checked and gated.

Each operator applies where its copy element is missing or harmful, and is made of the named
edit operations of :mod:`engine.rewrite.edits` (delete with punctuation repair, replace,
insert at the body's start or before the opt-out line). Operators insert template variables
(``${name}``, ``${n}``, ``${date}``) rather than inventing numbers or dates, and only into a
marketing draft that has no variables of its own (a template takes no new ones). An operator
runs only on the message types its edit lists in elements.yaml (no deadline on a
notification), and a notice is greeted by name only when its template fills a name
(:func:`may_offer`).

A rewrite is offered only if the model predicts a gain and it passes the gate
(:func:`engine.rewrite.problems`): not blocked, no finding the draft did not have (notes
aside), no new flaw of form, no new variable, the message type's purpose kept. What fails
is dropped and counted, never shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from engine.check import check
from engine.message import Message, MessageType
from engine.normalize import normalize
from engine.rewrite.edits import (
    POKE,
    POKE_REACH,
    PUNCT,
    TAKE,
    Edit,
    delete_span,
    insert_before_footer,
    insert_body_start,
    replace_span,
    zones,
)
from engine.rewrite.gate import allowed_variables, problems
from engine.rule_types.link import scan_links
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
from engine.verdict import Decision, Verdict

_GENERIC = re.compile(r"(?:尊敬的|亲爱的)[^，,：:。！!？?\s]{0,8}[，,：:]?")
_VAGUE = re.compile(r"全场[^，,。！!]{0,4}?\d+(?:\.\d+)?折起?|\d+(?:\.\d+)?折起")
_HYPE_RAW = re.compile(r"(?:" + HYPE.pattern + r")[^，,。！!？?；;\s]{0,4}")
_BANGS = re.compile(r"[！!]{2,}|[！!](?=[ \u3000]*[！!，,。])")
_OFFER_WORDS = re.compile(r"券|红包|礼|优惠|折|减|积分")
_MAX_STEPS = 20  # hype and bang deletions per draft (each removes at least one character)


def _may_add(allowed: frozenset[str], *names: str) -> bool:
    """Whether the draft may take these variables (``allowed``: of the draft as written, so a
    combined rewrite's later steps are not refused the placeholders of its earlier ones)."""
    return set(names) <= allowed


def _add_name(text: str, kind: MessageType, allowed: frozenset[str]) -> str | None:
    if NAME_SALUTATION.search(fold(text)) or not _may_add(allowed, "name"):
        return None
    ins = elements().edits["name_salutation"].insert or ""
    m = _GENERIC.search(text, zones(text).body[0])
    if m and m.start() - zones(text).body[0] <= 1:
        return replace_span(text, m.start(), m.end(), ins).apply(text)
    return insert_body_start(text, ins).apply(text)


def _specific_offer(text: str, kind: MessageType, allowed: frozenset[str]) -> str | None:
    t = fold(text)
    if SPECIFIC_OFFER.search(t) or not VAGUE_OFFER.search(t):
        return None  # never invent an offer the draft does not have
    if not _may_add(allowed, "n", "a", "b"):
        return None
    m = _VAGUE.search(text)
    if m is None:
        return None
    ins = elements().edits["specific_offer"].insert or ""
    before = text[m.start() - 1] if m.start() > zones(text).body[0] else ""
    if before and before not in PUNCT and not before.isspace():
        ins = "，" + ins  # 双11部分商品5折起 -> 双11部分商品，您有${n}张…
    return replace_span(text, m.start(), m.end(), ins).apply(text)


def _add_deadline(text: str, kind: MessageType, allowed: frozenset[str]) -> str | None:
    if DEADLINE.search(fold(text)) or not _may_add(allowed, "date"):
        return None
    return insert_before_footer(text, elements().edits["deadline"].insert or "").apply(text)


def _bang_edit(text: str, start: int, end: int) -> Edit:
    """A run of ！: a comma between two clauses, a full stop before the opt-out line, gone
    next to another mark or at the very end."""
    z = zones(text)
    body_start, body_end = z.body
    before = text[start - 1] if start > body_start else ""
    rest = text[end:body_end].lstrip(" \u3000")
    if before and before not in PUNCT and not rest and z.footer is not None:
        return replace_span(text, start, end, "。")
    if not before or before in PUNCT or not rest or rest[0] in PUNCT:
        return delete_span(text, start, end)
    return replace_span(text, start, end, "，")


def _drop_hype(text: str, kind: MessageType, allowed: frozenset[str]) -> str | None:
    out = text
    for _ in range(_MAX_STEPS):
        m = _HYPE_RAW.search(out)
        if m is None:
            break
        out = delete_span(out, m.start(), m.end()).apply(out)
    for _ in range(_MAX_STEPS):
        m = _BANGS.search(out)
        if m is None:
            break
        out = _bang_edit(out, m.start(), m.end()).apply(out)
    return out if out != text else None


def _clear_cta(text: str, kind: MessageType, allowed: frozenset[str]) -> str | None:
    if CLEAR_CTA.search(fold(text)):
        return None
    links = scan_links(normalize(text))
    if not links:
        return None
    link = links[0]
    edit = elements().edits["clear_cta"]
    poke = POKE.search(text, max(0, link.start - POKE_REACH), link.start)
    start = poke.start() if poke else link.start
    url = text[link.start : link.end]
    take = TAKE.match(text[link.end :])
    if take and take.group("clear"):  # 戳 t.cn/x 查看 -> 点击 t.cn/x 查看
        return replace_span(text, start, link.end, "点击 " + url).apply(text)
    end = link.end + (take.end() if take else 0)  # 点 t.cn/x 抢购 -> 点击 t.cn/x 领取
    offer = kind is MessageType.MARKETING and _OFFER_WORDS.search(text)
    new = ((edit.insert_offer if offer else edit.insert) or "").replace("{link}", url)
    gap = len(text[end:]) - len(text[end:].lstrip(" \u3000"))
    nxt = text[end + gap : end + gap + 1]
    if nxt in PUNCT:
        end += gap  # 领取 ， -> 领取，(the space only kept the link apart)
    elif nxt and not nxt.isspace():
        new += "，"
    return replace_span(text, start, end, new).apply(text)


Operator = Callable[[str, MessageType, frozenset[str]], "str | None"]
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


class Rewrites(NamedTuple):
    """The rewrites that passed the gate, best first, and why the others were dropped."""

    kept: list[Suggestion]
    dropped: list[tuple[str, str, list[str]]]  # (operator, text, the gate's reasons)


def _describe(op: str, before: str, kind: MessageType) -> str:
    edit = elements().edits[op]
    old = ""
    if op == "specific_offer":
        m = _VAGUE.search(before)
        old = m.group() if m else ""
    elif op == "hype":
        old = "、".join(
            dict.fromkeys(m.group() for m in re.finditer(HYPE.pattern + "|[！!]+", before))
        )
    elif op == "clear_cta":
        offer = kind is MessageType.MARKETING and _OFFER_WORDS.search(before)
        old = ((edit.insert_offer if offer else edit.insert) or "").replace("{link}", "链接")
    return edit.describe.replace("{old}", old)


def applies(op: str, kind: MessageType) -> bool:
    """Whether an operator may rewrite a message of this type (elements.yaml ``types``)."""
    return kind.value in elements().edits[op].types


def may_offer(op: str, message: Message) -> bool:
    """Whether ``message`` may be offered the operator's rewrite at all: its type takes it,
    and a greeting by name goes only to marketing or to a template that fills a name."""
    if not applies(op, message.type):
        return False
    if op == "name_salutation" and message.type is not MessageType.MARKETING:
        return "name" in allowed_variables(message.text, message.type)
    return True


def rewrites(
    message: Message,
    model: EngagementModel,
    ruleset: RuleSet | None = None,
    min_gain: float = 0.001,
) -> Rewrites:
    """Apply each operator; keep rewrites that pass the gate and gain, best first."""
    base = model.predict(message)
    before = check(message, ruleset)
    kept: list[Suggestion] = []
    dropped: list[tuple[str, str, list[str]]] = []
    combined, applied = message.text, 0
    allowed = frozenset(allowed_variables(message.text, message.type))
    for op, apply in OPERATORS.items():
        if not may_offer(op, message):
            continue
        new = apply(message.text, message.type, allowed)
        if new is None or new == message.text:
            continue
        s = _evaluate(message, new, op, _describe(op, message.text, message.type), base, model)
        if s.gain < min_gain:
            continue
        bad, verdict = _gate(message, new, before, ruleset)
        if bad == ["blocked"] and before.verdict is Decision.BLOCK:
            continue  # the draft's own block: fix it first (the page says so); not a flaw
        if bad:
            dropped.append((op, new, bad))
            continue
        kept.append(replace(s, verdict=verdict))
        step = apply(combined, message.type, allowed)
        if step is not None:
            combined, applied = step, applied + 1
    if applied > 1:
        describe = elements().edits["combined"].describe
        s = _evaluate(message, combined, "combined", describe, base, model)
        if s.gain >= min_gain:
            bad, verdict = _gate(message, combined, before, ruleset)
            if bad == ["blocked"] and before.verdict is Decision.BLOCK:
                pass
            elif bad:
                dropped.append(("combined", combined, bad))
            else:
                kept.append(replace(s, verdict=verdict))
    kept.sort(key=lambda s: -s.gain)
    return Rewrites(kept, dropped)


def suggest(
    message: Message,
    model: EngagementModel,
    ruleset: RuleSet | None = None,
    min_gain: float = 0.001,
) -> list[Suggestion]:
    """Return the rewrites that pass the gate and gain, best first."""
    return rewrites(message, model, ruleset, min_gain).kept


def _gate(
    message: Message, text: str, before: Verdict, ruleset: RuleSet | None
) -> tuple[list[str], str]:
    """The gate's reasons against ``text`` and its verdict."""
    after = check(replace(message, text=text), ruleset)
    return problems(message, text, after, before), after.verdict.value


def _evaluate(
    message: Message, text: str, op: str, edit: str, base: float, model: EngagementModel
) -> Suggestion:
    p = model.predict(replace(message, text=text))
    return Suggestion(op, edit, text, p, p - base, "")


__all__ = ["OPERATORS", "Rewrites", "Suggestion", "applies", "may_offer", "rewrites", "suggest"]
