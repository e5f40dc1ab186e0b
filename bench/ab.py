"""A/B report over ~10 million generated events: ingest rate and full-report time.

    .venv/bin/python bench/ab.py [--recipients 4900000] [--keep DIR]

Generates the demo experiment at scale (about 2.05 events per message) as Parquet, ingests it
into a fresh store (validation, dedup anti-join, transaction), then times the full report
(one DuckDB scan to sufficient statistics + Python statistics), best of 3. Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from engine.abtest import ingest, report, store
from engine.abtest.demo import DEMO_EXPERIMENT, write_demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipients", type=int, default=4_900_000)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="xinshi-ab-bench-"))
    parquet = root / "inbox" / "events.parquet"

    t0 = time.perf_counter()
    events = write_demo(parquet, DEMO_EXPERIMENT, args.recipients, seed=11)
    gen = time.perf_counter() - t0
    print(f"generated {events:,} events ({args.recipients:,} messages) in {gen:.1f} s -> {parquet}")

    con = store.connect(root)
    t0 = time.perf_counter()
    res = ingest.ingest_file(con, parquet)
    took = time.perf_counter() - t0
    print(
        f"ingest (Parquet, validated, idempotent): {res.added:,} events in {took:.2f} s = {res.added / took:,.0f} events/s"
    )
    t0 = time.perf_counter()
    again = ingest.ingest_file(con, parquet)
    print(f"re-ingest of the same file: {again.added} added in {time.perf_counter() - t0:.2f} s")
    con.close()

    con = store.connect(root, read_only=True)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rep = report.report(con, DEMO_EXPERIMENT, "click")
        times.append(time.perf_counter() - t0)
    print(
        f"full report (funnel, tests, SRM, {len(rep.segments)} segment rows, {len(rep.heatmap)} heatmap cells): "
        f"best {min(times):.2f} s, runs {', '.join(f'{t:.2f}' for t in times)} (target <= 3 s)"
    )
    t0 = time.perf_counter()
    report.report(con, DEMO_EXPERIMENT, "click", source=f"read_parquet('{parquet}')")
    print(
        f"same report straight over the Parquet file (no store): {time.perf_counter() - t0:.2f} s"
    )
    con.close()
    print(
        f"threads {os.cpu_count()}, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print([c.verdict for c in rep.comparisons])


if __name__ == "__main__":
    main()
