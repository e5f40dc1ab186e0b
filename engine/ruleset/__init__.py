"""rules/ -> a validated, immutable RuleSet with one automaton and a version hash."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from engine.match import Lexicon, Role, WordList
from engine.message import MESSAGE_TYPES, Message, MessageError, MessageType
from engine.rule_types.base import Builder, BuildError, Rule
from engine.rule_types.context import Profile
from engine.rule_types.frame import Frame
from engine.rule_types.send_window import parse_hhmm
from engine.ruleset.errors import RuleFileError, RulesetError, did_you_mean
from engine.ruleset.snapshot import Snapshot, take

if TYPE_CHECKING:  # reading and linting YAML is imported by what reads it: a cached start never
    from engine.ruleset.budget import CheckBudget
    from engine.ruleset.load import PackRule, RuleFiles

__all__ = [
    "RuleFileError",
    "RuleSet",
    "RulesetError",
    "Snapshot",
    "default_rules_dir",
    "load_ruleset",
    "take",
]


# Rule lists remembered per (trigger ids, industry, profile, day): messages of one template
# hit the same lists, so most checks find theirs in a dict instead of building it.
_MEMO_MAX = 1024  # per message type; ~6 KB an entry at worst (every list hit)


@dataclass(frozen=True)
class RuleIndex:
    """The rules for one message type: those that always run, and the rest by trigger id."""

    always: tuple[Rule, ...]
    triggered: tuple[Rule, ...]  # the rules with triggers, in ruleset order
    positions: dict[int, tuple[int, ...]]  # trigger id -> indices into ``triggered``
    late: tuple[Rule, ...] = ()  # rules that read what the others found (Rule.LATE)
    _memo: dict[object, tuple[Rule, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, rules: list[Rule]) -> RuleIndex:
        """Index ``rules`` (already filtered to one message type)."""
        late = tuple(r for r in rules if r.LATE)
        always = tuple(r for r in rules if r.triggers is None and not r.LATE)
        triggered = tuple(r for r in rules if r.triggers is not None and not r.LATE)
        positions: dict[int, list[int]] = {}
        for i, r in enumerate(triggered):
            for t in r.triggers or ():
                positions.setdefault(t, []).append(i)
        return cls(always, triggered, {t: tuple(ps) for t, ps in positions.items()}, late)

    def select(self, triggered: set[int]) -> list[Rule]:
        """The rules that can fire, given the list and gate ids a message hit.

        Those that always run come first, then the triggered ones in ruleset order, then the
        late ones.
        """
        if not triggered:
            return [*self.always, *self.late]
        get = self.positions.get
        picked: set[int] = set()
        for t in triggered:
            ps = get(t)
            if ps is not None:
                picked.update(ps)
        rules = self.triggered
        return [*self.always, *[rules[i] for i in sorted(picked)], *self.late]

    def select_for(self, triggered: set[int], msg: Message, day: date | None) -> tuple[Rule, ...]:
        """``select``, less the rules not in force for the message's industry, profile and
        ``day`` (``RuleMeta.applies``); remembered for the next message alike."""
        ids = frozenset(self.positions.keys() & triggered)
        key = (ids, msg.industry, msg.profile, day)
        memo = self._memo
        rules = memo.get(key)
        if rules is None:
            rules = tuple(
                r for r in self.select(set(ids)) if not r.scoped or r.meta.applies(msg, day)
            )
            if len(memo) >= _MEMO_MAX:
                memo.clear()  # unbounded variety (adversarial input): start again
            memo[key] = rules
        return rules

    def __getstate__(self) -> dict[str, object]:
        # a pickled ruleset (engine.ruleset.cache) starts with an empty memo
        return {**self.__dict__, "_memo": {}}


@dataclass(frozen=True)
class RuleSet:
    """Compiled rules, ready to check messages. Never mutated: reloads build a new one."""

    name: str
    version: str
    root: Path
    rules: tuple[Rule, ...]
    specs: Sequence[PackRule]  # a tuple; from the cache, one that unpickles on first use
    lexicon: Lexicon
    profiles: dict[str, Profile]
    industries: frozenset[str]
    global_allow: tuple[int, ...]
    by_type: dict[MessageType, RuleIndex]
    commit: str | None = None  # git commit of the rules directory, "-dirty" when edited since
    dated: bool = False  # some rule has effective_from/effective_until
    budget: CheckBudget | None = None  # CPU time per message (rules/ruleset.yaml check_budget)
    frames: tuple[Frame, ...] = ()  # readings that turn findings into notes (rules/frames.yaml)

    def profile(self, name: str) -> Profile:
        """Return a provider profile, with a clear error for unknown names."""
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            hint = did_you_mean(name, list(self.profiles))
            raise MessageError(
                "profile", f"unknown profile {name!r}. Known profiles: {known}.{hint}"
            ) from None

    def validate(self, msg: Message) -> None:
        """Raise MessageError when the message names an unknown industry or profile."""
        self.profile(msg.profile)
        if msg.industry is not None and self.industries and msg.industry not in self.industries:
            known = ", ".join(sorted(self.industries))
            hint = did_you_mean(msg.industry, sorted(self.industries))
            raise MessageError(
                "industry", f"unknown industry {msg.industry!r}. Known industries: {known}.{hint}"
            )

    @property
    def word_count(self) -> int:
        """Distinct keys in the automaton (words and generated variants)."""
        return self.lexicon.word_count


def default_rules_dir() -> Path:
    """XINSHI_RULES, else the rules/ of a source checkout, else the copy bundled in the wheel."""
    env = os.environ.get("XINSHI_RULES")
    return Path(env) if env else shipped_rules_dir()


def shipped_rules_dir() -> Path:
    """The rules/ of a source checkout, else the copy bundled in the wheel ($XINSHI_RULES aside)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "rules", here / "bundled_rules"):
        if candidate.is_dir():
            return candidate
    return here.parent / "rules"


def dispatch_file(name: str, rules: Path | None = None) -> Path:
    """``dispatch/NAME`` of a rules directory (default: default_rules_dir()). A directory without
    that file gets the shipped one, so a rules tree of packs and lists alone still serves."""
    own = (rules or default_rules_dir()) / "dispatch" / name
    if own.exists():
        return own
    shipped = shipped_rules_dir() / "dispatch" / name
    return shipped if shipped.exists() else own


@contextmanager
def _no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a ruleset is read and compiled.

    A build makes hundreds of thousands of objects (automaton values, entries, regex parse
    trees; ~80,000 keys with bench/check.py's extra list) and keeps nearly all of them: the
    collector would walk them again at every generation threshold, a fifth of the build, to
    free nothing. Cycles made meanwhile are collected after it.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def load_ruleset(
    root: Path | str | None = None,
    extra_lists: dict[str, list[str]] | None = None,
    snapshot: Snapshot | None = None,
    cached: bool = False,
) -> RuleSet:
    """Read, validate and compile a rules directory. Raises RulesetError listing every error.

    ``extra_lists`` adds word lists by name (used by benchmarks to load a large list);
    ``snapshot`` compiles bytes already read instead of reading ``root``; ``cached`` reuses
    the ruleset compiled from these very bytes by an earlier process (engine.ruleset.cache).
    """
    with _no_collection():
        return _load_ruleset(root, extra_lists, snapshot, cached)


def _load_ruleset(
    root: Path | str | None,
    extra_lists: dict[str, list[str]] | None,
    snapshot: Snapshot | None,
    cached: bool,
) -> RuleSet:
    where = snapshot.root if snapshot is not None else root
    path = Path(where) if where is not None else default_rules_dir()
    if cached and extra_lists is None and (snapshot is not None or path.is_dir()):
        return _load_cached(snapshot if snapshot is not None else take(path))
    from engine.ruleset.load import read_rules

    return compile_rules(read_rules(path, snapshot), extra_lists)


def _load_cached(snap: Snapshot) -> RuleSet:
    from dataclasses import replace

    from engine.ruleset import cache

    key = cache.cache_key(snap)
    hit = cache.load(snap, key)  # validated or not: `check` needs a compiled ruleset only
    if hit is not None:  # the git state is not in the bytes: ask git again
        return replace(hit, root=snap.root, commit=git_commit(snap.root))
    from engine.ruleset.lint import lint
    from engine.ruleset.load import read_rules

    files = read_rules(snap.root, snap)
    ruleset = compile_rules(files)
    # lint costs little once the files are read; a server validating this ruleset need not
    # read them again (it still runs every example)
    cache.store(ruleset, key, linted=lint(files))
    return ruleset


def validate_rules(
    root: Path | str | None = None,
    snapshot: Snapshot | None = None,
    compiled: RuleSet | None = None,
) -> tuple[RuleSet | None, list[RuleFileError]]:
    """Load and lint a rules directory (or a snapshot of one): the RuleSet (None if it cannot
    load) and every error, sorted by file and line.

    ``compiled``: the RuleSet an earlier process compiled from these very bytes (the ruleset
    cache; it holds only clean compiles), used instead of compiling them again; lint still runs.
    """
    with _no_collection():
        return _validate_rules(root, snapshot, compiled)


def _validate_rules(
    root: Path | str | None, snapshot: Snapshot | None, compiled: RuleSet | None
) -> tuple[RuleSet | None, list[RuleFileError]]:
    from engine.ruleset.lint import lint
    from engine.ruleset.load import read_rules

    path = snapshot.root if snapshot is not None else root
    files = read_rules(Path(path) if path is not None else default_rules_dir(), snapshot)
    errors = lint(files)
    ruleset = compiled if compiled is not None and compiled.version == files.version else None
    if ruleset is None:
        try:
            ruleset = compile_rules(files)
        except RulesetError as exc:
            errors.extend(exc.errors)
    unique = {str(e): e for e in errors}
    ordered = sorted(unique.values(), key=lambda e: (e.path, e.line or 0, str(e)))
    return ruleset, ordered


def compile_rules(files: RuleFiles, extra_lists: dict[str, list[str]] | None = None) -> RuleSet:
    """Compile rule files that have been read; raises RulesetError listing every error."""
    from engine.ruleset.regex_safety import pattern_errors, problems

    errors = list(files.errors)
    lists = dict(files.lists)
    for name, words in (extra_lists or {}).items():
        lists[name] = WordList(name, Role.DENY, tuple(words), f"<extra:{name}>")
    build = Builder(files=lists, global_allow=files.config.global_allow)
    try:
        global_allow = build.global_allow_ids()
    except BuildError as exc:
        errors.append(RuleFileError(str(files.root / "ruleset.yaml"), None, None, str(exc)))
        global_allow = ()
    compiled: list[Rule] = []
    profiles_known = sorted(files.config.profiles)
    industries_known = sorted(files.config.industries)
    for pr in files.rules:
        errors.extend(_scope_errors(pr, profiles_known, industries_known))
        errors.extend(pattern_errors(pr))  # a backtracking blow-up is a denial of service
        try:
            compiled.append(pr.spec.compile(pr.spec.meta(pr.full_id), build))
        except BuildError as exc:
            line = pr.line_of_key(exc.field)
            errors.append(RuleFileError(pr.path, line, pr.full_id, f"field '{exc.field}': {exc}"))
    frames: list[Frame] = []
    known_rules = {r.meta.id for r in compiled}
    for fs in files.frames:
        where = str(files.root / "frames.yaml")
        for key in ("when", "unless", "cue", "before"):
            spec = getattr(fs, key)
            for pattern in spec.patterns if spec is not None else ():
                for problem in problems(pattern):  # a backtracking blow-up is a denial of service
                    what = f"field '{key}.patterns': pattern '{pattern}': {problem}"
                    errors.append(RuleFileError(where, None, f"frames.{fs.id}", what))
        try:
            frames.append(fs.compile(build, known_rules))
        except (BuildError, ValueError) as exc:
            errors.append(RuleFileError(where, None, f"frames.{fs.id}", str(exc)))
    for name in extra_lists or {}:
        build.deny((), (name,), f"<extra:{name}>")
    if errors:
        raise RulesetError(errors)
    for rule in compiled:
        rule.finish(build)
    lexicon = Lexicon(build.lists, files.variants, files.spellings)
    profiles = {
        name: Profile(name, (parse_hhmm(p.send_window[0]), parse_hhmm(p.send_window[1])), p.opt_out)
        for name, p in files.config.profiles.items()
    }
    by_type = {
        MessageType(t): RuleIndex.build([r for r in compiled if MessageType(t) in r.meta.types])
        for t in MESSAGE_TYPES
    }
    return RuleSet(
        name=files.config.name,
        version=files.version,
        root=files.root,
        rules=tuple(compiled),
        specs=tuple(files.rules),
        lexicon=lexicon,
        profiles=profiles,
        industries=frozenset(files.config.industries),
        global_allow=global_allow,
        by_type=by_type,
        commit=git_commit(files.root),
        dated=any(r.meta.effective_from or r.meta.effective_until for r in compiled),
        budget=files.config.check_budget.budget() if files.config.check_budget else None,
        frames=tuple(frames),
    )


def _scope_errors(pr: PackRule, profiles: list[str], industries: list[str]) -> list[RuleFileError]:
    """Profiles and industries a rule names must exist, or the rule silently never applies."""
    checks = [("profiles", "profile", "profiles", profiles)]
    if industries:  # a ruleset that lists no industries accepts any
        for key in ("industries", "skip_industries"):
            checks.append((key, "industry", "industries", industries))
    out = []
    for key, noun, nouns, known in checks:
        for name in getattr(pr.spec, key) or ():
            if name not in known:
                msg = (
                    f"field '{key}': unknown {noun} '{name}'. Known {nouns}: "
                    f"{', '.join(known)}.{did_you_mean(name, known)}"
                )
                out.append(RuleFileError(pr.path, pr.line_of_key(key), pr.full_id, msg))
    return out


def git_commit(root: Path) -> str | None:
    """Short commit of the git checkout holding ``root``, with -dirty for local edits."""
    import subprocess

    try:  # one git process: the commit is a header line, each local edit a line of its own
        out = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain=v2", "--branch", "--", "."],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    oid = next((ln[len("# branch.oid ") :] for ln in out if ln.startswith("# branch.oid ")), "")
    if not oid or oid == "(initial)":
        return None
    dirty = any(not ln.startswith("#") for ln in out)
    return f"{oid[:12]}-dirty" if dirty else oid[:12]


@lru_cache(maxsize=1)
def shipped_ruleset() -> RuleSet:
    """The ruleset in the default rules directory, loaded once per process."""
    return load_ruleset()
