"""The message model: what a caller asks Xinshi to check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.message_in import MessageIn as MessageIn  # re-exported, lazily (below)

_SURROGATE = re.compile("[\ud800-\udfff]")
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991


class MessageType(StrEnum):
    """Template type, as SMS providers define it."""

    VERIFICATION = "verification"
    NOTIFICATION = "notification"
    MARKETING = "marketing"


MESSAGE_TYPES = tuple(t.value for t in MessageType)


class MessageError(ValueError):
    """A message field is invalid; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Message:
    """One SMS to check. ``type`` defaults to the strictest, marketing."""

    text: str
    type: MessageType = MessageType.MARKETING
    industry: str | None = None
    send_at: datetime | None = None  # aware; Beijing time when the input had no offset
    id: str | None = None
    profile: str = "default"


def parse_type(value: str | MessageType | None) -> MessageType:
    """Read a message type, with a clear error for unknown ones."""
    if value is None:
        return MessageType.MARKETING
    if isinstance(value, MessageType):
        return value
    try:
        return MessageType(str(value).strip().lower())
    except ValueError:
        raise MessageError(
            "type",
            f"unknown message type {value!r}. Use one of: {', '.join(MESSAGE_TYPES)}",
        ) from None


def parse_send_at(value: str | datetime | None) -> datetime | None:
    """Read an ISO 8601 time; without an offset it is Beijing time."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise MessageError(
                "send_at",
                f"send_at {value!r} is not an ISO 8601 time. "
                "Write it like 2026-11-11T10:00 or 2026-11-11T10:00:00+08:00",
            ) from None
    when = when.replace(tzinfo=BEIJING) if when.tzinfo is None else when
    try:  # year 1 at +14:00 is a valid datetime that no time zone conversion can hold
        beijing = when.astimezone(BEIJING)
    except OverflowError:
        beijing = None
    if beijing is None or not 1970 <= beijing.year <= 9998:
        raise MessageError(
            "send_at",
            f"send_at {value!r} is out of range. Use a time between 1970 and 9998, "
            "e.g. 2026-11-11T10:00+08:00",
        )
    return when


def make_message(
    text: str,
    *,
    type: str | MessageType | None = None,
    industry: str | None = None,
    send_at: str | datetime | None = None,
    id: str | None = None,
    profile: str | None = None,
) -> Message:
    """Build a Message from loose values, raising MessageError on bad ones."""
    if not isinstance(text, str):
        raise MessageError("text", "text must be a string")
    bad = _SURROGATE.search(text)
    if bad:
        raise MessageError(
            "text",
            f"text has an unpaired surrogate at index {bad.start()} (invalid Unicode). "
            "Send the text as valid UTF-8",
        )
    return Message(
        text=text,
        type=parse_type(type),
        industry=(industry or None) and industry.strip().lower(),
        send_at=parse_send_at(send_at),
        id=id,
        profile=(profile or "default").strip().lower(),
    )


def __getattr__(name: str) -> Any:
    # MessageIn (JSON input) is pydantic: a check of plain text never pays for importing it
    if name == "MessageIn":
        from engine.message_in import MessageIn

        return MessageIn
    raise AttributeError(f"module 'engine.message' has no attribute {name!r}")
