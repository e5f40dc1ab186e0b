"""A big batch is checked off the event loop: the same worker keeps answering meanwhile."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx

from tests.processes import free_port, start, stop


def text(i: int) -> str:
    """Marketing text dense in automaton hits, each phrase and each message its own (a
    repeated phrase or message is cheap: long messages keep one match per key and context,
    and the content model remembers texts): ~3 ms of CPU per message."""
    body = "".join(f"第{i}批{k}号全场最低价，加微信{k}领券，" for k in range(55))
    return "【信使商城】" + body + "回T退订"


def test_health_answers_while_a_big_batch_is_checked(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"XINSHI_WATCH_RULES": "0", "XINSHI_MAX_BATCH": "5000", "XINSHI_MAX_TEXT_CHARS": "2000"}
    proc = start(
        ["serve", "--port", str(port), "--workers", "1"], tmp_path / "log", env, f"{url}/readyz"
    )
    try:
        items = [{"id": str(i), "text": text(i), "type": "marketing"} for i in range(300)]
        body = json.dumps({"messages": items}).encode()  # encoded before the clock starts
        done: dict[str, object] = {}

        def send() -> None:
            t0 = time.monotonic()
            headers = {"Content-Type": "application/json"}
            r = httpx.post(f"{url}/v1/check/batch", content=body, headers=headers, timeout=120)
            done["seconds"], done["response"] = time.monotonic() - t0, r
            # The 6 MB answer is parsed after the health loop ends: json.loads holds this
            # process's GIL for its whole run, which once stalled the health loop itself by
            # 0.39 s on a slow CI machine and was read as the server's stall.

        batch = threading.Thread(target=send)
        batch.start()
        waits: list[float] = []  # how long each health check waited for an answer
        with httpx.Client(base_url=url, timeout=120) as c:
            while batch.is_alive():
                t0 = time.monotonic()
                r = c.get("/healthz")
                waits.append(time.monotonic() - t0)
                assert r.status_code == 200
        batch.join()
        r = done["response"]
        assert isinstance(r, httpx.Response) and r.status_code == 200
        assert {x["verdict"] for x in r.json()["results"]} == {
            "block"
        }  # 全场最低价 + 加微信: the checks really ran
        seconds = done["seconds"]
        assert isinstance(seconds, float) and seconds > 0.5, (
            f"the batch took {seconds:.2f} s: too short to tell; make the texts or the batch bigger"
        )
        # On the event loop, one health check waits for most of the batch (1.5 s of 2.3 s
        # measured); off it, the longest wait is a few thread switches.
        longest = max(waits)
        assert longest < seconds / 3, (
            f"health waited {longest:.2f} s during a {seconds:.2f} s batch"
        )
    finally:
        stop(proc)
