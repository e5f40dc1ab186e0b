"""Rule file errors: what is wrong, where (file:line), and how to fix it.

RulesetError            the ruleset cannot be loaded; carries every RuleFileError
  RuleFileError         one problem in one file, formatted
                        ``path:line: rule 'id': what is wrong. How to fix``
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches


@dataclass(frozen=True, slots=True)
class RuleFileError:
    """One problem in one rule file."""

    path: str
    line: int | None
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        rule = f" rule '{self.rule_id}':" if self.rule_id else ""
        return f"{where}:{rule} {self.message}"


class RulesetError(Exception):
    """The ruleset has errors; ``errors`` lists all of them, not just the first."""

    def __init__(self, errors: Sequence[RuleFileError]) -> None:
        self.errors = tuple(errors)
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(f"{len(self.errors)} error(s) in the rules:\n{lines}")


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    """Return " Did you mean 'x'?" for the closest choice, or ''."""
    close = get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""
