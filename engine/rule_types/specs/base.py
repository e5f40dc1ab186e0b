"""What every rule kind's YAML shares: the strict base model, inline examples, the common
fields (``RuleSpec``) and how they become a ``RuleMeta``.

The authoring half of ``engine.rule_types.base``: read when rules/ is validated, never by a
check from the ruleset cache.
"""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.message import MessageType
from engine.rule_types.base import (
    DEFAULT_ZONES,
    Builder,
    MessageTypeName,
    Rule,
    RuleMeta,
    ZoneName,
    known_category,
)
from engine.verdict import Severity

_ALL_TYPES: tuple[MessageTypeName, ...] = ("verification", "notification", "marketing")


class Strict(BaseModel):
    """Base of every YAML model: unknown keys are errors, values are immutable."""

    # defer_build: schemas are built on first validation; a start from the ruleset cache
    # unpickles specs and never validates one
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Example(Strict):
    """A message in a rule's inline tests."""

    text: str
    type: MessageTypeName | None = None
    industry: str | None = None
    send_at: str | None = None
    profile: str | None = None
    span: str | None = None  # the characters the finding must cover (flag examples)
    verdict: Literal["allow", "review", "block"] | None = None  # the whole message's verdict


class Examples(Strict):
    """Messages the rule must flag and messages it must let pass."""

    flag: list[Example | str] = Field(default_factory=list)
    pass_: list[Example | str] = Field(default_factory=list, alias="pass")


_NOTE_FILE = re.compile(r"[\w./-]{1,80}\.(?:md|ipynb)\b|\.\./shared", re.ASCII)


class RuleSpec(Strict):
    """Fields common to every rule kind."""

    KIND: ClassVar[str] = ""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: str
    category: str
    severity: Literal["block", "warn", "info"]
    message: str = Field(min_length=1)
    suggestion: str = Field(min_length=1)
    source: str = Field(min_length=1)
    types: list[MessageTypeName] = Field(default_factory=lambda: list(_ALL_TYPES))
    industries: list[str] | None = None
    skip_industries: list[str] = Field(default_factory=list)
    profiles: list[str] | None = None
    effective_from: date | None = None  # first day in force (Beijing date of send_at)
    effective_until: date | None = None  # last day in force
    description: str | None = None
    # parts of the message the rule reads; default by category (DEFAULT_ZONES), else all
    zones: list[ZoneName] | None = Field(default=None, min_length=1)
    examples: Examples = Field(default_factory=Examples)

    @model_validator(mode="after")
    def _dates_in_order(self) -> RuleSpec:
        if (
            self.effective_from
            and self.effective_until
            and self.effective_from > self.effective_until
        ):
            raise ValueError(
                f"effective_from {self.effective_from} is after effective_until "
                f"{self.effective_until}. Swap them or fix the year"
            )
        return self

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        return known_category(value)

    @field_validator("source", "message", "suggestion")
    @classmethod
    def _stands_on_its_own(cls, value: str) -> str:
        # users see these: a pointer into the team's notes ("见sms_rules.md §7") tells them nothing
        note = _NOTE_FILE.search(value)
        if note:
            raise ValueError(
                f"refers to {note.group(0)!r}, a file users do not have. Name the law and "
                "article or the platform document itself (e.g. 《广告法》第9条)"
            )
        return value

    def meta(self, full_id: str) -> RuleMeta:
        """Build the runtime metadata for this rule."""
        return RuleMeta(
            id=full_id,
            category=self.category,
            severity=Severity(self.severity),
            message=self.message,
            suggestion=self.suggestion,
            source=self.source,
            types=frozenset(MessageType(t) for t in self.types),
            industries=frozenset(self.industries) if self.industries is not None else None,
            skip_industries=frozenset(self.skip_industries),
            profiles=frozenset(self.profiles) if self.profiles is not None else None,
            effective_from=self.effective_from,
            effective_until=self.effective_until,
            zones=self.zone_set(),
        )

    def zone_set(self) -> frozenset[str] | None:
        """The zones the rule reads (None when it reads the whole message)."""
        zones = self.zones if self.zones is not None else DEFAULT_ZONES.get(self.category)
        if zones is None or {"signature", "body", "footer"} <= set(zones):
            return None
        return frozenset(zones)

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:  # pragma: no cover - abstract
        """Turn the spec into a runtime rule."""
        raise NotImplementedError
