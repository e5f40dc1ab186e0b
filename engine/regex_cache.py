"""Regexes compiled at import time, kept from one warm start to the next.

Importing the checker compiles ~50 module-level regexes (engine.normalize, the rule kinds,
pydantic, the standard library): a tenth of a warm ``xinshi check``. ``prime`` fills Python's
own regex cache (``re._cache``) from a file written by an earlier run, so those ``re.compile``
calls become dictionary look-ups; ``save`` writes the file from the entries a warm run
compiled. The file is keyed by the interpreter (its version and regex engine) and the engine's
source files; a primed entry is the very pattern ``re.compile`` would build, so a stale or
missing file only costs the compile. Any failure is silent.

Directory: the ruleset cache's (``$XINSHI_CACHE_DIR``, default ``~/.cache/xinshi``).
"""

from __future__ import annotations

import _sre
import contextlib
import hashlib
import os
import pickle
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

_ENGINE = Path(__file__).resolve().parent
KEEP = 4  # newest files kept: every edit of the engine makes a new one


def cache_dir() -> Path:
    """``$XINSHI_CACHE_DIR``, else ``$XDG_CACHE_HOME/xinshi``, else ``~/.cache/xinshi``."""
    env = os.environ.get("XINSHI_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xinshi"


@cache
def code_stamp() -> bytes:
    """Name, size and mtime of every engine source file: an edited module is a new key."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(_ENGINE):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                st = os.stat(os.path.join(dirpath, name))
                h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.digest()


def compiled_args(p: re.Pattern[Any]) -> tuple[Any, ...] | None:
    """The arguments of ``_sre.compile`` that rebuild ``p`` without parsing it again, or None.

    ``_sre.compile`` takes what ``re._compiler.compile`` hands it; callers key their files by
    the exact interpreter, so the code is read by the one that wrote it.
    """
    import re._compiler as re_compiler
    import re._parser as re_parser

    try:
        parsed = re_parser.parse(p.pattern, p.flags)
        code = [int(c) for c in re_compiler._code(parsed, p.flags)]  # opcodes: int subclasses
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        args = (p.pattern, p.flags | parsed.state.flags, code, parsed.state.groups - 1)
        full = (*args, groupindex, tuple(indexgroup))
        if _sre.compile(*full).flags == p.flags:
            return full
    except Exception:  # pragma: no cover - another interpreter's internals
        pass
    return None


def _path(name: str) -> Path:
    h = hashlib.sha256()
    for part in (sys.version, str(_sre.MAGIC), sys.implementation.cache_tag or ""):
        h.update(part.encode() + b"\0")
    h.update(code_stamp())
    return cache_dir() / f"regexes-{name}-{h.hexdigest()[:32]}.pickle"


def prime(name: str = "check") -> bool:
    """Fill ``re._cache`` from the file an earlier run of command ``name`` saved; whether
    there was one."""
    try:
        entries = pickle.loads(_path(name).read_bytes())
        target: dict[Any, Any] = re._cache  # type: ignore[attr-defined]
        room = re._MAXCACHE - len(target)  # type: ignore[attr-defined]
        for kind, pattern, flags, args in entries[: max(room, 0)]:
            target.setdefault((kind, pattern, flags), _sre.compile(*args))
    except Exception:  # missing, unreadable, another interpreter: compile as usual
        return False
    return True


def save(name: str = "check") -> None:
    """Write the regexes this run of command ``name`` compiled (a warm run's: rule patterns
    unpickle without passing through ``re._cache``); a full cache means a compile ran: skip."""
    try:
        current: dict[Any, Any] = dict(re._cache)  # type: ignore[attr-defined]
        if len(current) >= re._MAXCACHE:  # type: ignore[attr-defined]
            return
        entries = []
        for (kind, pattern, flags), p in current.items():
            args = compiled_args(p) if kind in (str, bytes) else None
            if args is not None:
                entries.append((kind, pattern, flags, args))
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        import tempfile  # only when writing: a warm start never does

        fd, tmp = tempfile.mkstemp(prefix=".regexes-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, _path(name))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        olds = sorted(folder.glob(f"regexes-{name}-*.pickle"), key=lambda f: f.stat().st_mtime_ns)
        for old in olds[:-KEEP]:
            old.unlink()
    except Exception:  # unwritable directory, full disk: the next run compiles again
        return
