"""What every rule kind shares at check time: the rule metadata, the runtime rule, the list
builder.

A rule kind is two classes: a pydantic ``*Spec`` (``engine.rule_types.specs``) that reads and
validates the YAML (unknown keys refused), and a runtime rule, built by ``Spec.compile``, that
evaluates a message. Only the runtime half is here, so a check from the ruleset cache never
imports pydantic. Word lists are registered with the ``Builder`` while rules compile; the
ruleset then builds one automaton from all of them. Matchers (what to look for) are in
``matcher``, the per-message context in ``context``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

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
    sends (【海岸花园】 makes 10分钟直达 a property claim), the opt-out footer, which says
    the text is marketing (回T退订), and the body, which says what a sender named in the
    signature alone is sending (【老李足浴】…8折 promotes, 【老李足浴】营业时间调整 does not)."""
    return None if zones is None else zones | {"signature", "body", "footer"}


def known_category(value: str) -> str:
    """Return ``value`` if it is a category; otherwise raise the error YAML authors see."""
    if value not in CATEGORIES:
        raise ValueError(f"unknown category {value!r}. Known categories: {', '.join(CATEGORIES)}")
    return value


MessageTypeName = Literal["verification", "notification", "marketing"]


class BuildError(ValueError):
    """A rule refers to something that does not exist; ``field`` names the YAML key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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
