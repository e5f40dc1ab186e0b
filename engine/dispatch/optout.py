"""Opt-out: replies like T, TD, R, 退订 put the number on the suppression list of that signature.

Scope: the signature (brand) the reply was sent to, or everything (``*``) when the provider does
not say. A signature opt-out stops that brand's marketing; OTPs and notices still go out.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.dispatch.outbox import ALL_SCOPES, Outbox
from engine.dispatch.phone import PhoneError, normalize_cn
from engine.dispatch.providers.base import Inbound
from engine.ruleset import dispatch_file


@dataclass(frozen=True, slots=True)
class OptOutWords:
    """The reply words that mean 'stop' (rules/dispatch/optout.yaml)."""

    exact: frozenset[str]
    contains: tuple[str, ...]

    def matches(self, reply: str) -> bool:
        """Whether a reply is an opt-out."""
        text = "".join(
            ch
            for ch in unicodedata.normalize("NFKC", reply).upper()
            if not unicodedata.category(ch).startswith(("P", "Z", "S", "C"))
        )
        return text in self.exact or any(word in text for word in self.contains)


def load_optout_words(path: Path | None = None) -> OptOutWords:
    """Read the opt-out words (default: the shipped rules)."""
    path = path or dispatch_file("optout.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    exact = frozenset(str(w).upper() for w in data.get("exact", []))
    contains = tuple(str(w).upper() for w in data.get("contains", []))
    return OptOutWords(exact, contains)


def apply_inbound(outbox: Outbox, words: OptOutWords, replies: list[Inbound]) -> int:
    """Record every reply; suppress the senders of opt-outs. Return how many opted out."""
    n = 0
    now = time.time()
    for mo in replies:
        try:
            phone = normalize_cn(mo.phone)
        except PhoneError:
            phone = mo.phone  # keep the record even if the number looks odd
        optout = words.matches(mo.text)
        outbox.record_inbound(mo.provider, phone, mo.sign_name, mo.text, optout, mo.raw)
        if optout:
            scope = (mo.sign_name or "").strip("【】 ") or ALL_SCOPES
            outbox.suppress(phone, scope, f"reply:{mo.text[:20]}", mo.provider, now)
            n += 1
    return n
