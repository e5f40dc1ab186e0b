"""The per-message context rules evaluate against, and provider profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

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
