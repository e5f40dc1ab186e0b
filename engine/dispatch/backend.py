"""Where the outbox lives: an SQLite file (the embedded default) or a PostgreSQL database.

The queue and the send record write one SQL dialect (``?`` placeholders); a ``Connection`` here
runs it on either engine. PostgreSQL is chosen by a URL (``XINSHI_DATABASE_URL=postgresql://…``)
and needs the ``postgres`` extra (psycopg 3), imported only when such a URL is used.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Cursor(Protocol):
    """What both engines' cursors give back."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ..., /) -> list[Any]: ...


class Connection(Protocol):
    """One database connection, used under the store's lock."""

    def execute(self, sql: str, args: Sequence[Any] = ..., /) -> Cursor: ...
    def executemany(self, sql: str, args: Iterable[Sequence[Any]], /) -> Cursor: ...


def is_postgres(target: Path | str) -> bool:
    """Whether an outbox target names a PostgreSQL database (a URL) rather than a file."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def masked_url(url: str) -> str:
    """A database URL fit for logs and error messages: the password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


@contextmanager
def transaction(db: Connection, *, joined: bool = False) -> Iterator[Connection]:
    """BEGIN ... COMMIT on ``db`` (ROLLBACK on an error), or nothing when ``joined``: the
    caller's transaction is already open and commits or rolls back the work with its own."""
    if joined:
        yield db
        return
    db.execute("BEGIN")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class DatabaseUrlError(ValueError):
    """A PostgreSQL URL that cannot be used: unreachable, refused, or not a database."""


def storage_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the storage failed (not a bug): SQLite's, the OS's, a database that
    cannot be reached when first used and, once psycopg is in use, PostgreSQL's."""
    errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, DatabaseUrlError)
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        errors += (psycopg.Error,)
    return errors


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """The outbox's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    if "'?'" in sql:  # no statement has a quoted question mark; refuse rather than mistranslate
        raise ValueError(f"a quoted '?' in SQL cannot be translated: {sql[:80]}")
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """A psycopg connection that speaks the outbox's dialect and reconnects after a failure.

    Autocommit mode: the store sends BEGIN/COMMIT itself, as it does on SQLite. After the
    server went away the next statement opens a new connection (and raises if it cannot).
    """

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise DatabaseUrlError(
                "XINSHI_DATABASE_URL names PostgreSQL, but psycopg is not installed. Install "
                "the extra: pip install 'xinshi[postgres]'"
            ) from None
        self.url = url
        self._psycopg = psycopg
        self._conn: Any = None
        try:
            self._connect()
        except psycopg.OperationalError as exc:
            reason = " ".join(str(exc).split())
            raise DatabaseUrlError(
                f"cannot connect to {masked_url(url)}: {reason}. Check the host, port, user, "
                "password and database name in XINSHI_DATABASE_URL, and that the server runs"
            ) from None

    def _connect(self) -> None:
        self._conn = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def _live(self) -> Any:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._connect()
        return self._conn

    def execute(self, sql: str, args: Sequence[Any] = (), /) -> Cursor:
        cur: Cursor = self._live().execute(to_pyformat(sql), tuple(args) or None)
        return cur

    def executemany(self, sql: str, args: Iterable[Sequence[Any]], /) -> Cursor:
        cur = self._live().cursor()
        cur.executemany(to_pyformat(sql), [tuple(a) for a in args])
        return cur  # type: ignore[no-any-return]

    def copy_rows(self, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
        """Load rows with COPY (many times faster than INSERTs), in the open transaction."""
        with self._live().cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def sqlite_connection(path: Path, durable: bool) -> sqlite3.Connection:
    """The SQLite file (WAL), opened for use from several threads under one lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL survives a killed process (WAL); FULL also survives power loss (5k accepts/s)
    db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    db.execute("PRAGMA busy_timeout=10000")
    return db
