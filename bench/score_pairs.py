"""Single-practice pairs: per practice, how often the better draft of a pair scores higher.

Each pair (tests/data/engagement_pairs_{dev,heldout}.jsonl, written from the engagement
reference; see tests/data/ENGAGEMENT_PAIRS.md) differs in one published best practice only.
A pair is *right* when the better draft's score is strictly higher; it is *explained* when,
in addition, the reasons name the practice's element with the sign its text states (a
positive reason on the better draft, or for a practice that removes something, a negative
reason on the worse draft).

    python bench/score_pairs.py [--split dev|heldout|both] [--model FILE] [--misses]

Uses only the public scoring API, so it also runs against an older checkout
(``PYTHONPATH=/path/to/old/tree python bench/score_pairs.py``) to give before/after figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.message import make_message
from engine.score import Score, load_model, score, shipped_model

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"

# practice -> (element features that name it, which draft carries the reason, sign of its effect)
PRACTICES: dict[str, tuple[tuple[str, ...], str, int]] = {
    "name_salutation": (("name_salutation",), "better", +1),
    "concrete_amount": (("specific_offer",), "better", +1),
    "item_count": (("item_count",), "better", +1),
    "named_item": (("named_item",), "better", +1),
    "deadline": (("deadline",), "better", +1),
    "clear_cta": (("clear_cta",), "better", +1),
    "no_hype": (("hype", "exclamations"), "worse", -1),
    "length": (("long",), "worse", -1),
    "signature": (("signature",), "better", +1),
}


def load_pairs(split: str) -> list[dict[str, Any]]:
    """Read the pairs of one split ('dev', 'heldout') or both."""
    names = ("dev", "heldout") if split == "both" else (split,)
    rows: list[dict[str, Any]] = []
    for name in names:
        path = DATA / f"engagement_pairs_{name}.jsonl"
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


def _score(text: str, pair: dict[str, Any], model: Any) -> Score:
    msg = make_message(text, type=pair["type"], industry=pair["industry"])
    return score(msg, model, suggestions=False)


def judge(pair: dict[str, Any], model: Any) -> dict[str, Any]:
    """Score both drafts of a pair; say whether the order is right and the reason names it."""
    worse, better = _score(pair["worse"], pair, model), _score(pair["better"], pair, model)
    feats, side, sign = PRACTICES[pair["practice"]]
    carrier = better if side == "better" else worse
    named = any(r.feature in feats and r.effect * sign > 0 for r in carrier.reasons)
    return {
        "id": pair["id"],
        "practice": pair["practice"],
        "right": better.score > worse.score,
        "explained": better.score > worse.score and named,
        "delta": better.score - worse.score,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev", choices=["dev", "heldout", "both"])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--misses", action="store_true", help="list the pairs ordered wrongly")
    args = ap.parse_args()
    model = load_model(args.model) if args.model else shipped_model()
    results = [judge(p, model) for p in load_pairs(args.split)]
    print(f"model {model.version}, split {args.split}, {len(results)} pairs")
    print(f"{'practice':<18}{'pairs':>6}{'right':>8}{'share':>8}{'explained':>11}")
    for practice in PRACTICES:
        rs = [r for r in results if r["practice"] == practice]
        if not rs:
            continue
        right = sum(r["right"] for r in rs)
        expl = sum(r["explained"] for r in rs)
        print(f"{practice:<18}{len(rs):>6}{right:>8}{right / len(rs):>8.0%}{expl:>11}")
    right = sum(r["right"] for r in results)
    print(f"{'all':<18}{len(results):>6}{right:>8}{right / len(results):>8.0%}")
    if args.misses:
        pairs = {p["id"]: p for p in load_pairs(args.split)}
        for r in results:
            if not r["right"]:
                p = pairs[r["id"]]
                print(f"MISS {r['id']} Δ={r['delta'] * 100:+.2f}pp\n  - {p['worse']}\n  + {p['better']}")


if __name__ == "__main__":
    main()
