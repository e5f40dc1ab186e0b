"""Time this checkout's engine.check against a base commit's, interleaved in one process.

    python bench/interleaved.py [--base main] [--base-rules] [--messages 2000] [--round 200] [--best 6]

On a shared machine wall-clock rates swing with other load, so two runs of bench/check.py
minutes apart do not compare. This loads the base engine as a renamed copy (``engine`` ->
``engine_base``, from ``git archive``) next to this one, builds both rulesets with
bench/check.py's extra 50,000-word list, and times rounds of ``--round`` messages
alternately (which goes first swaps each round), CPU time (``process_time_ns``), best of ``--best`` per round, GC off.
Prints µs per message for each engine and the ratio new/base. With ``--base-rules`` the base
engine runs the base commit's own rules (the cost of a whole round: engine and rules), else
both run this checkout's rules (the engine's cost alone; needs rules the base can read).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _base_engine(rev: str, tmp: Path) -> object:
    """Import the engine of ``rev`` as ``engine_base``."""
    archive = subprocess.run(
        ["git", "archive", rev, "engine", "models", "rules"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
    (tmp / "engine").rename(tmp / "engine_base")
    for path in (tmp / "engine_base").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(from|import) engine\b", r"\1 engine_base", text)
        text = re.sub(r"([\"'])engine\b", r"\1engine_base", text)  # import_module, resources
        path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp))
    return importlib.import_module("engine_base")


def main() -> None:
    """Build both engines and time them in alternating rounds."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--base", default="main")
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--round", type=int, default=200)
    ap.add_argument("--best", type=int, default=6)
    ap.add_argument("--words", type=int, default=50_000)
    ap.add_argument("--base-rules", action="store_true", help="the base runs its own rules")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from check import make_messages, make_words

    import engine
    from engine.ruleset import load_ruleset

    with tempfile.TemporaryDirectory() as tmp:
        base = _base_engine(args.base, Path(tmp))
        base_rules = Path(tmp) / "rules" if args.base_rules else ROOT / "rules"
        base_rs = importlib.import_module("engine_base.ruleset").load_ruleset(
            base_rules, extra_lists={"bench_extra": make_words(args.words)}
        )
        new_rs = load_ruleset(ROOT / "rules", extra_lists={"bench_extra": make_words(args.words)})
        texts = [(m.text, m.type.value) for m in make_messages(args.messages)]
        kw = {"send_at": "2026-11-25T10:00"}
        base_msgs = [base.make_message(t, type=ty, **kw) for t, ty in texts]  # type: ignore[attr-defined]
        new_msgs = [engine.make_message(t, type=ty, **kw) for t, ty in texts]
        engines = {
            "base": (base.check, base_msgs, base_rs),  # type: ignore[attr-defined]
            "new": (engine.check, new_msgs, new_rs),
        }
        for fn, msgs, rs in engines.values():
            for m in msgs[:500]:
                fn(m, rs)
        totals = dict.fromkeys(engines, 0)
        gc.collect()
        gc.disable()
        clock = time.process_time_ns
        for k, lo in enumerate(range(0, len(texts), args.round)):
            order = list(engines.items())
            for name, (fn, msgs, rs) in order if k % 2 else order[::-1]:
                chunk = msgs[lo : lo + args.round]
                best = None
                for _ in range(args.best):
                    t = clock()
                    for m in chunk:
                        fn(m, rs)
                    took = clock() - t
                    best = took if best is None else min(best, took)
                totals[name] += best or 0
        gc.enable()
    n = len(texts)
    b, a = totals["base"] / n / 1000, totals["new"] / n / 1000
    print(
        f"{n:,} messages, rounds of {args.round}, best of {args.best} CPU: base {args.base}"
        f"{' (own rules)' if args.base_rules else ''} "
        f"{b:.1f} µs ({1e6 / b:,.0f} msg/s), new {a:.1f} µs ({1e6 / a:,.0f} msg/s), new/base {a / b:.3f}"
    )


if __name__ == "__main__":
    main()
