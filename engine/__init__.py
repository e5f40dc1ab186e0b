"""Xinshi (信使): pre-send compliance checks for Chinese SMS.

>>> from engine import check
>>> check("【信使商城】验证码386512，用于登录，5分钟内有效。").verdict

The names below load on first use, so that ``import engine.<module>`` (the CLI's cold start)
does not pay for the whole checker.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # equal to pyproject.toml's version (tests/test_cli_startup.py)

if TYPE_CHECKING:
    from engine.check import check
    from engine.message import Message, MessageError, MessageType, make_message
    from engine.ruleset import RuleSet, RulesetError, load_ruleset
    from engine.score import Score, check_scored, score
    from engine.verdict import Decision, Finding, Severity, Verdict

_HOME = {
    "check": "engine.check",
    "Message": "engine.message",
    "MessageError": "engine.message",
    "MessageType": "engine.message",
    "make_message": "engine.message",
    "RuleSet": "engine.ruleset",
    "RulesetError": "engine.ruleset",
    "load_ruleset": "engine.ruleset",
    "Score": "engine.score",
    "check_scored": "engine.score",
    "score": "engine.score",
    "Decision": "engine.verdict",
    "Finding": "engine.verdict",
    "Severity": "engine.verdict",
    "Verdict": "engine.verdict",
}

__all__ = [
    "Decision",
    "Finding",
    "Message",
    "MessageError",
    "MessageType",
    "RuleSet",
    "RulesetError",
    "Score",
    "Severity",
    "Verdict",
    "check",
    "check_scored",
    "load_ruleset",
    "make_message",
    "score",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


class _Engine(ModuleType):
    """``engine.check`` and ``engine.score`` name functions, as they did before imports were
    lazy, even after their modules are imported (importing a submodule sets the parent's
    attribute of the same name)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("check", "score") and isinstance(value, ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Engine
