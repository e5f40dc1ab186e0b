"""What every rule kind shares: the YAML fields, the runtime rule, the list builder.

A rule kind is two classes: a pydantic ``*Spec`` that reads and validates the YAML (unknown
keys refused), and a runtime rule, built by ``Spec.compile``, that evaluates a message. Word
lists are registered with the ``Builder`` while rules compile; the ruleset then builds one
automaton from all of them. Matchers (what to look for) are in ``matcher``, the per-message
context in ``context``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.match import Role, WordList
from engine.message import Message, MessageType
from engine.normalize import normalize_word
from engine.verdict import Finding, Severity

if TYPE_CHECKING:
    from engine.rule_types.context import Context

# The output contract's categories (issue #2), then the ones the law adds.
CATEGORIES = (
    "signature",
    "unsubscribe",
    "absolute_claim",
    "refund_disclosure",
    "risk_disclosure",
    "contact_diversion",
    "fraud",
    "gambling",
    "pornography",
    "prohibited_goods",
    "verification_code",
    "link_policy",
    "send_window",
    "length",
    "template_type",
    "medical_claim",
    "price_disclosure",
    "privacy",
    "format",
    "industry_claim",
    "forbidden_industry",
)


# Which parts of a message (engine.rule_types.context.Zones) a rule reads, by category, unless
# the rule says ``zones:``. Claims and disclosures read the body only: a brand in the
# 【signature】 is not an advertising claim, and 退订 in the opt-out footer is not a refund term.
# Illegal content counts in the signature too. Rules about form read the whole message.
ZoneName = Literal["signature", "body", "footer"]
_BODY: tuple[ZoneName, ...] = ("body",)
_SIGNATURE_BODY: tuple[ZoneName, ...] = ("signature", "body")
DEFAULT_ZONES: dict[str, tuple[ZoneName, ...]] = {
    **dict.fromkeys(
        (
            "absolute_claim",
            "refund_disclosure",
            "risk_disclosure",
            "contact_diversion",
            "medical_claim",
            "price_disclosure",
            "industry_claim",
            "privacy",
            "template_type",
        ),
        _BODY,
    ),
    **dict.fromkeys(
        ("fraud", "gambling", "pornography", "prohibited_goods", "forbidden_industry"),
        _SIGNATURE_BODY,
    ),
}


def context_zones(zones: frozenset[str] | None) -> frozenset[str] | None:
    """Zones a rule's ``when`` context reads: its own plus the signature, which says who
    sends (【海岸花园】 makes 10分钟直达 a property claim), and the opt-out footer, which says
    the text is marketing (回T退订), without either being content itself."""
    return None if zones is None else zones | {"signature", "footer"}


def known_category(value: str) -> str:
    """Return ``value`` if it is a category; otherwise raise the error YAML authors see."""
    if value not in CATEGORIES:
        raise ValueError(f"unknown category {value!r}. Known categories: {', '.join(CATEGORIES)}")
    return value


MessageTypeName = Literal["verification", "notification", "marketing"]
_ALL_TYPES: tuple[MessageTypeName, ...] = ("verification", "notification", "marketing")


class BuildError(ValueError):
    """A rule refers to something that does not exist; ``field`` names the YAML key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """The fields every rule has, as the runtime uses them."""

    id: str
    category: str
    severity: Severity
    message: str
    suggestion: str
    source: str
    types: frozenset[MessageType]
    industries: frozenset[str] | None
    skip_industries: frozenset[str]
    profiles: frozenset[str] | None
    effective_from: date | None = None
    effective_until: date | None = None
    zones: frozenset[str] | None = None  # parts of the message the rule reads; None: all

    @property
    def scoped(self) -> bool:
        """Tell whether ``applies`` has anything to check beyond the message type."""
        return (
            self.industries is not None
            or bool(self.skip_industries)
            or self.profiles is not None
            or self.effective_from is not None
            or self.effective_until is not None
        )

    def applies(self, msg: Message, day: date | None = None) -> bool:
        """Tell whether the rule is in force for this message's type, industry, profile and
        day (Beijing date of ``send_at``, or of the check when the message has none)."""
        if msg.type not in self.types:
            return False
        if self.industries is not None and msg.industry not in self.industries:
            return False
        if msg.industry in self.skip_industries:
            return False
        if self.profiles is not None and msg.profile not in self.profiles:
            return False
        if day is not None:
            if self.effective_from is not None and day < self.effective_from:
                return False
            if self.effective_until is not None and day > self.effective_until:
                return False
        return True


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


class Rule:
    """A compiled rule: evaluates one message.

    ``triggers``: list/gate ids one of which a message must hit for the rule to possibly
    fire; None means the rule runs on every message (e.g. a required phrase).
    """

    __slots__ = ("meta", "scoped", "triggers")
    LATE: ClassVar[bool] = False  # runs after every other rule (it reads ``ctx.findings``)

    def __init__(self, meta: RuleMeta, triggers: frozenset[int] | None = None) -> None:
        self.meta = meta
        self.triggers = triggers
        self.scoped = meta.scoped  # industry/profile/date checks needed before evaluating

    def evaluate(self, ctx: Context) -> Iterable[Finding]:  # pragma: no cover - abstract
        """Yield the findings of this rule for the message in ``ctx``."""
        raise NotImplementedError

    def finish(self, build: Builder) -> None:
        """Hook called once every rule has registered its lists."""


@dataclass
class Builder:
    """Collects the word lists of a ruleset while its rules compile."""

    files: dict[str, WordList]  # rules/lists/<name>.txt
    global_allow: Sequence[str] = ()
    lists: list[WordList] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)

    def deny(self, words: Sequence[str], names: Sequence[str], origin: str) -> tuple[int, ...]:
        """Register deny words (inline and named files); return their list ids."""
        ids = [self._file(n) for n in names]
        if words:
            ids.append(self._add(WordList(f"{origin}#words", Role.DENY, tuple(words), origin)))
        return tuple(ids)

    def allow(self, words: Sequence[str], origin: str) -> tuple[int, ...]:
        """Register allow phrases; return their list id."""
        if not words:
            return ()
        return (self._add(WordList(f"{origin}#allow", Role.ALLOW, tuple(words), origin)),)

    def gate(self, literals: Sequence[str] | None, origin: str) -> int | None:
        """Register the literals that gate a matcher's regexes; None when they cannot."""
        if not literals or any(not normalize_word(lit) for lit in literals):
            return None
        return self._add(WordList(f"{origin}#gate", Role.GATE, tuple(literals), origin))

    def global_allow_ids(self) -> tuple[int, ...]:
        """Ids of the allow-lists that excuse hits of every rule."""
        return tuple(self._file(n, Role.ALLOW) for n in self.global_allow)

    def file_words(self, name: str) -> tuple[str, ...]:
        """Words of a list file used as data (e.g. domains), not matched in the text."""
        if name not in self.files:
            self._file(name)  # raises the "unknown word list" error
        return self.files[name].words

    def deny_ids(self) -> tuple[int, ...]:
        """Ids of every deny list registered so far."""
        return tuple(i for i, wl in enumerate(self.lists) if wl.role is Role.DENY)

    def _file(self, name: str, role: Role = Role.DENY) -> int:
        key = f"file:{name}"
        if key in self._ids:
            return self._ids[key]
        if name not in self.files:
            from difflib import get_close_matches

            close = get_close_matches(name, list(self.files), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            known = ", ".join(sorted(self.files)) or "(none)"
            raise BuildError("lists", f"unknown word list '{name}'. Known lists: {known}.{hint}")
        wl = self.files[name]
        lid = self._add(WordList(wl.name, role, wl.words, wl.origin, wl.tags))
        self._ids[key] = lid
        return lid

    def _add(self, wl: WordList) -> int:
        self.lists.append(wl)
        return len(self.lists) - 1
