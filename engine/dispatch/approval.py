"""Approval tokens: a verdict that allowed a text, bound to that text, template and ruleset.

A token is ``<payload>.<hmac>``; the payload carries the ruleset version, the message type, a
hash of the text, the template id, its signature (签名) and an expiry. Dispatch accepts a message
only with a token that verifies against the text, template and signature it is asked to send,
or after checking the text itself (same binding, same process).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

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
    expires_at: float


@dataclass(frozen=True, slots=True)
class Binding:
    """What a token binds besides the text: the template, its signature, and how long it lives."""

    template: str
    sign_name: str
    ttl_s: float = 86400.0


def text_hash(text: str, msg_type: MessageType) -> str:
    """The hash an approval binds to: the exact text and its template type."""
    return hashlib.sha256(f"{msg_type.value}\n{text}".encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: bytes, secret: bytes) -> bytes:
    if not secret:  # never sign or verify with an empty key (engine/dispatch/secret.py)
        raise ValueError("the approval secret is empty")
    return _b64(hmac.new(secret, payload, hashlib.sha256).digest()[:20]).encode()


def issue(
    verdict: Verdict,
    text: str,
    msg_type: MessageType,
    binding: Binding,
    secret: bytes,
    now: float | None = None,
) -> Approval:
    """Sign an allowing verdict for ``text`` under ``binding``; review or block gets no token."""
    if verdict.verdict is not Decision.ALLOW:
        rules = ", ".join(f.rule_id for f in verdict.findings if f.severity.value != "info")
        raise ApprovalError(
            "not_allowed",
            f"the check answered {verdict.verdict.value} ({rules}); only allowed text is sent. "
            "Fix the text (see the findings) and check it again",
            verdict,
        )
    digest = text_hash(text, msg_type)
    expires = int((time.time() if now is None else now) + binding.ttl_s)
    data = {"v": verdict.ruleset_version, "t": msg_type.value, "h": digest,
            "tpl": binding.template, "s": binding.sign_name, "exp": expires}  # fmt: skip
    payload = _b64(orjson.dumps(data))
    token = f"{payload}.{_sign(payload.encode(), secret).decode()}"
    return Approval(verdict.ruleset_version, msg_type, digest, token, float(expires))


def approve(
    text: str,
    msg_type: MessageType,
    binding: Binding,
    ruleset: RuleSet,
    secret: bytes,
    checked: str | None = None,
) -> Approval:
    """Check ``text`` now and sign the verdict if it allows the text.

    ``checked`` is what the check reads when it differs from the text sent: the text with its
    random tracked-link codes masked (``clicks.masked``). The token still binds ``text``.
    """
    verdict = check(make_message(text if checked is None else checked, type=msg_type), ruleset)
    return issue(verdict, text, msg_type, binding, secret)


def _forged() -> ApprovalError:
    return ApprovalError(
        "unknown_approval",
        "the approval token is not one this server issued. Get one from POST /v1/approvals",
    )


def _payload(token: str, secret: bytes) -> dict[str, Any]:
    """The signed payload of ``token``; compared as bytes, so any text is refused, never a 500."""
    raw = token.encode("utf-8", "surrogateescape")
    payload, _, sig = raw.partition(b".")
    if not sig or not hmac.compare_digest(sig, _sign(payload, secret)):
        raise _forged()
    try:
        data = orjson.loads(_unb64(payload.decode("ascii")))
    except (ValueError, binascii.Error):
        raise _forged() from None
    if not isinstance(data, dict):
        raise _forged()
    return data


def verify(
    token: str,
    text: str,
    msg_type: MessageType,
    binding: Binding,
    secret: bytes,
    now: float | None = None,
) -> Approval:
    """Verify a token against what is sent; raise ApprovalError saying which binding fails."""
    data = _payload(token, secret)
    now = time.time() if now is None else now
    expires = data.get("exp")
    if not isinstance(expires, int):
        raise ApprovalError(
            "approval_outdated",
            "the approval token carries no expiry (issued before tokens expired). "
            "Get a new one from POST /v1/approvals",
        )
    if expires <= now:
        raise ApprovalError(
            "approval_expired",
            f"the approval token expired {int(now - expires)} s ago "
            "(XINSHI_APPROVAL_TTL). Get a new one from POST /v1/approvals",
        )
    if data.get("tpl") != binding.template:
        raise ApprovalError(
            "template_mismatch",
            f"the approval was issued for template {data.get('tpl')!r}, not "
            f"{binding.template!r}. Get one for this template from POST /v1/approvals",
        )
    if data.get("s") != binding.sign_name:
        raise ApprovalError(
            "signature_mismatch",
            f"the approval was issued for the signature {data.get('s')!r}, not "
            f"{binding.sign_name!r}. Get one for this signature from POST /v1/approvals",
        )
    if data.get("t") != msg_type.value or data.get("h") != text_hash(text, msg_type):
        raise ApprovalError(
            "text_changed",
            "the approval was issued for a different text or type; the text changed after it "
            "was checked. Check the exact text you send again",
        )
    return Approval(str(data.get("v")), msg_type, str(data["h"]), token, float(expires))
