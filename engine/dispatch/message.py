"""What dispatch moves: lanes, statuses, outcomes, the outbox row (frozen, typed)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from engine.message import MessageType


class Lane(StrEnum):
    """Traffic class, in priority order: an OTP never waits behind a campaign."""

    OTP = "otp"
    ALERT = "alert"
    NOTICE = "notice"
    MARKETING = "marketing"


LANES = tuple(Lane)
# the template type the pre-send check judges a lane's text as
CHECK_TYPE = {
    Lane.OTP: MessageType.VERIFICATION,
    Lane.ALERT: MessageType.NOTIFICATION,
    Lane.NOTICE: MessageType.NOTIFICATION,
    Lane.MARKETING: MessageType.MARKETING,
}


class Status(StrEnum):
    """Where a message is. Final statuses never change, except that a receipt still moves accepted
    or no_receipt to delivered/undelivered."""

    QUEUED = "queued"  # waiting (also deferred: not_before in the future)
    SENDING = "sending"  # claimed under a lease; the provider call may be in flight
    UNKNOWN = "unknown"  # the provider may or may not have it: reconcile, never re-send blindly
    ACCEPTED = "accepted"  # the provider took it (provider_ref stored)
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"  # permanent / content / account errors, retries used up, caps (otp)
    SUPPRESSED = "suppressed"  # the recipient opted out (refused, never sent)
    EXPIRED = "expired"  # not sent before expires_at
    BLOCKED = "blocked"  # re-checked under changed rules and no longer allowed
    NO_RECEIPT = "no_receipt"  # accepted, but no receipt came within the receipt timeout
    HELD = "held"  # its campaign was paused by the complaint kill switch: waits for a resume


FINAL = frozenset(
    {
        Status.DELIVERED,
        Status.UNDELIVERED,
        Status.FAILED,
        Status.SUPPRESSED,
        Status.EXPIRED,
        Status.BLOCKED,
        Status.NO_RECEIPT,
    }
)


class Outcome(StrEnum):
    """One provider call, classified (reference §4.6)."""

    ACCEPTED = "accepted"
    PERMANENT = "permanent"  # bad number, template, signature: no retry, no failover
    CONTENT = "content"  # the provider's content filter: feed back to the rules team
    SUPPRESSED = "suppressed"  # provider-side blacklist (usually a user opt-out)
    RECIPIENT_THROTTLED = "recipient_throttled"  # per-number limits: never fail over
    WINDOW = "window"  # marketing outside the provider's hours
    ACCOUNT = "account"  # balance / account limits: fail over where a template exists
    TRANSIENT = "transient"  # 5xx, connection refused before sending: retry with backoff
    PROVIDER_THROTTLED = "provider_throttled"  # our request rate: slow down, never fail over
    UNKNOWN = "unknown"  # timeout after sending: reconcile


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One message as stored in the outbox (which is also the send record)."""

    id: str
    idem_key: str
    lane: Lane
    phone: str
    sign_name: str
    template_id: str
    params: dict[str, str]
    rendered_text: str
    ruleset_version: str
    status: Status
    not_before: float
    expires_at: float | None
    attempts: int
    created_at: float
    provider: str | None = None
    provider_ref: str | None = None
    last_code: str | None = None
    experiment: str | None = None
    variant: str | None = None
    carrier_hint: str | None = None
    claimed_at: float | None = None  # when a worker last leased it (about when it was sent)
    scene: str | None = None  # rules/dispatch/scenes.yaml, for messages an event triggered
    send_window: str | None = None  # the scene's hours ("09:00-20:00", Beijing): sent only then

    def to_dict(self) -> dict[str, Any]:
        """The public view (API, CLI)."""
        return {
            "id": self.id,
            "idempotency_key": self.idem_key,
            "lane": self.lane.value,
            "phone": self.phone,
            "sign_name": self.sign_name,
            "template": self.template_id,
            "params": self.params,
            "text": self.rendered_text,
            "ruleset_version": self.ruleset_version,
            "status": self.status.value,
            "code": self.last_code,
            "provider": self.provider,
            "provider_ref": self.provider_ref,
            "attempts": self.attempts,
            "not_before": self.not_before,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
            "experiment": self.experiment,
            "variant": self.variant,
            "scene": self.scene,
        }
