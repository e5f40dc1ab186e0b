"""Dispatch: approved messages -> outbox (the send record) -> providers.

Errors raised to callers::

    ValueError
     ├── IntakeError      a send request refused (code, field, one-line message)
     ├── OutboxError      idempotency conflict, retention under the legal floor
     ├── ApprovalError    no valid approval for this exact text
     ├── TemplateError    a templates file or a send's parameters (a value its type refuses)
     ├── VariableError    a variable types file (rules/dispatch/variables.yaml)
     ├── SceneError       a scenes file (rules/dispatch/scenes.yaml)
     └── PhoneError       not a valid mainland mobile number
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.dispatch.approval import ApprovalError, approve, verify
    from engine.dispatch.config import DispatchSettings
    from engine.dispatch.intake import Intake, IntakeError, SendRequest
    from engine.dispatch.message import Lane, OutboxRow, Outcome, Status
    from engine.dispatch.outbox import Outbox, OutboxError
    from engine.dispatch.phone import PhoneError, normalize_cn
    from engine.dispatch.templates import TemplateBook, TemplateError, load_templates

# Loaded on first use: the HTTP API reads DispatchSettings (standard library only) without
# the 'dispatch' extra's phonenumbers and aiohttp being installed.
_HOME = {
    "ApprovalError": "approval",
    "approve": "approval",
    "verify": "approval",
    "DispatchSettings": "config",
    "Intake": "intake",
    "IntakeError": "intake",
    "SendRequest": "intake",
    "Lane": "message",
    "OutboxRow": "message",
    "Outcome": "message",
    "Status": "message",
    "Outbox": "outbox",
    "OutboxError": "outbox",
    "PhoneError": "phone",
    "normalize_cn": "phone",
    "TemplateBook": "templates",
    "TemplateError": "templates",
    "load_templates": "templates",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'engine.dispatch' has no attribute {name!r}")
    value = getattr(import_module(f"engine.dispatch.{home}"), name)
    globals()[name] = value
    return value


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
