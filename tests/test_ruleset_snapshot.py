"""Rules load from one byte snapshot: what is parsed is what is hashed into the version."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine import check, make_message
from engine.reload import RulesetHolder
from engine.ruleset import Snapshot, load_ruleset, take

PACK = """\
category: fraud
rules:
  - id: banned
    kind: forbidden
    severity: block
    match: {lists: [banned]}
    message: 含违禁词
    suggestion: 删除
    source: 测试
    examples: {flag: [违禁词], pass: [你好]}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "packs").mkdir()
    (tmp_path / "lists").mkdir()
    (tmp_path / "packs" / "demo.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "lists" / "banned.txt").write_text("违禁词\n", encoding="utf-8")
    return tmp_path


def _verdict(text: str, snap_or_root: Snapshot | Path) -> str:
    if isinstance(snap_or_root, Snapshot):
        rs = load_ruleset(snapshot=snap_or_root)
    else:
        rs = load_ruleset(snap_or_root)
    return check(make_message(text), rs).verdict.value


def test_the_version_is_the_hash_of_the_bytes_that_were_parsed(root: Path) -> None:
    snap = take(root)
    # the files change after the snapshot was taken: the snapshot still loads what it read
    (root / "lists" / "banned.txt").write_text("违禁词\n新词\n", encoding="utf-8")
    rs = load_ruleset(snapshot=snap)
    assert rs.version == snap.version != take(root).version
    assert check(make_message("新词"), rs).verdict.value == "allow"
    assert _verdict("新词", root) == "block"
    assert load_ruleset(root).version == take(root).version


def test_the_version_covers_names_and_bytes(root: Path) -> None:
    v1 = take(root).version
    assert len(v1) == 12 and take(root).version == v1  # stable
    (root / "lists" / "banned.txt").rename(root / "lists" / "other.txt")
    assert take(root).version != v1  # same bytes, another name
    (root / "notes.md").write_text("not a rule file", encoding="utf-8")
    v2 = take(root).version
    assert "notes.md" not in take(root).files and take(root).version == v2


def test_a_writer_that_pauses_mid_file_is_waited_for(root: Path) -> None:
    path = root / "lists" / "banned.txt"
    full = "违禁词\n半写词\n".encode()
    half = len("违禁词\n半写".encode())
    written = threading.Event()

    def write() -> None:
        with path.open("wb") as f:
            f.write(full[:half])
            f.flush()
            written.set()
            time.sleep(0.2)  # the writer pauses mid-file
            f.write(full[half:])

    writer = threading.Thread(target=write)
    writer.start()
    written.wait()
    snap = take(root, quiet=0.3)
    writer.join()
    assert snap.files["lists/banned.txt"] == full
    assert _verdict("半写", snap) == "allow"  # the half-written word "半写" never loaded


def test_a_snapshot_survives_the_trip_to_a_worker_and_detects_damage(root: Path) -> None:
    snap = take(root)
    back = Snapshot.from_bytes(snap.to_bytes())
    assert back == snap and back.version == snap.version
    damaged = snap.to_bytes().replace(snap.version.encode(), b"000000000000")
    with pytest.raises(ValueError, match="snapshot damaged"):
        Snapshot.from_bytes(damaged)


def test_a_reload_of_unchanged_files_keeps_the_ruleset_object(root: Path) -> None:
    holder = RulesetHolder(root, quiet=0.0)
    before = holder.ruleset
    status = holder.reload()
    assert status.ok and holder.ruleset is before  # nothing rebuilt
    (root / "lists" / "banned.txt").write_text("违禁词\n新词\n", encoding="utf-8")
    status = holder.reload()
    assert status.ok and holder.ruleset is not before
    assert holder.snapshot.version == holder.ruleset.version == status.version


def test_a_worker_adopts_exactly_the_published_bytes(root: Path) -> None:
    parent = RulesetHolder(root, quiet=0.0)
    worker = RulesetHolder(root, quiet=0.0)
    (root / "lists" / "banned.txt").write_text("违禁词\n新词\n", encoding="utf-8")
    parent.reload()
    published = Snapshot.from_bytes(parent.snapshot.to_bytes())
    (root / "lists" / "banned.txt").write_text(
        "违禁词\n另一个\n", encoding="utf-8"
    )  # changed again
    assert worker.adopt(published, parent.status)
    assert worker.ruleset.version == parent.ruleset.version
    assert check(make_message("新词"), worker.ruleset).verdict.value == "block"
    assert check(make_message("另一个"), worker.ruleset).verdict.value == "allow"
