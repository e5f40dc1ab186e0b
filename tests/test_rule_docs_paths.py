"""xinshi rules docs writes paths relative to the rules directory, never a local absolute path."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

RULES = Path(__file__).parent.parent / "rules"
REPO = RULES.parent


def test_docs_name_rule_files_relative_to_their_directory(tmp_path: Path) -> None:
    rules = tmp_path / "team-rules"
    shutil.copytree(RULES, rules)
    out = tmp_path / "catalogue.md"
    for cwd in (tmp_path, REPO, Path("/")):  # the same document wherever it is run from
        r = subprocess.run(
            [sys.executable, "-m", "engine.cli", "rules", "docs", str(rules), "--out", str(out)],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert r.returncode == 0, r.stderr
        text = out.read_text(encoding="utf-8")
        assert "file `team-rules/packs/absolute_claim.yaml`" in text
        assert str(tmp_path) not in text and str(REPO) not in text
        assert "/home/" not in text and "/work/" not in text


def test_shipped_rules_are_shown_as_rules_dir(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "engine.cli", "rules", "docs", str(RULES.resolve())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "file `rules/packs/absolute_claim.yaml`" in r.stdout and str(REPO) not in r.stdout
