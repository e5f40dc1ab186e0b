"""``xinshi probe``'s fault step: sensitive texts go through Xinshi's own check first.

A case the check blocks is never sent: the probe counts it as stopped (and as missed when the
case file expected it to be blocked and the check let it through). The rest (borderline texts)
are sent, and the provider's reaction is recorded: its content-filter code, another refusal,
delivered or not. Cases live in engine/data/probe_fault.yaml (``--faults FILE`` for others).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from engine.check import check
from engine.dispatch.message import CHECK_TYPE, Outcome
from engine.dispatch.probe import Item, ProbeError, Stress
from engine.dispatch.templates import Template, TemplateError
from engine.message import make_message
from engine.ruleset import RuleSet
from engine.verdict import Decision

DEFAULT_CASES = Path(__file__).resolve().parents[1] / "data" / "probe_fault.yaml"


class FaultCase(BaseModel):
    """One sensitive text and what Xinshi's check should do with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    expect: Literal["block", "send"]
    content: str


class _Cases(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[FaultCase]


def load_cases(path: Path | None = None) -> list[FaultCase]:
    """Read a fault-case file; ProbeError names the file and every problem."""
    path = path or DEFAULT_CASES
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _Cases.model_validate(data).cases
    except OSError as exc:
        raise ProbeError(f"{path}: cannot read the fault cases: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ProbeError(f"{path}:{line}: not valid YAML") from None
    except ValidationError as exc:
        msgs = [f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}. Each case is "
                "{id, expect: block|send, content}" for e in exc.errors()]  # fmt: skip
        raise ProbeError("\n".join(msgs)) from None


def fault_plan(
    cases: Sequence[FaultCase], tpl: Template, numbers: Sequence[str], ruleset: RuleSet
) -> tuple[list[Item], dict[str, dict[str, Any]]]:
    """Check every case's text; the plan holds only those the check lets through. Returns the
    plan and, per case id, its verdict and the rules that fired."""
    plan: list[Item] = []
    verdicts: dict[str, dict[str, Any]] = {}
    for i, case in enumerate(cases):
        (var,) = tpl.variables or ("",)
        params = {var: case.content}
        try:
            text = tpl.render(params)
        except TemplateError as exc:
            raise ProbeError(f"fault case {case.id!r}: {exc.message}") from None
        v = check(make_message(text, type=CHECK_TYPE[tpl.lane]), ruleset)
        rules = sorted({f.rule_id for f in v.findings if f.severity.value != "info"})
        verdicts[case.id] = {"text": text, "verdict": v.verdict.value, "rules": rules}
        if v.verdict is not Decision.BLOCK:
            plan.append((numbers[i % len(numbers)], tpl, params, case.id))
    return plan, verdicts


def _reaction(run: Stress, case_id: str) -> str | None:
    sent = next((s for s in run.sent if s.tag == case_id), None)
    if sent is None:
        return None
    if sent.outcome == Outcome.CONTENT:
        return f"content_filter ({sent.code})"
    if sent.outcome != Outcome.ACCEPTED:
        return f"{sent.outcome or 'not answered'} ({sent.code})"
    if sent.delivered is None:
        return "accepted, no receipt"
    return "delivered" if sent.delivered else f"undelivered ({sent.receipt_code})"


def fault_summary(
    cases: Sequence[FaultCase], verdicts: dict[str, dict[str, Any]], run: Stress
) -> dict[str, Any]:
    """Per case: what the check said, whether it was sent, what the provider did; and counts."""
    rows = []
    for case in cases:
        v = verdicts.get(case.id)
        if v is None:  # interrupted before it was checked
            continue
        stopped = v["verdict"] == Decision.BLOCK.value
        rows.append({"id": case.id, "expect": case.expect, **v, "sent": not stopped
                     and any(s.tag == case.id for s in run.sent),
                     "provider": None if stopped else _reaction(run, case.id)})  # fmt: skip
    block = [r for r in rows if r["expect"] == "block"]
    return {
        "cases": rows,
        "expected_blocked": len(block),
        "stopped_by_xinshi": sum(r["verdict"] == "block" for r in rows),
        "missed": [r["id"] for r in block if r["verdict"] != "block"],
        "blocked_sent": sum(r["sent"] for r in rows if r["verdict"] == "block"),
        "borderline_sent": sum(r["sent"] for r in rows if r["verdict"] != "block"),
        "provider_filtered": sum(str(r["provider"]).startswith("content_filter") for r in rows),
    }
