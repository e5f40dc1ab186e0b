"""Which ruleset a server serves, and how a reload reaches every worker process.

One process (``LocalRules``): the RulesetHolder watches ``rules/`` itself and a reload through
the API runs in a thread of that process.

Forked workers (``--workers N``): the parent is the only one that reads ``rules/``::

    parent (server.run)                          each worker
    RulesetHolder, watcher thread                every 0.1 s: stat STATE/current
    SIGUSR1 -> reload (validate + examples)      new bytes -> compile them in a thread, swap,
    accepted: write STATE/current atomically       write STATE/worker-N.json (version served)
      (the snapshot bytes: exactly what passed)  POST /v1/rules/reload: SIGUSR1 to the parent,
    every attempt: write STATE/status.json         wait for a status.json that started after

Why this shape: the parent holds the serving RuleSet, so a worker it forks after a crash
starts on the current rules (it inherits them); workers compile the very bytes the parent
validated (hash checked), never re-read a directory that may be changing; the files are
replaced with ``os.replace``, so a reader sees the old file or the new one; workers poll
rather than wait for a signal, so none can miss an update. Cost per change: one
validation in the parent and one compile per worker, in a thread off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from engine.api import metrics
from engine.api.requests import ApiError
from engine.reload import ReloadStatus, RulesetHolder
from engine.ruleset import Snapshot

CURRENT, STATUS = "current", "status.json"
POLL = 0.1  # seconds between a worker's checks of STATE/current
RELOAD_WAIT = 60.0  # seconds a POST /v1/rules/reload waits for the parent


def _write(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically: readers see the old bytes or the new, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _status_json(status: ReloadStatus, started: float) -> bytes:
    data = asdict(status)
    data["attempted_at"] = status.attempted_at.isoformat()
    data["errors"] = list(status.errors)
    return orjson.dumps({**data, "started": started})


def _status_of(data: dict[str, Any]) -> ReloadStatus:
    return ReloadStatus(
        ok=bool(data["ok"]),
        attempted_at=datetime.fromisoformat(data["attempted_at"]),
        version=str(data["version"]),
        commit=data["commit"],
        errors=tuple(data["errors"]),
        rejected_version=data["rejected_version"],
    )


class _Served:
    """The xinshi_ruleset_info gauge of this process: 1 for the version served, 0 for others."""

    def __init__(self) -> None:
        self.version: str | None = None

    def set(self, version: str) -> None:
        if version == self.version:
            return
        if self.version is not None:
            metrics.RULESET.labels(self.version).set(0)
        metrics.RULESET.labels(version).set(1)
        self.version = version


class LocalRules:
    """One process: the holder watches the rules itself; API reloads run in a thread."""

    def __init__(self, holder: RulesetHolder, watch: bool) -> None:
        self.holder, self.watch = holder, watch
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._served = _Served()

    async def start(self) -> None:
        """Start watching (if on) and publish the served version."""
        self._served.set(self.holder.ruleset.version)
        if self.watch:
            done = lambda _status: self._served.set(self.holder.ruleset.version)  # noqa: E731
            self._watcher = self.holder.watch(self._stop, on_reload=done)

    async def stop(self) -> None:
        """Stop the watcher."""
        self._stop.set()
        if self._watcher is not None:
            await run_in_threadpool(self._watcher.join, 2)

    async def reload(self) -> ReloadStatus:
        """Reload now, off the event loop."""
        status = await run_in_threadpool(self.holder.reload)
        self._served.set(self.holder.ruleset.version)
        return status

    def workers(self) -> list[dict[str, Any]]:
        """The version each worker serves (here: this process)."""
        v = self.holder.ruleset.version
        return [{"worker": 0, "pid": os.getpid(), "ruleset_version": v}]


class ParentRules:
    """The parent of forked workers: reload (on change or on request) and publish the result."""

    def __init__(self, holder: RulesetHolder, state: Path, watch: bool) -> None:
        self.holder, self.state, self.watch = holder, state, watch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._published: str | None = None
        self._started = 0.0
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Publish the start-up rules; reload on SIGUSR1 and (if on) on file changes."""
        self.publish(self.holder.status, 0.0)
        signal.signal(signal.SIGUSR1, lambda _s, _f: self._wake.set())
        thread = threading.Thread(target=self._serve_requests, name="xinshi-rules-requests")
        thread.daemon = True
        thread.start()
        self._threads.append(thread)
        if self.watch:
            done = lambda status: self.publish(status, 0.0)  # noqa: E731
            self._threads.append(self.holder.watch(self._stop, on_reload=done))

    def stop(self) -> None:
        """Stop reloading."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=2)

    def _serve_requests(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            started = time.time()  # files are read after this: the result covers the request
            try:
                status = self.holder.reload()
            except Exception:  # pragma: no cover - never let the thread die
                status = self.holder.status
            self.publish(status, started)

    def publish(self, status: ReloadStatus, started: float) -> None:
        """Write the serving snapshot (when it changed), then the status of this attempt.

        ``started``: when the attempt began (0 when unknown, as for the watcher's). Reloads
        run one at a time, so an attempt that ends later also read the files later: the
        published start never goes back, and a waiting API reload is never lost.
        """
        with self._lock:
            self._started = max(self._started, started)
            snap = self.holder.snapshot
            if snap.version != self._published:
                _write(self.state / CURRENT, snap.to_bytes())
                self._published = snap.version
            _write(self.state / STATUS, _status_json(status, self._started))


class WorkerRules:
    """A forked worker: serve what the parent published; ask the parent to reload."""

    def __init__(self, holder: RulesetHolder, state: Path, number: int, parent: int) -> None:
        self.holder, self.state, self.number, self.parent = holder, state, number, parent
        self._seen: tuple[int, int, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._served = _Served()

    async def start(self) -> None:
        """Catch up with the parent, then follow it."""
        self.holder.after_fork()
        await self._check()
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        """Stop following."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(POLL)
            try:
                await self._check()
            except Exception:  # pragma: no cover - keep serving the old rules
                metrics.RELOADS.labels("worker_error").inc()

    async def _check(self) -> None:
        try:
            st = (self.state / CURRENT).stat()
            status = _status_of(orjson.loads((self.state / STATUS).read_bytes()))
        except FileNotFoundError:
            return
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        if key != self._seen:
            snap = Snapshot.from_bytes((self.state / CURRENT).read_bytes())
            # compiling holds the GIL in bursts: hand it back to the event loop 10x as often
            # (0.5 ms instead of 5 ms) so requests keep flowing while it runs
            interval = sys.getswitchinterval()
            sys.setswitchinterval(min(interval, 0.0005))
            try:
                adopted = await run_in_threadpool(self.holder.adopt, snap, status)
            finally:
                sys.setswitchinterval(interval)
            if adopted:
                self._seen = key
        else:
            self.holder.status = status  # a refused attempt changes only the status
        version = self.holder.ruleset.version
        if version != self._served.version:
            self._served.set(version)
            record = {"worker": self.number, "pid": os.getpid(), "ruleset_version": version}
            _write(self.state / f"worker-{self.number}.json", orjson.dumps(record))

    async def reload(self) -> ReloadStatus:
        """Have the parent reload; return its verdict once this worker serves the result."""
        asked = time.time()
        try:
            os.kill(self.parent, signal.SIGUSR1)
        except ProcessLookupError:  # pragma: no cover - the parent is gone; we are stopping
            raise ApiError(503, "stopping", "the server is stopping; try again") from None
        deadline = time.monotonic() + RELOAD_WAIT
        while time.monotonic() < deadline:
            data = orjson.loads((self.state / STATUS).read_bytes())
            if data["started"] >= asked:
                status = _status_of(data)
                while self.holder.ruleset.version != status.version:
                    if time.monotonic() >= deadline:
                        break
                    await asyncio.sleep(POLL / 2)
                self.holder.status = status
                return status
            await asyncio.sleep(POLL / 2)
        raise ApiError(503, "reload_timeout", f"the reload did not finish in {RELOAD_WAIT:.0f} s")

    def workers(self) -> list[dict[str, Any]]:
        """The version each live worker serves, from the files they write."""
        out = []
        for path in sorted(self.state.glob("worker-*.json")):
            with contextlib.suppress(OSError, orjson.JSONDecodeError):
                record = orjson.loads(path.read_bytes())
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(record["pid"], 0)  # a worker that died and was not replaced yet
                    out.append(record)
        return out
