"""rules/ruleset.yaml: provider profiles, industries and the global allow-lists."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from engine.message import MessageType
from engine.rule_types.base import RuleMeta, known_category
from engine.rule_types.send_window import parse_hhmm
from engine.rule_types.specs.base import Strict
from engine.ruleset.budget import BUDGET_RULE_ID, CheckBudget
from engine.verdict import Severity


class ProfileSpec(Strict):
    """One provider profile."""

    description: str = ""
    send_window: tuple[str, str] = ("08:00", "21:00")
    # the opt-out line a one-click fix inserts into a marketing draft that has none
    opt_out: str = Field(default="拒收请回复R", min_length=2, max_length=20)

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: tuple[str, str]) -> tuple[str, str]:
        start, end = (parse_hhmm(v) for v in value)
        if start >= end:
            raise ValueError(f"send_window {list(value)} must start before it ends")
        return value


class CheckBudgetSpec(Strict):
    """``check_budget:`` CPU time one message may take; past it, the check stops with a finding.

    The message, suggestion and source of that finding are data like any rule's.
    """

    base_ms: float = Field(default=50.0, gt=0)
    per_1000_chars_ms: float = Field(default=10.0, ge=0)
    category: str = "format"
    severity: Literal["warn", "block"] = "warn"
    message: str = Field(min_length=1)
    suggestion: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        return known_category(value)

    def budget(self) -> CheckBudget:
        """The runtime budget."""
        meta = RuleMeta(
            id=BUDGET_RULE_ID,
            category=self.category,
            severity=Severity(self.severity),
            message=self.message,
            suggestion=self.suggestion,
            source=self.source,
            types=frozenset(MessageType),
            industries=None,
            skip_industries=frozenset(),
            profiles=None,
        )
        return CheckBudget(self.base_ms / 1e3, self.per_1000_chars_ms / 1e6, meta)


class RulesetConfig(Strict):
    """Top-level settings of a ruleset."""

    name: str = "xinshi"
    profiles: dict[str, ProfileSpec] = Field(default_factory=lambda: {"default": ProfileSpec()})
    industries: list[str] = Field(default_factory=list)
    global_allow: list[str] = Field(default_factory=list)
    check_budget: CheckBudgetSpec | None = None  # None: no budget

    @field_validator("profiles")
    @classmethod
    def _has_default(cls, value: dict[str, ProfileSpec]) -> dict[str, ProfileSpec]:
        if "default" not in value:
            raise ValueError("profiles must include 'default'")
        return value
