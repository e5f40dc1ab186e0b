"""Frames: readings of a whole message that turn some findings into notes (rules/frames.yaml).

A rule sees a word; a frame sees what the message does with it. A signed notification that
quotes 诈骗 or “国家级” in order to warn against it, and gives the reader no channel to act
on, is not running the scam it names. A frame does not delete the finding: the finding stays,
at severity ``info``, with the frame's note appended to its message and its id in
``Finding.frame``, so users see what was found and why it does not hold the message.

A frame applies to a finding when every condition holds:

- the message type is one of ``types`` and, with ``signed``, the message has a 【signature】;
- the finding's rule is in ``rules`` or its category in ``categories``, at warn or block;
- ``when`` finds something in the message and ``unless`` finds nothing;
- the message has no finding (any severity) of the ``unless_found`` categories (a contact
  detail or a link the contact and link rules saw, however disguised);
- with ``alone``, no finding outside the frame's scope is at warn or block;
- with ``cue``, one of its matches sits where ``placement`` says, each finding on its own:
  ``before`` (the default) ends at most ``window`` characters before the finding or inside
  it (不承诺 before 通过率); ``after`` starts inside the finding or at most ``window``
  characters after it (诈骗 then 罪被判); ``around`` is either, or a match that encloses the
  finding (以诈骗罪). The YAML key ``before`` is the older spelling of ``cue`` with
  ``placement: before``.

The authoring half is ``engine.rule_types.specs.frame``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.message import MessageType
from engine.rule_types.context import Context
from engine.rule_types.matcher import Matcher
from engine.verdict import Finding, Severity


@dataclass(frozen=True, slots=True)
class Frame:
    """A compiled frame (plain data: picklable)."""

    id: str
    note: str  # appended to the message of each finding the frame turns into a note
    types: frozenset[MessageType]
    signed: bool
    rules: frozenset[str]
    categories: frozenset[str]
    when: Matcher | None = None
    unless: Matcher | None = None
    unless_found: frozenset[str] = frozenset()
    alone: bool = False
    cue: Matcher | None = None  # where placement and window are measured from
    window: int = 0
    placement: str = "before"  # where the cue sits: before, after or around the finding

    def covers(self, f: Finding) -> bool:
        """Tell whether ``f`` is in the frame's scope (its rule or category, warn or block)."""
        if f.severity is Severity.INFO or f.frame is not None:
            return False
        return f.rule_id in self.rules or f.category in self.categories

    def holds(self, ctx: Context, findings: list[Finding]) -> bool:
        """Tell whether the message-wide conditions hold."""
        if ctx.msg.type not in self.types:
            return False
        if self.signed and not ctx.zones.signature:
            return False
        if self.unless_found and any(f.category in self.unless_found for f in findings):
            return False
        if self.alone and any(
            f.severity is not Severity.INFO and not self.covers(f) for f in findings
        ):
            return False
        if self.when is not None and not self.when.found(ctx):
            return False
        return self.unless is None or not self.unless.found(ctx)

    def negated(self, spans: list[tuple[int, int]], f: Finding) -> bool:
        """Tell whether one of ``spans`` (the cue's matches) sits where ``placement`` says.

        before: it starts before the finding and ends at most ``window`` characters before
        it, or inside it (不承诺 before 承诺通过率). after: it starts inside the finding or at
        most ``window`` characters after its end, and ends after it (诈骗 then 罪被判).
        around: before, after, or a match that reaches within ``window`` of the finding on
        both sides (以诈骗罪被判 encloses 诈骗).
        """
        w = self.window
        before = any(s < f.start and f.start - w <= e <= f.end for s, e in spans)
        if self.placement == "before":
            return before
        after = any(f.start <= s <= f.end + w and e > f.end for s, e in spans)
        if self.placement == "after":
            return after
        return before or after or any(s < f.start and e > f.end for s, e in spans)


def apply_frames(ctx: Context, findings: list[Finding], frames: tuple[Frame, ...]) -> list[Finding]:
    """Turn the findings each frame covers into notes; the others are returned unchanged."""
    out = findings
    for frame in frames:
        if not any(frame.covers(f) for f in out) or not frame.holds(ctx, out):
            continue
        spans = None
        if frame.cue is not None:
            spans = [(s.start, s.end) for s in frame.cue.spans(ctx)]
            if not spans:
                continue
        out = [
            _note(f, frame) if frame.covers(f) and (spans is None or frame.negated(spans, f)) else f
            for f in out
        ]
    return out


def _note(f: Finding, frame: Frame) -> Finding:
    return f._replace(severity=Severity.INFO, message=f"{f.message}{frame.note}", frame=frame.id)
