"""One byte snapshot of a rules directory: every rule file read once, hashed and parsed as is.

Reading the files for parsing and again for hashing let a reload report a version whose rules
were never loaded. Here the directory is read once into memory; the parser reads those bytes
and the version is the hash of exactly those bytes, so the two cannot disagree.

A file being written is not read half-written: ``take(root, quiet=0.3)`` waits until no rule
file has changed for ``quiet`` seconds, then reads, and retries if a file changed meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

SUFFIXES = (".yaml", ".txt")

Stats = dict[str, tuple[int, int, int]]  # relative path -> (size, mtime_ns, inode)


@dataclass(frozen=True)
class Snapshot:
    """Every rule file under ``root`` (relative POSIX path -> bytes) at one moment."""

    root: Path
    files: Mapping[str, bytes]

    @property
    def version(self) -> str:
        """Content hash of every rule file (names and bytes), 12 hex digits."""
        h = hashlib.sha256()
        for rel in sorted(self.files, key=lambda r: r.split("/")):
            h.update(rel.encode())
            h.update(b"\0")
            h.update(self.files[rel])
            h.update(b"\0")
        return h.hexdigest()[:12]

    def text(self, rel: str) -> str | None:
        """The file as text, newlines translated as ``Path.read_text`` does; None if absent.

        Raises UnicodeDecodeError when the bytes are not UTF-8.
        """
        data = self.files.get(rel)
        if data is None:
            return None
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")

    def names(self, folder: str, suffix: str) -> list[str]:
        """Relative paths of the ``*suffix`` files directly inside ``folder``, sorted."""
        prefix = f"{folder}/"
        return sorted(
            r
            for r in self.files
            if r.startswith(prefix) and "/" not in r[len(prefix) :] and r.endswith(suffix)
        )

    def to_bytes(self) -> bytes:
        """Serialize (for handing the snapshot from the server's parent to its workers)."""
        files = {rel: base64.b64encode(data).decode() for rel, data in self.files.items()}
        body = {"root": str(self.root), "version": self.version, "files": files}
        return orjson.dumps(body)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Snapshot:
        """Read a serialized snapshot; ValueError when it is damaged."""
        data = orjson.loads(raw)
        files = {str(rel): base64.b64decode(b64) for rel, b64 in data["files"].items()}
        snap = cls(Path(data["root"]), files)
        if snap.version != data["version"]:
            raise ValueError(f"snapshot damaged: hash {snap.version}, expected {data['version']}")
        return snap


def _stats(root: Path) -> Stats:
    out: Stats = {}
    for path in root.rglob("*"):
        if path.suffix not in SUFFIXES:
            continue
        try:
            st = path.stat()
        except OSError:  # removed while listing
            continue
        if path.is_file():
            out[path.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def take(root: Path, quiet: float = 0.0, timeout: float = 5.0) -> Snapshot:
    """Read every rule file under ``root`` once.

    With ``quiet`` > 0, first wait until no rule file has been modified for ``quiet`` seconds
    (a writer that pauses mid-file is waited for). Whatever the setting, a file that changes
    while it is read makes the read start over. After ``timeout`` seconds the last read is
    returned as is; validation then decides whether it may serve.
    """
    deadline = time.monotonic() + timeout
    while True:
        before = _stats(root)
        newest = max((s[1] for s in before.values()), default=0)
        age = (time.time_ns() - newest) / 1e9
        if 0 <= age < quiet and time.monotonic() < deadline:
            time.sleep(min(quiet - age + 0.01, max(deadline - time.monotonic(), 0.0)))
            continue
        files: dict[str, bytes] = {}
        for rel in before:
            try:
                files[rel] = (root / rel).read_bytes()
            except OSError:  # removed or replaced between listing and reading
                continue
        changed = _stats(root) != before or any(
            len(files.get(rel, b"")) != st[0] for rel, st in before.items()
        )
        if not changed or time.monotonic() >= deadline:
            return Snapshot(root, files)
