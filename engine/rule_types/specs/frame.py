"""Frames (rules/frames.yaml): the YAML model that validates one and compiles the runtime
``engine.rule_types.frame.Frame``. A check from the ruleset cache never imports this."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from engine.message import MessageType
from engine.rule_types.base import Builder, MessageTypeName, known_category
from engine.rule_types.frame import Frame
from engine.rule_types.specs.base import Example, Strict
from engine.rule_types.specs.matcher import MatcherSpec

# Diversion to a private channel in an advert is what the contact rules exist for: no frame
# may make it a note (a marketing text that says 请勿… and then 加我微信 is still diversion).
_NEVER_ON_MARKETING = "contact_diversion"


class FrameExamples(Strict):
    """Messages the frame must turn a finding of into a note (``flag``) and messages where it
    must not (``pass``: the finding stays, or there is none); ``span`` names the framed
    finding's characters, ``verdict`` the whole message's verdict."""

    flag: list[Example | str] = Field(default_factory=list)
    pass_: list[Example | str] = Field(default_factory=list, alias="pass")


class FrameSpec(Strict):
    """YAML fields of one frame (see ``engine.rule_types.frame`` for what each one means)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    note: str = Field(min_length=1)  # Chinese, appended to the finding's message
    source: str = Field(min_length=1)  # why this reading is sound (measurement, provider text)
    description: str | None = None
    types: list[MessageTypeName] = Field(min_length=1)
    signed: bool = False
    rules: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    when: MatcherSpec | None = None
    unless: MatcherSpec | None = None
    unless_found: list[str] = Field(default_factory=list)
    alone: bool = False
    cue: MatcherSpec | None = None
    before: MatcherSpec | None = None  # older spelling of ``cue`` with placement before
    placement: Literal["before", "after", "around"] | None = None  # default before
    window: int = Field(default=0, ge=0, le=20)
    examples: FrameExamples = Field(default_factory=lambda: FrameExamples())

    @field_validator("categories", "unless_found")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        for c in value:
            known_category(c)
        return value

    @model_validator(mode="after")
    def _scoped(self) -> FrameSpec:
        if not self.rules and not self.categories:
            raise ValueError(
                "a frame needs 'rules' or 'categories': the findings it turns to notes"
            )
        diversion = _NEVER_ON_MARKETING in self.categories or any(
            r.startswith(f"{_NEVER_ON_MARKETING}.") for r in self.rules
        )
        if "marketing" in self.types and diversion:
            raise ValueError(
                "a frame may not turn contact_diversion findings of marketing messages into "
                "notes (an advert that diverts to a private channel is what the rule is for). "
                "Remove 'marketing' from types or contact_diversion from the scope"
            )
        if self.before is not None and self.cue is not None:
            raise ValueError(
                "'before' is the older spelling of 'cue' with placement before: give one of them"
            )
        if self.before is not None and self.placement not in (None, "before"):
            raise ValueError(
                f"'before' with placement {self.placement}: write the cue under 'cue' instead"
            )
        if self.placement is not None and self.cue is None and self.before is None:
            raise ValueError("'placement' says where the 'cue' sits: add a 'cue'")
        cue = self.cue or self.before
        if cue is not None and cue.empty():
            key = "cue" if self.cue is not None else "before"
            raise ValueError(f"'{key}' needs words, lists or patterns")
        return self

    def compile(self, build: Builder, known_rules: set[str]) -> Frame:
        """Build the runtime frame; raise ValueError naming an unknown rule id."""
        for rid in self.rules:
            if rid not in known_rules:
                from difflib import get_close_matches

                close = get_close_matches(rid, sorted(known_rules), n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"frame '{self.id}': unknown rule '{rid}'.{hint}")
        origin = f"frames.{self.id}"
        cue = self.cue or self.before
        body = frozenset({"body"})
        return Frame(
            id=self.id,
            note=self.note,
            types=frozenset(MessageType(t) for t in self.types),
            signed=self.signed,
            rules=frozenset(self.rules),
            categories=frozenset(self.categories),
            # the warning is in the body (a 【反诈中心】 signature is who speaks, not the frame)
            when=self.when.compile(build, origin, body) if self.when else None,
            unless=self.unless.compile(build, origin) if self.unless else None,
            unless_found=frozenset(self.unless_found),
            alone=self.alone,
            cue=cue.compile(build, origin) if cue else None,
            window=self.window,
            placement=self.placement or "before",
        )


class FramesFile(Strict):
    """rules/frames.yaml: a ``frames:`` list."""

    frames: list[FrameSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> FramesFile:
        seen: set[str] = set()
        for f in self.frames:
            if f.id in seen:
                raise ValueError(f"frame id '{f.id}' appears twice. Give each frame its own id")
            seen.add(f.id)
        return self
