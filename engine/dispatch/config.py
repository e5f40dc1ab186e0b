"""Dispatch settings from the environment (XINSHI_*), with safe defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import time as dtime
from pathlib import Path

from engine.dispatch.outbox import DEFAULT_RETENTION_DAYS


def parse_hours(text: str) -> tuple[dtime, dtime]:
    """Read a window like '08:00-21:00' (Beijing time)."""
    try:
        start, end = (dtime.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError:
        raise ValueError(
            f"hours {text!r} are not a window. Write them like 08:00-21:00 (Beijing time)"
        ) from None
    return start, end


@dataclass(frozen=True)
class DispatchSettings:
    """Where dispatch keeps its files and how it behaves; see README "Dispatch"."""

    data_dir: Path
    secret: bytes  # signs approval tokens
    link_base: str = "https://xinshi.cn"  # short links: {link_base}/r/{code}
    templates: Path | None = None  # None: rules/dispatch/templates.yaml
    marketing_hours: tuple[dtime, dtime] = (dtime(8), dtime(21))
    retention_days: int = DEFAULT_RETENTION_DAYS

    @property
    def recipient_salt(self) -> str:
        """Salt of the recipient hash in events: $XINSHI_RECIPIENT_SALT (shared with xinshi ab)."""
        return os.environ.get("XINSHI_RECIPIENT_SALT") or self.secret.decode(errors="replace")

    @property
    def outbox_path(self) -> Path:
        """The SQLite outbox / send record."""
        return self.data_dir / "dispatch.sqlite"

    @property
    def events_dir(self) -> Path:
        """Append-only JSONL events for the A/B analysis."""
        return self.data_dir / "events"

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> DispatchSettings:
        """Read XINSHI_DATA_DIR, XINSHI_DISPATCH_SECRET, XINSHI_LINK_BASE, ..."""
        root = data_dir or Path(os.environ.get("XINSHI_DATA_DIR") or "xinshi-data")
        secret = os.environ.get("XINSHI_DISPATCH_SECRET")
        tpl = os.environ.get("XINSHI_TEMPLATES")
        return cls(
            data_dir=root,
            secret=secret.encode() if secret else _secret_file(root),
            link_base=os.environ.get("XINSHI_LINK_BASE", "https://xinshi.cn").rstrip("/"),
            templates=Path(tpl) if tpl else None,
            marketing_hours=parse_hours(os.environ.get("XINSHI_MARKETING_HOURS", "08:00-21:00")),
            retention_days=int(os.environ.get("XINSHI_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)),
        )


def _secret_file(root: Path) -> bytes:
    """A per-installation signing key, created once (0600) next to the outbox."""
    path = root / "approval.key"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_bytes().strip()
