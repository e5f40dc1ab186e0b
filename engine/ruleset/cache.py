"""A cache of compiled rulesets, keyed by the exact bytes they were compiled from.

Compiling the shipped rules (YAML, word lists, spelling variants, the automaton) takes most
of a cold ``xinshi check``; unpickling the result takes a fraction of it. The key hashes
every rule file's name and bytes (the snapshot that is compiled), the directory and working
directory (paths in the ruleset), the Python and package versions, the engine's source files
and the model files (the ``model`` rules compile a model's weights into the ruleset), so a
cached ruleset can never be stale: change one byte of a word list, or retrain the model, and
the key changes. A missing, corrupt or foreign file, or a directory that cannot be written, means
a rebuild and one debug log line; never an error.

A server starts only on rules that passed lint and every inline example. That verdict is a
sidecar of its own (``ruleset-<key>.validated``, holding the full key), written after the
validation passed: a ruleset cached by ``check`` is validated once by the next ``serve`` and
reused, not compiled again, and an unchanged snapshot is not validated again. A missing,
foreign or unreadable sidecar means "validate again", never "trust".

Directory: ``$XINSHI_CACHE_DIR``, default ``~/.cache/xinshi`` (``$XDG_CACHE_HOME/xinshi``).
"""

from __future__ import annotations

import _sre
import contextlib
import copyreg
import dataclasses
import hashlib
import logging
import os
import pickle
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from engine.content_model.model import models_dir
from engine.normalize import prime_tables, tables
from engine.regex_cache import cache_dir, code_stamp, compiled_args
from engine.ruleset.errors import RuleFileError

if TYPE_CHECKING:
    from engine.ruleset import RuleSet
    from engine.ruleset.load import PackRule
    from engine.ruleset.snapshot import Snapshot

log = logging.getLogger("xinshi.cache")

MAGIC = b"xinshi-ruleset-cache 3\n"
VERDICT = b"xinshi-ruleset-validated 1\n"
KEEP = 8  # newest cache files kept; older ones are removed after a write


# xinshi, and the packages whose data a compiled ruleset or the normalizer's tables hold
PACKAGES = ("xinshi", "opencc", "pypinyin", "confusable-homoglyphs", "pyahocorasick", "pydantic")


def _package_versions() -> str:
    """``name=version`` of each of PACKAGES, read from the names of their ``.dist-info``
    folders on sys.path, first one wins (importlib.metadata's answer; importing it costs
    more than a warm start can spare)."""
    wanted = {name.replace("-", "_").lower(): name for name in PACKAGES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, a missing directory
            continue
        for folder in names:
            stem, dot, suffix = folder.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            dist, _, ver = stem.partition("-")
            name = wanted.get(dist.replace("-", "_").replace(".", "_").lower())
            if name is not None and name not in found:
                found[name] = ver
    return " ".join(f"{name}={found.get(name, '?')}" for name in PACKAGES)


def models_stamp() -> bytes:
    """Directory, name, size and mtime of every model file: a ruleset holds its models' weights."""
    folder = models_dir()
    h = hashlib.sha256(str(folder.resolve()).encode())
    with contextlib.suppress(OSError):
        for p in sorted(folder.glob("*.json")):
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.digest()


def cache_key(snap: Snapshot) -> str:
    """64 hex digits over the snapshot's files and everything else a compile depends on."""
    h = hashlib.sha256()
    for part in (
        MAGIC,
        _package_versions().encode(),
        sys.version.encode(),
        str(snap.root.resolve()).encode(),
        os.getcwd().encode(),
        code_stamp(),
        models_stamp(),
    ):
        h.update(part)
        h.update(b"\0")
    for rel in sorted(snap.files, key=lambda r: r.split("/")):
        data = snap.files[rel]
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


_LOCK = type(threading.Lock())


def _reduce_with_locks(obj: object) -> Any:
    """Pickle an object's attributes, its locks as names: a lock is recreated, not copied."""
    state = dict(vars(obj))
    locks = sorted(k for k, v in state.items() if isinstance(v, _LOCK))
    for k in locks:
        del state[k]
    return _rebuild, (type(obj), state, tuple(locks))


def _rebuild(cls: Any, state: dict[str, object], locks: tuple[str, ...]) -> object:
    obj = cls.__new__(cls)
    vars(obj).update(state)
    for k in locks:
        setattr(obj, k, threading.Lock())
    return obj


def _reduce_slots(obj: Any) -> Any:
    """A frozen slotted dataclass as its constructor call (the default is ~10x slower)."""
    return type(obj), tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))


def _reduce_pattern(p: re.Pattern[Any]) -> Any:
    """A compiled regex as its compiled code: unpickling skips parsing and optimising.

    Python's own reduction compiles the pattern again, which took most of a warm start.
    ``_sre.compile`` takes what ``re._compiler.compile`` hands it; the cache key holds the
    exact Python version, so the code is read by the interpreter that wrote it. Anything
    unexpected falls back to Python's reduction.
    """
    args = compiled_args(p)
    if args is not None:
        return _sre.compile, args
    log.debug("regex %r pickled as its source", p.pattern[:40])
    return re.compile, (p.pattern, p.flags)


def _reduce_opencc(obj: Any) -> Any:
    return type(obj), (obj.config,)


def _register() -> None:
    import opencc

    from engine.match import Entry, Lexicon, WordList

    copyreg.pickle(re.Pattern, _reduce_pattern)
    copyreg.pickle(opencc.OpenCC, _reduce_opencc)  # a converter is rebuilt from its config

    copyreg.pickle(Lexicon, _reduce_with_locks)  # its lock: pyahocorasick is not thread safe
    for cls in (Entry, WordList):  # thousands of them in the automaton
        copyreg.pickle(cls, _reduce_slots)


def _path(key: str, suffix: str = ".pickle") -> Path:
    return cache_dir() / f"ruleset-{key[:32]}{suffix}"


def is_validated(key: str) -> bool:
    """Whether the snapshot with this key passed lint and every example in an earlier process.

    Only a sidecar holding exactly this full key counts; anything else is "not known".
    """
    try:
        return _path(key, ".validated").read_bytes() == VERDICT + key.encode() + b"\n"
    except OSError:
        return False


def mark_validated(key: str) -> None:
    """Remember that the snapshot with this key passed lint and every example; failures are
    only logged (the next start validates again)."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(folder, _path(key, ".validated"), VERDICT + key.encode() + b"\n")
    except OSError as exc:
        log.debug("validation verdict in %s not written (%s)", folder, exc)


def _write_atomic(folder: Path, path: Path, data: bytes) -> None:
    """Write a temp file and rename it over ``path``: a reader sees all or nothing."""
    import tempfile  # only when writing: a warm start never does

    fd, tmp = tempfile.mkstemp(prefix=".ruleset-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load(snap: Snapshot, key: str, validated: bool = False) -> RuleSet | None:
    """The cached ruleset for this key, or None (missing, corrupt, foreign: rebuild).

    ``validated``: only a ruleset whose snapshot is marked validated (``is_validated``).
    """
    if validated and not is_validated(key):
        return None
    entry = load_entry(snap, key)
    return None if entry is None else entry[0]


def load_entry(snap: Snapshot, key: str) -> tuple[RuleSet, tuple[RuleFileError, ...] | None] | None:
    """The cached ruleset for this key and the lint errors of its files (None: not linted),
    or None (missing, corrupt, foreign: rebuild)."""
    from engine.ruleset import RuleSet

    path = _path(key)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head = MAGIC + key.encode() + b"\n"
    if not raw.startswith(head):
        log.debug("ruleset cache %s: not a cache file for this key; rebuilding", path)
        return None
    try:
        ruleset, specs, tables, linted = pickle.loads(raw[len(head) :])
    except Exception as exc:  # a damaged pickle can raise nearly anything
        log.debug("ruleset cache %s: unreadable (%s); rebuilding", path, exc)
        return None
    if (
        not isinstance(ruleset, RuleSet)
        or ruleset.version != snap.version
        or not isinstance(specs, bytes)
        or not (
            linted is None
            or (isinstance(linted, tuple) and all(isinstance(e, RuleFileError) for e in linted))
        )
    ):
        log.debug("ruleset cache %s: holds something else; rebuilding", path)
        return None
    prime_tables(tables)
    return dataclasses.replace(ruleset, specs=LazySpecs(specs)), linted


def store(ruleset: RuleSet, key: str, linted: Sequence[RuleFileError] | None = None) -> None:
    """Write the ruleset atomically (temp file + rename); any failure is only logged.

    ``linted``: the lint errors of the files it was compiled from (None: lint not run), so
    that a server validating it need not read the files again.
    """
    folder = cache_dir()
    _register()
    try:
        # the rule specs (YAML models, for docs and linting) as a pickle of their own, read
        # when first asked for: a check never reads them, nor imports yaml for them
        specs = pickle.dumps(tuple(ruleset.specs), protocol=pickle.HIGHEST_PROTOCOL)
        # the normalizer's tables too: building them costs as much as unpickling everything
        body = pickle.dumps(
            (
                dataclasses.replace(ruleset, specs=()),
                specs,
                tables(),
                None if linted is None else tuple(linted),
            ),
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(folder, _path(key), MAGIC + key.encode() + b"\n" + body)
    except Exception as exc:  # unwritable directory, full disk, an object that won't pickle
        log.debug("ruleset cache in %s not written (%s)", folder, exc)
        return
    _prune(folder)


def _prune(folder: Path) -> None:
    """Keep the KEEP newest cache files (and their verdicts): every edit of the rules makes
    a new one."""
    try:
        files = sorted(folder.glob("ruleset-*.pickle"), key=lambda p: p.stat().st_mtime_ns)
        for old in files[:-KEEP]:
            old.unlink()
            with contextlib.suppress(FileNotFoundError):
                old.with_suffix(".validated").unlink()
    except OSError as exc:
        log.debug("ruleset cache in %s not pruned (%s)", folder, exc)


class LazySpecs(Sequence["PackRule"]):
    """A cached ruleset's rule specs, unpickled on first use (thread safe: at worst twice)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._specs: tuple[PackRule, ...] | None = None

    def _all(self) -> tuple[PackRule, ...]:
        if self._specs is None:
            self._specs = pickle.loads(self._data)
        return self._specs

    @overload
    def __getitem__(self, index: int) -> PackRule: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[PackRule, ...]: ...
    def __getitem__(self, index: int | slice) -> PackRule | tuple[PackRule, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[PackRule]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return tuple, (self._all(),)
