"""The rewrite gate on the corpus of drafts: what is shown, what is dropped and why.

For each draft of tests/data/rewrite_drafts.jsonl (54 marketing, notification and
verification drafts): the engagement model's rewrites (engine.score.suggest) and each
finding's one-click fix (engine.rewrite.fixes), counted as shown or dropped by the gate,
with the gate's reasons.

    python bench/rewrites.py [--show]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from engine import check, make_message
from engine.rewrite import fixes
from engine.ruleset import shipped_ruleset
from engine.score import shipped_model
from engine.score.suggest import rewrites

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "rewrite_drafts.jsonl"


def main() -> None:
    """Print the counts (and with --show every dropped rewrite)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print each dropped rewrite")
    args = parser.parse_args()
    rs, model = shipped_ruleset(), shipped_model()
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    kept = dropped = fix_shown = fix_dropped = findings = 0
    why: Counter[str] = Counter()
    for row in rows:
        msg = make_message(row["text"], type=row["type"])
        found = rewrites(msg, model, rs)
        kept += len(found.kept)
        dropped += len(found.dropped)
        for op, text, reasons in found.dropped:
            why.update(r.split(":")[0] for r in reasons)
            if args.show:
                print(f"  dropped {row['id']} {op}: {text}  {reasons}")
        verdict = check(msg, rs)
        per_finding, n = fixes(msg, verdict, rs)
        findings += len(verdict.findings)
        fix_shown += sum(map(len, per_finding))
        fix_dropped += n
    print(f"{len(rows)} drafts, model {model.version}, rules {rs.version}")
    print(f"rewrites: {kept} shown, {dropped} dropped by the gate {dict(sorted(why.items()))}")
    print(f"fixes: {fix_shown} shown for {findings} findings, {fix_dropped} dropped by the gate")


if __name__ == "__main__":
    main()
