"""otp_code: the code in a verification message has the length and characters providers allow.

The code is the first run of letters/digits within a few characters after a keyword
(验证码, 校验码, 动态码 …). Template placeholders (``${code}``, ``{1}``) are accepted as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.verdict import Finding

_CODE_AFTER = r"(?:{kw})[^0-9a-z${{}}]{{0,6}}(?P<code>\$\{{\w+\}}|\{{\d+\}}|[0-9a-z]+)"


class OtpCode(Rule):
    """Runtime ``otp_code`` rule."""

    __slots__ = ("digits_only", "max_len", "min_len", "rx")

    def __init__(
        self, meta: RuleMeta, rx: re.Pattern[str], lo: int, hi: int, digits_only: bool
    ) -> None:
        super().__init__(meta)
        self.rx, self.min_len, self.max_len, self.digits_only = rx, lo, hi, digits_only

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report a code of the wrong shape."""
        m = self.rx.search(ctx.folded)
        if not m:
            return ()
        code = m.group("code")
        if code.startswith(("$", "{")):
            return ()
        ok = self.min_len <= len(code) <= self.max_len and (not self.digits_only or code.isdigit())
        if ok:
            return ()
        s, e = ctx.norm.folded_span(m.start("code"), m.end("code"))
        return (ctx.finding(self.meta, s, e, n=len(code)),)
