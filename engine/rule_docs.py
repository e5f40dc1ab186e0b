"""RuleSet -> a Markdown catalogue of every rule, the page compliance officers share with legal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from engine.message import BEIJING
from engine.rule_types.specs.base import Example, RuleSpec
from engine.ruleset import RuleSet

_SEVERITY = {"block": "block（拦截）", "warn": "warn（人工复核）", "info": "info（提示）"}


def _text(item: Example | str) -> str:
    ex = Example(text=item) if isinstance(item, str) else item
    extras = [
        f"{k}={v}"
        for k, v in (("type", ex.type), ("industry", ex.industry), ("profile", ex.profile),
                     ("send_at", ex.send_at))
        if v
    ]  # fmt: skip
    shown = ex.text.replace("|", "\\|").replace("\n", " ")
    return f"{shown}" + (f" _({', '.join(extras)})_" if extras else "")


def _scope(spec: RuleSpec) -> list[str]:
    lines = [f"- Message types: {', '.join(spec.types)}"]
    if spec.industries is not None:
        lines.append(f"- Only industries: {', '.join(spec.industries)}")
    if spec.skip_industries:
        lines.append(f"- Not for industries: {', '.join(spec.skip_industries)}")
    if spec.profiles is not None:
        lines.append(f"- Only provider profiles: {', '.join(spec.profiles)}")
    if spec.effective_from or spec.effective_until:
        lines.append(f"- In force: {spec.effective_from or '…'} to {spec.effective_until or '…'}")
    return lines


def shown_path(path: str, root: Path) -> str:
    """``rules/packs/x.yaml``: ``path`` relative to the rules directory, under its name.

    The catalogue is shared with legal and committed; a local absolute path (``/home/…``)
    would leak a machine's layout and differ from one machine to the next.
    """
    base = Path(root).resolve()
    full = Path(path) if Path(path).is_absolute() else Path.cwd() / path
    try:
        return (Path(base.name) / full.resolve().relative_to(base)).as_posix()
    except ValueError:  # outside the rules directory (should not happen): the file name only
        return Path(path).name


def render_docs(ruleset: RuleSet) -> str:
    """Return the Markdown catalogue of ``ruleset``."""
    by_cat: dict[str, list[tuple[str, RuleSpec, str]]] = {}
    for pr in ruleset.specs:
        shown = shown_path(pr.path, ruleset.root)
        by_cat.setdefault(pr.spec.category, []).append((pr.full_id, pr.spec, shown))
    now = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M")
    out = [
        f"# Xinshi rule catalogue — {ruleset.name}",
        "",
        f"Ruleset version `{ruleset.version}`"
        + (f", commit `{ruleset.commit}`" if ruleset.commit else "")
        + f"; {len(ruleset.specs)} rules in {len(by_cat)} categories; generated {now} (Beijing).",
        "",
        "Severity: **block** stops the message; **warn** sends it to review; **info** is a note.",
        "",
        "## Contents",
        "",
    ]
    for cat in sorted(by_cat):
        out.append(f"- [{cat}](#{cat.replace('_', '-')}) ({len(by_cat[cat])})")
    for cat in sorted(by_cat):
        out += ["", f"## {cat}", ""]
        for rule_id, spec, path in sorted(by_cat[cat]):
            out += [
                f"### `{rule_id}`",
                "",
                f"**{spec.message}** — {_SEVERITY[spec.severity]}",
                "",
                f"- Fix: {spec.suggestion}",
                f"- Source: {spec.source}",
                f"- Kind: `{spec.kind}`; file `{path}`",
                *_scope(spec),
            ]
            if spec.description:
                out += ["", spec.description]
            if spec.examples.flag:
                out += ["", "Flagged:", ""] + [f"- ✗ {_text(e)}" for e in spec.examples.flag]
            if spec.examples.pass_:
                out += ["", "Passes:", ""] + [f"- ✓ {_text(e)}" for e in spec.examples.pass_]
            out.append("")
    return "\n".join(out).rstrip() + "\n"
