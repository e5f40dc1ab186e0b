"""The per-message context rules evaluate against, and provider profiles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from engine.match import Hits
from engine.message import Message
from engine.normalize import Normalized, is_filler
from engine.rule_types.base import RuleMeta
from engine.segments import Length, ucs2_length
from engine.verdict import Finding


@dataclass(frozen=True, slots=True)
class Profile:
    """Provider profile settings (rules/ruleset.yaml)."""

    name: str
    send_window: tuple[int, int]  # minutes after midnight, Beijing time: [start, end)
    opt_out: str = "拒收请回复R"  # the opt-out line this provider wants (rules/ruleset.yaml)


ZONES = ("signature", "body", "footer")

# The opt-out line (on the folded text: half-width, lower case), when it closes the message.
_OPT_OUT = re.compile(
    r"拒收请?回复?\s{0,2}r(?![a-z0-9])"
    r"|(?:回复?|发送?|回覆)\s{0,2}(?:td|t|n|r)\s{0,2}(?:即可|可|可以|随时)?退订"
    r"|退订\s{0,2}请?(?:回复?|发送?)\s{0,2}(?:td|t|n|r)(?![a-z0-9])"
)
_FOOTER_REACH = 40  # the opt-out line is looked for in this many last characters
_SIGNATURE_MAX = 40


class Zones(NamedTuple):
    """The known parts of a message, as original-text spans: the 【signature】 at the start
    or end (brackets included), the body, and the opt-out footer (回T退订, 拒收请回复R)."""

    signature: tuple[tuple[int, int], ...]
    body: tuple[int, int]
    footer: tuple[int, int] | None

    def spans(self, names: frozenset[str]) -> tuple[tuple[int, int], ...]:
        """The spans of the named zones, neighbours joined (【酒店】…299元 lies in one span)."""
        out = [s for s in self.signature if "signature" in names]
        if "body" in names:
            out.append(self.body)
        if "footer" in names and self.footer is not None:
            out.append(self.footer)
        out.sort()
        joined: list[tuple[int, int]] = []
        for a, b in out:
            if joined and a <= joined[-1][1]:
                joined[-1] = (joined[-1][0], max(joined[-1][1], b))
            else:
                joined.append((a, b))
        return tuple(joined)


def find_zones(text: str, norm: Normalized) -> Zones:
    """Split a message into signature, body and footer (linear: bounded searches)."""
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and is_filler(text[end - 1]) and text[end - 1] != "】":
        end -= 1
    signature: list[tuple[int, int]] = []
    body_start, body_end = 0, len(text)  # trailing spaces and punctuation belong to the body
    if text.startswith("【", start):
        close = text.find("】", start + 1, start + _SIGNATURE_MAX + 2)
        if close > 0:
            signature.append((start, close + 1))
            body_start = close + 1
    if end > body_start and text[end - 1] == "】":
        open_ = text.rfind("【", max(body_start, end - _SIGNATURE_MAX - 2), end - 1)
        # a bracket right after another one is a number written in brackets, not a signature
        # (call【1】【7】…【1】: round 10, a dev miss)
        chained = open_ > body_start and text[open_ - 1] == "】"
        if open_ >= 0 and "】" not in text[open_ : end - 1] and not chained:
            signature.append((open_, len(text)))
            body_end = open_
    footer = None
    folded = norm.folded.text
    last = None
    tail = max(0, len(folded) - _FOOTER_REACH - len(text) + body_end)
    if "退订" in folded[tail:] or "拒收" in folded[tail:]:
        for m in _OPT_OUT.finditer(folded, tail):
            last = m
    if last is not None:
        fs, fe = norm.folded_span(last.start(), last.end())
        if body_start <= fs and fe <= body_end and all(is_filler(c) for c in text[fe:body_end]):
            footer = (fs, body_end)
            body_end = fs
    return Zones(tuple(signature), (body_start, body_end), footer)


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Context:
    """One message being checked, with what rules compute from it (cached)."""

    __slots__ = ("__dict__", "global_allow", "hits", "msg", "norm", "profile")
    findings: list[Finding] | tuple[()] = ()  # found so far by earlier rules (check sets it)

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

    # Computed once per message, on first use. Not functools.cached_property: on Python 3.11
    # it takes a lock on every read (~1 µs, and rules read these many times per message).
    @property
    def size(self) -> Length:
        """Billed length of the message (mainland numbers)."""
        cache = self.__dict__
        size: Length | None = cache.get("size")
        if size is None:
            size = cache["size"] = ucs2_length(self.msg.text)
        return size

    @property
    def zones(self) -> Zones:
        """Signature, body and footer of the message (computed once)."""
        cache = self.__dict__
        zones: Zones | None = cache.get("zones")
        if zones is None:
            zones = cache["zones"] = find_zones(self.msg.text, self.norm)
        return zones

    def zone_spans(self, names: frozenset[str]) -> tuple[tuple[int, int], ...]:
        """``zones.spans(names)``, computed once per message for each set of names (a
        message's rules ask for the same two or three sets many times)."""
        cache = self.__dict__
        # not "zone_spans": an instance attribute of that name would hide this method
        by_names: dict[frozenset[str], tuple[tuple[int, int], ...]] | None = cache.get(
            "spans_by_zones"
        )
        if by_names is None:
            by_names = cache["spans_by_zones"] = {}
        spans = by_names.get(names)
        if spans is None:
            spans = by_names[names] = self.zones.spans(names)
        return spans

    def in_zones(self, names: frozenset[str], start: int, end: int) -> bool:
        """Tell whether ``text[start:end]`` lies inside one of the named zones."""
        return any(s <= start and end <= e for s, e in self.zone_spans(names))

    @property
    def end_of_content(self) -> int:
        """Original index just past the last character that is not noise."""
        cache = self.__dict__
        end: int | None = cache.get("end_of_content")
        if end is None:
            text = self.msg.text
            end = len(text)
            while end > 0 and is_filler(text[end - 1]):
                end -= 1
            cache["end_of_content"] = end
        return end

    def finding(
        self, meta: RuleMeta, start: int, end: int, evasion: str | None = None, **values: Any
    ) -> Finding:
        """Make a finding for ``meta`` over ``text[start:end]``; fill {placeholders}."""
        matched = self.msg.text[start:end]
        if evasion is None and self.norm.marks and start < end:
            evasion = self.norm.evasion_in(start, end)  # a regex read text written apart
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
