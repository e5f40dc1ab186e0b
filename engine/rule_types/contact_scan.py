"""Find contact details in a message: phone numbers, QQ numbers, WeChat IDs, e-mail addresses
and accounts on other platforms, in any form, with spans on the original text.

``find_contacts`` runs the finders in order (each skips what an earlier one found):

- ``contact_numbers``: numbers in any digit characters with separators (``138-1234-5678``,
  ``一三八…``, ``壹叁捌…``, ``①③⑧…``), cut at the lengths a phone number has;
- ``contact_labels``: a QQ or WeChat label before a number or an ID (``QQ：123456789``,
  ``扣扣123456789``, ``+薇：abc123``);
- ``contact_far``: a QQ or WeChat label far before its number or ID;
- ``contact_told``: numbers told in pieces (joined by words, reversed, parts by position);
- ``contact_respell``: digits respelled by sound, by look-alike letters or in words;
- ``contact_accounts``: accounts on other apps and platforms;
- ``contact_email``: e-mail addresses, plain or disguised.

Linear time by construction: one regex with a single character class finds the runs of digit
characters, Python joins runs separated by at most ``MAX_GAP`` separator characters, labels
are read from a bounded window before a number, and every other search is a literal-anchored
regex with bounded repeats.
"""

from __future__ import annotations

from engine.normalize import Normalized
from engine.rule_types.contact_accounts import Platforms, default_platforms, find_accounts
from engine.rule_types.contact_email import find_emails
from engine.rule_types.contact_far import far_labelled
from engine.rule_types.contact_labels import (
    PENGUIN,
    QQ_WORDS,
    WECHAT_WORDS,
    Labels,
    compile_labels,
    default_labels,
    number_label,
    wechat_ids,
)
from engine.rule_types.contact_numbers import (
    CANDIDATE,
    LABEL_WINDOW,
    MAX_GAP,
    Contact,
    classify,
    cut_numbers,
    dialled,
    digit_count,
    digit_groups,
    digit_runs,
    make_contact,
    split_numbers,
    standalone,
    through_keycap,
)
from engine.rule_types.contact_respell import find_respelled
from engine.rule_types.contact_told import told_numbers

__all__ = [
    "MAX_GAP", "PENGUIN", "QQ_WORDS", "WECHAT_WORDS", "Contact", "Labels", "classify",
    "compile_labels", "default_labels", "find_contacts",
]  # fmt: skip


def find_contacts(
    text: str, norm: Normalized, labels: Labels | bool = True, apps: Platforms | bool = True
) -> list[Contact]:
    """Every phone, landline, hotline, QQ number, WeChat ID, e-mail address and account ID on
    another platform in ``text``.

    ``labels``: the QQ/WeChat labels to read (True: ``default_labels()``); False when the
    message has none of their ``literals`` (no QQ/WeChat label is searched). ``apps``: the
    platform names to read (True: those of ``labels``, else ``default_platforms()``); False
    when the message has none of them (IDs after an invitation verb or a described app, and
    Matrix IDs, are still found).
    """
    lab = default_labels() if labels is True else labels or None
    out = _numbers(text, lab)
    folded = norm.folded.text
    if lab is not None:
        out.extend(wechat_ids(text, folded, norm, out, lab))
        out.extend(far_labelled(text, folded, norm, lab, out))
    out.extend(told_numbers(text, out))
    out.extend(find_respelled(text, folded, norm, lab, out))
    if apps is True:
        apps = (lab.platforms if lab is not None else None) or default_platforms()
    out.extend(_accounts(text, folded, norm, out, apps or None))
    out.extend(cut_numbers(text, out))
    out.extend(find_emails(text, folded, norm, out))
    out = [through_keycap(text, c) for c in out]
    out.sort(key=lambda c: (c.start, -c.end))
    return out


def _accounts(
    text: str, folded: str, norm: Normalized, found: list[Contact], apps: Platforms | None
) -> list[Contact]:
    """Account IDs on other platforms (contact_accounts), on the original text, except those
    overlapping a contact already found (a WeChat ID, a QQ number)."""

    def written(s: int, e: int) -> str:
        return text[slice(*norm.folded_span(s, e))]

    out = []
    for a in find_accounts(folded, written, apps):
        s, e = norm.folded_span(a.start, a.end)
        # a number inside the account's span (Zalo 0912345678: a landline too) leaves it be;
        # the findings merge into the account's
        if not any(
            c.start < e and s < c.end and not (c.kind in _NUMBER_KINDS and s <= c.start)
            for c in found
        ):
            out.append(Contact(a.kind, s, e, a.value, a.evasion))
    return out


_NUMBER_KINDS = frozenset(("landline", "hotline"))  # a mobile stays the phone rules'


def _numbers(text: str, labels: Labels | None) -> list[Contact]:
    out: list[Contact] = []
    for m in CANDIDATE.finditer(text):
        chunk = m.group()
        if chunk.isdigit() and chunk.isascii():  # the common case: one plain number
            s, e = m.span()
            if len(chunk) > 20:
                continue
            if labels is None or not labels.hint.search(text, max(0, s - LABEL_WINDOW), s):
                kind = classify(chunk) if len(chunk) <= 13 else None
                if (
                    kind is not None
                    and standalone(text, s, e)
                    and (kind != "hotline" or len(chunk) >= 10 or dialled(text, s))
                ):
                    out.append(Contact(kind, s, e, chunk, None))
                continue
            groups = [[(s, e)]]
        else:
            groups = digit_groups(chunk, m.start())
        for group in groups:
            label = number_label(text, group, labels) if labels is not None else None
            if label is not None:
                kind, start, variant = label
                if digit_count(group) <= 20:
                    out.append(make_contact(kind, start, digit_runs(text, group), variant))
                continue
            out.extend(split_numbers(text, group))
    return out
