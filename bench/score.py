"""Benchmark engine.score on one core: p50/p99 µs per single-message score, in process.

Workload: the simulator's drafts (1,600 realistic 40–90 character marketing SMS with send
context). Timed, best of 3 passes, GC off, ``perf_counter_ns`` per call:

- predict:  features() + dot product + sigmoid (the shipped JSON weights)
- explain:  predict + drop-one reasons in Chinese (engine.score(..., suggestions=False))
- suggest:  the full engine.score, incl. rewrites and a compliance check of each (for scale)
- baseline: scikit-learn ``predict_proba`` of the same model on one row, same process
  (the pipeline is refitted here on the simulator; it is the model the weights came from)

    python bench/score.py [--drafts 1600]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from engine.message import Message
from engine.score import score, shipped_model
from engine.score.simulate import simulate
from engine.score.train import Send, fit


def _time(fn: Callable[[Message], object], msgs: list[Message], passes: int = 3) -> list[float]:
    best: list[float] = []
    for _ in range(passes):
        gc.disable()
        lat = []
        for m in msgs:
            t0 = time.perf_counter_ns()
            fn(m)
            lat.append((time.perf_counter_ns() - t0) / 1000)
        gc.enable()
        if not best or statistics.median(lat) < statistics.median(best):
            best = lat
    return best


def _row(name: str, lat: list[float]) -> None:
    lat = sorted(lat)
    p50 = lat[len(lat) // 2]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"{name:<44} p50 {p50:9.1f} µs   p99 {p99:9.1f} µs")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drafts", type=int, default=1600)
    args = ap.parse_args()
    sim = simulate(campaigns=max(1, args.drafts // 4), seed=7)
    msgs = [v.message for v in sim.variants][: args.drafts]
    model = shipped_model()
    score(msgs[0])  # warm: rules, elements.yaml, model
    print(f"{len(msgs)} drafts, model {model.version} ({model.trained_on})")
    _row("predict (features + dot + sigmoid)", _time(model.predict, msgs))
    _row("score, reasons, no suggestions", _time(lambda m: score(m, suggestions=False), msgs))
    _row("score + suggestions (each re-checked)", _time(score, msgs[:400], passes=1))
    pipe = fit(sim.cells)
    _row(
        "baseline: sklearn predict_proba, 1 row",
        _time(lambda m: pipe.predict_proba([Send(m, 0.0)]), msgs[:400]),
    )


if __name__ == "__main__":
    main()
