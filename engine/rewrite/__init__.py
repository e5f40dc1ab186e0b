"""Rewrites that read well: named edit operations, the quality gate, one-click fixes.

    edits.*         the closed set of edit operations (delete, replace, insert ...)
    problems(...)   the gate: why a rewrite may not be shown ([] when it may)
    fixes(...)      each finding's one-click fix, re-checked; and how many were dropped

Suggestions of the engagement model (engine.score.suggest) and the playground's fixes both
go through the gate; what fails it is dropped and counted, never shown.
"""

from engine.rewrite.edits import Edit
from engine.rewrite.fixes import Fix, fixes
from engine.rewrite.gate import defects, new_defects, problems

__all__ = ["Edit", "Fix", "defects", "fixes", "new_defects", "problems"]
