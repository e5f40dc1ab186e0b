"""Worst-case check time over an adversarial set: every trigger literal next to long runs.

For every rule of the shipped ruleset that runs a regex, each literal that selects it (the
required literals of its regexes, its inline words, a few words of each list it uses) is put
before and after 2,000 repetitions of each filler: a space, a digit, an ASCII letter, a CJK
character, ，。.】, the literal itself and mixtures. Each message gets a type, industry and profile
the rule applies to, so the rule runs. Backtracking regexes blow up on exactly these inputs
("原价" + 1,997 spaces + "x" took 93 s before the regex lint). The full ``engine.check`` runs
in-process (CPU time of the checking thread, GC off while timing, so the load of a shared
machine does not count); the script prints the worst input, its median time, and the top 10.
Target (issue #12): ≤ 5 ms per message on the worst case.

    python bench/adversarial.py [--repeat 2000] [--runs 5] [--top 10]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.check import check
from engine.match import Role
from engine.message import Message, make_message
from engine.ruleset import RuleSet, load_ruleset

FILLERS = {
    "' '": " ",
    "'1'": "1",
    "'a'": "a",
    "'中'": "中",
    "'，'": "，",
    "'。'": "。",
    "'.'": ".",
    "'】'": "】",
    "'1 '": "1 ",
    "'a1'": "a1",
    "'中1'": "中1",
    "'1.'": "1.",
    "'a-'": "a-",
}
WORDS_PER_FILE_LIST = 3


@dataclass(frozen=True)
class Case:
    """One adversarial message and how to describe it."""

    label: str
    message: Message


def literals(ruleset: RuleSet) -> dict[str, set[str]]:
    """Rule id -> the literals that select it, for every rule that runs a regex."""
    lists = ruleset.lexicon.lists
    out: dict[str, set[str]] = {}
    regex_rules = {wl.origin for wl in lists if wl.role is Role.GATE} | _rules_with_patterns(
        ruleset
    )
    for rule in ruleset.rules:
        rid = rule.meta.id
        if rid not in regex_rules:
            continue
        words: set[str] = set()
        for i, wl in enumerate(lists):
            own = wl.origin == rid and wl.role is not Role.ALLOW
            if own:
                words.update(wl.words)
            elif rule.triggers is not None and i in rule.triggers:
                words.update(wl.words[:WORDS_PER_FILE_LIST])
        out[rid] = words or {""}
    return out


def _rules_with_patterns(ruleset: RuleSet) -> set[str]:
    return {pr.full_id for pr in ruleset.specs if _has_patterns(pr.spec.model_dump())}


def _has_patterns(node: object) -> bool:
    if isinstance(node, dict):
        return bool(node.get("patterns")) or any(_has_patterns(v) for v in node.values())
    return isinstance(node, list) and any(_has_patterns(v) for v in node)


def adversarial_set(ruleset: RuleSet, repeat: int = 2000) -> Iterator[Case]:
    """Every trigger literal of every regex rule before and after long runs of each filler."""
    seen: set[tuple[str, str, str | None, str]] = set()
    by_rule = literals(ruleset)
    for rule in ruleset.rules:
        lits = by_rule.get(rule.meta.id)
        if lits is None:
            continue
        meta = rule.meta
        mtype = sorted(t.value for t in meta.types)[0]
        industry = sorted(meta.industries)[0] if meta.industries else None
        profile = sorted(meta.profiles)[0] if meta.profiles else "default"
        for lit in sorted(lits):
            for name, filler in FILLERS.items():
                run = (filler * repeat)[: max(repeat, 2 * len(filler))]
                for label, text in (
                    (f"{lit} + {repeat}×{name} + x", f"{lit}{run}x"),
                    (f"{repeat}×{name} + {lit}", f"{run}{lit}"),
                ):
                    key = (text, mtype, industry, profile)
                    if key not in seen:
                        seen.add(key)
                        msg = make_message(text, type=mtype, industry=industry, profile=profile)
                        yield Case(f"{label} [{mtype}, {meta.id}]", msg)
            if lit:
                self_run = lit * max(1, repeat // len(lit))
                text = f"{self_run}x"
                key = (text, mtype, industry, profile)
                if key not in seen:
                    seen.add(key)
                    msg = make_message(text, type=mtype, industry=industry, profile=profile)
                    yield Case(f"{len(self_run)}×'{lit}' + x [{mtype}, {meta.id}]", msg)


def time_case(ruleset: RuleSet, case: Case, runs: int, best: bool = False) -> float:
    """Median (or best) CPU seconds of ``runs`` checks of one case (GC off, as in
    bench/check.py: a full collection costs ~40 ms wherever it lands)."""
    times = []
    gc.disable()
    try:
        for _ in range(runs):
            t0 = time.thread_time()
            check(case.message, ruleset)
            times.append(time.thread_time() - t0)
    finally:
        gc.enable()
    return min(times) if best else statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the slowest inputs")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    ruleset = load_ruleset()
    cases = list(adversarial_set(ruleset, args.repeat))
    t0 = time.perf_counter()
    first = []
    for i, case in enumerate(cases):
        if i % 500 == 0:
            gc.collect()
        first.append((time_case(ruleset, case, 1), case))
    first.sort(key=lambda x: -x[0])
    sweep = time.perf_counter() - t0
    # re-time the slowest ones with more runs; the median of those is the figure
    top = sorted(
        ((time_case(ruleset, c, args.runs), c) for _, c in first[: args.top * 3]),
        key=lambda x: -x[0],
    )[: args.top]
    all_times = [t for t, _ in first]
    print(f"adversarial set: {len(cases)} messages, {args.repeat} repetitions per run")
    print(f"sweep: {sweep:.1f} s, median {statistics.median(all_times) * 1e3:.2f} ms per message")
    worst_t, worst = top[0]
    fastest = time_case(ruleset, worst, args.runs, best=True)
    print(
        f"worst: {worst.label} — median {worst_t * 1e3:.2f} ms of {args.runs}, "
        f"best {fastest * 1e3:.2f} ms (target ≤ 5 ms)"
    )
    print(f"top {args.top} (median CPU ms):")
    for t, c in top:
        print(f"  {t * 1e3:8.2f} ms  {c.label}")
    print(f"sweep CPU: {sum(all_times):.1f} s")


if __name__ == "__main__":
    main()
