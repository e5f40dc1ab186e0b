"""Dispatch settings from the environment (XINSHI_*), with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import time as dtime
from pathlib import Path

from engine.dispatch.backend import is_postgres, masked_url
from engine.dispatch.secret import load_secret
from engine.dispatch.storage import DEFAULT_RETENTION_DAYS, MIN_RETENTION_DAYS


def parse_hours(text: str) -> tuple[dtime, dtime]:
    """Read a window like '08:00-21:00' (Beijing time)."""
    try:
        start, end = (dtime.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError:
        raise ValueError(
            f"hours {text!r} are not a window. Write them like 08:00-21:00 (Beijing time)"
        ) from None
    if start == end:  # [start, end) would never open: marketing would wait forever
        raise ValueError(
            f"hours {text!r} is an empty window (start equals end). Give a start and a later "
            "end, e.g. 08:00-21:00 (Beijing time)"
        )
    return start, end


@dataclass(frozen=True)
class DispatchSettings:
    """Where dispatch keeps its files and how it behaves; see README "Dispatch"."""

    data_dir: Path
    secret: bytes  # signs approval tokens
    approval_ttl_s: int = 86400  # an approval token expires this long after it was issued
    link_base: str = "https://xinshi.cn"  # short links: {link_base}/r/{code}
    templates: Path | None = None  # None: rules/dispatch/templates.yaml
    scenes: Path | None = None  # None: scenes.yaml beside the templates file (or the shipped one)
    marketing_hours: tuple[dtime, dtime] = (dtime(8), dtime(21))
    retention_days: int = DEFAULT_RETENTION_DAYS
    database_url: str | None = None  # postgresql://…: the outbox in PostgreSQL, not SQLite

    @property
    def recipient_salt(self) -> str:
        """Salt of the recipient hash in events: $XINSHI_RECIPIENT_SALT (shared with xinshi ab)."""
        return os.environ.get("XINSHI_RECIPIENT_SALT") or self.secret.decode(errors="replace")

    @property
    def scenes_path(self) -> Path | None:
        """$XINSHI_SCENES, else scenes.yaml beside $XINSHI_TEMPLATES; None: the shipped one."""
        if self.scenes is not None:
            return self.scenes
        return self.templates.parent / "scenes.yaml" if self.templates is not None else None

    @property
    def outbox_path(self) -> Path:
        """The SQLite outbox / send record (when no database URL is set)."""
        return self.data_dir / "dispatch.sqlite"

    @property
    def outbox_target(self) -> Path | str:
        """Where the outbox lives: $XINSHI_DATABASE_URL, else the SQLite file."""
        return self.database_url or self.outbox_path

    @property
    def events_dir(self) -> Path:
        """Append-only JSONL events for the A/B analysis."""
        return self.data_dir / "events"

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> DispatchSettings:
        """Read XINSHI_DATA_DIR, XINSHI_DISPATCH_SECRET, XINSHI_LINK_BASE, ...

        Creates the approval secret file if there is none (``xinshi serve``: in the master).
        """
        root = data_dir or Path(os.environ.get("XINSHI_DATA_DIR") or "xinshi-data")
        tpl = os.environ.get("XINSHI_TEMPLATES")
        scenes = os.environ.get("XINSHI_SCENES")
        ttl = os.environ.get("XINSHI_APPROVAL_TTL") or "86400"
        if not ttl.isdigit() or int(ttl) <= 0:
            raise ValueError(f"XINSHI_APPROVAL_TTL={ttl!r}: write a number of seconds, e.g. 86400")
        keep = os.environ.get("XINSHI_RETENTION_DAYS") or str(DEFAULT_RETENTION_DAYS)
        if not keep.isdigit() or int(keep) < MIN_RETENTION_DAYS:
            raise ValueError(
                f"XINSHI_RETENTION_DAYS={keep!r}: send records must be kept at least "
                f"{MIN_RETENTION_DAYS} days (5 months, MIIT Order 31); write a number of days "
                f"from {MIN_RETENTION_DAYS}, e.g. the default {DEFAULT_RETENTION_DAYS}"
            )
        url = os.environ.get("XINSHI_DATABASE_URL") or None
        if url is not None and not is_postgres(url):
            raise ValueError(
                f"XINSHI_DATABASE_URL={masked_url(url)!r} is not a PostgreSQL URL. Write it "
                "like postgresql://user:password@host:5432/dbname, or unset it to keep the "
                "outbox in the data directory (SQLite)"
            )
        return cls(
            data_dir=root,
            database_url=url,
            secret=load_secret(root, os.environ.get("XINSHI_DISPATCH_SECRET")),
            approval_ttl_s=int(ttl),
            link_base=os.environ.get("XINSHI_LINK_BASE", "https://xinshi.cn").rstrip("/"),
            templates=Path(tpl) if tpl else None,
            scenes=Path(scenes) if scenes else None,
            marketing_hours=parse_hours(os.environ.get("XINSHI_MARKETING_HOURS", "08:00-21:00")),
            retention_days=int(keep),
        )


def check_database(url: str) -> None:
    """Connect to the outbox database once and bring its schema up to date; raises
    ``DatabaseUrlError`` (a ValueError) that says what is wrong with the URL."""
    from engine.dispatch.outbox import Outbox

    Outbox(url).close()
