"""Hot reload: build a new RuleSet off to the side and swap it in only if it is sound.

A running server holds one ``RulesetHolder``. ``reload()`` validates the rules directory (every
load and lint error) and runs every rule's inline examples; only if all of that passes does it
replace ``holder.ruleset`` — a single reference assignment, so a request sees either the old
rules or the new ones, never a mix. Otherwise the old RuleSet keeps serving and ``status``
carries the errors. ``watch()`` reloads whenever a file under the rules directory changes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from engine.message import BEIJING
from engine.rule_examples import run_examples
from engine.ruleset import RuleFileError, RuleSet, RulesetError, default_rules_dir, validate_rules

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

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # one reload at a time; readers never wait
        ruleset, errors = self._build()
        if ruleset is None or errors:
            raise RulesetError(errors_or_default(errors))
        self.ruleset: RuleSet = ruleset
        self.status = ReloadStatus(True, _now(), ruleset.version, ruleset.commit)
        self.loaded_at = self.status.attempted_at

    def _build(self) -> tuple[RuleSet | None, list[RuleFileError]]:
        ruleset, errors = validate_rules(self.root)
        if ruleset is not None and not errors and self.require_examples:
            for r in run_examples(ruleset):
                if not r.ok:
                    what = f"{r.expect} example {r.example.text!r}: {r.problem}"
                    errors.append(RuleFileError(r.path, None, r.rule_id, what))
        return ruleset, errors

    def reload(self) -> ReloadStatus:
        """Try the rules on disk; swap them in if they validate and every example passes."""
        with self._lock:
            ruleset, errors = self._build()
            if ruleset is not None and not errors:
                changed = ruleset.version != self.ruleset.version
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

    def watch(self, stop: threading.Event, debounce_ms: int = 300) -> threading.Thread:
        """Reload on every change under the rules directory until ``stop`` is set."""
        from watchfiles import watch

        def run() -> None:
            for _changes in watch(
                self.root, stop_event=stop, debounce=debounce_ms, raise_interrupt=False
            ):
                try:
                    self.reload()
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
