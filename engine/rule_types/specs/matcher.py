"""Matchers: what a rule looks for — list words (skeleton view) and regexes (folded view).

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.matcher``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from engine.normalize import normalize_word
from engine.rule_types.base import Builder
from engine.rule_types.literals import (
    first_chars,
    gate_for,
    guarded,
    prefilter_for,
    required_groups,
)
from engine.rule_types.matcher import (
    Matcher,
    _is_plain,
    combine,
)
from engine.rule_types.specs.base import Strict


class MatcherSpec(Strict):
    """Where to look: list words (skeleton view) and/or regexes (folded view)."""

    words: list[str] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)  # phrases that excuse an overlapping hit
    whole_word: bool = False  # a word hit must align with jieba tokens
    original: bool = False  # patterns run on the original text instead of the folded view
    # context conditions on the whole message (within the same zones): the matcher matches
    # only if ``also`` finds something too and ``but_not`` finds nothing. A news report that
    # quotes 刷单返利 is excused (unless: reporting words) but_not when it also offers a contact.
    also: MatcherSpec | None = None
    but_not: MatcherSpec | None = None

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

    def compile(self, build: Builder, origin: str, zones: frozenset[str] | None = None) -> Matcher:
        """Register the words with the builder and compile the regexes into one.

        ``zones``: the parts of the message (signature, body, footer) whose matches count;
        None for the whole message.

        Patterns that are plain literals (秒杀, 限时) become words: the automaton finds them
        in the same pass as every other word, and they also match across inserted symbols.
        """
        literal = [p for p in self.patterns if _is_plain(p)] if not self.original else []
        patterns = [p for p in self.patterns if p not in literal]
        deny = build.deny([*self.words, *literal], self.lists, origin)
        allow = build.allow(self.allow, origin)
        fast = [guarded(p) for p in patterns]  # same matches (literals.guarded)
        regexes = tuple(re.compile(p, re.IGNORECASE) for p in fast)
        combined = combine(fast) if len(regexes) > 1 else (regexes or (None,))[0]
        gate = None if self.original or not regexes else build.gate(gate_for(patterns), origin)
        also = self.also.compile(build, origin, zones) if self.also else None
        but_not = self.but_not.compile(build, origin, zones) if self.but_not else None
        # only for regexes no gate covers (the gate is the cheaper test), and only when it is
        # selective: a digit is in nearly every SMS
        prefilter = None
        if regexes and gate is None:
            # on the folded view (case-folded), the literals' test; else the first characters
            needles = None if self.original else prefilter_for(patterns)
            if needles is not None:
                prefilter = re.compile(needles)
            elif (first := first_chars(patterns)) is not None:
                prefilter = re.compile(first, re.IGNORECASE)
        if prefilter is not None and prefilter.search("0123456789"):
            prefilter = None
        needs = None if self.original or gate is None else _needs(patterns)
        return Matcher(
            deny,
            allow,
            combined,
            regexes,
            gate,
            self.whole_word,
            self.original,
            zones,
            also,
            but_not,
            prefilter,
            needs,
        )


def _needs(patterns: list[str]) -> tuple[tuple[tuple[str, ...], ...], ...] | None:
    """Per pattern, its literal groups in skeleton form (``Matcher.needs``), the longest
    literals first (the rarest: the first group missing settles it); None when some pattern
    has none (it may always match) or none has more than one (``gate`` says as much)."""
    per = []
    for p in patterns:
        groups = []
        for group in required_groups(p):
            keys = tuple(dict.fromkeys(normalize_word(lit) for lit in group))
            if all(keys):
                groups.append(keys)
        groups.sort(key=lambda g: (-min(map(len, g)), len(g)))
        per.append(tuple(groups))
    if not per or not all(per) or all(len(groups) < 2 for groups in per):
        return None
    return tuple(per)
