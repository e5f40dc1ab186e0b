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
from engine.rule_types.contact_accounts import (
    APP_CHAT,
    APP_CONTENT,
    APP_WORDS,
    compile_platforms,
)
from engine.rule_types.contact_scan import QQ_WORDS, WECHAT_WORDS, Labels, compile_labels
from engine.rule_types.specs.base import RuleSpec, Strict

_QQ_LIST, _WECHAT_LIST = "contact_labels_qq", "contact_labels_wechat"
_CHAT_LIST, _CONTENT_LIST, _WORDS_LIST = (
    "contact_apps_chat", "contact_apps_content", "contact_apps_words"
)  # fmt: skip


class LabelLists(Strict):
    """Word lists (files under rules/lists) of the words that label a QQ number or WeChat ID."""

    qq: list[str] = Field(default_factory=lambda: [_QQ_LIST])
    wechat: list[str] = Field(default_factory=lambda: [_WECHAT_LIST])
    # names of other chat apps, of content platforms, and of apps that are ordinary words
    apps_chat: list[str] = Field(default_factory=lambda: [_CHAT_LIST])
    apps_content: list[str] = Field(default_factory=lambda: [_CONTENT_LIST])
    apps_words: list[str] = Field(default_factory=lambda: [_WORDS_LIST])


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
    # role words that excuse a detail further away, across sentences (a courier named at the
    # start of a notice whose number comes at its end)
    far_allow_words: list[str] = Field(default_factory=list)
    far_window: int = Field(default=60, ge=1, le=200)
    # report e-mail addresses on these hosts only (free mailboxes: a person, not a company)
    email_hosts: list[str] | None = None
    # default: rules/lists/contact_labels_qq.txt and contact_labels_wechat.txt, or the words
    # they ship with when the rules directory has no such lists
    labels: LabelLists = Field(default_factory=LabelLists)

    def compile(self, meta: RuleMeta, build: Builder) -> Rule:
        """Build the runtime rule."""
        lists = self.labels
        labels = _labels(
            self._words(build, lists.qq, _QQ_LIST, QQ_WORDS),
            self._words(build, lists.wechat, _WECHAT_LIST, WECHAT_WORDS),
            self._words(build, lists.apps_chat, _CHAT_LIST, APP_CHAT),
            self._words(build, lists.apps_content, _CONTENT_LIST, APP_CONTENT),
            self._words(build, lists.apps_words, _WORDS_LIST, APP_WORDS),
        )
        apps = labels.platforms.literals if labels.platforms is not None else ()
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
            build.gate(apps, f"{meta.id}#apps"),
            tuple(fold(w).lower() for w in self.far_allow_words),
            self.far_window,
            frozenset(h.lower() for h in self.email_hosts)
            if self.email_hosts is not None
            else None,
        )

    @staticmethod
    def _words(
        build: Builder, names: list[str], default: str, built_in: tuple[str, ...]
    ) -> tuple[str, ...]:
        if names == [default] and default not in build.files:
            return built_in
        return tuple(w for n in names for w in build.file_words(n))


@lru_cache(maxsize=8)
def _labels(
    qq: tuple[str, ...],
    wechat: tuple[str, ...],
    chat: tuple[str, ...],
    content: tuple[str, ...],
    words: tuple[str, ...],
) -> Labels:
    """One compiled Labels per word set: the contact rules share it, and so one scan."""
    return compile_labels(qq, wechat, compile_platforms(chat, content, words))
