"""contact: phone numbers, QQ numbers, WeChat IDs, e-mail addresses, accounts on other apps
and links, in any form.

What counts is data: ``kinds`` picks the contact details the rule reports; ``allow_words``
(快递员, 门店, 客服) excuse a detail next to them, ``invite_words`` (加我, 私聊, 详询) make one
an invitation to a private channel (never excused; with ``only_invited`` the rule reports
only those); ``evasions`` limits the rule to disguised forms (chinese_numerals …); ``labels``
names the word lists of QQ and WeChat labels (default rules/lists/contact_labels_qq.txt and
contact_labels_wechat.txt) and of other apps (contact_apps_chat.txt, contact_apps_content.txt,
contact_apps_words.txt). Words are looked for within ``window`` characters on either side,
inside the same sentence; ``far_allow_words`` (快递员, 骑手) excuse a detail within
``far_window`` characters, across sentences (您的包裹由快递员张三配送……如有疑问请拨打138…);
``email_hosts`` limits e-mail addresses to those hosts (free mailboxes: qq.com, 163.com).
Detection is in ``contact_scan`` (accounts on other apps in ``contact_accounts``); links come
from the ``link`` kind's finder, so a rule can name ``url`` without a second URL pattern.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from engine.normalize import fold
from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.contact_scan import PENGUIN, Contact, Labels, find_contacts
from engine.rule_types.context import Context
from engine.rule_types.link import find_links
from engine.verdict import Finding

# im: an account, group or private message on another chat app (Kik, 飞书, 旺旺, 豆瓣小组私信);
# account: an account ID on a content platform (抖音号, 拼多多店铺, 百度网盘)
ContactKind = Literal[
    "phone", "landline", "hotline", "qq", "wechat", "email", "url", "im", "account"
]
Evasion = Literal[
    "separators",
    "fullwidth",
    "chinese_numerals",
    "financial_numerals",
    "circled_digits",
    "mixed",
    "variant",
    "noise",
    "substitution",
    # a number told in pieces or words: 幺八洞两…, yao san ba…, ⅠⅢⅧ…, 131接5515再接8093,
    # 15252(空)878024,
    # 67493829291（倒过来）, 尾号9445，前面是1391065
    "spoken_digits",
    "spelled_digits",
    "homoglyph",  # look-alike letters for digits: 138O0l38000
    "homophone_digits",  # sound-alike characters for digits: 腰伞吧…
    "roman_numerals",
    "joined_parts",
    "inserted_word",
    "reversed",
    "split_parts",
    # an e-mail address told in parts (邮箱前缀 abc，后缀163)
    "described",
    # an account on another platform: named (Kik abc123), described (绿色聊天软件搜 abc123),
    # or left unnamed after an invitation verb (加 abc12345)
    "other_platform",
    "described_app",
    "bare_id",
    # a QQ or WeChat label far before its number or ID (微信…我的号码是 abc12345)
    "far_label",
]
_SENTENCE_END = frozenset("。！？!?;；\n")


def contacts(
    ctx: Context, labels: Labels, label_gate: int | None = None, app_gate: int | None = None
) -> list[Contact]:
    """Every contact detail of the message (computed once per set of labels, shared by the
    contact rules).

    ``label_gate``: the gate of ``labels.literals``; closed, no QQ/WeChat label is searched
    (unless the message has a 🐧, which the skeleton the gate reads drops). ``app_gate``: the
    gate of the platform names (``labels.platforms.literals``); closed, no name is searched.
    """
    found: dict[int, list[Contact]] = ctx.__dict__.setdefault("contacts", {})
    cached = found.get(id(labels))
    if cached is None:
        search = label_gate is None or label_gate in ctx.hits.gates or PENGUIN in ctx.text
        apps = labels.platforms is not None and (app_gate is None or app_gate in ctx.hits.gates)
        cached = find_contacts(
            ctx.text,
            ctx.norm,
            labels if search else False,
            (labels.platforms or False) if apps else False,
        )
        found[id(labels)] = cached
    return cached


class ContactRule(Rule):
    """Runtime ``contact`` rule."""

    __slots__ = (
        "allow", "app_gate", "email_hosts", "evasions", "far_allow", "far_window", "invite",
        "kinds", "label_gate", "labels", "only_invited", "window",
    )  # fmt: skip

    def __init__(
        self,
        meta: RuleMeta,
        labels: Labels,
        label_gate: int | None,
        kinds: frozenset[str],
        allow: tuple[str, ...],
        invite: tuple[str, ...],
        only_invited: bool,
        evasions: frozenset[str] | None,
        window: int,
        app_gate: int | None = None,
        far_allow: tuple[str, ...] = (),
        far_window: int = 0,
        email_hosts: frozenset[str] | None = None,
    ) -> None:
        super().__init__(meta)  # runs on every message: digits are in nearly all of them
        self.labels, self.label_gate, self.app_gate = labels, label_gate, app_gate
        self.kinds, self.allow, self.invite = kinds, allow, invite
        self.only_invited, self.evasions, self.window = only_invited, evasions, window
        self.far_allow, self.far_window = far_allow, far_window
        self.email_hosts = email_hosts

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report each contact detail of the rule's kinds that its context does not excuse."""
        every = contacts(ctx, self.labels, self.label_gate, self.app_gate)
        if not every and "url" not in self.kinds:
            return ()
        found = [c for c in every if c.kind in self.kinds]
        if "url" in self.kinds:
            found.extend(Contact("url", lk.start, lk.end, lk.url, None) for lk in find_links(ctx))
        if self.evasions is not None:
            found = [c for c in found if c.evasion in self.evasions]
        if self.email_hosts is not None:
            hosts = self.email_hosts
            found = [c for c in found if c.kind != "email" or _host(c.value) in hosts]
        if not found:
            return ()
        zones = self.meta.zones
        out = []
        for c in found:
            if zones is not None and not ctx.in_zones(zones, c.start, c.end):
                continue
            if (self.allow or self.invite) and not self._reported(ctx.text, c):
                continue
            out.append(ctx.finding(self.meta, c.start, c.end, c.evasion, kind=c.kind))
        return out

    def _reported(self, text: str, c: Contact) -> bool:
        around = _around(text, c.start, c.end, self.window)
        if any(w in around for w in self.invite):
            return True
        if self.only_invited:
            return False
        if any(w in around for w in self.allow):
            return False
        if self.far_allow:
            far = _far(text, c.start, c.end, self.far_window)
            return not any(w in far for w in self.far_allow)
        return True


def _around(text: str, start: int, end: int, window: int) -> str:
    """The folded text within ``window`` characters of a span, in the same sentence."""
    before = text[max(0, start - window) : start]
    after = text[end : end + window]
    cut = max((before.rfind(ch) for ch in _SENTENCE_END), default=-1)
    before = before[cut + 1 :]
    stops = [i for i in (after.find(ch) for ch in _SENTENCE_END) if i >= 0]
    after = after[: min(stops)] if stops else after
    return fold(before + " " + after).lower()


def _far(text: str, start: int, end: int, window: int) -> str:
    """The folded text within ``window`` characters of a span, across sentences."""
    return fold(text[max(0, start - window) : start] + " " + text[end : end + window]).lower()


def _host(address: str) -> str:
    """The host of an e-mail address, lower case (vip.qq.com reads qq.com)."""
    host = address.rpartition("@")[2].lower()
    return host.removeprefix("vip.")
