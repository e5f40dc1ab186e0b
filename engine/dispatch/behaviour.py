"""The fake provider's behaviour, from a YAML file: delivery by carrier, latencies, limits, fees.

    delivery_rate: {cmcc: 0.995, cucc: 0.99, ctcc: 0.99, cbn: 0.99, virtual: 0.95}
    receipt_latency_ms: {p50: 1800, p95: 6000}   # lognormal through these two points
    submit_latency_ms: {p50: 40, p95: 120}       # lognormal
    qps_limit: 200             # sends/s; beyond it the provider's throttle code (null: none)
    content_filter: []         # words: a message containing one gets the content-filter code
    price_fen_per_segment: 4.5
    bill_failed: true          # undelivered messages are billed too (a hidden fee)
    long_sms_segment_chars: 67 # a message over 70 characters is billed per this many
    seed: null                 # an integer makes the random draws repeatable

Every key is optional (the defaults above). Unknown keys and bad values are errors naming the
file, the line and how to fix it, all of them at once.
"""

from __future__ import annotations

import math
import random
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.ruleset.yaml_lines import YamlDocument


class BehaviourError(ValueError):
    """A behaviour file that cannot be used; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rates(_Strict):
    """Share of accepted messages delivered, per carrier group."""

    cmcc: float = Field(default=0.995, ge=0, le=1)
    cucc: float = Field(default=0.99, ge=0, le=1)
    ctcc: float = Field(default=0.99, ge=0, le=1)
    cbn: float = Field(default=0.99, ge=0, le=1)
    virtual: float = Field(default=0.95, ge=0, le=1)
    unknown: float = Field(default=0.99, ge=0, le=1)


class Latency(_Strict):
    """A lognormal latency given by its median and 95th percentile, in milliseconds."""

    p50: float = Field(gt=0)
    p95: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Latency:
        if self.p95 < self.p50:
            raise ValueError(f"p95 ({self.p95:g}) is below p50 ({self.p50:g}); p95 >= p50")
        return self

    def draw(self, rng: random.Random) -> float:
        """One latency in seconds."""
        sigma = (math.log(self.p95) - math.log(self.p50)) / 1.6449
        return rng.lognormvariate(math.log(self.p50), sigma) / 1000


class Behaviour(_Strict):
    """How a fake provider behaves (see the module docstring)."""

    delivery_rate: Rates = Rates()
    receipt_latency_ms: Latency = Latency(p50=1800, p95=6000)
    submit_latency_ms: Latency = Latency(p50=40, p95=120)
    qps_limit: float | None = Field(default=200, gt=0)
    content_filter: tuple[str, ...] = ()
    price_fen_per_segment: float = Field(default=4.5, ge=0)
    bill_failed: bool = True
    long_sms_segment_chars: int = Field(default=67, ge=1, le=70)
    seed: int | None = None

    def segments(self, text: str) -> int:
        """Billed segments: one up to 70 characters, else one per ``long_sms_segment_chars``."""
        n = len(text)
        return 1 if n <= 70 else -(-n // self.long_sms_segment_chars)

    def filtered(self, text: str) -> str | None:
        """The first content-filter word in ``text``, if any."""
        return next((w for w in self.content_filter if w and w in text), None)


_KEYS = {
    (): list(Behaviour.model_fields),
    ("delivery_rate",): list(Rates.model_fields),
    ("receipt_latency_ms",): list(Latency.model_fields),
    ("submit_latency_ms",): list(Latency.model_fields),
}


def _message(doc: YamlDocument, path: str, err: dict[str, Any]) -> tuple[int, str]:
    loc = tuple(str(p) for p in err["loc"])
    line = (doc.line_of(*loc) if loc else 1) or 1
    where = f"{path}:{line}"
    dotted = ".".join(loc)
    if err["type"] == "extra_forbidden":
        parent, name = loc[:-1], loc[-1]
        known = _KEYS.get(parent, [])
        hint = get_close_matches(name, known, n=1)
        fix = f" Did you mean {hint[0]!r}?" if hint else ""
        of = " of " + ".".join(parent) if parent else ""
        return line, f"{where}: unknown key {dotted!r}. Known keys{of}: {', '.join(known)}.{fix}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return line, f"{where}: {dotted or 'file'}: {msg} (got {err.get('input')!r})"


def load_behaviour(path: Path) -> Behaviour:
    """Read a behaviour file; BehaviourError lists every problem with its file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BehaviourError([f"{path}: cannot read the behaviour file: {exc.strerror}"]) from None
    try:
        doc = YamlDocument(text)
    except Exception as exc:  # yaml.YAMLError: its mark names the line
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        why = getattr(exc, "problem", None) or str(exc)
        raise BehaviourError([f"{path}:{line}: not valid YAML: {why}"]) from None
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise BehaviourError(
            [f"{path}:1: a behaviour file is a mapping of keys (delivery_rate:, qps_limit: ...)"]
        )
    try:
        return Behaviour.model_validate(data)
    except ValidationError as exc:
        found = sorted(_message(doc, str(path), dict(e)) for e in exc.errors())  # file order
        raise BehaviourError([m for _, m in found]) from None
