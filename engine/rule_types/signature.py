"""signature: one 【签名】 of 2–12 characters at the start, naming the sender.

Checks (one per rule): ``missing`` (no leading 【…】), ``length``, ``charset`` (only CJK,
letters and digits; not all digits), ``generic`` (温馨提示, 客服通知 …), ``extra_brackets``
(another 【】 anywhere in the body), ``not_approved`` (not on the approved list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from engine.normalize import fold
from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.verdict import Finding

_BRACKETS = re.compile(r"[【\[［]([^】\]］]{0,40})[】\]］]")
_LEADING = re.compile(r"\s*【([^】]{0,40})】")
_SIGNATURE_CHARS = re.compile(r"^[0-9A-Za-z\u3400-\u9fff]+$")


class Signature(NamedTuple):
    """The leading 【…】 of a message: its text and the span of the text inside 【】."""

    text: str
    start: int
    end: int


def find_signature(text: str) -> Signature | None:
    """Return the signature at the start of ``text``, if any."""
    m = _LEADING.match(text)
    if not m:
        return None
    return Signature(m.group(1), m.start(1), m.end(1))


def _signature(ctx: Context) -> Signature | None:
    """The message's signature, found once per message and shared by the signature rules."""
    if "signature" not in ctx.__dict__:
        ctx.__dict__["signature"] = find_signature(ctx.text)
    sig: Signature | None = ctx.__dict__["signature"]
    return sig


def _folded(ctx: Context, name: str) -> str:
    """The signature's name folded, once per message (two rules compare it with names)."""
    folded: str | None = ctx.__dict__.get("signature_folded")
    if folded is None:
        folded = ctx.__dict__["signature_folded"] = fold(name)
    return folded


class SignatureRule(Rule):
    """Runtime ``signature`` rule."""

    __slots__ = ("check", "max_len", "min_len", "names")

    def __init__(
        self, meta: RuleMeta, check: str, min_len: int, max_len: int, names: frozenset[str]
    ) -> None:
        super().__init__(meta)
        self.check, self.min_len, self.max_len, self.names = check, min_len, max_len, names

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report the signature problem this rule checks."""
        sig = _signature(ctx)
        if self.check == "missing":
            return () if sig else (ctx.finding(self.meta, 0, 0),)
        if self.check == "extra_brackets":
            return self._extra(ctx, sig)
        if sig is None:
            return ()
        if not self._bad(ctx, sig.text):
            return ()
        return (ctx.finding(self.meta, sig.start, sig.end, n=len(sig.text)),)

    def _bad(self, ctx: Context, name: str) -> bool:
        if self.check == "length":
            return not self.min_len <= len(name) <= self.max_len
        if self.check == "charset":
            return not _SIGNATURE_CHARS.match(name) or name.isdigit()
        if self.check == "generic":
            return _folded(ctx, name) in self.names
        return bool(self.names) and _folded(ctx, name) not in self.names  # not_approved

    def _extra(self, ctx: Context, sig: Signature | None) -> Iterable[Finding]:
        skip = sig.start - 1 if sig else -1
        out = []
        for m in _BRACKETS.finditer(ctx.text):
            if m.start() == skip:
                continue
            if m.group(0)[0] in "[［" and m.start() > 0 and m.end() < len(ctx.text):
                continue  # square brackets are only refused at the start or end of the body
            out.append(ctx.finding(self.meta, m.start(), m.end()))
        return out
