"""What goes into the automaton: named word lists, their role, and one entry per list word."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a list is for: words that trigger rules, or phrases that excuse them."""

    DENY = "deny"
    ALLOW = "allow"
    GATE = "gate"  # literals a rule's regexes need: their presence selects the rules to run


@dataclass(frozen=True, slots=True)
class WordList:
    """One named list of words, from a file under ``rules/lists`` or inline in a rule."""

    name: str
    role: Role
    words: tuple[str, ...]
    origin: str  # file path (and line) the words come from, for error messages
    tags: tuple[frozenset[str], ...] = ()  # per word (same order), e.g. {"boundary"}; () = none


@dataclass(frozen=True, slots=True)
class Entry:
    """One list word as entered into the automaton."""

    list_id: int
    word: str
    variant: str | None  # "威信" when this key is 微信 written as 威信
    evasion: str | None = None  # what the generated key stands for: "variant", "pinyin", ...
    boundary: bool = False  # the hit must start and end on jieba word boundaries


# per list a key belongs to: list id, entry, evasion label, boundary (the automaton's value)
_Entries = tuple[tuple[int, Entry, str | None, bool], ...]
