"""otp_code: the code in a verification message has the length and characters providers allow.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.otp_code``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.otp_code import _CODE_AFTER, OtpCode
from engine.rule_types.specs.base import RuleSpec


class OtpCodeSpec(RuleSpec):
    """YAML fields of an ``otp_code`` rule."""

    KIND: ClassVar[str] = "otp_code"
    kind: Literal["otp_code"] = "otp_code"
    keywords: list[str] = Field(min_length=1)
    min_len: int = Field(default=4, ge=1)
    max_len: int = Field(default=6, ge=1)
    digits_only: bool = False

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        kw = "|".join(re.escape(k.lower()) for k in self.keywords)
        rx = re.compile(_CODE_AFTER.format(kw=kw), re.IGNORECASE)
        return OtpCode(meta, rx, self.min_len, self.max_len, self.digits_only)
