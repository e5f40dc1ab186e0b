"""A server remembers that a rules snapshot passed validation: an unchanged snapshot is not
validated again on the next start, a changed one always is, and a damaged verdict means
validate again."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from engine import check, make_message
from engine.reload import RulesetHolder
from engine.ruleset import RulesetError, cache, load_ruleset, take

PACK = """\
category: fraud
rules:
  - id: a
    kind: forbidden
    severity: block
    match: {{words: [{word}]}}
    message: 含违禁词
    suggestion: 删除
    source: 测试
    examples: {{flag: [{flag}], pass: [你好]}}
"""
VALIDATED = "validated: lint clean, every example passes"
REMEMBERED = "validated by an earlier start, not again"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XINSHI_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    (rules / "packs").mkdir(parents=True)
    _write(rules, PACK.format(word="违禁词", flag="违禁词"))
    return rules


def _write(root: Path, text: str) -> None:
    (root / "packs" / "demo.yaml").write_text(text, encoding="utf-8")


def _start(root: Path, caplog: pytest.LogCaptureFixture) -> tuple[RulesetHolder, str]:
    """A server's rules holder, and what it logged while starting."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="xinshi.reload"):
        holder = RulesetHolder(root)
    return holder, caplog.text


def _refused(root: Path, caplog: pytest.LogCaptureFixture) -> str:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="xinshi.reload"), pytest.raises(RulesetError) as e:
        RulesetHolder(root)
    assert VALIDATED not in caplog.text and REMEMBERED not in caplog.text
    return str(e.value)


def test_a_second_start_of_an_unchanged_snapshot_skips_validation(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, log1 = _start(root, caplog)
    assert VALIDATED in log1 and REMEMBERED not in log1
    second, log2 = _start(root, caplog)
    assert REMEMBERED in log2 and VALIDATED not in log2
    assert second.ruleset.version == first.ruleset.version
    assert check(make_message("这里有违禁词"), second.ruleset).verdict.value == "block"


def test_a_ruleset_check_compiled_is_validated_once_then_remembered(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load_ruleset(root, cached=True)  # what `xinshi check` does: compiled, not validated
    assert not cache.is_validated(cache.cache_key(take(root)))
    _, log1 = _start(root, caplog)
    assert VALIDATED in log1
    assert cache.is_validated(cache.cache_key(take(root)))
    _, log2 = _start(root, caplog)
    assert REMEMBERED in log2


def test_a_changed_rule_with_a_failing_example_is_refused_on_start(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _start(root, caplog)  # the old snapshot is validated and remembered
    _write(root, PACK.format(word="违禁词", flag="完全无关"))
    err = _refused(root, caplog)
    assert "rule 'demo.a': flag example '完全无关': expected a finding, got none" in err
    load_ruleset(root, cached=True)  # compiles fine, so `check` caches it...
    err = _refused(root, caplog)  # ...and the server still runs its examples
    assert "flag example '完全无关': expected a finding, got none" in err


def test_a_lint_error_found_by_check_refuses_the_start(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(root, PACK.format(word="违禁词", flag="违禁词").replace(", pass: [你好]", ""))
    load_ruleset(root, cached=True)  # compiles: a missing example is a lint error only
    err = _refused(root, caplog)
    assert "rule 'demo.a': no 'pass' example" in err


@pytest.mark.parametrize("verdict", [b"", b"yes\n", b"xinshi-ruleset-validated 1\n" + b"0" * 64])
def test_a_damaged_or_foreign_verdict_means_validate_again(
    root: Path, caplog: pytest.LogCaptureFixture, verdict: bytes
) -> None:
    _write(root, PACK.format(word="违禁词", flag="完全无关"))
    key = cache.cache_key(take(root))
    load_ruleset(root, cached=True)
    sidecar = next((root.parent / "cache").glob("ruleset-*.pickle")).with_suffix(".validated")
    assert sidecar.name == f"ruleset-{key[:32]}.validated"
    sidecar.write_bytes(verdict)
    assert "expected a finding, got none" in _refused(root, caplog)


def test_an_unwritable_cache_validates_every_start(
    root: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = root.parent / "blocker"
    blocker.write_text("a file, not a directory")
    monkeypatch.setenv("XINSHI_CACHE_DIR", str(blocker / "cache"))
    for _ in range(2):
        holder, log = _start(root, caplog)
        assert VALIDATED in log
        assert check(make_message("违禁词"), holder.ruleset).verdict.value == "block"
