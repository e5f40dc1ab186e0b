"""Checks beyond loading: word-list hygiene and missing examples (``xinshi rules check``).

Loading refuses what cannot work (unknown kinds, fields, lists, bad regexes). Lint reports what
loads but is wrong: a word listed twice, a line of only spaces, a word that can never match
after normalization, a deny word that an allow-list always excuses, a rule with no examples.
"""

from __future__ import annotations

from engine.normalize import normalize_word
from engine.ruleset.errors import RuleFileError
from engine.ruleset.load import RuleFiles, parse_list_line


def lint(files: RuleFiles) -> list[RuleFileError]:
    """Every lint problem in the rule files, each with file:line."""
    errors = _list_errors(files)
    for pr in files.rules:
        ex = pr.spec.examples
        if not ex.flag or not ex.pass_:
            missing = " and ".join(k for k, v in (("flag", ex.flag), ("pass", ex.pass_)) if not v)
            errors.append(
                RuleFileError(
                    pr.path,
                    pr.line_of_key("examples")
                    if "examples" in pr.spec.model_fields_set
                    else pr.line,
                    pr.full_id,
                    f"no '{missing}' example. Add under examples: a message the rule must flag "
                    "and one it must let pass",
                )
            )
    return errors


def _list_errors(files: RuleFiles) -> list[RuleFileError]:
    errors: list[RuleFileError] = []
    allow_names = set(files.config.global_allow)
    allowed: dict[str, tuple[str, int]] = {}  # normalized allow phrase -> (path, line)
    for name in sorted(allow_names):
        for lineno, word in _words(files.list_lines.get(name, [])):
            allowed.setdefault(normalize_word(word), (files.lists[name].origin, lineno))
    for name, lines in sorted(files.list_lines.items()):
        path = files.lists[name].origin
        seen: dict[str, tuple[int, str]] = {}
        for lineno, raw in enumerate(lines, start=1):
            if raw and not raw.strip():
                errors.append(
                    RuleFileError(path, lineno, None, "line has only spaces. Delete the spaces")
                )
        for lineno, word in _words(lines):
            key = normalize_word(word)
            if not key:
                errors.append(
                    RuleFileError(
                        path,
                        lineno,
                        None,
                        f"word '{word}' is only spaces or symbols, which matching skips, so it "
                        "can never match. Remove it or write the characters it should match",
                    )
                )
                continue
            if key in seen:
                first, spelled = seen[key]
                same = "" if spelled == word else f" ('{spelled}' after normalization)"
                errors.append(
                    RuleFileError(
                        path,
                        lineno,
                        None,
                        f"word '{word}' repeats line {first}{same}. Remove one of them",
                    )
                )
                continue
            seen[key] = (lineno, word)
            if name not in allow_names and key in allowed:
                apath, aline = allowed[key]
                errors.append(
                    RuleFileError(
                        path,
                        lineno,
                        None,
                        f"word '{word}' is also on the allow-list {apath}:{aline}, so it can "
                        "never match. Remove it from one of the two",
                    )
                )
    return errors


def _words(lines: list[str]) -> list[tuple[int, str]]:
    out = []
    for lineno, raw in enumerate(lines, start=1):
        if raw.startswith("#@"):
            continue
        word, _tags = parse_list_line(raw)
        if word:
            out.append((lineno, word))
    return out
