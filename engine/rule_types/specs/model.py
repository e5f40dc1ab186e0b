"""model: a learned content classifier (``models/<model>.json``) as evidence for a category.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.model``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from engine.content_model.model import ModelFileError, load_model, model_path
from engine.rule_types.base import Builder, BuildError, MessageTypeName, Rule, RuleMeta
from engine.rule_types.model import _TYPES, ModelRule
from engine.rule_types.specs.base import RuleSpec
from engine.rule_types.specs.matcher import MatcherSpec


class ModelSpec(RuleSpec):
    """YAML fields of a ``model`` rule."""

    KIND: ClassVar[str] = "model"
    kind: Literal["model"] = "model"
    model: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # models/<model>.json
    label: str  # the model label this rule reports; must equal the rule's category
    threshold: float | None = Field(default=None, gt=0.0, lt=1.0)  # default: the model's
    width: int = Field(default=12, ge=2, le=40)  # characters of the evidence span, at most
    # a matcher whose hit excuses the message: an anti-fraud notice quotes the script it warns
    # against (凡称“医保卡已停用”的均为诈骗), which reads like the script to the model
    unless: MatcherSpec | None = None
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
        unless = self.unless.compile(build, meta.id, meta.zones) if self.unless else None
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
        return ModelRule(meta, model, model.index(self.label), threshold, self.width, unless)
