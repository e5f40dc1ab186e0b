"""A/B report over ~10 million generated events: ingest rate, peak memory and full-report time.

    .venv/bin/python bench/ab.py [--recipients 4900000] [--keep DIR]

Generates the demo experiment at scale (about 2.05 events per message) as Parquet, ingests it
into a fresh store (validation, dedup anti-join, transaction), then times the full report
(one DuckDB scan to sufficient statistics + Python statistics), best of 3. Generation, ingest
and the reports each run in a fresh process, so each peak RSS is that stage's own.
Prints figures only.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.abtest import ingest, report, store
from engine.abtest.demo import DEMO_EXPERIMENT, write_demo


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(fn: Callable[..., Any], args: tuple[Any, ...], out: Any) -> None:
    out.put((fn(*args), _peak_mb()))


def in_process(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Run fn(*args) in a fresh process; return its result and that process's peak RSS (MB)."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def generate(parquet: Path, recipients: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    events = write_demo(parquet, DEMO_EXPERIMENT, recipients, seed=11)
    return events, time.perf_counter() - t0


def load(root: Path, parquet: Path) -> tuple[int, float, int, float]:
    con = store.connect(root)
    t0 = time.perf_counter()
    res = ingest.ingest_file(con, parquet)
    took = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = ingest.ingest_file(con, parquet)
    con.close()
    return res.added, took, again.added, time.perf_counter() - t0


def reports(root: Path, parquet: Path) -> tuple[list[float], int, int, float, list[str]]:
    con = store.connect(root, read_only=True)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rep = report.report(con, DEMO_EXPERIMENT, "click")
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    report.report(con, DEMO_EXPERIMENT, "click", source=f"read_parquet('{parquet}')")
    raw = time.perf_counter() - t0
    con.close()
    return times, len(rep.segments), len(rep.heatmap), raw, [c.verdict for c in rep.comparisons]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipients", type=int, default=4_900_000)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="xinshi-ab-bench-"))
    parquet = root / "inbox" / "events.parquet"

    (events, gen), peak = in_process(generate, parquet, args.recipients)
    print(f"generated {events:,} events ({args.recipients:,} messages) in {gen:.1f} s -> {parquet}")
    (added, took, again, again_s), peak_ingest = in_process(load, root, parquet)
    print(
        f"ingest (Parquet, validated, idempotent): {added:,} events in {took:.2f} s = "
        f"{added / took:,.0f} events/s, peak RSS {peak_ingest:,.0f} MB (target <= 1,500 MB)"
    )
    print(f"re-ingest of the same file: {again} added in {again_s:.2f} s")
    (times, segs, cells, raw, verdicts), peak_report = in_process(reports, root, parquet)
    print(
        f"full report (funnel, tests, SRM, scorecard, {segs} segment rows, {cells} heatmap "
        f"cells): best {min(times):.2f} s, runs {', '.join(f'{t:.2f}' for t in times)} "
        "(target <= 3 s)"
    )
    print(f"same report straight over the Parquet file (no store): {raw:.2f} s")
    print(
        f"threads {os.cpu_count()}, peak RSS: generate {peak:,.0f} MB, ingest "
        f"{peak_ingest:,.0f} MB, reports {peak_report:,.0f} MB"
    )
    print(verdicts)


if __name__ == "__main__":
    main()
