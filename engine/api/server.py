"""Pre-fork server: load the rules once, then fork the workers, so they share the automaton.

uvicorn's own ``--workers`` starts each worker with ``spawn``: every worker would read the
YAML, build the fold tables and compile the automaton again, and keep its own copy. Here the
parent builds the app (rules, automaton, fold tables) and claims the port, then forks: the
workers share those pages copy-on-write (the automaton is C memory that nothing writes to),
and each runs its own event loop on its own SO_REUSEPORT socket. The parent restarts a worker
that dies and forwards SIGINT/SIGTERM for a clean shutdown.

The parent also owns the rules (engine/api/rule_sync.py): it reloads them and publishes the
accepted snapshot to the workers, so a worker forked after a crash starts on the current rules.

Stopping: SIGTERM (or SIGINT) makes each worker stop accepting, finish the requests in flight
for up to ``shutdown_timeout`` seconds (uvicorn's graceful shutdown), and exit 0. The parent
waits for them, kills any still running two seconds after that bound, and exits 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from engine.api.rule_sync import ParentRules, WorkerRules

log = logging.getLogger("xinshi.api")


def bind(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A TCP socket on host:port; with ``reuse_port`` several processes may bind the same port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
    return sock


def _serve(app: FastAPI, sock: socket.socket, log_level: str) -> None:
    # uvicorn drains, then re-raises the stop signal to the handler it found installed: make
    # that a no-op so the process ends by returning (exit status 0), not by the signal
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _ignore)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=app.state.settings.shutdown_timeout,
    )
    uvicorn.Server(config).run(sockets=[sock])


def _ignore(_signum: int, _frame: object) -> None:
    """Handle a signal by doing nothing."""


def _forget(pid: int) -> None:
    """Drop a dead worker's live gauges (the ruleset it served) from the multi-process metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def run(app: FastAPI, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve ``app`` on host:port with ``workers`` forked processes (1: in this process).

    Each worker listens on its own SO_REUSEPORT socket, so the kernel spreads new connections
    evenly; one shared socket lets whichever worker wakes first take most keep-alive clients.
    """
    if workers <= 1:
        _serve(app, bind(host, port), log_level)
        return
    # Bound, not listening: claims the port (a clear error if it is taken) and receives nothing.
    sock = bind(host, port, reuse_port=True, listen=False)
    children: dict[int, int] = {}  # pid -> worker number
    stopping = False
    state = Path(tempfile.mkdtemp(prefix="xinshi-rules-"))
    rules = ParentRules(app.state.holder, state, app.state.settings.watch_rules)
    rules.start()
    parent = os.getpid()

    def spawn(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # worker
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
                signal.signal(signum, signal.SIG_DFL)  # not the parent's handlers
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
            try:
                sock.close()
                app.state.rules = WorkerRules(app.state.holder, state, number, parent)
                _serve(app, bind(host, port, reuse_port=True), log_level)
            finally:
                os._exit(0)
        children[pid] = number

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:  # bound the drain: kill what still runs after the timeout
            signal.setitimer(signal.ITIMER_REAL, app.state.settings.shutdown_timeout + 2)
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def kill(_signum: int, _frame: object) -> None:
        for pid in list(children):
            log.error("worker pid %d still running after the shutdown timeout; killing it", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, kill)
    for n in range(workers):
        spawn(n)
    log.info("xinshi serving on http://%s:%s with %d forked workers", host, port, workers)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries, kept for clarity
            continue
        number = children.pop(pid, None)
        _forget(pid)
        if number is not None and not stopping:
            log.error("worker %d (pid %d) exited with %s; restarting", number, pid, status)
            time.sleep(0.5)
            spawn(number)
    # every worker is gone: the drain bound must not fire during the parent's own clean-up (on
    # a busy machine it did, and the server exited by SIGALRM instead of 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    rules.stop()
    shutil.rmtree(state, ignore_errors=True)
    sock.close()
    sys.exit(0)
