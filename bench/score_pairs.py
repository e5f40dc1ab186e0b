"""Single-practice pairs: per practice, how often the better draft of a pair scores higher.

The pairs (models/pairs/*.jsonl, see models/pairs/README.md) each differ in one
published best practice. "right": the better draft scores strictly higher; "explained": also a
reason names the practice with the sign its text states (engine/score/pairs.py).

    python bench/score_pairs.py [--split dev|heldout|dev2|heldout2|heldout3|both|all] [--model FILE] [--misses]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.score import load_model, shipped_model
from engine.score.pairs import SPLITS, judge, load_pairs, practice_table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev", choices=[*SPLITS, "both", "all"])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--misses", action="store_true", help="list the pairs ordered wrongly")
    args = ap.parse_args()
    model = load_model(args.model) if args.model else shipped_model()
    judged = [judge(p, model) for p in load_pairs(args.split)]
    print(f"model {model.version}, split {args.split}, {len(judged)} pairs")
    print(f"{'practice':<18}{'pairs':>6}{'right':>8}{'share':>8}{'explained':>11}")
    for r in practice_table(judged):
        print(
            f"{r['practice']:<18}{r['pairs']:>6}{r['right']:>8}{r['share']:>8.0%}"
            f"{r['explained']:>11}"
        )
    right = sum(j.right for j in judged)
    print(f"{'all':<18}{len(judged):>6}{right:>8}{right / len(judged):>8.0%}")
    if args.misses:
        for j in judged:
            if not j.right:
                p = j.pair
                print(f"MISS {p.id} Δ={j.delta * 100:+.2f}pp\n  - {p.worse}\n  + {p.better}")


if __name__ == "__main__":
    main()
