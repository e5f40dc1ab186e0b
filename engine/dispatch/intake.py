"""Intake: a send request -> validated, rendered, approved -> one outbox row (idempotent)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from engine.check import check
from engine.dispatch.approval import Approval, ApprovalError, Binding, approve, issue, verify
from engine.dispatch.clicks import masked, shorten
from engine.dispatch.destinations import LinkError, vet
from engine.dispatch.message import CHECK_TYPE, Lane, OutboxRow
from engine.dispatch.outbox import NewMessage, Outbox, OutboxError
from engine.dispatch.phone import PhoneError, carrier_hint, normalize_cn
from engine.dispatch.templates import Template, TemplateBook, TemplateError
from engine.message import make_message
from engine.ruleset import RuleSet
from engine.verdict import Verdict

# how long a message may wait before it is no longer worth sending (seconds)
DEFAULT_TTL = {
    Lane.OTP: 300.0,
    Lane.ALERT: 3600.0,
    Lane.NOTICE: 86400.0,
    Lane.MARKETING: 3 * 86400.0,
}


@dataclass(frozen=True)
class SendRequest:
    """What a caller asks for (HTTP body or CLI options), not yet validated."""

    idempotency_key: str
    phone: str
    template: str
    params: dict[str, str] = field(default_factory=dict)
    approval: str | None = None  # a token from POST /v1/approvals; else checked here
    send_at: datetime | None = None
    expires_at: datetime | None = None
    experiment: str | None = None
    variant: str | None = None
    track_links: bool = False
    campaign: str | None = None  # default: the experiment, else the template (campaign_of)

    def body_hash(self) -> str:
        """What makes two requests 'the same message' for idempotency."""
        data = {
            "phone": self.phone, "template": self.template, "params": self.params,
            "send_at": self.send_at.isoformat() if self.send_at else None,
            "experiment": self.experiment, "variant": self.variant,
            "track_links": self.track_links,
        }  # fmt: skip
        if self.campaign is not None:  # absent: the same hash as before campaigns existed
            data["campaign"] = self.campaign
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


_CAMPAIGN = re.compile(r"^[\w.:-]{1,64}$")


def campaign_of(req: SendRequest, tpl: Template) -> str | None:
    """The campaign a message belongs to: the request's ``campaign``, else its experiment, else
    (marketing only) its template; the kill switch pauses and resumes campaigns."""
    if req.campaign is not None and not _CAMPAIGN.match(req.campaign):
        raise IntakeError(
            "invalid_request",
            f"campaign {req.campaign!r} is not a campaign name: 1-64 letters, digits, _ . : -, "
            "e.g. double11-2026",
            "campaign",
        )
    if req.campaign is not None:
        return req.campaign
    if tpl.lane is not Lane.MARKETING:
        return None
    return req.experiment or tpl.id


class IntakeError(ValueError):
    """A refused send request: ``code`` and ``field`` for the API, a one-line message."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class Intake:
    """Turns requests into outbox rows: approved text only, bound to its ruleset version."""

    def __init__(
        self,
        outbox: Outbox,
        book: TemplateBook,
        ruleset: Callable[[], RuleSet],
        secret: bytes,
        link_base: str,
        approval_ttl_s: float = 86400.0,
    ) -> None:
        self.outbox, self.book, self.ruleset = outbox, book, ruleset
        self.secret, self.link_base, self.approval_ttl_s = secret, link_base, approval_ttl_s
        # (template, ruleset version) -> the template's own verdict (checked with its example)
        self._templates_ok: dict[tuple[str, str], Verdict] = {}

    def prepare(self, req: SendRequest, now: float | None = None) -> NewMessage:
        """Validate, render, approve; raise IntakeError with what to fix."""
        now = time.time() if now is None else now
        if not req.idempotency_key or len(req.idempotency_key) > 128:
            raise IntakeError(
                "invalid_request",
                "idempotency_key is required (1-128 characters), e.g. order-123-confirm",
                "idempotency_key",
            )
        try:
            phone = normalize_cn(req.phone)
            tpl = self.book.get(req.template)
            params, links = (
                shorten(req.params, self.link_base) if req.track_links else (req.params, ())
            )
            text = tpl.render(params)
        except PhoneError as exc:
            raise IntakeError("invalid_phone", str(exc), "phone") from None
        except TemplateError as exc:
            raise IntakeError("invalid_template", exc.message, exc.field) from None
        msg_type = CHECK_TYPE[tpl.lane]
        own_verdict = self._check_template(tpl.id)
        for code, url in links:  # the destinations the short links hide pass the rules too
            name = next(n for n, v in params.items() if v.endswith(f"/r/{code}"))
            others = masked(text, tuple(link for link in links if link[0] != code))
            try:
                vet(others, params[name], url, msg_type, self.ruleset())
            except LinkError as exc:
                raise IntakeError(exc.code, exc.message, f"params.{name}") from None
        try:
            binding = self._binding(tpl)
            if req.approval is not None and not links:
                approval = verify(req.approval, text, msg_type, binding, self.secret)
            elif tpl.fixed:  # codes, numbers, amounts, dates: read as the example read
                approval = issue(own_verdict, text, msg_type, binding, self.secret)
            else:  # checked here, in the same process, bound the same way
                checked = masked(text, links)  # random codes are not content: never read them
                approval = approve(text, msg_type, binding, self.ruleset(), self.secret, checked)
        except ApprovalError as exc:
            raise IntakeError(exc.code, exc.message, "approval") from None
        not_before = req.send_at.timestamp() if req.send_at else now
        expires = (
            req.expires_at.timestamp() if req.expires_at else not_before + DEFAULT_TTL[tpl.lane]
        )
        if expires <= not_before:
            raise IntakeError(
                "invalid_request", "expires_at must be later than send_at", "expires_at"
            )
        return NewMessage(
            idem_key=req.idempotency_key,
            body_hash=req.body_hash(),
            lane=tpl.lane,
            phone=phone,
            sign_name=tpl.sign_name,
            template_id=tpl.id,
            params=params,
            rendered_text=text,
            ruleset_version=approval.ruleset_version,
            not_before=not_before,
            expires_at=expires,
            experiment=req.experiment,
            variant=req.variant,
            campaign=campaign_of(req, tpl),
            carrier_hint=carrier_hint(phone),
            links=links,
        )

    def _binding(self, tpl: Template) -> Binding:
        return Binding(tpl.id, tpl.sign_name, self.approval_ttl_s)

    def approval(self, template_id: str, params: dict[str, str]) -> tuple[Verdict, Approval]:
        """Render a template, check it and sign an approval bound to it (POST /v1/approvals).

        Raise IntakeError for a bad template or parameters, ApprovalError (with the verdict)
        when the check does not allow the text.
        """
        try:
            tpl = self.book.get(template_id)
            text = tpl.render(params)
        except TemplateError as exc:
            raise IntakeError("invalid_template", exc.message, exc.field) from None
        msg_type = CHECK_TYPE[tpl.lane]
        verdict = check(make_message(text, type=msg_type), self.ruleset())
        return verdict, issue(verdict, text, msg_type, self._binding(tpl), self.secret)

    def _check_template(self, template_id: str) -> Verdict:
        """Check a logical template once per ruleset version, filled with its example; return
        its verdict (it allows the text)."""
        ruleset = self.ruleset()
        key = (template_id, ruleset.version)
        known = self._templates_ok.get(key)
        if known is not None:
            return known
        tpl = self.book.get(template_id)
        text = tpl.render(self.book.examples[template_id])
        msg_type = CHECK_TYPE[tpl.lane]
        verdict = check(make_message(text, type=msg_type), ruleset)
        try:
            issue(verdict, text, msg_type, self._binding(tpl), self.secret)
        except ApprovalError as exc:
            raise IntakeError(
                "template_not_allowed",
                f"template {template_id!r} itself is not allowed under the current rules: "
                f"{exc.message}",
                "template",
            ) from None
        self._templates_ok[key] = verdict
        return verdict

    def submit(self, req: SendRequest, now: float | None = None) -> tuple[OutboxRow, bool]:
        """Queue one request (idempotent on its key); return (row, created)."""
        existing = self._existing(req)
        if existing is not None:
            return existing, False
        msg = self.prepare(req, now)
        try:
            return self.outbox.enqueue(msg, now)
        except OutboxError as exc:
            raise IntakeError(exc.code, exc.message, exc.field) from None

    def _existing(self, req: SendRequest) -> OutboxRow | None:
        """A retry of a request already queued: same answer, even if the rules changed since."""
        rows = self.outbox.query(
            "SELECT id, body_hash FROM message WHERE idem_key=?", (req.idempotency_key,)
        )
        if not rows:
            return None
        mid, body_hash = rows[0]
        if body_hash != req.body_hash():
            raise IntakeError(
                "idempotency_conflict",
                f"idempotency key {req.idempotency_key!r} was already used for a different "
                f"message ({mid}). Use a new key for a new message",
                "idempotency_key",
            )
        return self.outbox.get(str(mid))
