"""xinshi rules ...: check, test, document, show and diff rule files (for compliance officers)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated, Literal, cast

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from engine.message import Message, MessageError, MessageIn
from engine.ruleset import default_rules_dir, validate_rules
from engine.usage import load_rules_or_exit, usage_error

rules_app = typer.Typer(help="Check, test, document and compare rule files.", no_args_is_help=True)

DirArg = Annotated[
    Path | None, typer.Argument(help="Rules directory (default: the shipped rules/).")
]


@rules_app.command("check")
def rules_check(rules: DirArg = None) -> None:
    """Validate every rule file and word list; print every error with file:line; exit 1 if any."""
    from engine.dispatch.complaints import complaint_rule_errors
    from engine.dispatch.scenes import dispatch_rule_errors  # dispatch/: types, templates, scenes

    root = rules or default_rules_dir()
    ruleset, found = validate_rules(root)
    errors = [str(e) for e in found] + dispatch_rule_errors(root)
    errors += [str(e) for e in complaint_rule_errors(root)]  # rules/dispatch/complaints.yaml
    for err in errors:
        sys.stdout.write(f"{err}\n")
    if errors:
        sys.stdout.write(f"{len(errors)} problem(s) in {root}\n")
        raise typer.Exit(1)
    assert ruleset is not None
    packs = len({pr.full_id.split(".")[0] for pr in ruleset.specs})
    sys.stdout.write(
        f"{root}: OK — {len(ruleset.rules)} rules in {packs} packs, "
        f"{ruleset.word_count} automaton keys, version {ruleset.version}\n"
    )


@rules_app.command("test")
def rules_test(
    rules: DirArg = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule id.")] = None,
) -> None:
    """Run every rule's inline examples; show spans found vs expected; exit 1 if any fails."""
    from engine.rule_examples import run_examples

    rs = load_rules_or_exit(rules)
    results = run_examples(rs, rule)
    if rule is not None and not results:
        known = [pr.full_id for pr in rs.specs] + [f"frames.{f.id}" for f in rs.frames]
        from engine.ruleset.errors import did_you_mean

        raise usage_error(
            f"no rule '{rule}' with examples.{did_you_mean(rule, known)} See: xinshi rules show"
        )
    console = Console(soft_wrap=True)
    failed = [r for r in results if not r.ok]
    for r in failed:
        console.print(
            f"[red]FAIL[/] {r.path}:{r.line}: {r.rule_id} {r.expect}: {r.example.text}",
            highlight=False,
        )
        found = ", ".join(f"[{f.start}:{f.end}] '{f.matched}'" for f in r.findings) or "nothing"
        expected = (
            f"'{r.example.span}'"
            if r.example.span
            else ("a finding" if r.expect == "flag" else "nothing")
        )
        if r.example.verdict:
            expected += f" and verdict {r.example.verdict}"
        console.print(f"     expected {expected}; found {found} — {r.problem}", highlight=False)
    if rule is not None:
        for r in results:
            if r.ok:
                found = ", ".join(f"'{f.matched}'" for f in r.findings) or "nothing"
                console.print(
                    f"[green]ok[/]   {r.expect}: {r.example.text}  → {found}", highlight=False
                )
    ok = len(results) - len(failed)
    console.print(f"{ok} of {len(results)} rule examples behave as written ({len(failed)} failing)")
    raise typer.Exit(1 if failed else 0)


@rules_app.command("docs")
def rules_docs(
    rules: DirArg = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Write a Markdown catalogue of every rule (id, category, severity, source, examples)."""
    from engine.rule_docs import render_docs

    text = render_docs(load_rules_or_exit(rules))
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {out}\n")


@rules_app.command("show")
def rules_show(rules: DirArg = None) -> None:
    """List packs, rule counts, word counts and the ruleset version."""
    rs = load_rules_or_exit(rules)
    title = f"ruleset {rs.name} · version {rs.version}" + (
        f" · commit {rs.commit}" if rs.commit else ""
    )
    table = Table(title=title)
    for col in ("pack", "rules", "categories"):
        table.add_column(col)
    packs: dict[str, list[str]] = {}
    for pr in rs.specs:
        packs.setdefault(pr.full_id.split(".")[0], []).append(pr.spec.category)
    for pack, cats in sorted(packs.items()):
        table.add_row(pack, str(len(cats)), ", ".join(sorted(set(cats))))
    console = Console()
    console.print(table)
    lists = sum(1 for wl in rs.lexicon.lists if wl.role.value != "gate")
    profiles = ", ".join(sorted(rs.profiles))
    counts = f"{len(rs.rules)} rules · {lists} word lists · {rs.word_count} automaton keys"
    console.print(f"{counts} · profiles: {profiles}")
    console.print(f"rules directory: {rs.root}")


@rules_app.command("import")
def rules_import(
    file: Annotated[Path, typer.Argument(help="Dictionary file to import.")],
    name: Annotated[
        str, typer.Option("--name", help="Pack name: packs/NAME.yaml, lists/NAME_<category>.txt.")
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="auto, lines, houbb (word tag1,tag2) or tsv.")
    ] = "auto",
    category: Annotated[
        str | None, typer.Option("--category", help="Category for untagged words.")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="TAG=CATEGORY (or TAG=skip); repeatable."),
    ] = None,
    severity: Annotated[str, typer.Option("--severity", help="block or warn.")] = "block",
    source: Annotated[
        str | None, typer.Option("--source", help="Where the words come from (shown to users).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; write nothing.")
    ] = False,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules directory (default: the shipped rules/).")
    ] = None,
) -> None:
    """Import an external word list (one per line, houbb or tsv tags) as lists plus a pack."""
    from engine.rule_import import DictionaryError, Format, import_dictionary

    if fmt not in ("auto", "lines", "houbb", "tsv"):
        raise usage_error(f"--format {fmt!r}: use auto, lines, houbb or tsv")
    if severity not in ("block", "warn"):
        raise usage_error(f"--severity {severity!r}: use block or warn")
    tag_map: dict[str, str] = {}
    for item in mapping or []:
        tag, sep, cat = item.partition("=")
        if not sep or not tag.strip() or not cat.strip():
            raise usage_error(f"--map {item!r}: write TAG=CATEGORY, e.g. --map 3=gambling")
        tag_map[tag.strip()] = cat.strip()
    root = rules or default_rules_dir()
    try:
        done = import_dictionary(
            file,
            root,
            name,
            fmt=cast(Format, fmt),
            category=category,
            tag_map=tag_map,
            severity=cast(Literal["block", "warn"], severity),
            source=source,
            dry_run=dry_run,
        )
    except DictionaryError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"error: {problem}\n")
        raise typer.Exit(2) from None
    for skipped in done.skipped:
        sys.stdout.write(f"skipped {skipped}\n")
    counts = ", ".join(f"{cat} {n}" for cat, n in sorted(done.counts.items()))
    verb = "would write" if dry_run else "wrote"
    for path in done.files:
        sys.stdout.write(f"{verb} {path}\n")
    sys.stdout.write(
        f"{sum(done.counts.values())} words ({counts}); {len(done.skipped)} skipped; "
        f"rules version {done.version}\n"
    )


@rules_app.command("diff")
def rules_diff(
    corpus: Annotated[
        Path, typer.Option("--corpus", help="JSONL messages, e.g. last month's sends.")
    ],
    old: Annotated[
        str, typer.Option("--old", help="Old rules: a directory or a git ref (HEAD, main~1).")
    ] = "HEAD",
    new: Annotated[
        Path | None, typer.Option("--new", help="New rules directory (default: rules/).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Replay a corpus through old and new rules and report every verdict that changes."""
    from engine.cli.progress import counted
    from engine.impact import replay

    new_dir = new or default_rules_dir()
    with tempfile.TemporaryDirectory(prefix="xinshi-old-rules-") as tmp:
        old_dir = _old_rules(old, new_dir, Path(tmp))
        old_rs, new_rs = load_rules_or_exit(old_dir), load_rules_or_exit(new_dir)
        messages, bad = _read_corpus(corpus)
        impact = replay(old_rs, new_rs, counted(messages, "replayed", len(messages)))
    if as_json:
        data = {
            "old_version": impact.old_version,
            "new_version": impact.new_version,
            "messages": impact.total,
            "invalid_lines": bad,
            "changed": impact.changed,
            "transitions": [
                {"from": a, "to": b, "count": n, "examples": impact.examples.get((a, b), [])}
                for (a, b), n in sorted(impact.transitions.items())
            ],
            "rules": {
                rid: {"added": d.added, "removed": d.removed,
                      "added_examples": d.added_examples, "removed_examples": d.removed_examples}
                for rid, d in sorted(impact.rules.items())
            },
        }  # fmt: skip
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    console = Console()
    console.print(
        f"{impact.total} messages · old {impact.old_version} → new {impact.new_version} · "
        f"{impact.changed} verdicts change"
        + (f" · {len(bad)} invalid lines skipped" if bad else ""),
        highlight=False,
    )
    table = Table(title="verdict changes")
    for col in ("from", "to", "messages"):
        table.add_column(col, no_wrap=True)
    # CJK examples have no spaces, so rich would size their column to the whole text and then
    # crop the table: give the example column the width that is left, and fold it
    table.add_column("example", overflow="fold", width=max(console.width - 36, 10))
    for (a, b), n in sorted(impact.transitions.items(), key=lambda kv: -kv[1]):
        if a != b:
            example = (impact.examples.get((a, b)) or [""])[0]
            table.add_row(a, b, str(n), example)
    console.print(table)
    rules_table = Table(title="messages each rule now flags (+) and no longer flags (-)")
    # a rule id is never cut (two ids that differ at the end must stay apart): it gets the
    # width of the longest id, up to half the terminal, and folds onto a second line past that
    rule_w = min(max((len(rid) for rid in impact.rules), default=4), console.width // 2)
    count_w = max((len(str(n)) + 1 for d in impact.rules.values() for n in (d.added, d.removed)),
                  default=2)  # fmt: skip
    rules_table.add_column("rule", width=rule_w, overflow="fold")
    for col in ("+", "-"):
        rules_table.add_column(col, no_wrap=True, justify="right", width=count_w)
    example_w = max(console.width - rule_w - 2 * count_w - 13, 10)  # 13: borders and padding
    rules_table.add_column("example", overflow="fold", width=example_w)
    for rid, d in sorted(impact.rules.items(), key=lambda kv: -(kv[1].added + kv[1].removed)):
        example = (d.added_examples or d.removed_examples or [""])[0]
        rules_table.add_row(rid, f"+{d.added}", f"-{d.removed}", example)
    console.print(rules_table)
    for lineno, err in bad[:5]:
        console.print(f"  line {lineno}: {err}", highlight=False)


def _old_rules(old: str, new_dir: Path, tmp: Path) -> Path:
    """A directory of the old rules: ``old`` itself, or ``git archive`` of a ref."""
    if Path(old).is_dir():
        return Path(old)
    import subprocess
    import tarfile

    try:
        top = subprocess.run(
            ["git", "-C", str(new_dir), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        rel = new_dir.resolve().relative_to(Path(top).resolve())
        archive = subprocess.run(
            ["git", "-C", top, "archive", "--format=tar", old, str(rel)],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        msg = detail.decode(errors="replace").strip() if isinstance(detail, bytes) else str(detail)
        raise usage_error(
            f"--old {old!r} is neither a directory nor a git ref with {new_dir}: {msg or exc}"
        ) from None
    import io

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / rel


def _read_corpus(path: Path) -> tuple[list[Message], list[tuple[int, str]]]:
    """Messages from a JSONL file, and (line, error) for each line that is not one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise usage_error(f"cannot read {path}: {exc.strerror}") from None
    messages: list[Message] = []
    bad: list[tuple[int, str]] = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            messages.append(MessageIn.model_validate(orjson.loads(line)).to_message())
        except (orjson.JSONDecodeError, ValidationError, MessageError, UnicodeDecodeError) as exc:
            bad.append((lineno, str(exc).splitlines()[0]))
    return messages, bad
