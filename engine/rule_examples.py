"""Run the inline ``examples`` of every rule: flag examples must trigger the rule with its
declared severity, pass examples must not; an example that states ``verdict`` must get it.

Frames (rules/frames.yaml) have examples too, reported as ``frames.<id>``: a flag example
must have a finding the frame turned into a note (on ``span`` when given), a pass example
must have none."""

from __future__ import annotations

from dataclasses import dataclass

from engine.check import check
from engine.message import MessageError, make_message
from engine.rule_types.specs.base import Example
from engine.ruleset import RuleSet
from engine.ruleset.load import PackRule
from engine.verdict import Finding, Verdict


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one inline example."""

    rule_id: str
    path: str
    line: int | None  # of the example in its rule file
    expect: str  # "flag" or "pass"
    example: Example
    findings: tuple[Finding, ...]  # this rule's findings, or the findings it merged into
    problem: str | None  # None when the example behaved as written

    @property
    def ok(self) -> bool:
        """Tell whether the example behaved as written."""
        return self.problem is None


def iter_examples(ruleset: RuleSet) -> list[tuple[PackRule, str, Example, int]]:
    """Every (rule, "flag"/"pass", example, its index in that list) of the ruleset."""
    out = []
    for pr in ruleset.specs:
        for expect, items in (("flag", pr.spec.examples.flag), ("pass", pr.spec.examples.pass_)):
            for i, item in enumerate(items):
                ex = Example(text=item) if isinstance(item, str) else item
                out.append((pr, expect, ex, i))
    return out


def run_example(
    ruleset: RuleSet, pr: PackRule, expect: str, ex: Example, index: int | None = None
) -> ExampleResult:
    """Check one example message and compare with what the rule file says."""
    line = (
        pr.doc.line_of("rules", pr.index, "examples", expect, index)
        if index is not None
        else pr.line_of_key("examples")
    )
    try:
        msg = make_message(
            ex.text, type=ex.type, industry=ex.industry, send_at=ex.send_at, profile=ex.profile
        )
        verdict = check(msg, ruleset)
    except MessageError as exc:
        return ExampleResult(
            pr.full_id, pr.path, line, expect, ex, (), f"invalid example: {exc.message}"
        )
    # a rule whose finding merged into another's (one finding per problem) is in ``related``
    mine = tuple(f for f in verdict.findings if pr.full_id in f.rule_ids)
    problem = None
    if expect == "flag" and not mine:
        problem = "expected a finding, got none"
    elif expect == "pass" and mine:
        spans = ", ".join(f"{f.start}-{f.end} '{f.matched}'" for f in mine)
        problem = f"expected no finding, got {spans}"
    elif problem := _span_problem(expect, ex, mine):
        pass
    elif wrong := [f for f in mine if not _severity_ok(f, pr.full_id, pr.spec.severity)]:
        own = wrong[0].rule_id == pr.full_id
        whose = "its finding" if own else f"the finding it merged into ({wrong[0].rule_id})"
        problem = (
            f"the rule declares severity {pr.spec.severity}, {whose} says {wrong[0].severity.value}"
        )
    else:
        problem = _verdict_problem(ex, verdict)
    return ExampleResult(pr.full_id, pr.path, line, expect, ex, mine, problem)


def run_examples(ruleset: RuleSet, rule_id: str | None = None) -> list[ExampleResult]:
    """Run every inline example (of one rule or frame when ``rule_id`` is given)."""
    out = [
        run_example(ruleset, pr, expect, ex, i)
        for pr, expect, ex, i in iter_examples(ruleset)
        if rule_id is None or pr.full_id == rule_id
    ]
    return out + run_frame_examples(ruleset, rule_id)


def run_frame_examples(ruleset: RuleSet, rule_id: str | None = None) -> list[ExampleResult]:
    """Run the examples of every frame in the ruleset's frames.yaml (or of ``frames.<id>``)."""
    path = ruleset.root / "frames.yaml"
    if not path.is_file() or (rule_id is not None and not rule_id.startswith("frames.")):
        return []
    from engine.rule_types.specs.frame import FramesFile
    from engine.ruleset.yaml_lines import YamlDocument

    doc = YamlDocument(path.read_text("utf-8"))
    out = []
    for n, fs in enumerate(FramesFile.model_validate(doc.data or {}).frames):
        fid = f"frames.{fs.id}"
        if rule_id is not None and rule_id != fid:
            continue
        for expect, items in (("flag", fs.examples.flag), ("pass", fs.examples.pass_)):
            for i, item in enumerate(items):
                ex = Example(text=item) if isinstance(item, str) else item
                line = doc.line_of("frames", n, "examples", expect, i)
                out.append(_run_frame_example(ruleset, fs.id, str(path), line, expect, ex))
    return out


def _run_frame_example(
    ruleset: RuleSet, frame: str, path: str, line: int | None, expect: str, ex: Example
) -> ExampleResult:
    rid = f"frames.{frame}"
    try:
        msg = make_message(
            ex.text, type=ex.type, industry=ex.industry, send_at=ex.send_at, profile=ex.profile
        )
        verdict = check(msg, ruleset)
    except MessageError as exc:
        return ExampleResult(rid, path, line, expect, ex, (), f"invalid example: {exc.message}")
    mine = tuple(f for f in verdict.findings if f.frame == frame)
    problem = None
    if expect == "flag" and not mine:
        found = ", ".join(f"{f.rule_id} ({f.severity.value})" for f in verdict.findings)
        problem = f"expected the frame to make a note, got {found or 'no findings'}"
    elif expect == "pass" and mine:
        spans = ", ".join(f"{f.start}-{f.end} '{f.matched}'" for f in mine)
        problem = f"expected the frame not to apply, it made notes of {spans}"
    else:
        problem = _span_problem(expect, ex, mine) or _verdict_problem(ex, verdict)
    if expect == "pass":
        mine = tuple(verdict.findings)
    return ExampleResult(rid, path, line, expect, ex, mine, problem)


def _span_problem(expect: str, ex: Example, mine: tuple[Finding, ...]) -> str | None:
    """A flag example's ``span`` that none of the findings covers."""
    if expect == "flag" and ex.span is not None and not any(_covers(f, ex.span) for f in mine):
        got = ", ".join(f"'{f.matched}'" for f in mine)
        return f"expected span '{ex.span}', got {got}"
    return None


def _verdict_problem(ex: Example, verdict: Verdict) -> str | None:
    """An example's stated ``verdict`` that the check did not reach."""
    if ex.verdict is not None and verdict.verdict.value != ex.verdict:
        rules = ", ".join(f"{f.rule_id} ({f.severity.value})" for f in verdict.findings)
        got = f"{verdict.verdict.value} ({rules or 'no findings'})"
        return f"expected verdict {ex.verdict}, got {got}"
    return None


def _covers(f: Finding, span: str) -> bool:
    """The finding is on ``span``; a merged finding need only contain it (it covers the
    spans of every finding merged into it)."""
    return f.matched == span or (bool(f.related) and span in f.matched)


_RANK = {"block": 0, "warn": 1, "info": 2}


def _severity_ok(f: Finding, rule_id: str, declared: str) -> bool:
    """The rule's own finding carries its declared severity exactly. A finding it merged into
    (it is in ``related``) keeps the most severe of the merged findings, so the rule's own
    severity is no longer visible there: that finding must be at least as severe, never less.
    A frame (rules/frames.yaml) may have made the finding a note: then info is what it says.
    """
    if f.frame is not None and f.severity.value == "info":
        return True
    if f.rule_id == rule_id:
        return f.severity.value == declared
    return _RANK[f.severity.value] <= _RANK.get(declared, 2)
