"""Xinshi (信使): pre-send compliance checks for Chinese SMS.

>>> from engine import check
>>> check("【信使商城】验证码386512，用于登录，5分钟内有效。").verdict
"""

from engine.check import check
from engine.message import Message, MessageError, MessageType, make_message
from engine.ruleset import RuleSet, RulesetError, load_ruleset
from engine.score import Score, check_scored, score
from engine.verdict import Decision, Finding, Severity, Verdict

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
