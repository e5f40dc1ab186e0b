"""Findings -> one-click fixes: the edit that removes each finding, re-checked before it is shown.

A finding on characters gets a delete (punctuation repaired); a missing opt-out line gets an
insert at the end of the message (the profile's ``opt_out``); a missing signature an insert at
the start (the caller's signature, or a placeholder the page asks for). Every fix is applied and
the result checked again: it is kept only if that finding's rule fires fewer times, no rule the
draft did not trigger fires, and the gate (:mod:`engine.rewrite.gate`) finds no new flaw.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from engine.check import check
from engine.message import Message
from engine.normalize import normalize
from engine.rewrite.edits import (
    Edit,
    delete_link,
    delete_span,
    insert_opt_out,
    insert_signature,
    replace_span,
)
from engine.rewrite.gate import problems
from engine.rule_types.link import scan_links
from engine.ruleset import RuleSet
from engine.verdict import Finding, Verdict

TEXTS_FILE = Path(__file__).with_name("texts.yaml")
# Rule kinds whose finding is text that should not be there: deleting it is the fix. The others
# point at what lacks something (a disclosure, a period), where deleting would gut the draft.
# A content model's span is its evidence (an n-gram, part of a link), not the problem: no fix.
DELETABLE = frozenset({"forbidden", "contact", "link", "pattern", "obfuscation"})


@lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    """The labels and prompts of texts.yaml."""
    data: dict[str, Any] = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))
    return data


class Fix(NamedTuple):
    """One click: replace ``[start, end)`` of the draft with ``text`` (insert: start == end).

    ``ask`` is set when ``text`` holds ``placeholder`` for a value the page must ask for first
    (a signature the caller did not give).
    """

    kind: str  # delete | replace | insert
    start: int
    end: int
    text: str
    label: str  # in Chinese
    ask: str | None = None
    placeholder: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data (``ask`` and ``placeholder`` only when set)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "label": self.label,
        }
        if self.ask is not None:
            out.update(ask=self.ask, placeholder=self.placeholder)
        return out


def _candidate(
    msg: Message, f: Finding, ruleset: RuleSet, kinds: dict[str, str], signature: str | None
) -> tuple[Edit, Fix] | None:
    text, labels = msg.text, texts()["labels"]
    kind = kinds.get(f.rule_id)
    if kind not in DELETABLE and any(kinds.get(r) in DELETABLE for r in f.related):
        kind = "forbidden"  # a model finding merged with a link's or a listed word's: delete it
    if f.end > f.start:
        matched = text[f.start : f.end]
        if f.category == "unsubscribe" and kind == "conditional":  # the provider's wording
            edit = replace_span(text, f.start, f.end, ruleset.profile(msg.profile).opt_out)
            label = labels["replace"].format(matched=matched, text=edit.text)
        elif kind in DELETABLE:
            links = [(lk.start, lk.end) for lk in scan_links(normalize(text))]
            if any(a < f.start < b or a < f.end < b for a, b in links):
                return None  # never cut a link in two
            whole = any(f.start <= a and b <= f.end for a, b in links)
            edit = (delete_link if whole else delete_span)(text, f.start, f.end)
            gone = text[edit.start : edit.end].strip("，,。！!？?；;：:、 \u3000")
            label = labels["delete"].format(matched=gone or matched)
        else:
            return None
        return edit, Fix(edit.kind, edit.start, edit.end, edit.text, label)
    if f.category == "unsubscribe":
        edit = insert_opt_out(text, ruleset.profile(msg.profile).opt_out)
        label = labels["insert_opt_out"].format(text=edit.text.lstrip("，"))
        return edit, Fix("insert", edit.start, edit.end, edit.text, label)
    if f.category == "signature" and f.start == 0:
        name = signature or texts()["signature_placeholder"]
        edit = insert_signature(text, name)
        label = labels["insert_signature"].format(text=edit.text)
        if signature:
            return edit, Fix("insert", edit.start, edit.end, edit.text, label)
        ask = texts()["signature_ask"]
        return edit, Fix("insert", edit.start, edit.end, edit.text, label, ask, name)
    return None


def _fires(verdict: Verdict, rule_id: str) -> int:
    return sum(rule_id in f.rule_ids for f in verdict.findings)


def fixes(
    msg: Message, verdict: Verdict, ruleset: RuleSet, signature: str | None = None
) -> tuple[tuple[tuple[Fix, ...], ...], int]:
    """Return the fixes of each finding of ``verdict`` (in order) and how many were dropped."""
    out: list[tuple[Fix, ...]] = []
    dropped = 0
    kinds = {pr.full_id: pr.spec.kind for pr in ruleset.specs}
    for f in verdict.findings:
        cand = _candidate(msg, f, ruleset, kinds, signature)
        if cand is None:
            out.append(())
            continue
        edit, fix = cand
        fixed = replace(msg, text=edit.apply(msg.text))
        after = check(fixed, ruleset)
        bad = problems(msg, fixed.text, after, verdict)
        bad = [b for b in bad if b != "blocked"]  # other findings may still block
        if _fires(after, f.rule_id) >= _fires(verdict, f.rule_id):
            bad.append("finding_stays")
        if bad:
            dropped += 1
            out.append(())
        else:
            out.append((fix,))
    return tuple(out), dropped
