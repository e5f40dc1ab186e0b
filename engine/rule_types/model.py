"""model: a learned content classifier (``models/<model>.json``) as evidence for a category.

The model scores the message once (cached on the context, shared by every model rule); the
rule for ``label`` fires when P(label) reaches its threshold, no other rule already found
its category and its optional ``unless`` matcher finds nothing. The finding covers the few
characters that weigh most for the label, not the whole message. It is a statistical
judgement: rules say ``severity: warn`` (review).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from engine.content_model.model import ContentModel, Scores
from engine.rule_types.base import MessageTypeName, Rule, RuleMeta
from engine.rule_types.context import Context
from engine.rule_types.link import find_links
from engine.rule_types.matcher import Matcher
from engine.verdict import Finding
from engine.word_boundaries import SEGMENTER

SNAP = 3  # characters a model span may grow on each side to reach a word edge

_TYPES: tuple[MessageTypeName, ...] = ("marketing", "notification")


class ModelRule(Rule):
    """Runtime ``model`` rule (plain data: picklable)."""

    __slots__ = ("key", "label", "model", "threshold", "unless", "width")
    LATE: ClassVar[bool] = True  # runs after the other rules, to see what they found

    def __init__(
        self,
        meta: RuleMeta,
        model: ContentModel,
        label: int,
        threshold: float,
        width: int,
        unless: Matcher | None = None,
    ) -> None:
        super().__init__(meta)
        self.model, self.label, self.threshold, self.width = model, label, threshold, width
        self.unless = unless  # a hit excuses the message (a warning that quotes a script)
        self.key = f"model:{model.digest}"  # where the context caches this model's scores

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report the evidence window when the label's probability reaches the threshold."""
        scores = _scores(ctx, self.key, self.model)
        if scores.probs[self.label] < self.threshold:
            return ()
        category = self.meta.category
        if any(f.category == category for f in ctx.findings):
            return ()  # a word list or pattern already said it, with a better span
        if self.unless is not None and self.unless.found(ctx):
            return ()
        start, end = self.model.evidence(scores.text, self.label, self.width)
        if start >= end:
            return ()
        start, end = _snapped(scores.text, start, end)
        s, e = ctx.norm.skeleton_span(scores.offset + start, scores.offset + end)
        return (ctx.finding(self.meta, s, e),)


def _snapped(text: str, start: int, end: int) -> tuple[int, int]:
    """The evidence window [start, end) of ``text`` grown to jieba's word edges, by at most
    SNAP characters on each side: n-gram weights end where they end (木沙发全城底价), a
    reader's eye at a word (实木沙发全城底价). Runs only when a model rule fires."""
    lo, hi = max(0, start - SNAP - 8), min(len(text), end + SNAP + 8)
    edges = {b + lo for b in SEGMENTER.boundaries(text[lo:hi])}
    edges.discard(lo if lo else -1)  # the cut ends of the window are no word edges
    edges.discard(hi if hi < len(text) else -1)
    if start in edges or not (left := [b for b in edges if start - SNAP <= b < start]):
        new_start = start
    else:
        new_start = max(left)
    if end in edges or not (right := [b for b in edges if end < b <= end + SNAP]):
        new_end = end
    else:
        new_end = min(right)
    return new_start, new_end


def _scores(ctx: Context, key: str, model: ContentModel) -> Scores:
    """Score the message once per model, whatever number of rules ask."""
    cached = ctx.__dict__.get(key)
    if cached is None:
        cached = ctx.__dict__[key] = model.score(ctx.norm, ctx.zones.body, find_links(ctx))
    return cached
