"""A message as JSON sends it (CLI --jsonl, HTTP): pydantic, kept apart from engine.message so
that checking plain text imports no pydantic."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from engine.message import Message, make_message


class MessageIn(BaseModel):
    """A message as it arrives from JSON (CLI --jsonl, HTTP): unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    id: str | int | None = None
    text: str
    type: str | None = None
    industry: str | None = None
    send_at: str | None = None
    profile: str | None = None

    def to_message(self) -> Message:
        """Validate the loose fields and build a Message (raises MessageError)."""
        return make_message(
            self.text,
            type=self.type,
            industry=self.industry,
            send_at=self.send_at,
            id=None if self.id is None else str(self.id),
            profile=self.profile,
        )
