"""Template variable types (rules/dispatch/variables.yaml): what a parameter value may hold.

A type is data (its limits and the platform document they come from live in the rule file);
the checks a type can ask for are the closed set below: a length limit, a pattern the whole
value must match, no link, no phone number. ``free_text`` says whether a value can carry words
that could change the check's verdict: a render whose values are all of fixed types (codes,
amounts, dates, numbers) reuses its template's verdict instead of being checked again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.ruleset import dispatch_file
from engine.ruleset.regex_safety import problems
from engine.ruleset.yaml_lines import YamlDocument

# a link in any form a reader could open: scheme, www., or a bare domain with a path
_URL = re.compile(
    r"(?i)(https?://|www\.|[a-z0-9-]{1,63}\.(cn|com|net|org|top|xyz|vip|cc|me|io|co|info|"
    r"shop|site|online|link|ltd|club|wang|app)\b)"
)
# a mainland mobile, a landline with its area code, or a 400/800 service line
_PHONE = re.compile(
    r"(?<![0-9])(1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8}|[48]00-?[0-9]{3}-?[0-9]{4})(?![0-9])"
)


class VariableError(ValueError):
    """A parameter value its type refuses, or a types file that is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True, slots=True)
class VariableType:
    """One type of template variable and what its values may hold."""

    name: str
    max_chars: int
    pattern: re.Pattern[str] | None
    refuse_url: bool
    refuse_phone: bool
    free_text: bool
    hint: str

    def problem(self, value: str) -> str | None:
        """Why ``value`` is not a good value of this type (None: it is)."""
        if not value.strip():
            return "is empty"
        if len(value) > self.max_chars:
            return f"has {len(value)} characters; a {self.name} has at most {self.max_chars}"
        if self.refuse_url and _URL.search(value):
            return (
                f"holds a link; a {self.name} may not (platforms refuse links in variables: "
                "write the link as fixed text of the template, or use a url variable)"
            )
        if self.refuse_phone and _PHONE.search(value):
            return f"holds a phone number; a {self.name} may not (platforms refuse it)"
        if self.pattern is not None and not self.pattern.fullmatch(value):
            return f"is not a valid {self.name}"
        return None


@dataclass(frozen=True, slots=True)
class VariableTypes:
    """Every variable type, by name."""

    types: MappingProxyType[str, VariableType]
    path: str

    def check(self, template_id: str, name: str, type_name: str, value: str) -> None:
        """Raise VariableError naming the variable when ``value`` breaks its type."""
        vtype = self.types[type_name]
        why = vtype.problem(value)
        if why is not None:
            raise VariableError(
                f"params.{name}",
                f"parameter {name!r} of template {template_id!r} ({type_name}) {why}: "
                f"{value[:40]!r}. Write {vtype.hint}",
            )


class _TypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_chars: int = Field(ge=1, le=500)
    pattern: str | None = None
    refuse_url: bool = True
    refuse_phone: bool = True
    free_text: bool
    hint: str = Field(min_length=1)


class _TypesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    types: dict[str, _TypeIn]


def default_variables_path(rules: Path | None = None) -> Path:
    """rules/dispatch/variables.yaml (of ``rules``, else of the shipped rules)."""
    return dispatch_file("variables.yaml", rules)


def type_errors(path: Path) -> tuple[VariableTypes | None, list[str]]:
    """Read a variable types file: the types (None if it cannot be used) and every error as
    ``file:line: what. How to fix``."""
    try:
        doc = YamlDocument(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [f"{path}: cannot read: {exc.strerror}"]
    except yaml.YAMLError as exc:
        return None, [f"{path}: not valid YAML: {exc}"]
    try:
        data = _TypesIn.model_validate(doc.data)
    except ValidationError as exc:
        out = []
        for e in exc.errors():
            loc = [str(p) for p in e["loc"]]
            what = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
            out.append(f"{path}:{doc.line_of(*loc)}: {'.'.join(loc)}: {what}")
        return None, out
    types: dict[str, VariableType] = {}
    errors: list[str] = []
    for name, t in data.types.items():
        where = f"{path}:{doc.line_of('types', name, 'pattern')}"
        compiled = None
        if t.pattern is not None:
            try:
                compiled = re.compile(t.pattern)
            except re.error as exc:
                errors.append(f"{where}: type {name!r}: pattern is not a valid regex: {exc}")
            slow = problems(t.pattern)
            if slow:
                errors.append(f"{where}: type {name!r}: pattern {slow[0]}")
        types[name] = VariableType(
            name, t.max_chars, compiled, t.refuse_url, t.refuse_phone, t.free_text, t.hint
        )
    if errors:
        return None, errors
    return VariableTypes(MappingProxyType(types), str(path)), []


def load_variable_types(path: Path | None = None) -> VariableTypes:
    """The variable types of a rules directory's file; VariableError listing every error."""
    path = path or default_variables_path()
    types, errors = type_errors(path)
    if types is None:
        raise VariableError("variables", "\n".join(errors))
    return types
