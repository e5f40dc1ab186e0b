"""Approval tokens: a verdict that allowed a text, bound to that exact text and ruleset version.

A token is ``<payload>.<hmac>``; the payload carries the ruleset version, the message type and a
hash of the text. Dispatch accepts a message only with a token that verifies against the text it
is asked to send, or after checking the text itself (same binding, same process).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import orjson

from engine.check import check
from engine.message import MessageType, make_message
from engine.ruleset import RuleSet
from engine.verdict import Decision, Verdict


class ApprovalError(ValueError):
    """The message has no valid approval for this text; ``code`` says which way it failed."""

    def __init__(self, code: str, message: str, verdict: Verdict | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.verdict = code, message, verdict


@dataclass(frozen=True, slots=True)
class Approval:
    """A verified approval: the text's hash, type and the ruleset version that allowed it."""

    ruleset_version: str
    type: MessageType
    text_hash: str
    token: str


def text_hash(text: str, msg_type: MessageType) -> str:
    """The hash an approval binds to: the exact text and its template type."""
    return hashlib.sha256(f"{msg_type.value}\n{text}".encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest()[:20])


def issue(verdict: Verdict, text: str, msg_type: MessageType, secret: bytes) -> Approval:
    """Sign an allowing verdict for ``text``; a review or block verdict gets no token."""
    if verdict.verdict is not Decision.ALLOW:
        rules = ", ".join(f.rule_id for f in verdict.findings if f.severity.value != "info")
        raise ApprovalError(
            "not_allowed",
            f"the check answered {verdict.verdict.value} ({rules}); only allowed text is sent. "
            "Fix the text (see the findings) and check it again",
            verdict,
        )
    digest = text_hash(text, msg_type)
    payload = _b64(orjson.dumps({"v": verdict.ruleset_version, "t": msg_type.value, "h": digest}))
    return Approval(
        verdict.ruleset_version, msg_type, digest, f"{payload}.{_sign(payload, secret)}"
    )


def approve(
    text: str, msg_type: MessageType, ruleset: RuleSet, secret: bytes, checked: str | None = None
) -> Approval:
    """Check ``text`` now and sign the verdict if it allows the text.

    ``checked`` is what the check reads when it differs from the text sent: the text with its
    random tracked-link codes masked (``clicks.masked``).
    """
    verdict = check(make_message(text if checked is None else checked, type=msg_type), ruleset)
    return issue(verdict, text, msg_type, secret)


def verify(token: str, text: str, msg_type: MessageType, secret: bytes) -> Approval:
    """Verify a token against the text to send; raise ApprovalError if it does not bind it."""
    payload, _, sig = token.partition(".")
    if not sig or not hmac.compare_digest(sig, _sign(payload, secret)):
        raise ApprovalError(
            "unknown_approval",
            "the approval token is not one this server issued. Get one from POST /v1/approvals",
        )
    data = orjson.loads(_unb64(payload))
    if data["t"] != msg_type.value or data["h"] != text_hash(text, msg_type):
        raise ApprovalError(
            "text_changed",
            "the approval was issued for a different text or type; the text changed after it "
            "was checked. Check the exact text you send again",
        )
    return Approval(str(data["v"]), msg_type, str(data["h"]), token)
