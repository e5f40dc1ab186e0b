"""Every rule's inline examples, as data: flag examples trigger it, pass examples do not."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from engine.rule_examples import iter_examples, run_example
from engine.ruleset import RuleSet, load_ruleset
from tests.conftest import shipped_ruleset

_RULESET = shipped_ruleset()
_CASES = iter_examples(_RULESET)


@pytest.mark.parametrize(
    ("rule", "expect", "example", "index"),
    _CASES,
    ids=[f"{pr.full_id}-{expect}-{i}" for pr, expect, _, i in _CASES],
)
def test_inline_example(rule, expect, example, index) -> None:  # type: ignore[no-untyped-def]
    result = run_example(_RULESET, rule, expect, example, index)
    assert result.ok, (
        f"{rule.path}:{result.line}: {rule.full_id} {expect}: {example.text!r}: {result.problem}"
    )


def test_every_rule_has_a_flag_and_a_pass_example(ruleset: RuleSet) -> None:
    missing = [
        pr.full_id
        for pr in ruleset.specs
        if not pr.spec.examples.flag or not pr.spec.examples.pass_
    ]
    assert missing == []


def test_the_contract_categories_are_all_shipped(ruleset: RuleSet) -> None:
    contract = {
        "signature", "unsubscribe", "absolute_claim", "refund_disclosure", "risk_disclosure",
        "contact_diversion", "fraud", "gambling", "pornography", "prohibited_goods",
        "verification_code", "link_policy", "send_window", "length",
    }  # fmt: skip
    shipped = {pr.spec.category for pr in ruleset.specs}
    assert contract <= shipped, contract - shipped


def test_every_rule_cites_a_source(ruleset: RuleSet) -> None:
    assert all(len(pr.spec.source) >= 4 for pr in ruleset.specs)


DEMO = """\
category: fraud
rules:
  - id: demo
    kind: forbidden
    severity: warn
    match: {words: [违禁词]}
    message: 含违禁词
    suggestion: 删除
    source: 测试
    examples:
      flag:
        - text: 【信使商城】违禁词。拒收请回复R
          verdict: review
        - text: 【信使商城】又是违禁词。拒收请回复R
          verdict: block
      pass: [【信使商城】你好。拒收请回复R]
"""


def _demo_rules(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "packs" / "demo.yaml").write_text(DEMO, encoding="utf-8")
    return root


def test_a_stated_verdict_that_differs_is_reported_with_file_and_line(tmp_path: Path) -> None:
    root = _demo_rules(tmp_path)
    r = subprocess.run(
        [sys.executable, "-m", "engine.cli", "rules", "test", str(root)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == (
        f"FAIL {root}/packs/demo.yaml:14: demo.demo flag: 【信使商城】又是违禁词。拒收请回复R"
    )
    assert lines[1] == (
        "     expected a finding and verdict block; found [8:11] '违禁词' — "
        "expected verdict block, got review (demo.demo (warn))"
    )
    assert lines[-1] == "2 of 3 rule examples behave as written (1 failing)"


def test_a_finding_with_another_severity_than_declared_is_a_failure(tmp_path: Path) -> None:
    rs = load_ruleset(_demo_rules(tmp_path))
    pr, expect, ex, i = iter_examples(rs)[0]
    assert run_example(rs, pr, expect, ex, i).ok
    declared_block = replace(pr, spec=pr.spec.model_copy(update={"severity": "block"}))
    result = run_example(rs, declared_block, expect, ex, i)
    assert result.problem == "the rule declares severity block, its finding says warn"
    assert result.line == 12


MERGED = """\
category: fraud
rules:
  - id: wide
    kind: forbidden
    severity: warn
    match: {words: [刷单返利]}
    message: 刷单
    suggestion: 删除
    source: 测试
    examples: {flag: [兼职刷单返利], pass: [你好]}
  - id: narrow
    kind: forbidden
    severity: info
    match: {words: [返利]}
    message: 返利
    suggestion: 删除
    source: 测试
    examples: {flag: [{text: 兼职刷单返利, span: 返利}], pass: [你好]}
"""


def test_a_merged_rule_is_checked_against_the_finding_that_carries_it(tmp_path: Path) -> None:
    root = _demo_rules(tmp_path)
    (root / "packs" / "demo.yaml").write_text(MERGED, encoding="utf-8")
    rs = load_ruleset(root)
    cases = [c for c in iter_examples(rs) if c[0].full_id == "demo.narrow" and c[1] == "flag"]
    [(pr, expect, ex, i)] = cases
    assert run_example(rs, pr, expect, ex, i).ok  # info merged into a warn finding: fine
    declared_block = replace(pr, spec=pr.spec.model_copy(update={"severity": "block"}))
    result = run_example(rs, declared_block, expect, ex, i)
    assert result.problem == (
        "the rule declares severity block, the finding it merged into (demo.wide) says warn"
    )


def test_review_verdicts_are_stated_in_the_shipped_examples(ruleset: RuleSet) -> None:
    stated = [ex.verdict for _, _, ex, _ in iter_examples(ruleset) if ex.verdict]
    assert stated.count("review") >= 15 and stated.count("block") >= 40
