"""send_window: marketing only inside the allowed hours, Beijing time.

The window comes from the message's provider profile (default 08:00–21:00) unless the rule
sets its own. A message without ``send_at`` is not judged here: dispatch enforces the window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.message import BEIJING
from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.verdict import Finding

_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def parse_hhmm(value: str) -> int:
    """Read 'HH:MM' as minutes after midnight (24:00 allowed as the end of the day)."""
    m = _HHMM.match(value.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"time {value!r} must look like 08:00 (HH:MM, 00:00–24:00)")
    return int(m.group(1)) * 60 + int(m.group(2))


def fmt_hhmm(minutes: int) -> str:
    """Write minutes after midnight as HH:MM."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class SendWindow(Rule):
    """Runtime ``send_window`` rule."""

    __slots__ = ("window",)

    def __init__(self, meta: RuleMeta, window: tuple[int, int] | None) -> None:
        super().__init__(meta)
        self.window = window

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report a send time outside the window."""
        if ctx.send_at is None:
            return ()
        start, end = self.window or ctx.profile.send_window
        local = ctx.send_at.astimezone(BEIJING)
        minute = local.hour * 60 + local.minute
        if start <= minute < end:
            return ()
        return (
            ctx.finding(
                self.meta,
                0,
                0,
                window_start=fmt_hhmm(start),
                window_end=fmt_hhmm(end),
                at=local.strftime("%H:%M"),
            ),
        )
