"""The corpus of real-looking drafts the rewrite tests run on (tests/data/rewrite_drafts.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine import make_message
from engine.message import Message

CORPUS = Path(__file__).resolve().parent.parent / "data" / "rewrite_drafts.jsonl"


def corpus() -> list[dict[str, Any]]:
    """Every draft: id (m: marketing, n: notification, v: verification code), type, text."""
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def message(row: dict[str, Any]) -> Message:
    """The draft as a message of its type."""
    return make_message(row["text"], type=row["type"])
