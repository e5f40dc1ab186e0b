"""rules/ruleset.yaml: provider profiles, industries and the global allow-lists."""

from __future__ import annotations

from pydantic import Field, field_validator

from engine.rule_types.base import Strict
from engine.rule_types.send_window import parse_hhmm


class ProfileSpec(Strict):
    """One provider profile."""

    description: str = ""
    send_window: tuple[str, str] = ("08:00", "21:00")

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: tuple[str, str]) -> tuple[str, str]:
        start, end = (parse_hhmm(v) for v in value)
        if start >= end:
            raise ValueError(f"send_window {list(value)} must start before it ends")
        return value


class RulesetConfig(Strict):
    """Top-level settings of a ruleset."""

    name: str = "xinshi"
    profiles: dict[str, ProfileSpec] = Field(default_factory=lambda: {"default": ProfileSpec()})
    industries: list[str] = Field(default_factory=list)
    global_allow: list[str] = Field(default_factory=list)

    @field_validator("profiles")
    @classmethod
    def _has_default(cls, value: dict[str, ProfileSpec]) -> dict[str, ProfileSpec]:
        if "default" not in value:
            raise ValueError("profiles must include 'default'")
        return value
