"""What every rule kind shares: the YAML fields, the compiled rule, the per-message context.

A rule kind is two classes: a pydantic ``*Spec`` that reads and validates the YAML (unknown
keys refused), and a runtime rule, built by ``Spec.compile``, that evaluates a message. Word
lists are registered with the ``Builder`` while rules compile; the ruleset then builds one
automaton from all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, ClassVar, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.match import Hits, Role, WordList
from engine.message import Message, MessageType
from engine.normalize import Normalized, is_filler, normalize_word
from engine.rule_types.literals import gate_for
from engine.segments import Length, ucs2_length
from engine.verdict import Finding, Severity

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


MessageTypeName = Literal["verification", "notification", "marketing"]
_ALL_TYPES: tuple[MessageTypeName, ...] = ("verification", "notification", "marketing")


class BuildError(ValueError):
    """A rule refers to something that does not exist; ``field`` names the YAML key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Strict(BaseModel):
    """Base of every YAML model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Example(Strict):
    """A message in a rule's inline tests."""

    text: str
    type: MessageTypeName | None = None
    industry: str | None = None
    send_at: str | None = None
    profile: str | None = None
    span: str | None = None  # the characters the finding must cover (flag examples)


class Examples(Strict):
    """Messages the rule must flag and messages it must let pass."""

    flag: list[Example | str] = Field(default_factory=list)
    pass_: list[Example | str] = Field(default_factory=list, alias="pass")


class MatcherSpec(Strict):
    """Where to look: list words (skeleton view) and/or regexes (folded view)."""

    words: list[str] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)  # phrases that excuse an overlapping hit
    whole_word: bool = False  # a word hit must align with jieba tokens
    original: bool = False  # patterns run on the original text instead of the folded view

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} is not a valid regex: {exc}") from None
        return patterns

    def empty(self) -> bool:
        """Tell whether the matcher has nothing to look for."""
        return not (self.words or self.lists or self.patterns)

    def compile(self, build: Builder, origin: str) -> Matcher:
        """Register the words with the builder and compile the regexes into one.

        Patterns that are plain literals (秒杀, 限时) become words: the automaton finds them
        in the same pass as every other word, and they also match across inserted symbols.
        """
        literal = [p for p in self.patterns if _is_plain(p)] if not self.original else []
        patterns = [p for p in self.patterns if p not in literal]
        deny = build.deny([*self.words, *literal], self.lists, origin)
        allow = build.allow(self.allow, origin)
        regexes = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
        combined = combine(patterns) if len(regexes) > 1 else (regexes or (None,))[0]
        gate = None if self.original or not regexes else build.gate(gate_for(patterns), origin)
        return Matcher(deny, allow, combined, regexes, gate, self.whole_word, self.original)


_PLAIN = re.compile(r"^[\w\u3400-\u9fff]+$")


def _is_plain(pattern: str) -> bool:
    """A pattern of letters, digits and CJK only, with no regex syntax (lower case)."""
    return bool(_PLAIN.match(pattern)) and pattern == pattern.lower() and "_" not in pattern


def combine(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One alternation of all patterns: most messages match none, and one scan tells."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    except re.error:  # e.g. a global inline flag that is only valid at the start
        return None


class Span(NamedTuple):
    """A span of the original text found by a matcher."""

    start: int
    end: int
    evasion: str | None = None


_new_span = tuple.__new__  # Span without the NamedTuple constructor layer (hot loops)


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled MatcherSpec."""

    list_ids: tuple[int, ...]
    allow_ids: tuple[int, ...]
    regex: re.Pattern[str] | None  # all patterns in one; None when it would not compile
    regexes: tuple[re.Pattern[str], ...]
    gate: int | None  # gate list: literals one of which every regex match contains
    whole_word: bool
    on_original: bool = False

    def triggers(self) -> frozenset[int] | None:
        """List and gate ids one of which must be hit for this matcher to match (None: any)."""
        ids = set(self.list_ids)
        if self.regexes:
            if self.gate is None:
                return None
            ids.add(self.gate)
        return frozenset(ids)

    def spans(self, ctx: Context) -> list[Span]:
        """Every match in the message, as original-text spans; overlapping ones merged."""
        out: list[Span] = []
        # a closed gate means no regex can match (the rule ran for a word hit)
        if self.regex is not None and (self.gate is None or self.gate in ctx.hits.gates):
            folded = ctx.norm.folded
            if self.on_original or folded.is_source:
                text = ctx.text if self.on_original else folded.text
                out = [
                    _new_span(Span, (m.start(), m.end(), None))
                    for m in self.regex.finditer(text)
                    if m.end() > m.start()
                ]
            else:
                to_original = ctx.norm.folded_span
                out = [
                    Span(*to_original(m.start(), m.end()))
                    for m in self.regex.finditer(folded.text)
                    if m.end() > m.start()
                ]
        if self.list_ids and ctx.hits.any(self.list_ids):
            hits = ctx.hits.of(self.list_ids, self.allow_ids + ctx.global_allow)
            if self.whole_word:
                from engine.match import on_word_boundaries

                hits = [h for h in hits if on_word_boundaries(ctx.norm, h)]
            out.extend(_new_span(Span, (h.orig_start, h.orig_end, h.evasion)) for h in hits)
        return merge_spans(out) if len(out) > 1 else out

    def first(self, ctx: Context) -> Span | None:
        """The earliest match, or None (one combined search instead of every match)."""
        if self.regex is None or self.list_ids or self.whole_word:
            spans = self.spans(ctx)
            return spans[0] if spans else None
        if self.gate is not None and self.gate not in ctx.hits.gates:
            return None
        if self.on_original:
            m = self.regex.search(ctx.text)
            return Span(m.start(), m.end()) if m else None
        m = self.regex.search(ctx.norm.folded.text)
        return Span(*ctx.norm.folded_span(m.start(), m.end())) if m else None

    def last_end(self, ctx: Context) -> Span | None:
        """The match that ends last, or None (one pass of the combined regex)."""
        if self.regex is None or self.list_ids or self.whole_word:
            spans = self.spans(ctx)
            return max(spans, key=lambda s: s.end) if spans else None
        if self.gate is not None and self.gate not in ctx.hits.gates:
            return None
        text = ctx.text if self.on_original else ctx.norm.folded.text
        last = None
        for m in self.regex.finditer(text):
            if m.end() > m.start():
                last = m
        if last is None:
            return None
        if self.on_original:
            return Span(last.start(), last.end())
        return Span(*ctx.norm.folded_span(last.start(), last.end()))

    def found(self, ctx: Context) -> bool:
        """Tell whether anything matches (cheaper than ``spans`` when it does)."""
        if (
            self.list_ids
            and ctx.hits.any(self.list_ids)
            and not self.allow_ids
            and not self.whole_word
        ):
            return True  # a word hit (global allow-lists aside) settles it without any regex
        if self.regexes:
            text = ctx.text if self.on_original else ctx.norm.folded.text
            if self.gate is not None and self.gate not in ctx.hits.gates:
                pass
            elif self.regex is not None:
                if self.regex.search(text):
                    return True
            elif any(rx.search(text) for rx in self.regexes):
                return True
        return bool(self.list_ids) and ctx.hits.any(self.list_ids) and bool(self.spans(ctx))


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sort spans and merge overlapping ones (全网最低 + 最低价 -> 全网最低价)."""
    if len(spans) < 2:
        return spans
    spans.sort(key=lambda s: (s.start, -s.end))
    out = [spans[0]]
    for s in spans[1:]:
        last = out[-1]
        if s.start < last.end:
            if s.end > last.end or (s.evasion and not last.evasion):
                out[-1] = Span(last.start, max(last.end, s.end), last.evasion or s.evasion)
        else:
            out.append(s)
    return out


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
        if value not in CATEGORIES:
            raise ValueError(
                f"unknown category {value!r}. Known categories: {', '.join(CATEGORIES)}"
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
        )

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:  # pragma: no cover - abstract
        """Turn the spec into a runtime rule."""
        raise NotImplementedError


class Rule:
    """A compiled rule: evaluates one message.

    ``triggers``: list/gate ids one of which a message must hit for the rule to possibly
    fire; None means the rule runs on every message (e.g. a required phrase).
    """

    __slots__ = ("meta", "scoped", "triggers")

    def __init__(self, meta: RuleMeta, triggers: frozenset[int] | None = None) -> None:
        self.meta = meta
        self.triggers = triggers
        self.scoped = meta.scoped  # industry/profile/date checks needed before evaluating

    def evaluate(self, ctx: Context) -> Iterable[Finding]:  # pragma: no cover - abstract
        """Yield the findings of this rule for the message in ``ctx``."""
        raise NotImplementedError

    def finish(self, build: Builder) -> None:
        """Hook called once every rule has registered its lists."""


@dataclass(frozen=True, slots=True)
class Profile:
    """Provider profile settings (rules/ruleset.yaml)."""

    name: str
    send_window: tuple[int, int]  # minutes after midnight, Beijing time: [start, end)


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
        lid = self._add(WordList(wl.name, role, wl.words, wl.origin))
        self._ids[key] = lid
        return lid

    def _add(self, wl: WordList) -> int:
        self.lists.append(wl)
        return len(self.lists) - 1


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Context:
    """One message being checked, with what rules compute from it (cached)."""

    __slots__ = ("__dict__", "global_allow", "hits", "msg", "norm", "profile")

    def __init__(
        self,
        msg: Message,
        norm: Normalized,
        hits: Hits,
        profile: Profile,
        global_allow: tuple[int, ...],
    ) -> None:
        self.msg = msg
        self.norm = norm
        self.hits = hits
        self.profile = profile
        self.global_allow = global_allow

    @property
    def text(self) -> str:
        """The original text."""
        return self.msg.text

    @property
    def folded(self) -> str:
        """The folded view that regexes run on."""
        return self.norm.folded.text

    @property
    def send_at(self) -> datetime | None:
        """When the message is to be sent, if the caller said."""
        return self.msg.send_at

    @cached_property
    def size(self) -> Length:
        """Billed length of the message (mainland numbers)."""
        return ucs2_length(self.msg.text)

    @cached_property
    def end_of_content(self) -> int:
        """Original index just past the last character that is not noise."""
        text = self.msg.text
        end = len(text)
        while end > 0 and is_filler(text[end - 1]):
            end -= 1
        return end

    def finding(
        self, meta: RuleMeta, start: int, end: int, evasion: str | None = None, **values: Any
    ) -> Finding:
        """Make a finding for ``meta`` over ``text[start:end]``; fill {placeholders}."""
        matched = self.msg.text[start:end]
        message, suggestion = meta.message, meta.suggestion
        if "{" in message or "{" in suggestion:
            fill = _Missing(matched=matched, **values)
            message = message.format_map(fill)
            suggestion = suggestion.format_map(fill)
        return Finding(
            rule_id=meta.id,
            category=meta.category,
            severity=meta.severity,
            start=start,
            end=end,
            matched=matched,
            message=message,
            suggestion=suggestion,
            source=meta.source,
            evasion=evasion,
        )
