"""Rule authoring: lint errors (exact text), rules check/test/docs/diff, effective dates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from engine import check, make_message
from engine.ruleset import RuleSet, load_ruleset, validate_rules
from tests.conftest import RULES

RULE = """\
  - id: {id}
    kind: forbidden
    severity: block
    match: {{lists: [demo_words]}}
    message: 含违禁词
    suggestion: 删除
    source: 测试{extra}
    examples: {{flag: [违禁词], pass: [你好]}}
"""


def _dir(tmp_path: Path, rules: str, words: str, allow: str = "") -> Path:
    root = tmp_path / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "packs" / "demo.yaml").write_text("category: fraud\nrules:\n" + rules, encoding="utf-8")
    (root / "lists" / "demo_words.txt").write_text(words, encoding="utf-8")
    if allow:
        (root / "lists" / "allow_demo.txt").write_text(allow, encoding="utf-8")
        (root / "ruleset.yaml").write_text("global_allow: [allow_demo]\n", encoding="utf-8")
    return root


def _errors(root: Path) -> list[str]:
    return [str(e) for e in validate_rules(root)[1]]


def test_word_list_lint_reports_each_problem_with_file_and_line(tmp_path: Path) -> None:
    words = "# demo\n违禁词\n   \n★★\n违禁词\nＡＢＣ词\nabc词\n最近\n"
    root = _dir(tmp_path, RULE.format(id="a", extra=""), words, allow="最近\n")
    path = str(root / "lists" / "demo_words.txt")
    assert _errors(root) == [
        f"{path}:3: line has only spaces. Delete the spaces",
        f"{path}:4: word '★★' is only spaces or symbols, which matching skips, so it can never match. Remove it or write the characters it should match",
        f"{path}:5: word '违禁词' repeats line 2. Remove one of them",
        f"{path}:7: word 'abc词' repeats line 6 ('ＡＢＣ词' after normalization). Remove one of them",
        f"{path}:8: word '最近' is also on the allow-list {root / 'lists' / 'allow_demo.txt'}:1, so it can never match. Remove it from one of the two",
    ]


def test_a_rule_without_examples_is_an_error(tmp_path: Path) -> None:
    rule = RULE.format(id="a", extra="").replace(
        "    examples: {flag: [违禁词], pass: [你好]}\n", "    examples: {flag: [违禁词]}\n"
    )
    root = _dir(tmp_path, rule, "违禁词\n")
    (err,) = _errors(root)
    assert (
        err
        == f"{root / 'packs' / 'demo.yaml'}:10: rule 'demo.a': no 'pass' example. Add under examples: a message the rule must flag and one it must let pass"
    )


def test_unknown_profile_and_industry_in_a_rule(tmp_path: Path) -> None:
    extra = "\n    profiles: [alyun]\n    industries: [airline]"
    root = _dir(tmp_path, RULE.format(id="a", extra=extra), "违禁词\n")
    (root / "ruleset.yaml").write_text(
        "profiles: {default: {}, aliyun: {}}\nindustries: [air, retail]\n", encoding="utf-8"
    )
    errs = _errors(root)
    pack = root / "packs" / "demo.yaml"
    assert (
        f"{pack}:10: rule 'demo.a': field 'profiles': unknown profile 'alyun'. Known profiles: aliyun, default. Did you mean 'aliyun'?"
        in errs
    )
    assert (
        f"{pack}:11: rule 'demo.a': field 'industries': unknown industry 'airline'. Known industries: air, retail. Did you mean 'air'?"
        in errs
    )


def test_effective_dates_follow_send_at(tmp_path: Path) -> None:
    extra = "\n    effective_from: 2027-01-01\n    effective_until: 2027-06-30"
    rs = load_ruleset(_dir(tmp_path, RULE.format(id="a", extra=extra), "违禁词\n"))

    def fired(send_at: str) -> bool:
        msg = make_message("违禁词", send_at=send_at)
        return any(f.rule_id == "demo.a" for f in check(msg, rs).findings)

    assert not fired("2026-12-31T23:59")
    assert fired("2027-01-01T00:00")
    assert fired("2027-06-30T23:59+08:00")
    assert not fired("2027-06-30T16:00:00Z")  # 00:00 on 1 July in Beijing


def test_dates_in_the_wrong_order(tmp_path: Path) -> None:
    extra = "\n    effective_from: 2027-06-30\n    effective_until: 2027-01-01"
    (err,) = _errors(_dir(tmp_path, RULE.format(id="a", extra=extra), "违禁词\n"))
    assert err.endswith(
        "rule 'demo.a': effective_from 2027-06-30 is after effective_until 2027-01-01. Swap them or fix the year"
    )


def _xinshi(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_rules_check_exit_codes(tmp_path: Path) -> None:
    r = _xinshi("rules", "check", str(RULES))
    assert r.returncode == 0 and "OK" in r.stdout
    broken = _dir(
        tmp_path,
        RULE.format(id="a", extra="").replace("kind: forbidden", "kind: forbiden"),
        "违禁词\n违禁词\n",
    )
    r = _xinshi("rules", "check", str(broken))
    assert r.returncode == 1
    assert "unknown kind 'forbiden'" in r.stdout and "repeats line 1" in r.stdout
    assert "2 problem(s)" in r.stdout


def test_rules_check_reports_bad_scenes_and_templates_with_their_lines(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    scenes = root / "dispatch" / "scenes.yaml"
    text = scenes.read_text(encoding="utf-8")
    text = text.replace("cap: {count: 1, per: 365d}", "cap: {count: -1, per: 365d}", 1)
    text = text.replace("templates: [payment_due]", "templates: [payment_dew]", 1)
    scenes.write_text(text + "    colour: red\n", encoding="utf-8")
    templates = root / "dispatch" / "templates.yaml"
    templates.write_text(
        templates.read_text(encoding="utf-8").replace(
            "variables: {code: code}", "variables: {code: pin}", 1
        ),
        encoding="utf-8",
    )
    r = _xinshi("rules", "check", str(root))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    cap = text.splitlines().index("    cap: {count: -1, per: 365d}") + 1
    assert (
        f"{scenes}:{cap}: scene 'birthday': cap count -1 is not a positive whole number. "
        "Write how many messages one recipient may get per period, e.g. count: 1" in lines
    )
    assert any(
        line.startswith(f"{scenes}:")
        and "unknown template 'payment_dew'. Did you mean 'payment_due'?" in line
        for line in lines
    )
    assert any(line.endswith(": scenes.login.colour: unknown key 'colour'. Known keys: type, "
                             "lane, window, cap, templates, experiment, delay, expires_after, "
                             "description") for line in lines)  # fmt: skip
    assert any(line.startswith(f"{templates}:") and "variable 'code' has unknown type 'pin'"
               in line for line in lines)  # fmt: skip
    assert lines[-1] == f"4 problem(s) in {root}"


def test_rules_test_reports_spans_found_and_expected(tmp_path: Path) -> None:
    rule = RULE.format(id="a", extra="").replace(
        "flag: [违禁词]", "flag: [{text: 请勿违禁词, span: 请勿}]"
    )
    r = _xinshi("rules", "test", str(_dir(tmp_path, rule, "违禁词\n")))
    assert r.returncode == 1
    assert "expected '请勿'; found [2:5] '违禁词'" in r.stdout


def test_rules_docs_lists_every_rule(tmp_path: Path, ruleset: RuleSet) -> None:
    out = tmp_path / "rules.md"
    r = _xinshi("rules", "docs", "--out", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert all(f"### `{pr.full_id}`" in text for pr in ruleset.specs)
    assert "《广告法》第9条" in text and "✗ " in text and "✓ " in text


def test_rules_diff_reports_changed_verdicts(tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(RULES, old)
    new = tmp_path / "new"
    shutil.copytree(RULES, new)
    with (new / "lists" / "absolute_ban.txt").open("a", encoding="utf-8") as f:
        f.write("爆款\n")
    corpus = tmp_path / "corpus.jsonl"
    lines = [
        {
            "id": "a",
            "text": "【信使商城】尊敬的会员，爆款羽绒服会员价599元，11月1日至3日。拒收请回复R",
        },
        {"id": "b", "text": "【信使商城】尊敬的会员，羽绒服会员价599元，11月1日至3日。拒收请回复R"},
    ]
    corpus.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{bad\n", encoding="utf-8"
    )
    r = _xinshi(
        "rules", "diff", "--old", str(old), "--new", str(new), "--corpus", str(corpus), "--json"
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["messages"] == 2 and data["changed"] == 1
    change = next(t for t in data["transitions"] if t["from"] != t["to"])
    assert (change["from"], change["to"], change["count"]) == ("allow", "block", 1)
    assert change["examples"][0].startswith("a: ")
    assert data["rules"]["absolute_claim.superlative"]["added"] == 1
    assert data["invalid_lines"][0][0] == 3


def test_rules_diff_against_a_git_ref_of_the_same_rules(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        json.dumps({"text": "【信使商城】全场最低价"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    r = _xinshi(
        "rules", "diff", "--old", "HEAD", "--new", str(RULES), "--corpus", str(corpus), "--json"
    )
    assert r.returncode == 0, r.stderr  # the suite runs in a git checkout (CI clones one)
    assert json.loads(r.stdout)["messages"] == 1
