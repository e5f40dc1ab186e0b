"""Acceptance throughput on PostgreSQL with and without the kill switch's send counters.

    .venv/bin/python bench/send_count.py [--messages 4000] [--clients 8] [--rounds 6]
        [--templates 1]

Each accepted marketing message upserts one ``send_count`` row for its signature and one for
its template, per minute (engine.dispatch.send_record.count_send), in the acceptance's
transaction: every worker accepting for one signature writes the same row, so under concurrent
acceptance they queue on its row lock. This measures that cost. A throwaway PostgreSQL cluster
(tests/pg.py, synchronous commits as in production) is started for the run; each round queues
``--messages`` marketing messages of one signature (``--templates`` templates) in a fresh
schema, then ``--clients`` threads, each with its own connection, accept them as fast as they
can (Outbox.accept, as a worker does on the provider's answer). Rounds alternate with the
counters on and off (``count_send`` replaced by a no-op; which goes first swaps each round) in
one process, so machine load hits both alike. Prints accepts/s per round, the medians and the
ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.dispatch import send_record
from engine.dispatch.message import Lane
from engine.dispatch.outbox import NewMessage, Outbox

REAL_COUNT_SEND = send_record.count_send


def _queue(url: str, n: int, templates: int) -> list[str]:
    outbox = Outbox(url)
    now = time.time()
    msgs = [
        NewMessage(
            f"k{i}",
            "h",
            Lane.MARKETING,
            f"+86139{i:08d}",
            "信使商城",
            f"tpl-{i % templates}",
            {},
            "【信使商城】双11 回T退订",
            "v1",
            now,
            now + 86400,
            campaign="double11",
        )
        for i in range(n)
    ]
    ids = [row.id for row, _ in outbox.enqueue_many(msgs, now)]
    outbox.close()
    return ids


def _accept_all(url: str, ids: list[str], clients: int) -> float:
    """Accepts per second with ``clients`` threads, each its own connection and share."""
    boxes = [Outbox(url) for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def run(box: Outbox, share: list[str]) -> None:
        start.wait()
        for mid in share:
            box.accept(mid, "aliyun", f"ref-{mid}", "OK")

    threads = [threading.Thread(target=run, args=(b, ids[i::clients])) for i, b in enumerate(boxes)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    rate = len(ids) / (time.perf_counter() - t0)
    for b in boxes:
        b.close()
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=4000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--templates", type=int, default=1)
    a = ap.parse_args()
    from tests.pg import Cluster

    cluster = Cluster(durable=True)
    import psycopg

    rates: dict[bool, list[float]] = {True: [], False: []}
    try:
        for r in range(a.rounds):
            for counters in (True, False) if r % 2 == 0 else (False, True):
                schema = f"b{r}_{int(counters)}"
                with psycopg.connect(cluster.admin_url(), autocommit=True) as db:
                    db.execute(f"CREATE SCHEMA {schema}")
                url = f"{cluster.admin_url()}?options=-csearch_path%3D{schema}"
                ids = _queue(url, a.messages, a.templates)
                send_record.count_send = REAL_COUNT_SEND if counters else (lambda *_: None)
                rate = _accept_all(url, ids, a.clients)
                send_record.count_send = REAL_COUNT_SEND
                if counters:  # the counters saw every acceptance once
                    box = Outbox(url)
                    ((n,),) = box.query(
                        "SELECT SUM(n) FROM send_count WHERE scope='signature 信使商城'"
                    )
                    box.close()
                    assert n == a.messages, n
                rates[counters].append(rate)
                print(f"round {r} counters {'on ' if counters else 'off'}: {rate:7.0f} accepts/s",
                      flush=True)  # fmt: skip
    finally:
        cluster.remove()
    on, off = statistics.median(rates[True]), statistics.median(rates[False])
    print(f"{a.messages} accepts by {a.clients} clients, one signature, {a.templates} "
          f"template(s), {a.rounds} rounds each: median {on:.0f}/s with counters, {off:.0f}/s "
          f"without: {on / off:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
