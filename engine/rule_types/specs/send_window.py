"""send_window: marketing only inside the allowed hours, Beijing time.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.send_window``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import field_validator

from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.send_window import SendWindow, parse_hhmm
from engine.rule_types.specs.base import RuleSpec


class SendWindowSpec(RuleSpec):
    """YAML fields of a ``send_window`` rule."""

    KIND: ClassVar[str] = "send_window"
    kind: Literal["send_window"] = "send_window"
    start: str | None = None
    end: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_hhmm(value)
        return value

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        window = None
        if self.start is not None and self.end is not None:
            window = (parse_hhmm(self.start), parse_hhmm(self.end))
        return SendWindow(meta, window)
