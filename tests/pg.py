"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, a free port
on 127.0.0.1, stopped and deleted at the end. Each test gets its own schema (a search path in
its URL), so tests never see each other's rows.

``XINSHI_TEST_DATABASE_URL`` uses a server you run instead (its database must exist; the tests
create and drop schemas in it). Without either a PostgreSQL install (Debian's ``postgresql``
package, which .ci/run installs) or that URL, PostgreSQL tests fail with how to fix it.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from tests.processes import free_port

_counter = itertools.count()


def _bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed: apt-get install postgresql (Debian), or set "
            "XINSHI_TEST_DATABASE_URL=postgresql://user:password@host:port/db to use a server"
        )
    return found


class Cluster:
    """One PostgreSQL server for the whole test session."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable  # synchronous commits: a crash loses no committed transaction
        self.dir = Path(tempfile.mkdtemp(prefix="xinshi-pg-"))
        self.port = free_port()
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root: run the server as postgres
            shutil.chown(self.dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "xinshi", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        self.start()
        import psycopg

        with psycopg.connect(self.admin_url("postgres"), autocommit=True) as db:
            db.execute("CREATE DATABASE xinshi")

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """Start (or restart) the server; returns once it accepts connections."""
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        if not self.durable:
            opts += " -c synchronous_commit=off"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: like a crash)."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def admin_url(self, db: str = "xinshi") -> str:
        return f"postgresql://xinshi@127.0.0.1:{self.port}/{db}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


_cluster: Cluster | None = None


def base_url() -> str:
    """The URL of the session's database (started on first use)."""
    given = os.environ.get("XINSHI_TEST_DATABASE_URL")
    if given:
        return given
    global _cluster
    if _cluster is None:
        _cluster = Cluster()
        atexit.register(_cluster.remove)
    return _cluster.admin_url()


def cluster() -> Cluster:
    """The throwaway cluster itself (tests that stop and restart the server)."""
    base_url()
    if _cluster is None:
        raise RuntimeError("XINSHI_TEST_DATABASE_URL is set: this test needs its own cluster")
    return _cluster


def fresh_url(tag: str = "t") -> str:
    """A URL whose search path is a new, empty schema: an empty outbox database."""
    import psycopg

    schema = f"{tag}_{os.getpid()}_{next(_counter)}_{int(time.time() * 1000) % 100000}"
    url = base_url()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
