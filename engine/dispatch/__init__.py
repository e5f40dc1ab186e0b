"""Dispatch: approved messages -> outbox (the send record) -> providers.

Errors raised to callers::

    ValueError
     ├── IntakeError      a send request refused (code, field, one-line message)
     ├── OutboxError      idempotency conflict, retention under the legal floor
     ├── ApprovalError    no valid approval for this exact text
     ├── TemplateError    a templates file or a send's parameters
     └── PhoneError       not a valid mainland mobile number
"""

from __future__ import annotations

from engine.dispatch.approval import ApprovalError, approve, verify
from engine.dispatch.config import DispatchSettings
from engine.dispatch.intake import Intake, IntakeError, SendRequest
from engine.dispatch.message import Lane, OutboxRow, Outcome, Status
from engine.dispatch.outbox import Outbox, OutboxError
from engine.dispatch.phone import PhoneError, normalize_cn
from engine.dispatch.templates import TemplateBook, TemplateError, load_templates

__all__ = [
    "ApprovalError",
    "DispatchSettings",
    "Intake",
    "IntakeError",
    "Lane",
    "Outbox",
    "OutboxError",
    "OutboxRow",
    "Outcome",
    "PhoneError",
    "SendRequest",
    "Status",
    "TemplateBook",
    "TemplateError",
    "approve",
    "load_templates",
    "normalize_cn",
    "verify",
]
