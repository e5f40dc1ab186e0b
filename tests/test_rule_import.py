"""xinshi rules import: external dictionaries become lists plus a pack that loads and flags."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import check, load_ruleset, make_message
from engine.rule_import import DictionaryError, import_dictionary, parse, sniff
from engine.ruleset import default_rules_dir

XINSHI = [sys.executable, "-m", "engine.cli"]


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A scratch copy of the shipped rules."""
    root = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), root)
    return root


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*XINSHI, *args], capture_output=True, text=True, timeout=120)


def test_plain_list_becomes_a_pack_that_flags_its_words(tmp_path: Path, rules: Path) -> None:
    src = write(tmp_path, "team.txt", "# our words\n黑彩平台\n澳门线上开户\n\n黑彩平台\n")
    done = import_dictionary(src, rules, "team_words", category="gambling", source="团队词库2026")
    assert done.counts == {"gambling": 2}
    assert done.skipped == (f"{src}:5: '黑彩平台' repeats line 2",)
    assert (rules / "lists" / "team_words_gambling.txt").read_text().splitlines()[-2:] == [
        "黑彩平台",
        "澳门线上开户",
    ]
    rs = load_ruleset(rules)
    v = check(make_message("【XX】澳门线上开户，注册即送。拒收请回复R"), rs)
    hit = [f for f in v.findings if f.rule_id == "team_words.gambling"]
    assert [(f.matched, f.severity.value, f.category) for f in hit] == [
        ("澳门线上开户", "block", "gambling")
    ]
    assert "团队词库2026" in hit[0].source
    assert v.verdict.value == "block"


def test_houbb_tags_map_to_categories(tmp_path: Path, rules: Path) -> None:
    src = write(tmp_path, "dict.txt", "赌马网 3\n裸聊群 2\n冰毒出售 1,4\n")
    assert sniff(src.read_text().splitlines()) == "houbb"
    done = import_dictionary(src, rules, "peer", severity="warn")
    assert done.counts == {"gambling": 1, "pornography": 1, "prohibited_goods": 1}
    v = check(make_message("【XX】赌马网上线。拒收请回复R"), load_ruleset(rules))
    assert [(f.rule_id, f.severity.value) for f in v.findings if f.rule_id.startswith("peer.")] == [
        ("peer.gambling", "warn")
    ]


def test_unmapped_tag_names_its_first_line_and_the_fix(tmp_path: Path) -> None:
    src = write(tmp_path, "dict.txt", "赌马网 3\n某词 0\n另一词 0\n")
    with pytest.raises(DictionaryError) as exc:
        parse(src)
    assert exc.value.problems == [
        f"{src}:2: tag '0' maps to no category. 政治 has no SMS category; Add --map 0=CATEGORY "
        "(e.g. --map 0=fraud) or --map 0=skip"
    ]


def test_skipped_tag_is_reported_not_imported(tmp_path: Path) -> None:
    src = write(tmp_path, "dict.txt", "赌马网 3\n某词 0\n")
    parsed = parse(src, tag_map={"0": "skip"})
    assert parsed.words == {"gambling": ["赌马网"]}
    assert parsed.skipped == [f"{src}:2: '某词' (tag 0 skipped)"]


def test_tsv_and_unknown_category(tmp_path: Path) -> None:
    src = write(tmp_path, "dict.tsv", "博彩导航\t赌博\n刷单群\tscam\n")
    with pytest.raises(DictionaryError) as exc:
        parse(src, tag_map={"scam": "scams"})
    assert exc.value.problems[0].startswith("--map scam=scams: unknown category. Known: signature")
    assert parse(src, tag_map={"scam": "fraud"}).words == {
        "gambling": ["博彩导航"],
        "fraud": ["刷单群"],
    }


def test_words_with_no_category_are_errors(tmp_path: Path) -> None:
    src = write(tmp_path, "words.txt", "博彩导航\n")
    with pytest.raises(DictionaryError) as exc:
        parse(src)
    assert exc.value.problems[0] == (
        f"{src}:1: word '博彩导航' has no category. Give --category (one of: gambling, "
        "pornography, fraud, prohibited_goods, contact_diversion)"
    )


def test_dry_run_and_existing_pack_write_nothing(tmp_path: Path, rules: Path) -> None:
    src = write(tmp_path, "w.txt", "博彩导航\n")
    before = sorted(p.name for p in (rules / "packs").iterdir())
    done = import_dictionary(src, rules, "dry", category="gambling", dry_run=True)
    assert done.counts == {"gambling": 1}
    assert sorted(p.name for p in (rules / "packs").iterdir()) == before
    with pytest.raises(DictionaryError) as exc:
        import_dictionary(src, rules, "fraud", category="gambling")
    assert exc.value.problems == [
        f"{rules}/packs/fraud.yaml: already exists. Choose another --name, or delete the file "
        "to re-import"
    ]
    assert sorted(p.name for p in (rules / "packs").iterdir()) == before


def test_a_word_only_allow_lists_excuse_cannot_be_imported(tmp_path: Path, rules: Path) -> None:
    src = write(tmp_path, "w.txt", "最近\n")  # on the shipped global allow-list
    with pytest.raises(DictionaryError) as exc:
        import_dictionary(src, rules, "bad", category="gambling")
    assert "is also on the allow-list" in exc.value.problems[0]
    assert not (rules / "packs" / "bad.yaml").exists()


def test_cli_import_reports_counts_and_errors(tmp_path: Path, rules: Path) -> None:
    src = write(tmp_path, "dict.txt", "赌马网 3\n约炮群 2\n")
    r = run("rules", "import", str(src), "--name", "peer", "--rules", str(rules))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1].startswith(
        "2 words (gambling 1, pornography 1); 0 skipped; rules version "
    )
    assert run("rules", "check", str(rules)).returncode == 0
    bad = run("rules", "import", str(src), "--name", "x", "--map", "3", "--rules", str(rules))
    assert bad.returncode == 2
    assert bad.stderr == "error: --map '3': write TAG=CATEGORY, e.g. --map 3=gambling\n"
