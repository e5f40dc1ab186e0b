"""Single-practice pairs: does the better draft score higher, and does a reason say why?

Each pair (``models/pairs/*.jsonl``; how they were written: models/pairs/README.md)
is two drafts that differ in one published best practice only, with the better one marked by
the file, not by the model. A pair is *right* when the better draft's score is strictly
higher; it is *explained* when, in addition, the scored reasons name the practice's element
with the sign its text states: a positive reason on the better draft, or, for a practice that
removes something (hype, length, a missing signature), a negative reason on the worse draft.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import orjson

from engine.message import make_message
from engine.score.model import EngagementModel, default_model_path

SPLITS = ("dev", "heldout", "dev2", "heldout2", "heldout3")
# "both" keeps its old meaning (the first two files); "all" reads every file
GROUPS = {"both": ("dev", "heldout"), "all": SPLITS}

# practice -> (the features that name it, which draft carries the reason, the reason's sign)
PRACTICES: dict[str, tuple[tuple[str, ...], str, int]] = {
    "name_salutation": (("name_salutation",), "better", +1),
    "concrete_amount": (("specific_offer",), "better", +1),
    "item_count": (("item_count",), "better", +1),
    "named_item": (("named_item",), "better", +1),
    "deadline": (("deadline",), "better", +1),
    "clear_cta": (("clear_cta",), "better", +1),
    "no_hype": (("hype", "exclamations"), "worse", -1),
    "length": (("long",), "worse", -1),
    "signature": (("no_signature",), "worse", -1),
}


class Pair(NamedTuple):
    """Two drafts that differ in one practice; ``better`` applies it."""

    id: str
    practice: str
    split: str
    type: str
    industry: str | None
    worse: str
    better: str
    source: str


class Judged(NamedTuple):
    """What the model made of one pair."""

    pair: Pair
    right: bool  # the better draft scores strictly higher
    explained: bool  # right, and a reason names the practice with the stated sign
    delta: float  # score(better) - score(worse), probability units


def pairs_dir() -> Path:
    """The pairs next to the shipped model (models/pairs in a checkout, or the bundled copy)."""
    return default_model_path().parent / "pairs"


def load_pairs(split: str = "dev", directory: Path | None = None) -> list[Pair]:
    """Read one split (a name in SPLITS), 'both' or 'all'; errors name the file and line."""
    names = GROUPS.get(split, (split,))
    if any(n not in SPLITS for n in names):
        raise ValueError(f"unknown split {split!r}: use {', '.join(SPLITS)}, both or all")
    base = directory if directory is not None else pairs_dir()
    out: list[Pair] = []
    for name in names:
        path = base / f"{name}.jsonl"
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row: dict[str, Any] = orjson.loads(line)
            if row.get("practice") not in PRACTICES:
                raise ValueError(
                    f"{path}:{i}: unknown practice {row.get('practice')!r}. "
                    f"Known: {', '.join(PRACTICES)}"
                )
            try:
                out.append(
                    Pair(
                        id=str(row["id"]),
                        practice=str(row["practice"]),
                        split=str(row.get("split", name)),
                        type=str(row.get("type", "marketing")),
                        industry=row.get("industry"),
                        worse=str(row["worse"]),
                        better=str(row["better"]),
                        source=str(row.get("source", "")),
                    )
                )
            except KeyError as exc:
                raise ValueError(f"{path}:{i}: missing {exc.args[0]!r}") from None
    return out


def judge(pair: Pair, model: EngagementModel) -> Judged:
    """Score both drafts of a pair and say whether the model orders and explains it right."""
    from engine.score import score  # engine.score imports this module's siblings

    def run(text: str) -> Any:
        msg = make_message(text, type=pair.type, industry=pair.industry)
        return score(msg, model, suggestions=False)

    worse, better = run(pair.worse), run(pair.better)
    feats, side, sign = PRACTICES[pair.practice]
    carrier = better if side == "better" else worse
    named = any(r.feature in feats and r.effect * sign > 0 for r in carrier.reasons)
    right = better.score > worse.score
    return Judged(pair, right, right and named, better.score - worse.score)


def practice_table(judged: list[Judged]) -> list[dict[str, Any]]:
    """Per practice (in PRACTICES order): pairs, right, explained and the share right."""
    rows = []
    for practice in PRACTICES:
        js = [j for j in judged if j.pair.practice == practice]
        if js:
            right = sum(j.right for j in js)
            rows.append(
                {
                    "practice": practice,
                    "pairs": len(js),
                    "right": right,
                    "explained": sum(j.explained for j in js),
                    "share": right / len(js),
                }
            )
    return rows
