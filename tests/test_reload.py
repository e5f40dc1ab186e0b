"""Hot reload: a new RuleSet is swapped in only when it validates and its examples pass."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine import check, make_message
from engine.reload import RulesetHolder
from engine.ruleset import RulesetError

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
    examples: {{flag: [{word}], pass: [你好]}}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "demo.yaml").write_text(PACK.format(word="违禁词"), encoding="utf-8")
    return tmp_path


def _write(root: Path, text: str) -> None:
    (root / "packs" / "demo.yaml").write_text(text, encoding="utf-8")


def test_a_broken_edit_keeps_the_old_rules_serving(root: Path) -> None:
    holder = RulesetHolder(root)
    v1 = holder.ruleset.version
    _write(root, PACK.format(word="违禁词").replace("kind: forbidden", "kind: forbiden"))
    status = holder.reload()
    assert not status.ok and status.version == v1 and holder.ruleset.version == v1
    assert any("demo.yaml:4: rule 'demo.a': unknown kind 'forbiden'" in e for e in status.errors)
    assert status.rejected_version is None
    assert check(make_message("违禁词"), holder.ruleset).verdict.value == "block"


def test_an_edit_whose_examples_fail_is_refused(root: Path) -> None:
    holder = RulesetHolder(root)
    v1 = holder.ruleset.version
    _write(root, PACK.format(word="违禁词").replace("flag: [违禁词]", "flag: [完全无关]"))
    status = holder.reload()
    assert not status.ok and holder.ruleset.version == v1
    assert any(
        "rule 'demo.a': flag example '完全无关': expected a finding, got none" in e
        for e in status.errors
    )


def test_a_good_edit_is_swapped_in(root: Path) -> None:
    holder = RulesetHolder(root)
    v1 = holder.ruleset.version
    _write(root, PACK.format(word="新违禁词"))
    status = holder.reload()
    assert status.ok and status.version != v1 and holder.ruleset.version == status.version
    assert check(make_message("新违禁词"), holder.ruleset).verdict.value == "block"


def test_a_server_cannot_start_on_broken_rules(root: Path) -> None:
    _write(root, "rules: [")
    with pytest.raises(RulesetError, match="YAML syntax error"):
        RulesetHolder(root)


def test_the_watcher_picks_up_changes(root: Path) -> None:
    holder = RulesetHolder(root)
    v1 = holder.ruleset.version
    stop = threading.Event()
    thread = holder.watch(stop, debounce_ms=50)
    try:
        # the watcher may not watch yet when the first edit lands: edit again until it is seen.
        # Each edit keeps the earlier words, so whichever edit is loaded blocks 新违禁词0 (on a
        # busy machine the watcher may first see the second or third edit).
        deadline = time.monotonic() + 60
        n = 0
        while holder.ruleset.version == v1 and time.monotonic() < deadline:
            if n % 10 == 0:
                words = ", ".join(f"新违禁词{i}" for i in range(n // 10 + 1))
                _write(root, PACK.format(word=words))
            n += 1
            time.sleep(0.05)
        assert holder.ruleset.version != v1
        assert check(make_message("新违禁词0"), holder.ruleset).verdict.value == "block"
    finally:
        stop.set()
        thread.join(timeout=5)


def test_requests_during_reloads_see_whole_rulesets(root: Path) -> None:
    holder = RulesetHolder(root)
    versions = {holder.ruleset.version}
    errors: list[BaseException] = []
    done = threading.Event()

    def hammer() -> None:
        try:
            while not done.is_set():
                rs = holder.ruleset
                v = check(make_message("违禁词 新违禁词"), rs)
                assert v.ruleset_version == rs.version
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=hammer)
    t.start()
    for word in ["甲违禁词", "乙违禁词", "丙违禁词"]:
        _write(root, PACK.format(word=word))
        versions.add(holder.reload().version)
    done.set()
    t.join()
    assert errors == [] and len(versions) == 4
