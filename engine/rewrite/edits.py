"""The edit operations every rewrite and one-click fix is made of.

An :class:`Edit` replaces ``text[start:end]`` of the original draft with ``text`` (an insert
has ``start == end``, a delete an empty ``text``). The set is small and closed:

    delete_span        delete characters, repairing the punctuation around the cut
    delete_link        delete a link and its call to action (点击 … 领取), as delete_span
    replace_span       replace characters with other text
    insert_body_start  insert text where the body begins (after the 【signature】)
    insert_before_footer  insert a clause at the end of the body, before the opt-out line
    insert_opt_out     insert the opt-out line at the end of the message
    insert_signature   insert 【signature】 at the start of the message

Each returns an Edit on the original text (or None when it does not apply), so a page can
show and apply it without re-deriving spans.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from engine.normalize import is_filler, normalize
from engine.rule_types.context import Zones, find_zones

# Punctuation that separates clauses; a cut between two of them leaves one.
PUNCT = frozenset("，,。！!？?；;：:、")
STRONG = frozenset("。！!？?")  # ends a sentence
_SPACE = frozenset(" \u3000\t")
# The call to action around a link goes with it (详见 t.cn/x 领取 -> nothing left dangling).
# (searched in the 24 characters before a link: one or more, 点击点击 included)
POKE = re.compile(
    r"(?:(?:请|可)?(?:猛戳|戳这里|戳|点此|点这里|点击|点我|点|详见|详情见|详情|见|访问|登录|进入|打开)"
    r"[ \u3000]*)+$"
)
POKE_REACH = 24
# what a link invites the reader to do (a clear call to action uses the first five)
TAKE = re.compile(
    r"^[ \u3000]*(?:(?P<clear>领取|查看|使用|预约|办理)"
    r"|了解详情|了解|抢购|购买|下单|参与|报名|兑换)"
)


class Edit(NamedTuple):
    """Replace ``[start, end)`` of the original text with ``text``."""

    op: str  # which operation made it (the names in the module docstring)
    start: int
    end: int
    text: str

    @property
    def kind(self) -> str:
        """``insert``, ``delete`` or ``replace``: what a page does with it."""
        if self.start == self.end:
            return "insert"
        return "replace" if self.text else "delete"

    def apply(self, original: str) -> str:
        """Return the edited text."""
        return original[: self.start] + self.text + original[self.end :]


def zones(text: str) -> Zones:
    """Signature, body and opt-out footer of ``text`` (original-text spans)."""
    return find_zones(text, normalize(text))


def _rest_is_empty(text: str, at: int, end: int) -> bool:
    return all(is_filler(c) for c in text[at:end])


def _after_marks(text: str, at: int) -> int:
    """Index after the run of marks (and spaces between them) starting at ``at``."""
    while at < len(text) and (text[at] in PUNCT or text[at] in _SPACE):
        at += 1
    return at


def delete_link(text: str, start: int, end: int) -> Edit:
    """Delete a link with the call to action around it (点击 … 领取), then as delete_span."""
    poke = POKE.search(text, max(0, start - POKE_REACH), start)
    take = TAKE.match(text[end:])
    edit = delete_span(text, poke.start() if poke else start, end + (take.end() if take else 0))
    return edit._replace(op="delete_link")


def delete_span(text: str, start: int, end: int) -> Edit:
    """Delete ``text[start:end]`` and leave one well-placed mark where two would meet.

    Spaces around the cut go with it (one stays between two ASCII words, or where the cut
    text had spaces on both sides). Where marks meet, the left ones stay (${name}，全场最低价！
    领券 -> ${name}，领券); where the cut ends the body, the right ones stay if they hold a
    full stop or lead to the opt-out line (买它，最低价。拒收请回复R -> 买它。拒收请回复R).
    No mark opens the body and no comma ends the message.
    """
    z = zones(text)
    body_start, body_end = z.body
    left, right = start, end
    while left > body_start and text[left - 1] in _SPACE:
        left -= 1
    while right < len(text) and text[right] in _SPACE:
        right += 1
    before = text[left - 1] if left > body_start else ""
    after = text[right] if right < len(text) else ""
    words = (before + after).isascii() and before.isalnum() and after.isalnum()
    # words set apart by spaces on both sides stay apart (全场5折 速来抢购 拒收请回复R)
    apart = left < start and right > end and before not in PUNCT and after not in PUNCT
    glue = " " if (words or apart) and before and after else ""
    if after in PUNCT or (before in PUNCT and not after):
        run_end = _after_marks(text, right)
        if not before or before in PUNCT:
            if _rest_is_empty(text, run_end, body_end):  # the cut ends the body
                # the marks after it stay (a link ends before its comma, 点 t.cn/x，拒收请回复R
                # -> ，拒收请回复R) if they close a sentence or lead to the opt-out line
                keep = left > body_start and (
                    z.footer is not None or any(c in STRONG for c in text[right:run_end])
                )
                while left > body_start and (text[left - 1] in PUNCT or text[left - 1] in _SPACE):
                    left -= 1
                if not keep:
                    right = run_end
            else:
                right = run_end  # ${name}，全场最低价！！领券 -> ${name}，领券
    while right < len(text) and left <= body_start and text[right] in _SPACE:
        right += 1
    if glue and text.startswith(glue, left):  # the kept mark is already there: a plain delete
        left += len(glue)
        glue = ""
    return Edit("delete_span", left, right, glue)


def replace_span(text: str, start: int, end: int, new: str) -> Edit:
    """Replace ``text[start:end]`` with ``new``."""
    del text  # the span is on the original text: nothing to repair
    return Edit("replace_span", start, end, new)


def insert_body_start(text: str, piece: str) -> Edit:
    """Insert ``piece`` where the body begins: after the 【signature】 and leading spaces."""
    at = zones(text).body[0]
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return Edit("insert_body_start", at, at, piece)


def _last_content(text: str, end: int) -> int:
    """Index after the last character of ``text[:end]`` that is no space."""
    while end > 0 and text[end - 1] in _SPACE:
        end -= 1
    return end


def insert_before_footer(text: str, clause: str) -> Edit:
    """Insert ``，clause`` after the body's last words, before its closing mark and the opt-out
    line (……领取，有效期至${date}。拒收请回复R)."""
    z = zones(text)
    at = z.body[1]
    while at > z.body[0] and (text[at - 1] in PUNCT or text[at - 1] in _SPACE):
        at -= 1  # back to the body's last word
    end = at
    while end < z.body[1] and text[end] in _SPACE:
        end += 1
    if end == z.body[1] or text[end] not in PUNCT:
        end = at  # the clause replaces only spaces before a mark (t.cn/x ！ -> t.cn/x，有效期至…！)
    return Edit("insert_before_footer", at, end, "，" + clause)


def insert_opt_out(text: str, phrase: str) -> Edit:
    """Insert the opt-out line as the last words of the message, before nothing else (the
    rules want it after a closing 【signature】 too): after a mark as it is, otherwise after a
    comma."""
    at = _last_content(text, len(text))
    last = text[at - 1] if at else ""
    sep = "" if not last or last in PUNCT else "，"
    return Edit("insert_opt_out", at, at, sep + phrase)


def insert_signature(text: str, name: str) -> Edit:
    """Insert 【name】 at the start of the message (after leading spaces)."""
    at = 0
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return Edit("insert_signature", at, at, f"【{name}】")
