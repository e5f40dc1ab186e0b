"""The approval signing secret: from $XINSHI_DISPATCH_SECRET, or a file created once, atomically.

The file ``approval.key`` next to the outbox is written to a private temporary file (exclusive
create, mode 0600), flushed to disk and then linked into place, so no reader can ever see it
empty or half-written; if two processes create it at once, one link wins and both read the
winner's bytes. ``xinshi serve`` loads it (DispatchSettings.from_env in create_app) in the
master, before the workers fork.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

MIN_SECRET_BYTES = 16
SECRET_FILE = "approval.key"


class SecretError(ValueError):
    """The signing secret is missing, too short or unreadable; the message says how to fix it."""


def _check(secret: bytes, where: str, fix: str) -> bytes:
    if not secret:
        raise SecretError(f"{where}: the approval signing secret is empty; {fix}")
    if len(secret) < MIN_SECRET_BYTES:
        raise SecretError(
            f"{where}: the approval signing secret has {len(secret)} bytes; "
            f"it needs at least {MIN_SECRET_BYTES}; {fix}"
        )
    return secret


def _create(path: Path) -> None:
    """Write a fresh secret to ``path`` unless it exists: temp file, fsync, no-clobber link."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_hex(32).encode())
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its secret
            os.link(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def load_secret(data_dir: Path, env_value: str | None = None) -> bytes:
    """The approval secret: ``env_value`` if set, else ``data_dir/approval.key`` (created once).

    Raise SecretError, one line, if it is empty, shorter than 16 bytes or cannot be read.
    """
    if env_value is not None:
        fix = f"set XINSHI_DISPATCH_SECRET to at least {MIN_SECRET_BYTES} random characters"
        return _check(env_value.strip().encode(), "XINSHI_DISPATCH_SECRET", fix)
    path = data_dir / SECRET_FILE
    try:
        if not path.exists():
            _create(path)
        secret = path.read_bytes().strip()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SecretError(
            f"{path}: cannot read or create the approval signing secret ({reason}); "
            "make the data directory writable (XINSHI_DATA_DIR) or set XINSHI_DISPATCH_SECRET"
        ) from None
    fix = "delete the file to generate a new one (tokens already issued stop verifying)"
    return _check(secret, str(path), fix)
