"""Hot reload: build a new RuleSet off to the side and swap it in only if it is sound.

A running server holds one ``RulesetHolder``. ``reload()`` validates the rules directory (every
load and lint error) and runs every rule's inline examples; only if all of that passes does it
replace ``holder.ruleset`` — a single reference assignment, so a request sees either the old
rules or the new ones, never a mix. Otherwise the old RuleSet keeps serving and ``status``
carries the errors. ``watch()`` reloads whenever a file under the rules directory changes.

Each attempt reads the directory once into a byte ``Snapshot`` after it has been quiet for
``quiet`` seconds (so a file caught mid-write is waited for); the RuleSet is parsed from those
bytes and its version is their hash. ``snapshot`` keeps the bytes of the serving RuleSet, so a
server's parent can hand exactly them to its workers (``adopt``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from engine.message import BEIJING
from engine.rule_examples import run_examples
from engine.ruleset import (
    RuleFileError,
    RuleSet,
    RulesetError,
    Snapshot,
    default_rules_dir,
    load_ruleset,
    take,
    validate_rules,
)

log = logging.getLogger("xinshi.reload")


@dataclass(frozen=True)
class ReloadStatus:
    """The outcome of the last reload attempt."""

    ok: bool
    attempted_at: datetime
    version: str  # the version now serving
    commit: str | None
    errors: tuple[str, ...] = ()
    rejected_version: str | None = None  # the version that was refused, if any


@dataclass
class RulesetHolder:
    """The RuleSet a server is using, and how the last reload went."""

    root: Path = field(default_factory=default_rules_dir)
    require_examples: bool = True
    quiet: float = 0.3  # seconds without a change before a reload reads the files

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # one reload at a time; readers never wait
        self.snapshot = take(self.root)
        self.ruleset: RuleSet = self._start(self.snapshot)
        self.status = ReloadStatus(True, _now(), self.ruleset.version, self.ruleset.commit)
        self.loaded_at = self.status.attempted_at

    def after_fork(self) -> None:
        """Forget a lock another thread of the parent may have held when the process forked."""
        self._lock = threading.Lock()

    def _start(self, snap: Snapshot) -> RuleSet:
        """The RuleSet to start with: validated here, or by an earlier start of these bytes.

        The ruleset cache (engine.ruleset.cache) may hold these bytes compiled (by ``check``)
        and a verdict that they passed lint and every example. A verdict skips validation; a
        compile without one skips only compiling: lint and the examples run on it.
        """
        if not self.require_examples:  # nothing to remember: the examples are not run
            ruleset, errors = self._build(snap)
            if ruleset is None or errors:
                raise RulesetError(errors_or_default(errors))
            return ruleset
        from engine.ruleset import cache, git_commit

        key = cache.cache_key(snap)
        entry = cache.load_entry(snap, key)
        if entry is None:
            ruleset, errors = self._build(snap)
            if ruleset is not None and not errors:
                cache.store(ruleset, key, linted=())
        else:  # the git state is not in the bytes: ask git again
            ruleset = replace(entry[0], root=snap.root, commit=git_commit(snap.root))
            if cache.is_validated(key):
                log.info("rules %s: validated by an earlier start, not again", snap.version)
                return ruleset
            if entry[1] is None:  # compiled but not linted: read the files for lint
                ruleset, errors = self._build(snap, compiled=ruleset)
            else:
                errors = list(entry[1]) or self._example_errors(ruleset)
        if ruleset is None or errors:
            raise RulesetError(errors_or_default(errors))
        log.info("rules %s validated: lint clean, every example passes", snap.version)
        cache.mark_validated(key)
        return ruleset

    def _build(
        self, snap: Snapshot, compiled: RuleSet | None = None
    ) -> tuple[RuleSet | None, list[RuleFileError]]:
        ruleset, errors = validate_rules(snapshot=snap, compiled=compiled)
        if ruleset is not None and not errors and self.require_examples:
            errors = self._example_errors(ruleset)
        return ruleset, errors

    @staticmethod
    def _example_errors(ruleset: RuleSet) -> list[RuleFileError]:
        """One error per inline example that does not behave as its rule file says."""
        return [
            RuleFileError(
                r.path, None, r.rule_id, f"{r.expect} example {r.example.text!r}: {r.problem}"
            )
            for r in run_examples(ruleset)
            if not r.ok
        ]

    def reload(self) -> ReloadStatus:
        """Try the rules on disk; swap them in if they validate and every example passes."""
        with self._lock:
            snap = take(self.root, quiet=self.quiet)
            if snap.version == self.ruleset.version:  # these very bytes are serving already
                self.status = ReloadStatus(True, _now(), snap.version, self.ruleset.commit)
                return self.status
            ruleset, errors = self._build(snap)
            if ruleset is not None and not errors:
                changed = ruleset.version != self.ruleset.version
                self.snapshot = snap
                self.ruleset = ruleset  # atomic swap
                self.status = ReloadStatus(True, _now(), ruleset.version, ruleset.commit)
                if changed:
                    self.loaded_at = self.status.attempted_at
                    log.info("rules reloaded: version %s", ruleset.version)
                return self.status
            current = self.ruleset
            self.status = ReloadStatus(
                False,
                _now(),
                current.version,
                current.commit,
                tuple(str(e) for e in errors_or_default(errors)),
                ruleset.version if ruleset is not None else None,
            )
            log.error(
                "rules reload refused, still serving %s:\n%s",
                current.version,
                "\n".join(self.status.errors),
            )
            return self.status

    def adopt(self, snap: Snapshot, status: ReloadStatus) -> bool:
        """Serve a snapshot another process has validated; False (old rules kept) if it fails.

        Used by forked workers: their parent validated these bytes and ran the examples, so
        only compiling is left.
        """
        with self._lock:
            if snap.version != self.ruleset.version:
                try:
                    ruleset = load_ruleset(snapshot=snap)
                except RulesetError as exc:
                    log.error("snapshot %s does not load here: %s", snap.version, exc)
                    return False
                self.snapshot = snap
                self.ruleset = ruleset  # atomic swap
                self.loaded_at = _now()
            self.status = status
            return True

    def watch(
        self,
        stop: threading.Event,
        debounce_ms: int = 300,
        on_reload: Callable[[ReloadStatus], None] | None = None,
    ) -> threading.Thread:
        """Reload on every change under the rules directory until ``stop`` is set.

        watchfiles groups changes for up to ``debounce_ms``; ``reload`` then waits until the
        files have been quiet for ``quiet`` seconds. ``on_reload`` gets every outcome.
        """
        from watchfiles import watch

        def run() -> None:
            for _changes in watch(
                self.root, stop_event=stop, debounce=debounce_ms, raise_interrupt=False
            ):
                try:
                    status = self.reload()
                    if on_reload is not None:
                        on_reload(status)
                except Exception:  # never let the watcher die; the old rules keep serving
                    log.exception("rules reload crashed; still serving %s", self.ruleset.version)

        thread = threading.Thread(target=run, name="xinshi-rules-watch", daemon=True)
        thread.start()
        return thread


def errors_or_default(errors: list[RuleFileError]) -> list[RuleFileError]:
    """The errors, or a generic one when validation failed without saying why."""
    return errors or [RuleFileError("rules", None, None, "the rules could not be loaded")]


def _now() -> datetime:
    return datetime.now(BEIJING)
