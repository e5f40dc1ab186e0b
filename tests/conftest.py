"""Shared fixtures: the shipped ruleset, loaded once per test session."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from hypothesis import settings

from engine import check, make_message
from engine.ruleset import RuleSet, load_ruleset
from engine.verdict import Verdict

# No per-example deadline anywhere: a first example that builds tables or loads a dictionary,
# or a loaded CI machine, is not a failure. Tests that care about time measure it themselves.
settings.register_profile("xinshi", deadline=None)
settings.load_profile("xinshi")

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


@functools.cache
def shipped_ruleset() -> RuleSet:
    """The shipped rules, loaded once per session (a load costs seconds): modules that need them
    at collection call this, tests take the ``ruleset`` fixture. A RuleSet is never mutated."""
    return load_ruleset(RULES)


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The shipped rules."""
    return shipped_ruleset()


# The detection bench's send time (bench/detection.py): a Wednesday morning, inside every send
# window, so a send-window finding never hides what a content rule says.
SEND_AT = "2026-12-02T10:00:00+08:00"


def check_text(text: str, type: str = "marketing", industry: str | None = None) -> Verdict:
    """Check ``text`` with the shipped rules as the detection bench does (default profile)."""
    return check(
        make_message(text, type=type, industry=industry, send_at=SEND_AT), shipped_ruleset()
    )


# --- no silent skips in CI ------------------------------------------------------------------
# Under CI (`CI` set) any skipped test fails the run unless its node id is listed, one per line,
# in XINSHI_ALLOWED_SKIPS (.ci/run names each allowed skip and why). Outside CI a skip is a
# skip, shown by `-ra`.
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not os.environ.get("CI"):
        return
    allowed = set(os.environ.get("XINSHI_ALLOWED_SKIPS", "").split())
    unexpected = [node for node in _skipped if node not in allowed]
    if unexpected:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep(
                "=",
                f"CI: {len(unexpected)} test(s) skipped without being allowed in .ci/run "
                "(XINSHI_ALLOWED_SKIPS): " + ", ".join(unexpected),
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
