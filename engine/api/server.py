"""Pre-fork server: load the rules once, then fork the workers, so they share the automaton.

uvicorn's own ``--workers`` starts each worker with ``spawn``: every worker would read the
YAML, build the fold tables and compile the automaton again, and keep its own copy. Here the
parent builds the app (rules, automaton, fold tables) and claims the port, then forks: the
workers share those pages copy-on-write (the automaton is C memory that nothing writes to),
and each runs its own event loop on its own SO_REUSEPORT socket. The parent restarts a worker
that dies and forwards SIGINT/SIGTERM for a clean shutdown.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import time

import uvicorn
from fastapi import FastAPI

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
    config = uvicorn.Config(
        app, log_level=log_level, access_log=False, server_header=False, lifespan="on"
    )
    uvicorn.Server(config).run(sockets=[sock])


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

    def spawn(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # worker
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                sock.close()
                _serve(app, bind(host, port, reuse_port=True), log_level)
            finally:
                os._exit(0)
        children[pid] = number

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
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
        if number is not None and not stopping:
            log.error("worker %d (pid %d) exited with %s; restarting", number, pid, status)
            time.sleep(0.5)
            spawn(number)
    sock.close()
    sys.exit(0)
