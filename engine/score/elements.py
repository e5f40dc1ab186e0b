"""engine/score/elements.yaml -> the Chinese labels, reasons and edit texts of the model."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from engine.score.features import FEATURE_NAMES

ELEMENTS_FILE = Path(__file__).with_name("elements.yaml")


class Element(BaseModel):
    """How one feature is shown to a copywriter."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    reason: str  # what is present; the signed effect is appended (engine.score.reason_text)
    advice: str | None = None  # shown only on a loss
    upgrade: str | None = None  # shown only on a gain
    # the rewrite operator the advice and upgrade stand for: shown only on the message types
    # that operator may rewrite (a notice is not told to greet by name or add a coupon)
    edit: str | None = None


class Edit(BaseModel):
    """The text a rewrite operator inserts, and how it is described."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    describe: str
    insert: str | None = None
    insert_offer: str | None = None  # clear_cta: the call to action when the draft offers something
    types: tuple[str, ...] = ("marketing", "notification", "verification")  # where it may run


class Elements(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    features: dict[str, Element]
    edits: dict[str, Edit]


@lru_cache(maxsize=1)
def elements() -> Elements:
    """Load and validate elements.yaml once; every model feature must have an entry."""
    raw = yaml.safe_load(ELEMENTS_FILE.read_text(encoding="utf-8"))
    data = Elements.model_validate(raw)
    missing = [n for n in FEATURE_NAMES if n not in data.features]
    unknown = sorted(
        f"{n}: {e.edit}" for n, e in data.features.items() if e.edit and e.edit not in data.edits
    )
    if unknown:
        raise ValueError(
            f"{ELEMENTS_FILE}: features naming an unknown edit: {', '.join(unknown)}. "
            f"Known edits: {', '.join(data.edits)}"
        )
    if missing:
        raise ValueError(
            f"{ELEMENTS_FILE}: features without a label and reason: {', '.join(missing)}. "
            "Add an entry for each under 'features:'"
        )
    return data
