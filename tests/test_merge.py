"""One finding per problem: findings on the same characters merge, the most specific rule is
kept and the others are listed in ``related`` — in the verdict, its JSON, the CLI and the
inline rule examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import check, make_message
from engine.rule_examples import run_examples
from engine.ruleset import RuleSet, load_ruleset
from engine.verdict import Finding, Severity, merge_findings


def _f(
    rule: str, start: int, end: int, severity: str = "block", category: str = "fraud"
) -> Finding:
    text = "0123456789abcdefghij"
    return Finding(rule, category, Severity(severity), start, end, text[start:end], "m", "s", "src")


# (findings as (rule, start, end, severity, category), expected as (rule, start, end, related))
CASES = [
    pytest.param(
        [("a.x", 2, 5, "block", "fraud"), ("b.y", 2, 5, "block", "format")],
        [("a.x", 2, 5, ("b.y",))],
        id="same span: content over format",
    ),
    pytest.param(
        [("a.x", 2, 5, "warn", "fraud"), ("b.y", 3, 4, "block", "fraud")],
        [("b.y", 2, 5, ("a.x",))],
        id="inside: higher severity wins, outer span kept",
    ),
    pytest.param(
        [("a.x", 2, 8, "block", "fraud"), ("b.y", 3, 5, "block", "fraud")],
        [("a.x", 2, 8, ("b.y",))],
        id="inside, same severity and kind: the wider",
    ),
    pytest.param(
        [("a.x", 2, 5, "block", "fraud"), ("b.y", 4, 8, "block", "fraud")],
        [("a.x", 2, 5, ()), ("b.y", 4, 8, ())],
        id="overlap without containment: two problems",
    ),
    pytest.param(
        [("a.x", 2, 5, "block", "fraud"), ("b.y", 6, 9, "block", "fraud")],
        [("a.x", 2, 5, ()), ("b.y", 6, 9, ())],
        id="apart",
    ),
    pytest.param(
        [("a.x", 3, 3, "block", "signature"), ("b.y", 2, 5, "block", "fraud")],
        [("b.y", 2, 5, ()), ("a.x", 3, 3, ())],
        id="a missing-thing finding never merges",
    ),
    pytest.param(
        [
            ("a.x", 0, 9, "block", "fraud"),
            ("b.y", 1, 3, "warn", "format"),
            ("c.z", 4, 6, "info", "fraud"),
            ("b.y", 7, 8, "warn", "format"),
        ],
        [("a.x", 0, 9, ("b.y", "c.z"))],
        id="several inside one: each rule listed once",
    ),
]


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_merge_findings(
    given: list[tuple[str, int, int, str, str]],
    expected: list[tuple[str, int, int, tuple[str, ...]]],
) -> None:
    merged = merge_findings([_f(*g) for g in given])
    assert [(f.rule_id, f.start, f.end, f.related) for f in merged] == expected
    for f in merged:
        assert f.matched == "0123456789abcdefghij"[f.start : f.end]


def test_evasion_of_a_merged_finding_is_kept() -> None:
    outer = _f("a.x", 2, 5)
    inner = _f("b.y", 2, 5, category="format")._replace(evasion="noise")
    [f] = merge_findings([outer, inner])
    assert (f.rule_id, f.evasion, f.related) == ("a.x", "noise", ("b.y",))


def test_add_v_xin_is_one_finding_with_related_rules(ruleset: RuleSet) -> None:
    text = "【信使商城】尊敬的会员，加 V 信领券！拒收请回复R"
    v = check(make_message(text), ruleset)
    on_it = [f for f in v.findings if f.start < text.index("领") and f.end > text.index("加")]
    assert len(on_it) == 1, v.findings
    [f] = on_it
    assert (f.rule_id, f.matched) == ("contact_diversion.private_im", "加 V 信")
    assert set(f.related) == {"format.obfuscation", "contact_diversion.evasive_spelling"}
    d = v.to_dict()["findings"][0]
    assert d["related"] == list(f.related) and d["rule_id"] == "contact_diversion.private_im"


def test_every_finding_has_related_in_json(ruleset: RuleSet) -> None:
    v = check("【信使商城】冬季上新，会员价8折", ruleset)
    assert all(item["related"] == [] for item in v.to_dict()["findings"])


def test_cli_shows_related_rules(ruleset: RuleSet) -> None:
    text = "【信使商城】尊敬的会员，加 V 信领券！拒收请回复R"
    out = subprocess.run(
        [sys.executable, "-m", "engine.cli", "check", text],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 1, out.stderr
    assert "（另见 contact_diversion.evasive_spelling, format.obfuscation）" in out.stdout
    js = subprocess.run(
        [sys.executable, "-m", "engine.cli", "check", text, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    [f] = [f for f in json.loads(js.stdout)["findings"] if f["matched"] == "加 V 信"]
    assert f["related"] == ["contact_diversion.evasive_spelling", "format.obfuscation"]


PACK = """\
category: fraud
rules:
  - id: wide
    kind: forbidden
    severity: block
    match: {words: [刷单返利]}
    message: 刷单
    suggestion: 删除
    source: 测试
    examples: {flag: [兼职刷单返利], pass: [你好]}
  - id: narrow
    kind: forbidden
    severity: warn
    match: {words: [返利]}
    message: 返利
    suggestion: 删除
    source: 测试
    examples:
      flag: [{text: 兼职刷单返利, span: 返利}, {text: 购物返利, span: 返利}]
      pass: [你好]
"""


def test_rules_test_passes_an_example_merged_into_another_rule(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "packs" / "demo.yaml").write_text(PACK, encoding="utf-8")
    rs = load_ruleset(root)
    [f] = check("兼职刷单返利", rs).findings
    assert (f.rule_id, f.related) == ("demo.wide", ("demo.narrow",))
    results = run_examples(rs)
    assert [r.problem for r in results] == [None] * len(results)
    assert len(results) == 5
