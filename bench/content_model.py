"""What the content model costs: µs per message for scoring alone, and check() with and
without the ``content_model`` pack (same process, passes interleaved, best of ``--repeat``).

    python bench/content_model.py [--repeat 5]

Messages: the marketing and notification messages of bench/corpora/dev (clean, spam, news),
each cut or padded to 70 characters. CPU time (process_time), so other load on the machine
counts less than in wall time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import check, make_message
from engine.content_model.model import load_model, model_path
from engine.normalize import normalize
from engine.rule_types.context import find_zones
from engine.ruleset import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "bench" / "corpora" / "dev"


def _messages() -> list[tuple[str, str]]:
    out = []
    for name in ("clean", "spam", "news"):
        for line in (DEV / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["type"] in ("marketing", "notification"):
                text = (row["text"] * 3)[:70]
                out.append((text, row["type"]))
    return out


def _best(fn: object, items: list, repeat: int) -> float:  # type: ignore[type-arg]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for item in items:
            fn(item)  # type: ignore[operator]
        best = min(best, time.process_time() - t0)
    return best / len(items) * 1e6


def main() -> int:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    msgs = _messages()
    model = load_model(model_path("content"))
    prepared = []
    for text, _ in msgs:
        norm = normalize(text)
        prepared.append((norm, find_zones(text, norm).body))
    score_us = _best(lambda p: model.score(p[0], p[1]), prepared, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        without = Path(tmp) / "rules"
        shutil.copytree(ROOT / "rules", without)
        (without / "packs" / "content_model.yaml").unlink()
        rulesets = {"without": load_ruleset(without), "with": load_ruleset(ROOT / "rules")}
    made = [make_message(t, type=ty) for t, ty in msgs]
    times: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, rs in rulesets.items():
            us = _best(lambda m, rs=rs: check(m, rs), made, 1)
            times[name] = min(times.get(name, float("inf")), us)
    print(f"{len(msgs)} messages of 70 characters (dev marketing + notification), CPU time")
    print(f"  model.score (normalized text in)   {score_us:7.1f} µs/msg")
    for name, us in times.items():
        print(f"  check() {name:8} content_model   {us:7.1f} µs/msg = {1e6 / us:,.0f} msg/s")
    print(f"  cost of the pack in check()        {times['with'] - times['without']:7.1f} µs/msg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
