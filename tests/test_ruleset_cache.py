"""The compiled-ruleset cache: same verdicts, never stale, bad files and directories ignored."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
from pathlib import Path

import orjson
import pytest

from engine.check import check
from engine.content_model.model import model_path
from engine.message import make_message
from engine.ruleset import cache, default_rules_dir, load_ruleset, take
from tests.processes import xinshi

TEXTS = [
    ("【信使商城】验证码386512，5分钟内有效，请勿泄露给他人。", "verification"),
    ("【信使商城】全场最低价，加微信 wx_88123 领取优惠，回T退订", "marketing"),
    ("【信使商城】您的订单已发货，点击 http://t.cn/abc 查看物流", "notification"),
    ("【信使商城】国家级产品，稳赚不赔，年化收益30%，回T退订", "marketing"),
    ("【信使商城】凭身份证号11010519491231002X领取，卡号6222020200112233445", "marketing"),
]
NEW_WORD = "蓝莓酱秘方"  # in no list: allowed until a test adds it to one


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XINSHI_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), root)
    return root


def _verdicts(root: Path, cached: bool) -> list[dict[str, object]]:
    ruleset = load_ruleset(root, cached=cached)
    return [check(make_message(t, type=k), ruleset).to_dict() for t, k in TEXTS]


def _files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("ruleset-*.pickle"))


def test_a_cached_ruleset_gives_the_same_verdicts(rules: Path, tmp_path: Path) -> None:
    fresh = _verdicts(rules, cached=False)
    assert _files(tmp_path) == []
    first = _verdicts(rules, cached=True)  # compiles, writes the cache
    assert len(_files(tmp_path)) == 1
    warm = _verdicts(rules, cached=True)  # reads it
    assert fresh == first == warm
    assert [v["verdict"] for v in warm] == ["allow", "block", "review", "block", "block"]


def test_the_cache_is_read_not_rebuilt(rules: Path, tmp_path: Path) -> None:
    load_ruleset(rules, cached=True)
    path = _files(tmp_path)[0]
    head, _, body = path.read_bytes().partition(b"\n")
    key = body.split(b"\n", 1)[0]
    ruleset, specs, tables, linted = pickle.loads(body.split(b"\n", 1)[1])
    marked = dataclasses.replace(ruleset, name="from-the-cache")
    raw = head + b"\n" + key + b"\n" + pickle.dumps((marked, specs, tables, linted))
    path.write_bytes(raw)
    assert load_ruleset(rules, cached=True).name == "from-the-cache"


def test_cached_specs_are_read_when_asked_for(rules: Path, tmp_path: Path) -> None:
    fresh = load_ruleset(rules)
    load_ruleset(rules, cached=True)
    cached = load_ruleset(rules, cached=True)
    assert isinstance(cached.specs, cache.LazySpecs)  # not unpickled until used
    assert len(cached.specs) == len(fresh.specs) > 100
    assert [pr.full_id for pr in cached.specs] == [pr.full_id for pr in fresh.specs]
    assert cached.specs[3].spec == fresh.specs[3].spec
    assert cached.specs[3].line_of_key("message") == fresh.specs[3].line_of_key("message")
    again = pickle.loads(pickle.dumps(cached.specs))  # pickles as the tuple it stands for
    assert isinstance(again, tuple)
    assert [pr.spec for pr in again] == [pr.spec for pr in fresh.specs]


def test_a_changed_word_list_is_a_new_key_and_a_new_verdict(rules: Path, tmp_path: Path) -> None:
    text = f"【信使商城】{NEW_WORD}，今日下单"
    before = check(make_message(text), load_ruleset(rules, cached=True))
    assert not any(f.matched == NEW_WORD for f in before.findings)
    words = rules / "lists" / "pornography_terms.txt"
    words.write_text(words.read_text(encoding="utf-8") + f"{NEW_WORD}\n", encoding="utf-8")
    after = check(make_message(text), load_ruleset(rules, cached=True))
    assert after.verdict.value == "block"
    assert any(f.matched == NEW_WORD for f in after.findings)
    assert after.ruleset_version != before.ruleset_version
    assert len(_files(tmp_path)) == 2
    uncached = check(make_message(text), load_ruleset(rules))
    assert after.to_dict() == uncached.to_dict()


def test_a_changed_model_file_is_a_new_key_and_a_new_verdict(
    rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the model rules compile the weights and thresholds of models/content.json into the
    # ruleset: a retrained model (or XINSHI_MODELS elsewhere) must not be served from the cache
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(model_path("content"), models / "content.json")
    monkeypatch.setenv("XINSHI_MODELS", str(models))
    text = "【家具城】实木沙发全城底价，买贵包赔，3月8日至15日。回T退订"
    before = check(make_message(text), load_ruleset(rules, cached=True))
    assert [f.rule_id for f in before.findings] == ["content_model.absolute_claim"]
    data = orjson.loads((models / "content.json").read_bytes())
    data["thresholds"] = dict.fromkeys(data["thresholds"], 0.999)
    (models / "content.json").write_bytes(orjson.dumps(data))
    after = check(make_message(text), load_ruleset(rules, cached=True))
    assert after.verdict.value == "allow" and after.findings == ()
    assert len(_files(tmp_path)) == 2


@pytest.mark.parametrize(
    "damage",
    [
        b"garbage",
        b"",
        "header_only",
        "truncated",
        "foreign_pickle",
        "other_key",
    ],
)
def test_a_bad_cache_file_is_a_silent_rebuild(
    rules: Path, tmp_path: Path, damage: bytes | str, caplog: pytest.LogCaptureFixture
) -> None:
    fresh = _verdicts(rules, cached=False)
    load_ruleset(rules, cached=True)
    path = _files(tmp_path)[0]
    good = path.read_bytes()
    key = cache.cache_key(take(rules)).encode()
    head = cache.MAGIC + key + b"\n"
    if damage == "header_only":
        raw = head
    elif damage == "truncated":
        raw = good[: len(good) // 2]
    elif damage == "foreign_pickle":  # right header, wrong object
        raw = head + pickle.dumps(({"rules": []}, None, True))
    elif damage == "other_key":
        raw = cache.MAGIC + b"0" * 64 + b"\n" + good[len(head) :]
    else:
        assert isinstance(damage, bytes)
        raw = damage
    path.write_bytes(raw)
    with caplog.at_level("DEBUG", logger="xinshi.cache"):
        assert _verdicts(rules, cached=True) == fresh
    assert "rebuilding" in caplog.text
    assert path.read_bytes().startswith(head)  # rewritten whole
    assert _verdicts(rules, cached=True) == fresh


def test_an_unwritable_cache_dir_is_no_error(
    rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XINSHI_CACHE_DIR", str(blocker / "cache"))  # mkdir cannot succeed
    fresh = _verdicts(rules, cached=False)
    with caplog.at_level("DEBUG", logger="xinshi.cache"):
        assert _verdicts(rules, cached=True) == fresh
    assert "not written" in caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_cache_dir_is_no_error(
    rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    monkeypatch.setenv("XINSHI_CACHE_DIR", str(folder))
    try:
        assert _verdicts(rules, cached=True) == _verdicts(rules, cached=False)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_old_cache_files_are_pruned(rules: Path, tmp_path: Path) -> None:
    words = rules / "lists" / "pornography_terms.txt"
    base = words.read_text(encoding="utf-8")
    for i in range(cache.KEEP + 2):
        words.write_text(base + f"{NEW_WORD}{i}\n", encoding="utf-8")
        load_ruleset(rules, cached=True)
    assert len(_files(tmp_path)) == cache.KEEP


def test_the_cli_uses_the_cache_and_survives_a_corrupt_one(rules: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XINSHI_CACHE_DIR": str(tmp_path / "cache")}
    text, kind = TEXTS[1]
    args = ["check", text, "--type", kind, "--json", "--rules", str(rules)]
    cold = xinshi(env, *args)
    assert cold.returncode == 1, cold.stderr
    assert len(_files(tmp_path)) == 1
    warm = xinshi(env, *args)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    _files(tmp_path)[0].write_bytes(cache.MAGIC + b"\x80\x05garbage")
    again = xinshi(env, *args)
    assert (again.returncode, again.stdout, again.stderr) == (cold.returncode, cold.stdout, "")
