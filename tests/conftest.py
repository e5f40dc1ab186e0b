"""Shared fixtures: the shipped ruleset, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ruleset import RuleSet, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The shipped rules."""
    return load_ruleset(RULES)
