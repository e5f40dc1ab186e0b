"""model: a learned content classifier (``models/<model>.json``) as evidence for a category.

The model scores the message once (cached on the context, shared by every model rule); the
rule for ``label`` fires when P(label) reaches its threshold and no other rule already found
its category. The finding covers the few characters that weigh most for the label, not the
whole message. It is a statistical judgement: rules say ``severity: warn`` (review).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from engine.content_model.model import ContentModel, ModelFileError, Scores, load_model, model_path
from engine.rule_types.base import Builder, BuildError, MessageTypeName, Rule, RuleMeta, RuleSpec
from engine.rule_types.context import Context
from engine.verdict import Finding

_TYPES: tuple[MessageTypeName, ...] = ("marketing", "notification")


class ModelSpec(RuleSpec):
    """YAML fields of a ``model`` rule."""

    KIND: ClassVar[str] = "model"
    kind: Literal["model"] = "model"
    model: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # models/<model>.json
    label: str  # the model label this rule reports; must equal the rule's category
    threshold: float | None = Field(default=None, gt=0.0, lt=1.0)  # default: the model's
    width: int = Field(default=12, ge=2, le=40)  # characters of the evidence span, at most
    # verification codes are short and templated: the model is not trained to judge them
    types: list[MessageTypeName] = Field(default_factory=lambda: list(_TYPES))

    @model_validator(mode="after")
    def _label_is_category(self) -> ModelSpec:
        if self.label != self.category:
            raise ValueError(
                f"label {self.label!r} differs from category {self.category!r}: a model rule "
                "reports its label as its category. Set both to the same value"
            )
        return self

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Load the model (once per file) and build the runtime rule."""
        del build
        try:
            model = load_model(model_path(self.model))
        except ModelFileError as exc:
            raise BuildError("model", str(exc)) from None
        if self.label not in model.labels:
            known = ", ".join(model.labels)
            raise BuildError(
                "label", f"model {self.model!r} has no label {self.label!r}. Known: {known}"
            )
        threshold = (
            self.threshold if self.threshold is not None else model.thresholds.get(self.label)
        )
        if threshold is None:
            raise BuildError(
                "threshold",
                f"model {self.model!r} has no threshold for {self.label!r}; set threshold",
            )
        return ModelRule(meta, model, model.index(self.label), threshold, self.width)


class ModelRule(Rule):
    """Runtime ``model`` rule (plain data: picklable)."""

    __slots__ = ("key", "label", "model", "threshold", "width")
    LATE: ClassVar[bool] = True  # runs after the other rules, to see what they found

    def __init__(
        self, meta: RuleMeta, model: ContentModel, label: int, threshold: float, width: int
    ) -> None:
        super().__init__(meta)
        self.model, self.label, self.threshold, self.width = model, label, threshold, width
        self.key = f"model:{model.digest}"  # where the context caches this model's scores

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report the evidence window when the label's probability reaches the threshold."""
        scores = _scores(ctx, self.key, self.model)
        if scores.probs[self.label] < self.threshold:
            return ()
        category = self.meta.category
        if any(f.category == category for f in ctx.findings):
            return ()  # a word list or pattern already said it, with a better span
        start, end = self.model.evidence(scores.text, self.label, self.width)
        if start >= end:
            return ()
        s, e = ctx.norm.skeleton_span(scores.offset + start, scores.offset + end)
        return (ctx.finding(self.meta, s, e),)


def _scores(ctx: Context, key: str, model: ContentModel) -> Scores:
    """Score the message once per model, whatever number of rules ask."""
    cached = ctx.__dict__.get(key)
    if cached is None:
        cached = ctx.__dict__[key] = model.score(ctx.norm, ctx.zones.body)
    return cached
