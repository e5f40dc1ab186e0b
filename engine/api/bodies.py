"""Request bodies of the routes that read JSON themselves (pydantic at the edge), for OpenAPI."""

from __future__ import annotations

from typing import Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from engine.api import docs


class SendIn(BaseModel):
    """POST /v1/messages: queue one approved message (idempotent on its key)."""

    model_config = ConfigDict(extra="forbid")
    idempotency_key: str | None = None
    phone: str
    template: str
    params: dict[str, Any] = {}
    approval: str | None = None
    send_at: str | None = None
    expires_at: str | None = None
    experiment: str | None = None
    variant: str | None = None
    track_links: bool = False
    campaign: str | None = None  # default: the experiment, else the template (kill switch)


class EventIn(BaseModel):
    """POST /v1/events: something happened to a recipient; send the scene's message."""

    model_config = ConfigDict(extra="forbid")
    idempotency_key: str | None = None
    scene: str
    phone: str
    params: dict[str, Any] = {}
    occurred_at: str | None = None


class ConversionIn(BaseModel):
    """POST /v1/conversions: one conversion of a sent message (idempotent)."""

    model_config = ConfigDict(extra="forbid")
    message_id: str
    value_fen: int = Field(ge=0, le=10**12)
    idempotency_key: str | None = None


class ApproveIn(BaseModel):
    """POST /v1/approvals: a template and its parameters, rendered, checked and approved."""

    model_config = ConfigDict(extra="forbid")
    template: str
    params: dict[str, Any] = {}


class VariantsIn(BaseModel):
    """POST /v1/variants: drafts (strings or message objects) and shared defaults."""

    model_config = ConfigDict(extra="forbid")
    drafts: list[str | dict[str, Any]]
    price: float = Field(default=0.045, ge=0)
    type: str | None = None
    industry: str | None = None
    send_at: str | None = None
    profile: str | None = None
    signature: str | None = Field(
        default=None,
        description="the sender's signature (2-12 characters, without 【】) that a missing-"
        "signature fix inserts; without it the fix inserts a placeholder and says what to ask",
    )


class ResumeIn(BaseModel):
    """POST /v1/dispatch/campaigns/{name}/resume: why it is safe to send again, and who says so."""

    model_config = ConfigDict(extra="forbid")
    reason: str
    by: str | None = None


class CallbackItem(BaseModel):
    """One receipt or reply as Aliyun (SmsReport, SmsUp) or Tencent (status, reply) push it."""

    model_config = ConfigDict(extra="allow")
    biz_id: str | None = None
    out_id: str | None = None
    phone_number: str | None = None
    success: bool | None = None
    err_code: str | None = None
    report_time: str | None = None
    sign_name: str | None = None
    content: str | None = None
    sid: str | None = None
    session_context: str | None = None
    mobile: str | None = None
    nationcode: str | None = None
    report_status: str | None = None
    errmsg: str | None = None
    user_receive_time: str | None = None
    sign: str | None = None
    text: str | None = None


def body(model: type[BaseModel], example: dict[str, Any]) -> dict[str, Any]:
    """Route keyword arguments that document ``model`` as the JSON request body."""
    return {
        "openapi_extra": docs.request_body(model, {"example": {"value": example}}),
        "responses": docs.ERRORS,
    }


SEND = body(
    SendIn,
    {"idempotency_key": "order-123-confirm", "phone": "13812345678",
     "template": "order_confirmed", "params": {"order": "1234567890"}},
)  # fmt: skip
EVENT = body(
    EventIn,
    {"idempotency_key": "birthday-2026-u123", "scene": "birthday", "phone": "13812345678",
     "params": {"name": "王女士", "amount": "20", "date": "2026-12-31"},
     "occurred_at": "2026-12-05T23:00:00+08:00"},
)  # fmt: skip
CONVERSION = body(ConversionIn, {"message_id": "0192f3a4b5c6d7e8f9a0b1c2", "value_fen": 29900})
APPROVE = body(ApproveIn, {"template": "order_confirmed", "params": {"order": "1234567890"}})
VARIANTS = body(VariantsIn, {"drafts": ["【信使商城】双11全场5折，拒收请回复R"]})
RESUME = body(ResumeIn, {"reason": "copy reworded; complainers suppressed", "by": "li.lei"})

_CALLBACK_ITEM = docs.ref(CallbackItem)
_CALLBACK = {"anyOf": [{"type": "array", "items": _CALLBACK_ITEM}, _CALLBACK_ITEM]}
CALLBACK: dict[str, Any] = {
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _CALLBACK,
                    "example": [{"phone_number": "13812345678", "success": True,
                                 "err_code": "DELIVERED", "biz_id": "1234^0", "out_id": "m1"}],
                }
            },
        }
    },
    "responses": docs.ERRORS,
}  # fmt: skip

# the callback routes' path parameter: documented as the known providers (others are a 404)
PROVIDER = Path(json_schema_extra={"enum": ["aliyun", "tencent"]})
