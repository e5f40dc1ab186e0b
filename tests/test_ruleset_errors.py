"""Broken rule files: every error reported, each as path:line: rule 'id': what. How to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.ruleset import RulesetError, load_ruleset
from tests.conftest import RULES

GOOD_RULE = """\
  - id: demo
    kind: forbidden
    severity: block
    match: {words: [违禁词]}
    message: 含违禁词
    suggestion: 删除
    source: 测试
    examples: {flag: [违禁词], pass: [你好]}
"""


def _rules_dir(tmp_path: Path, pack: str) -> Path:
    root = tmp_path / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "packs" / "demo.yaml").write_text(pack, encoding="utf-8")
    return root


def _errors(root: Path) -> list[str]:
    with pytest.raises(RulesetError) as exc:
        load_ruleset(root)
    return [str(e) for e in exc.value.errors]


def test_a_valid_minimal_pack_loads(tmp_path: Path) -> None:
    rs = load_ruleset(_rules_dir(tmp_path, "category: fraud\nrules:\n" + GOOD_RULE))
    assert [r.meta.id for r in rs.rules] == ["demo.demo"]


def test_unknown_kind_suggests_the_closest(tmp_path: Path) -> None:
    pack = "category: fraud\nrules:\n" + GOOD_RULE.replace("kind: forbidden", "kind: forbiden")
    root = _rules_dir(tmp_path, pack)
    (err,) = _errors(root)
    assert err.startswith(
        f"{root}/packs/demo.yaml:4: rule 'demo.demo': unknown kind 'forbiden'. Known kinds: "
    )
    assert "Did you mean 'forbidden'?" in err


def test_unknown_field_names_the_line_and_known_fields(tmp_path: Path) -> None:
    pack = "category: fraud\nrules:\n" + GOOD_RULE.replace("severity: block", "severty: block")
    errs = _errors(_rules_dir(tmp_path, pack))
    assert any(
        ":5: rule 'demo.demo': unknown field 'severty'" in e and "Did you mean 'severity'?" in e
        for e in errs
    ), errs
    assert any("missing field 'severity'" in e for e in errs), errs


def test_every_error_in_every_rule_is_reported(tmp_path: Path) -> None:
    bad1 = GOOD_RULE.replace("id: demo", "id: one").replace("severity: block", "severity: fatal")
    bad2 = GOOD_RULE.replace("id: demo", "id: two").replace(
        "match: {words: [违禁词]}", "match: {patterns: ['(unclosed']}"
    )
    bad3 = GOOD_RULE.replace("id: demo", "id: three").replace("category", "category")
    bad3 = bad3.replace("kind: forbidden", "kind: forbidden\n    category: fraudd")
    errs = _errors(_rules_dir(tmp_path, "category: fraud\nrules:\n" + bad1 + bad2 + bad3))
    text = "\n".join(errs)
    assert "rule 'demo.one': field 'severity'" in text
    assert "rule 'demo.two': field 'match.patterns'" in text and "not a valid regex" in text
    assert "rule 'demo.three': field 'category': unknown category 'fraudd'" in text
    assert len(errs) == 3


def test_unknown_word_list_is_reported_with_a_hint(tmp_path: Path) -> None:
    root = _rules_dir(
        tmp_path,
        "category: fraud\nrules:\n"
        + GOOD_RULE.replace("{words: [违禁词]}", "{lists: [fraud_word]}"),
    )
    (root / "lists" / "fraud_words.txt").write_text("违禁词\n", encoding="utf-8")
    (err,) = _errors(root)
    assert "unknown word list 'fraud_word'" in err and "Did you mean 'fraud_words'?" in err
    assert ":6: rule 'demo.demo': field 'lists'" in err


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    (err,) = _errors(_rules_dir(tmp_path, "category: fraud\nrules:\n  - id: x\n   kind: [\n"))
    assert "demo.yaml:" in err and "YAML syntax error" in err


def test_duplicate_ids_and_keys(tmp_path: Path) -> None:
    pack = (
        "category: fraud\nrules:\n"
        + GOOD_RULE
        + GOOD_RULE.replace("severity: block", "severity: block\n    severity: warn")
    )
    errs = _errors(_rules_dir(tmp_path, pack))
    assert any("key 'severity' appears twice" in e for e in errs), errs
    assert any("duplicate rule id (first at line 3)" in e for e in errs), errs


def test_the_shipped_rules_dir_copied_and_broken_keeps_other_files_valid(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    path = root / "packs" / "signature.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("kind: signature", "kind: signatur", 1),
        encoding="utf-8",
    )
    errs = _errors(root)
    assert (
        len(errs) == 1 and "signature.yaml:" in errs[0] and "Did you mean 'signature'?" in errs[0]
    )


def test_missing_rules_dir(tmp_path: Path) -> None:
    (err,) = _errors(tmp_path / "nope")
    assert "rules directory not found" in err


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        (
            "category: fraud\nrules:\n  - id: x\n   kind: [\n",
            ":4: YAML syntax error: expected <block end>, but found '<block mapping start>'. Check indentation and quotes",
        ),
        ("rules: {a: 1}\n", ":1: a rule pack is a mapping with a 'rules:' list"),
        (
            "bogus: 1\nrules: []\n",
            ":1: unknown top-level key 'bogus'. Known keys: category, description, rules, source",
        ),
        ("rules:\n  - 5\n", ":2: each rule is a mapping with id, kind, ..."),
    ],
)
def test_pack_shape_errors_exact_text(tmp_path: Path, pack: str, expected: str) -> None:
    root = _rules_dir(tmp_path, pack)
    assert _errors(root) == [f"{root / 'packs' / 'demo.yaml'}{expected}"]


def test_a_word_list_that_is_not_utf8(tmp_path: Path) -> None:
    root = _rules_dir(tmp_path, "category: fraud\nrules:\n" + GOOD_RULE)
    (root / "lists" / "bad.txt").write_bytes(b"\xff\xfe\n")
    assert _errors(root) == [
        f"{root / 'lists' / 'bad.txt'}: not UTF-8 text (invalid start byte). Save the file as UTF-8"
    ]


@pytest.mark.parametrize(
    "source",
    ["《广告法》第9条（见sms_rules.md §7）", "../shared/reference 第3节", "notes/rules.ipynb"],
)
def test_a_source_that_points_at_team_notes_is_refused(tmp_path: Path, source: str) -> None:
    pack = "category: fraud\nrules:\n" + GOOD_RULE.replace("source: 测试", f"source: {source}")
    errs = _errors(_rules_dir(tmp_path, pack))
    assert len(errs) == 1
    assert "demo.yaml:" in errs[0], errs  # file:line
    assert "rule 'demo.demo': field 'source': refers to" in errs[0]
    assert "a file users do not have. Name the law and article or the platform document" in errs[0]
