"""The runtime check budget (rules/ruleset.yaml ``check_budget``), kept apart from the pydantic
model that reads it (``engine.ruleset.config``): a cached ruleset unpickles this one only."""

from __future__ import annotations

from dataclasses import dataclass

from engine.rule_types.base import RuleMeta

BUDGET_RULE_ID = "ruleset.check_budget"


@dataclass(frozen=True, slots=True)
class CheckBudget:
    """Seconds of CPU one check may use: ``base + per_char * len(text)``."""

    base: float
    per_char: float
    meta: RuleMeta  # what the finding says when a check runs over

    def seconds(self, chars: int) -> float:
        """The budget for a message of ``chars`` characters."""
        return self.base + self.per_char * chars
