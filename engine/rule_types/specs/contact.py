"""contact: phone numbers, QQ numbers, WeChat IDs, e-mail addresses and links, in any form.

The authoring half: the pydantic models that validate the YAML and compile the runtime
rule (``engine.rule_types.contact``). A check from the ruleset cache never imports this.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar, Literal

from pydantic import Field

from engine.normalize import fold
from engine.rule_types.base import Builder, Rule, RuleMeta
from engine.rule_types.contact import (
    ContactKind,
    ContactRule,
    Evasion,
)
from engine.rule_types.contact_scan import QQ_WORDS, WECHAT_WORDS, Labels, compile_labels
from engine.rule_types.specs.base import RuleSpec, Strict

_QQ_LIST, _WECHAT_LIST = "contact_labels_qq", "contact_labels_wechat"


class LabelLists(Strict):
    """Word lists (files under rules/lists) of the words that label a QQ number or WeChat ID."""

    qq: list[str] = Field(default_factory=lambda: [_QQ_LIST])
    wechat: list[str] = Field(default_factory=lambda: [_WECHAT_LIST])


class ContactSpec(RuleSpec):
    """YAML fields of a ``contact`` rule."""

    KIND: ClassVar[str] = "contact"
    kind: Literal["contact"] = "contact"
    kinds: list[ContactKind] = Field(min_length=1)
    allow_words: list[str] = Field(default_factory=list)
    invite_words: list[str] = Field(default_factory=list)
    only_invited: bool = False
    evasions: list[Evasion] | None = None
    window: int = Field(default=12, ge=1, le=40)
    # default: rules/lists/contact_labels_qq.txt and contact_labels_wechat.txt, or the words
    # they ship with when the rules directory has no such lists
    labels: LabelLists = Field(default_factory=LabelLists)

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        labels = _labels(
            self._words(build, self.labels.qq, _QQ_LIST, QQ_WORDS),
            self._words(build, self.labels.wechat, _WECHAT_LIST, WECHAT_WORDS),
        )
        return ContactRule(
            meta,
            labels,
            build.gate(labels.literals, meta.id),
            frozenset(self.kinds),
            tuple(fold(w).lower() for w in self.allow_words),
            tuple(fold(w).lower() for w in self.invite_words),
            self.only_invited,
            frozenset(self.evasions) if self.evasions is not None else None,
            self.window,
        )

    @staticmethod
    def _words(
        build: Builder, names: list[str], default: str, built_in: tuple[str, ...]
    ) -> tuple[str, ...]:
        if names == [default] and default not in build.files:
            return built_in
        return tuple(w for n in names for w in build.file_words(n))


@lru_cache(maxsize=8)
def _labels(qq: tuple[str, ...], wechat: tuple[str, ...]) -> Labels:
    """One compiled Labels per word set: the contact rules share it, and so one scan."""
    return compile_labels(qq, wechat)
