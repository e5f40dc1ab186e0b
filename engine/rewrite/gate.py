"""The quality gate every suggested rewrite and one-click fix passes before it is shown.

A candidate fails when, compared with the draft it came from, it

- ``blocked`` / ``new_finding``: is blocked by the check, or draws a finding (other than an
  info note) from a rule the draft did not trigger (a rewrite must not create a problem);
- ``defect``: has a flaw of form the draft did not have: a word said twice (点击点击), two
  clause marks in a row (，！ ，，), a mark right after the signature or opening the body, a
  comma ending the message, a doubled space, an empty bracket or a broken ``${`` variable;
- ``variable``: uses a template variable the draft does not have (a marketing draft without
  variables may take the fill-in placeholders of the edits: ``${name}`` ``${n}`` ``${a}``
  ``${b}`` ``${date}``; a notification or verification code none: its figures are facts,
  not fill-ins);
- ``purpose``: adds a deadline, an offer or a promotional call to a notification or a
  verification code, or greets its reader by ``${name}`` when the template has no ``name``
  variable (a notice says what happened; a greeting by a name the sender never filled in is
  marketing copy).

:func:`problems` returns the failed checks by those names; an empty list passes.
"""

from __future__ import annotations

import re
from collections import Counter

from engine.message import Message, MessageType
from engine.verdict import Decision, Severity, Verdict

# Template variables the edits may add to a draft that has none: the sending platform fills
# ${name}; the copywriter fills the rest with the campaign's real figures before sending.
FILL_INS = frozenset({"name", "n", "a", "b", "date"})
VARIABLE = re.compile(r"\$\{([^{}]*)\}")

_P = "，,。！!？?；;：:、"
_DEFECTS = {
    "repeated_word": re.compile(r"([\u4e00-\u9fff]{2,6})\1"),
    "repeated_char": re.compile(r"([\u4e00-\u9fff])\1"),
    # two clause marks in a row (overlapping pairs: ！，， has two), except ！ and ？ together
    # (the copywriter's emphasis)
    "doubled_punctuation": re.compile(rf"(?=([{_P}][ \u3000]*[{_P}]))"),
    "punctuation_after_signature": re.compile(rf"^\s*【[^【】]*】\s*[{_P}]"),
    "punctuation_opens_message": re.compile(rf"^\s*[{_P}]"),
    "comma_ends_message": re.compile(r"[，,、；;：:]\s*$"),
    "doubled_space": re.compile(r"[ \u3000]{2,}"),
    "space_before_punctuation": re.compile(r"(?<=[^\s])[ \u3000]+[，。！？；：、]"),
    # the body's last word runs into the opt-out line (……好礼相送拒收请回复R)
    "footer_glued": re.compile(
        r"[\u4e00-\u9fffA-Za-z0-9}](?=(?:拒收请?回复?\s*[Rr]|回复?\s*[Tt][Dd]?\s*退订"
        r"|退订回复?\s*[Tt][Dd]?)[。.！!]?\s*$)"
    ),
    "empty_brackets": re.compile(r"【\s*】|（\s*）|\(\s*\)"),
    "broken_variable": re.compile(r"\$\{[^{}]*(?:\{|$)|\$(?!\{)|(?<!\$)\{[A-Za-z_]\w*\}"),
}
_EMPHASIS = frozenset("！!？?")
_GROUP = {"doubled_punctuation": 1}  # a lookahead: the pair is its group
# flaws that can occur once per message: counted without the characters involved
_WHOLE = frozenset({"footer_glued", "comma_ends_message", "punctuation_opens_message"})
# Words a notification or a verification code may keep but must not gain from a rewrite.
_PROMO = re.compile(
    r"有效期至|截止|截至|前有效|券|红包|满\S{1,6}减|\d折|折起|优惠|领取|抢|秒杀|限时|特价|\$\{(?:n|a|b|date)\}"
)

# A greeting by name a notice may not gain unless its template fills a name.
_NAMES = frozenset({"name", "surname", "姓名", "姓"})
_GREETING = re.compile(r"\$\{(?:name|surname|姓名|姓)\}")


def defects(text: str) -> Counter[str]:
    """Flaws of form in ``text``, by kind and the characters involved."""
    found: Counter[str] = Counter()
    for name, pattern in _DEFECTS.items():
        for m in pattern.finditer(text):
            what = "" if name in _WHOLE else m.group(_GROUP.get(name, 0)).strip()
            if name == "doubled_punctuation" and set(what) - set(" \u3000") <= _EMPHASIS:
                continue
            found[f"{name}:{what}"] += 1
    return found


def new_defects(before: str, after: str) -> list[str]:
    """Flaws ``after`` has that ``before`` did not (as many times)."""
    return sorted((defects(after) - defects(before)).elements())


def variables(text: str) -> set[str]:
    """Names of the ``${...}`` variables in ``text``."""
    return set(VARIABLE.findall(text))


def allowed_variables(draft: str, kind: MessageType = MessageType.MARKETING) -> set[str]:
    """The variables a rewrite of ``draft`` may use: a template's own, or for a marketing
    draft without variables the fill-in placeholders (a notice or a code gets none)."""
    own = variables(draft)
    if own or kind is not MessageType.MARKETING:
        return own
    return set(FILL_INS)


def problems(
    draft: Message,
    text: str,
    verdict: Verdict | None = None,
    before: Verdict | None = None,
) -> list[str]:
    """Return why ``text`` (a rewrite of ``draft``) may not be shown; [] when it may.

    ``verdict`` is the check of ``text`` and ``before`` the check of the draft; without them
    the compliance part of the gate is skipped (the caller checks it another way).
    """
    out: list[str] = []
    if verdict is not None:
        if verdict.verdict is Decision.BLOCK:
            out.append("blocked")
        if before is not None:
            had = {r for f in before.findings for r in f.rule_ids}
            # a note (info: how many segments it bills) is no new problem
            new = sorted(
                {
                    f.rule_id
                    for f in verdict.findings
                    if f.severity is not Severity.INFO and not set(f.rule_ids) & had
                }
            )
            out.extend(f"new_finding:{r}" for r in new)
    out.extend(f"defect:{d}" for d in new_defects(draft.text, text))
    extra = variables(text) - allowed_variables(draft.text, draft.type)
    out.extend(f"variable:{v}" for v in sorted(extra))
    if draft.type is not MessageType.MARKETING:
        gained = Counter(_PROMO.findall(text)) - Counter(_PROMO.findall(draft.text))
        if not variables(draft.text) & _NAMES:
            gained += Counter(_GREETING.findall(text)) - Counter(_GREETING.findall(draft.text))
        out.extend(f"purpose:{w}" for w in sorted(gained))
    return out
