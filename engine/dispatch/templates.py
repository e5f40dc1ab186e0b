"""Logical templates (text with ${var}) and the provider template each is approved as.

A template is checked once when the book is loaded (with its example parameters); every send
renders its own parameters and the rendered text is checked again before it is queued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.dispatch.message import Lane
from engine.dispatch.variables import (
    VariableError,
    VariableTypes,
    default_variables_path,
    load_variable_types,
)
from engine.ruleset import dispatch_file
from engine.ruleset.yaml_lines import YamlDocument

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_PARAM_CHARS = 35  # Aliyun's documented limit for most variable types


class TemplateError(ValueError):
    """A template file or a send's parameters are wrong; ``field`` names what."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True, slots=True)
class ProviderTemplate:
    """A provider's approved template: Aliyun names params, Tencent orders them."""

    code: str
    param_order: tuple[str, ...] | None = None  # Tencent: positional {1}, {2} ...


@dataclass(frozen=True, slots=True)
class Template:
    """One logical template."""

    id: str
    lane: Lane
    sign_name: str
    text: str
    variables: tuple[str, ...]
    providers: MappingProxyType[str, ProviderTemplate]
    types: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    type_book: VariableTypes | None = None

    @property
    def fixed(self) -> bool:
        """Whether every variable has a type without free text: any render of it reads as its
        example does, so the template's own verdict holds for it."""
        book = self.type_book
        return book is not None and all(
            v in self.types and not book.types[self.types[v]].free_text for v in self.variables
        )

    def render(self, params: dict[str, Any]) -> str:
        """Fill ${var} with string parameters; every variable needed, no others allowed, each
        value as its type allows (rules/dispatch/variables.yaml)."""
        missing = [v for v in self.variables if v not in params]
        if missing:
            raise TemplateError(
                f"params.{missing[0]}",
                f"template {self.id!r} needs parameter {missing[0]!r} "
                f"(it takes: {', '.join(self.variables)})",
            )
        extra = sorted(set(params) - set(self.variables))
        if extra:
            raise TemplateError(
                f"params.{extra[0]}",
                f"template {self.id!r} has no parameter {extra[0]!r} "
                f"(it takes: {', '.join(self.variables) or 'none'})",
            )
        for name, value in params.items():
            if not isinstance(value, str):
                raise TemplateError(
                    f"params.{name}",
                    f"parameter {name!r} must be a string (providers reject numbers): "
                    f'write "{value}"',
                )
            if name in self.types and self.type_book is not None:
                try:
                    self.type_book.check(self.id, name, self.types[name], value)
                except VariableError as exc:
                    raise TemplateError(exc.field, exc.message) from None
            elif len(value) > MAX_PARAM_CHARS:
                raise TemplateError(
                    f"params.{name}",
                    f"parameter {name!r} has {len(value)} characters; the limit is "
                    f"{MAX_PARAM_CHARS}",
                )
        return _VAR.sub(lambda m: str(params[m.group(1)]), self.text)


class _ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str | None = None
    id: str | None = None
    params: list[str] | None = None


class _TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lane: Lane
    sign_name: str = Field(min_length=1)
    text: str = Field(min_length=1)
    example: dict[str, str] = Field(default_factory=dict)
    variables: dict[str, str] = Field(default_factory=dict)  # ${var} -> type (variables.yaml)
    providers: dict[str, _ProviderIn] = Field(default_factory=dict)


class _BookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    templates: dict[str, _TemplateIn]


@dataclass(frozen=True, slots=True)
class TemplateBook:
    """Every logical template, by id."""

    templates: MappingProxyType[str, Template]
    examples: MappingProxyType[str, dict[str, str]]

    def get(self, template_id: str) -> Template:
        """The template, or a TemplateError listing the known ids."""
        try:
            return self.templates[template_id]
        except KeyError:
            known = ", ".join(sorted(self.templates))
            raise TemplateError(
                "template", f"unknown template {template_id!r}. Known templates: {known}"
            ) from None


def default_templates_path() -> Path:
    """rules/dispatch/templates.yaml of the shipped rules."""
    return dispatch_file("templates.yaml")


def probe_forms_path() -> Path:
    """The message forms ``xinshi probe`` sends (engine/data/probe_templates.yaml)."""
    return Path(__file__).resolve().parents[1] / "data" / "probe_templates.yaml"


def _template(
    tid: str, t: _TemplateIn, where: str, doc: YamlDocument, types: VariableTypes | None
) -> tuple[Template, list[str]]:
    errors: list[str] = []
    variables = tuple(dict.fromkeys(_VAR.findall(t.text)))
    for var, type_name in t.variables.items():
        at = f"{where}:{doc.line_of('templates', tid, 'variables', var)}"
        if var not in variables:
            errors.append(
                f"{at}: template {tid!r}: variables names {var!r}, which is not in the text "
                f"(its variables: {', '.join(variables) or 'none'}). Remove it or fix the name"
            )
        elif types is not None and type_name not in types.types:
            errors.append(
                f"{at}: template {tid!r}: variable {var!r} has unknown type {type_name!r}. "
                f"Known types: {', '.join(sorted(types.types))} ({types.path})"
            )
        elif types is not None and var in t.example:
            why = types.types[type_name].problem(t.example[var])
            if why is not None:
                errors.append(
                    f"{at}: template {tid!r}: the example value of {var!r} {why}. "
                    f"Write {types.types[type_name].hint}"
                )
    if set(t.example) != set(variables):
        errors.append(
            f"{where}: template {tid!r}: example must fill exactly {sorted(variables)}, "
            f"has {sorted(t.example)}. Fix the example"
        )
    providers: dict[str, ProviderTemplate] = {}
    for name, p in t.providers.items():
        code = p.code or p.id
        if not code:
            errors.append(f"{where}: template {tid!r}: provider {name!r} needs code or id")
            continue
        order = tuple(p.params) if p.params is not None else None
        if order is not None and set(order) != set(variables):
            errors.append(
                f"{where}: template {tid!r}: provider {name!r} params {list(order)} must list "
                f"every variable {list(variables)} in the provider template's order"
            )
        providers[name] = ProviderTemplate(code, order)
    tpl = Template(tid, t.lane, t.sign_name, t.text, variables, MappingProxyType(providers),
                   MappingProxyType(dict(t.variables)), types)  # fmt: skip
    return tpl, errors


def _types_beside(path: Path) -> VariableTypes:
    """The variable types next to a templates file, else the shipped ones."""
    beside = path.parent / "variables.yaml"
    try:
        return load_variable_types(beside if beside.exists() else default_variables_path())
    except VariableError as exc:
        raise TemplateError("templates", exc.message) from None


def load_templates(path: Path | None = None) -> TemplateBook:
    """Read and validate a templates file, reporting every error at once."""
    path = path or default_templates_path()
    try:
        doc = YamlDocument(path.read_text(encoding="utf-8"))
        book = _BookIn.model_validate(doc.data)
    except OSError as exc:
        raise TemplateError("templates", f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise TemplateError("templates", f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        msgs = [
            f"{path}:{doc.line_of(*(str(p) for p in e['loc']))}: "
            f"{'.'.join(str(p) for p in e['loc'])}: "
            f"{'unknown key' if e['type'] == 'extra_forbidden' else e['msg']}"
            for e in exc.errors()
        ]
        raise TemplateError("templates", "\n".join(msgs)) from None
    types = _types_beside(path) if any(t.variables for t in book.templates.values()) else None
    templates: dict[str, Template] = {}
    errors: list[str] = []
    for tid, t in book.templates.items():
        tpl, errs = _template(tid, t, str(path), doc, types)
        templates[tid] = tpl
        errors.extend(errs)
    if errors:
        raise TemplateError("templates", "\n".join(errors))
    examples = {tid: dict(t.example) for tid, t in book.templates.items()}
    return TemplateBook(MappingProxyType(templates), MappingProxyType(examples))
