"""Load the detection corpora and describe them without showing their text.

The frozen split is held out: code may read it to score the shipped rules, but nothing here
prints a message from it. ``python -m bench.corpus`` prints sizes per label and the
SHA-256 of every file, the table that bench/corpora/README.md records.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.rule_types.base import CATEGORIES

HERE = Path(__file__).resolve().parent / "corpora"
SPLITS = ("dev", "frozen")
MESSAGE_CORPORA = ("clean", "spam", "news")
TYPES = ("verification", "notification", "marketing")
LABELS = ("clean", "news", *CATEGORIES)
RULESET_YAML = HERE.parent.parent / "rules" / "ruleset.yaml"


class CorpusError(ValueError):
    """A corpus line that does not follow the schema (the message says file:line and field)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One labelled message."""

    id: str
    text: str
    type: str
    industry: str | None
    label: str
    categories: frozenset[str]
    note: str
    evasion: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PeerCase:
    """One unit-test case of a peer library, as its own word list plus a text."""

    id: str
    words: tuple[str, ...]
    allow: tuple[str, ...]
    text: str
    expect: tuple[str, ...]  # the words the peer's test expects found; empty = no hit
    feature: str
    source: str


def path(split: str, corpus: str) -> Path:
    """Return the file of one corpus in one split."""
    return HERE / split / f"{corpus}.jsonl"


def _lines(p: Path) -> list[tuple[int, dict[str, object]]]:
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise CorpusError(
                f"{p.name}:{n}: not JSON ({e.msg}). Write one object per line"
            ) from None
        if not isinstance(obj, dict):
            raise CorpusError(f"{p.name}:{n}: a line must be a JSON object")
        out.append((n, obj))
    return out


def _str(obj: dict[str, object], key: str, where: str, optional: bool = False) -> str | None:
    v = obj.get(key)
    if v is None and optional:
        return None
    if not isinstance(v, str) or not v:
        raise CorpusError(f"{where}: field '{key}' must be a non-empty string")
    return v


def _strs(obj: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    v = obj.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise CorpusError(f"{where}: field '{key}' must be a list of strings")
    return tuple(v)


def load(split: str, corpus: str) -> list[Sample]:
    """Read one message corpus, checking every line against the schema."""
    p = path(split, corpus)
    out = []
    for n, obj in _lines(p):
        where = f"{p.name}:{n}"
        label = _str(obj, "label", where)
        typ = _str(obj, "type", where)
        if label not in LABELS:
            raise CorpusError(f"{where}: unknown label {label!r}. Use clean, news or a category")
        if typ not in TYPES:
            raise CorpusError(f"{where}: unknown type {typ!r}. Use one of {', '.join(TYPES)}")
        industry = _str(obj, "industry", where, optional=True)
        if industry is not None and industry not in industries():
            raise CorpusError(
                f"{where}: unknown industry {industry!r}. Use one of rules/ruleset.yaml's "
                f"industries: {', '.join(industries())}"
            )
        cats = _strs(obj, "categories", where)
        bad = [c for c in cats if c not in CATEGORIES]
        if bad:
            raise CorpusError(f"{where}: unknown categories {bad}. See engine/rule_types/base.py")
        if label in ("clean", "news") and cats:
            raise CorpusError(f"{where}: a {label} message must have no categories")
        if label not in ("clean", "news") and label not in cats:
            raise CorpusError(f"{where}: label {label!r} must be among its categories")
        out.append(
            Sample(
                id=str(_str(obj, "id", where)),
                text=str(_str(obj, "text", where)),
                type=str(typ),
                industry=industry,
                label=str(label),
                categories=frozenset(cats),
                note=str(_str(obj, "note", where)),
                evasion=_strs(obj, "evasion", where),
            )
        )
    return out


def industries() -> tuple[str, ...]:
    """The industries the shipped ruleset knows (a message with another one cannot be checked)."""
    global _INDUSTRIES
    if _INDUSTRIES is None:
        with RULESET_YAML.open(encoding="utf-8") as f:
            _INDUSTRIES = tuple(yaml.safe_load(f)["industries"])
    return _INDUSTRIES


_INDUSTRIES: tuple[str, ...] | None = None


def load_peers(split: str) -> list[PeerCase]:
    """Read the peer-library cases of one split."""
    p = path(split, "peers")
    out = []
    for n, obj in _lines(p):
        where = f"{p.name}:{n}"
        words = _strs(obj, "words", where)
        if not words:
            raise CorpusError(f"{where}: field 'words' must list at least one word")
        out.append(
            PeerCase(
                id=str(_str(obj, "id", where)),
                words=words,
                allow=_strs(obj, "allow", where),
                text=str(_str(obj, "text", where)),
                expect=_strs(obj, "expect", where),
                feature=str(_str(obj, "feature", where)),
                source=str(_str(obj, "source", where)),
            )
        )
    return out


def files() -> list[Path]:
    """Every corpus file, dev first."""
    return [path(s, c) for s in SPLITS for c in (*MESSAGE_CORPORA, "peers") if path(s, c).exists()]


def sha256(p: Path) -> str:
    """Hash a corpus file (bytes as stored)."""
    return hashlib.sha256(p.read_bytes()).hexdigest()


def describe() -> str:
    """The README table: file, lines, counts per label, SHA-256."""
    rows = ["| file | lines | per label | SHA-256 |", "|---|---:|---|---|"]
    for p in files():
        rel = f"{p.parent.name}/{p.name}"
        if p.stem == "peers":
            cases = load_peers(p.parent.name)
            hits = sum(1 for c in cases if c.expect)
            per = f"hit {hits}, no hit {len(cases) - hits}"
            n = len(cases)
        else:
            samples = load(p.parent.name, p.stem)
            counts = Counter(s.label for s in samples)
            per = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            n = len(samples)
        rows.append(f"| {rel} | {n} | {per} | `{sha256(p)}` |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(describe())
