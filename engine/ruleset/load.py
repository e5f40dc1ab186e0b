"""rules/ directory -> validated rule specs, word lists and variants, with every error.

Layout::

    rules/ruleset.yaml        profiles, industries, global allow-lists
    rules/variants.yaml       evasive spellings: canonical word -> variants
    rules/evasions.yaml       homophones, look-alike characters, split radicals (same form)
    rules/lists/<name>.txt    word lists, one word per line, '#' starts a comment; a word may
                              end with tags, ``大礼 [boundary]``, and a ``#@ tag`` line tags
                              every word of the file (tags: engine.spellings.WORD_TAGS)
    rules/packs/<pack>.yaml   rule packs; rule ids are '<pack>.<id>'
    rules/frames.yaml         frames: message readings that turn findings into notes
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_origin

import yaml
from pydantic import ValidationError

from engine.match import Role, WordList
from engine.rule_types.specs import KINDS, RuleSpec
from engine.rule_types.specs.base import Strict
from engine.rule_types.specs.frame import FramesFile, FrameSpec
from engine.ruleset.config import RulesetConfig
from engine.ruleset.errors import RuleFileError, did_you_mean
from engine.ruleset.snapshot import Snapshot, take
from engine.ruleset.yaml_lines import YamlDocument, find_key_line, key_line
from engine.spellings import TABLE_EVASIONS, WORD_TAGS


@dataclass(frozen=True)
class PackRule:
    """A validated rule with where it came from."""

    full_id: str
    spec: RuleSpec
    path: str
    line: int | None
    doc: YamlDocument
    index: int

    def line_of_key(self, key: str) -> int | None:
        """Line of the first ``key:`` inside this rule (for errors found while compiling)."""
        return find_key_line(self.doc, ("rules", self.index), key)


@dataclass(frozen=True)
class RuleFiles:
    """Everything read from a rules directory, before compiling."""

    root: Path
    config: RulesetConfig
    lists: dict[str, WordList]
    variants: dict[str, list[str]]
    rules: list[PackRule]
    version: str
    errors: list[RuleFileError]
    list_lines: dict[str, list[str]] = field(default_factory=dict)  # raw lines, for lint
    spellings: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # evasions.yaml
    frames: list[FrameSpec] = field(default_factory=list)  # frames.yaml


def read_rules(root: Path, snapshot: Snapshot | None = None) -> RuleFiles:
    """Read and validate every file under ``root``; collect errors instead of stopping.

    The files are read once (``snapshot``, or a fresh one): what is parsed and what is hashed
    into the version are the same bytes.
    """
    errors: list[RuleFileError] = []
    if not root.is_dir():
        err = RuleFileError(str(root), None, None, "rules directory not found. Pass --rules DIR")
        return RuleFiles(root, RulesetConfig(), {}, {}, [], "", [err])
    snap = snapshot if snapshot is not None else take(root)
    config = _read_config(snap, errors)
    list_lines: dict[str, list[str]] = {}
    lists = _read_lists(snap, errors, list_lines)
    variants = _read_variants(snap, errors)
    spellings = _read_spellings(snap, errors)
    rules: list[PackRule] = []
    packs = snap.names("packs", ".yaml")
    if not packs:
        errors.append(RuleFileError(_rel(root / "packs"), None, None, "no rule packs (*.yaml)"))
    for rel in packs:
        rules.extend(_read_pack(snap, rel, errors))
    frames = _read_frames(snap, errors)
    return RuleFiles(
        root, config, lists, variants, rules, snap.version, errors, list_lines, spellings, frames
    )


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _text(snap: Snapshot, rel: str, errors: list[RuleFileError]) -> str | None:
    try:
        return snap.text(rel)
    except UnicodeDecodeError as exc:
        errors.append(
            RuleFileError(
                _rel(snap.root / rel),
                None,
                None,
                f"not UTF-8 text ({exc.reason}). Save the file as UTF-8",
            )
        )
        return None


def _load_yaml(snap: Snapshot, rel: str, errors: list[RuleFileError]) -> YamlDocument | None:
    path = snap.root / rel
    text = _text(snap, rel, errors)
    if text is None:
        return None
    try:
        return YamlDocument(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        what = f"{exc.problem or 'invalid YAML'}"
        errors.append(
            RuleFileError(
                _rel(path), line, None, f"YAML syntax error: {what}. Check indentation and quotes"
            )
        )
    except yaml.YAMLError as exc:
        errors.append(RuleFileError(_rel(path), None, None, f"YAML error: {exc}"))
    return None


def _read_config(snap: Snapshot, errors: list[RuleFileError]) -> RulesetConfig:
    path = snap.root / "ruleset.yaml"
    if "ruleset.yaml" not in snap.files:
        return RulesetConfig()
    doc = _load_yaml(snap, "ruleset.yaml", errors)
    if doc is None:
        return RulesetConfig()
    try:
        return RulesetConfig.model_validate(doc.data or {})
    except ValidationError as exc:
        errors.extend(_pydantic_errors(exc, doc, _rel(path), (), None, RulesetConfig))
        return RulesetConfig()


def _read_lists(
    snap: Snapshot, errors: list[RuleFileError], raw: dict[str, list[str]]
) -> dict[str, WordList]:
    lists: dict[str, WordList] = {}
    for rel in snap.names("lists", ".txt"):
        path = snap.root / rel
        text = _text(snap, rel, errors)
        if text is None:
            continue
        lines = text.splitlines()
        raw[path.stem] = lines
        words: list[str] = []
        tags: list[frozenset[str]] = []
        every: frozenset[str] = frozenset()
        for lineno, line in enumerate(lines, start=1):
            if line.startswith("#@"):
                every |= _check_tags(line[2:].split(), path, lineno, errors)
                continue
            word, marks = parse_list_line(line)
            if word:
                words.append(word)
                tags.append(_check_tags(marks, path, lineno, errors, word))
        tagged = tuple(t | every for t in tags) if every or any(tags) else ()
        lists[path.stem] = WordList(path.stem, Role.DENY, tuple(words), _rel(path), tagged)
    return lists


def parse_list_line(line: str) -> tuple[str, list[str]]:
    """Split a list line into its word and tags: ``大礼 [boundary]`` -> ("大礼", ["boundary"])."""
    text = line.split("#", 1)[0].strip()
    if text.endswith("]") and " [" in text:
        word, _, marks = text[:-1].rpartition(" [")
        return word.strip(), marks.replace(",", " ").split()
    return text, []


def _check_tags(
    marks: list[str], path: Path, lineno: int, errors: list[RuleFileError], word: str = ""
) -> frozenset[str]:
    good = set()
    for mark in marks:
        if mark not in WORD_TAGS:
            hint = did_you_mean(mark, list(WORD_TAGS))
            msg = f"unknown tag '{mark}'. Known tags: {', '.join(WORD_TAGS)}.{hint}"
        elif mark == "initials" and word and len(word) < 3:
            msg = (
                f"tag 'initials' on '{word}': initials of fewer than 3 characters are "
                "ordinary Latin text (false alarms). Remove the tag"
            )
        else:
            good.add(mark)
            continue
        errors.append(RuleFileError(_rel(path), lineno, None, msg))
    return frozenset(good)


def _read_frames(snap: Snapshot, errors: list[RuleFileError]) -> list[FrameSpec]:
    if "frames.yaml" not in snap.files:
        return []
    doc = _load_yaml(snap, "frames.yaml", errors)
    if doc is None:
        return []
    try:
        return FramesFile.model_validate(doc.data or {}).frames
    except ValidationError as exc:
        rel = _rel(snap.root / "frames.yaml")
        errors.extend(_pydantic_errors(exc, doc, rel, (), None, FramesFile))
        return []


def _read_variants(snap: Snapshot, errors: list[RuleFileError]) -> dict[str, list[str]]:
    path = snap.root / "variants.yaml"
    if "variants.yaml" not in snap.files:
        return {}
    doc = _load_yaml(snap, "variants.yaml", errors)
    if doc is None:
        return {}
    data = doc.data or {}
    ok = isinstance(data, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in data.items()
    )
    if not ok:
        errors.append(
            RuleFileError(
                _rel(path),
                doc.line_of(),
                None,
                "must map each word to a list of its variant spellings, e.g. 微信: [威信, vx]",
            )
        )
        return {}
    return {str(k): [str(x) for x in v] for k, v in data.items()}


def _read_spellings(snap: Snapshot, errors: list[RuleFileError]) -> dict[str, dict[str, list[str]]]:
    path = snap.root / "evasions.yaml"
    if "evasions.yaml" not in snap.files:
        return {}
    doc = _load_yaml(snap, "evasions.yaml", errors)
    if doc is None:
        return {}
    data = doc.data or {}
    if not isinstance(data, dict):
        data = {None: data}
    out: dict[str, dict[str, list[str]]] = {}
    for section, table in data.items():
        if section not in TABLE_EVASIONS:
            known = ", ".join(TABLE_EVASIONS)
            hint = did_you_mean(str(section), list(TABLE_EVASIONS))
            msg = f"unknown section '{section}'. Known sections: {known}.{hint}"
            errors.append(RuleFileError(_rel(path), key_line(doc, (), str(section)), None, msg))
            continue
        ok = isinstance(table, dict) and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in table.items()
        )
        if not ok:
            msg = f"'{section}' must map each word to a list of its spellings, e.g. 发票: [发漂]"
            errors.append(RuleFileError(_rel(path), doc.line_of(section), None, msg))
            continue
        out[str(section)] = {str(k): [str(x) for x in v] for k, v in table.items()}
    return out


def _read_pack(snap: Snapshot, name: str, errors: list[RuleFileError]) -> list[PackRule]:
    path = snap.root / name
    rel = _rel(path)
    doc = _load_yaml(snap, name, errors)
    if doc is None:
        return []
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        errors.append(
            RuleFileError(rel, doc.line_of(), None, "a rule pack is a mapping with a 'rules:' list")
        )
        return []
    unknown = set(data) - {"rules", "category", "source", "description"}
    for key in sorted(unknown):
        errors.append(
            RuleFileError(
                rel,
                key_line(doc, (), key),
                None,
                f"unknown top-level key '{key}'. Known keys: category, description, rules, source",
            )
        )
    pack = path.stem
    defaults = {k: data[k] for k in ("category", "source") if k in data}
    out: list[PackRule] = []
    seen: dict[str, int | None] = {}
    for i, raw in enumerate(data["rules"]):
        line = doc.line_of("rules", i)
        if not isinstance(raw, dict):
            errors.append(
                RuleFileError(rel, line, None, "each rule is a mapping with id, kind, ...")
            )
            continue
        rid = str(raw.get("id", f"#{i + 1}"))
        full_id = f"{pack}.{rid}"
        for key, dline in doc.duplicate_keys("rules", i):
            errors.append(
                RuleFileError(rel, dline, full_id, f"key '{key}' appears twice. Keep one")
            )
        if full_id in seen:
            errors.append(
                RuleFileError(
                    rel,
                    line,
                    full_id,
                    f"duplicate rule id (first at line {seen[full_id]}). Give each rule its own id",
                )
            )
            continue
        seen[full_id] = line
        spec = _validate_rule(raw, defaults, doc, rel, i, full_id, errors)
        if spec is not None:
            out.append(PackRule(full_id, spec, rel, line, doc, i))
    return out


def _validate_rule(
    raw: dict[str, Any],
    defaults: dict[str, Any],
    doc: YamlDocument,
    rel: str,
    index: int,
    full_id: str,
    errors: list[RuleFileError],
) -> RuleSpec | None:
    kind = raw.get("kind")
    if kind not in KINDS:
        line = doc.line_of("rules", index, "kind") if "kind" in raw else doc.line_of("rules", index)
        known = ", ".join(sorted(KINDS))
        what = f"unknown kind '{kind}'" if kind is not None else "missing 'kind'"
        errors.append(
            RuleFileError(
                rel,
                line,
                full_id,
                f"{what}. Known kinds: {known}.{did_you_mean(str(kind), list(KINDS))}",
            )
        )
        return None
    spec_cls = KINDS[kind]
    try:
        return spec_cls.model_validate({**defaults, **raw})
    except ValidationError as exc:
        errors.extend(_pydantic_errors(exc, doc, rel, ("rules", index), full_id, spec_cls))
        return None


def _pydantic_errors(
    exc: ValidationError,
    doc: YamlDocument,
    rel: str,
    base: tuple[str | int, ...],
    rule_id: str | None,
    model: type[Any],
) -> list[RuleFileError]:
    out = []
    for err in exc.errors():
        loc = tuple(
            p
            for p in err["loc"]
            if not (isinstance(p, str) and p.startswith(("function-", "str", "list[", "json-")))
            and p not in _union_tags()  # examples.flag.0.Example.spam -> examples.flag.0.spam
        )
        path = ".".join(str(p) for p in loc) or "(rule)"
        etype = err["type"]
        if etype == "extra_forbidden":
            parent = loc[:-1]
            known = _fields_at(model, parent)
            line = key_line(doc, base + parent, str(loc[-1]))
            hint = did_you_mean(str(loc[-1]), known)
            msg = f"unknown field '{path}'. Known fields: {', '.join(known)}.{hint}"
        elif etype == "missing":
            line = doc.line_of(*base, *loc[:-1])
            msg = f"missing field '{path}'. Add it"
        else:
            line = doc.line_of(*base, *loc)
            text = err["msg"].removeprefix("Value error, ")
            msg = f"field '{path}': {text}" if loc else text
        out.append(RuleFileError(rel, line, rule_id, msg))
    return out


def _union_tags() -> set[str]:
    """Model class names: pydantic puts one in an error's loc for a union member (Example | str)."""
    names, todo = set(), [Strict]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _fields_at(model: type[Any], loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the (nested) model at ``loc``, for 'Known fields' hints."""
    current: Any = model
    keyed = False  # the last field maps names to models (profiles.<name>): skip the name
    for step in loc:
        if isinstance(step, int):
            continue
        field = getattr(current, "model_fields", {}).get(step)
        if field is None:
            if keyed:
                keyed = False
                continue
            return []
        current = _model_of(field.annotation)
        keyed = get_origin(field.annotation) is dict
    names = getattr(current, "model_fields", {})
    return sorted((f.alias or n) for n, f in names.items())


def _model_of(annotation: Any) -> Any:
    from typing import get_args

    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
