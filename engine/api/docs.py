"""OpenAPI text, schemas and examples for the HTTP API, and the /v1/rules report."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine.message import MessageIn
from engine.reload import RulesetHolder

DESCRIPTION = """\
Pre-send compliance checks for Chinese SMS. `POST /v1/check` answers `allow`, `review` or
`block` with every finding pointed at the characters of the original text (`start`/`end`),
the rule, its legal or platform source and a fix in Chinese.

Errors are always JSON `{"error": {"code", "message", "field"}}`: 400 (not JSON / not UTF-8),
401/403 (API key), 413 (body or batch too large), 415 (not `application/json`), 422 (a field
is wrong: unknown field, unknown message type, bad `send_at`, text too long).
"""


class FindingOut(BaseModel):
    """One problem in the message."""

    rule_id: str
    category: str
    severity: str
    start: int
    end: int
    matched: str
    message: str
    suggestion: str
    source: str
    evasion: str | None = None
    related: list[str] = []  # rules whose findings on the same characters merged into this one
    frame: str | None = None  # the frame (rules/frames.yaml) that made this finding a note


class VerdictOut(BaseModel):
    """The verdict for one message."""

    id: str | None
    verdict: str
    findings: list[FindingOut]
    segments: int
    chars: int
    ruleset_version: str
    ruleset_commit: str | None = None


class ErrorDetail(BaseModel):
    """What went wrong, where, and how to fix it."""

    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    """Every error response."""

    error: ErrorDetail


class BatchIn(BaseModel):
    """Messages to check in one request."""

    messages: list[MessageIn]


class BatchOut(BaseModel):
    """One result per message, in order: a verdict or an error object with the message's id."""

    count: int
    ruleset_version: str
    results: list[dict[str, Any]]


_MESSAGE_EXAMPLES = {
    "marketing": {
        "summary": "Marketing SMS with an evasive contact line",
        "value": {
            "id": "m-1",
            "text": "【信使商城】尊敬的会员，全场最*低*价，加 V 信领券！",
            "type": "marketing",
            "send_at": "2026-11-11T10:00",
        },
    },
    "air": {
        "summary": "Air-ticket offer without refund/change terms",
        "value": {
            "text": "【云途旅行】尊敬的会员，上海-三亚特价机票399元起！拒收请回复R",
            "industry": "air",
        },
    },
    "otp": {
        "summary": "A clean verification code",
        "value": {
            "text": "【信使商城】验证码386512，用于登录，5分钟内有效，请勿泄露。",
            "type": "verification",
        },
    },
}
_VERDICT_EXAMPLE = {
    "id": "m-1",
    "verdict": "block",
    "findings": [
        {
            "rule_id": "absolute_claim.superlative",
            "category": "absolute_claim",
            "severity": "block",
            "start": 14,
            "end": 19,
            "matched": "最*低*价",
            "message": "使用了绝对化用语“最*低*价”",
            "suggestion": "删除“最/第一/顶级”等绝对化用语，改为可核实的事实",
            "source": "《广告法》第9条第(3)项、第57条",
            "evasion": "noise",
            "related": ["format.obfuscation"],
        }
    ],
    "segments": 1,
    "chars": 25,
    "ruleset_version": "9a019938602d",
    "ruleset_commit": "3f340191d8b7",
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Body is not JSON or not UTF-8"},
    401: {"model": ErrorOut, "description": "Missing or wrong API key (when checks are keyed)"},
    413: {"model": ErrorOut, "description": "Body or batch too large"},
    415: {"model": ErrorOut, "description": "Content-Type is not application/json"},
    422: {"model": ErrorOut, "description": "A field is invalid"},
}


# Request-body models, named in components/schemas so generated clients get real class names
# (MessageIn, not CheckOneV1CheckPostMessageIn). `with_components` adds them to the document.
COMPONENTS: dict[str, dict[str, Any]] = {}
_REF = "#/components/schemas/{model}"


def ref(model: type[BaseModel]) -> dict[str, str]:
    """A reference to ``model`` (and every model it nests) in components/schemas."""
    schema = model.model_json_schema(ref_template=_REF)
    COMPONENTS.update(schema.pop("$defs", {}))
    COMPONENTS[model.__name__] = schema
    return {"$ref": _REF.format(model=model.__name__)}


def with_components(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the request-body models to an OpenAPI document (FastAPI knows only response ones)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, schema)
    return spec


def swagger_ui_dir() -> Path:
    """Swagger UI's JS and CSS as the fastapi-offline package ships them (kept up to date there)."""
    spec = find_spec("fastapi_offline")
    assert spec is not None and spec.origin is not None, "fastapi-offline is a core dependency"
    return Path(spec.origin).parent / "static"


def _body(model: type[BaseModel], examples: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref(model), "examples": examples}},
        }
    }


CHECK: dict[str, Any] = {
    "openapi_extra": _body(MessageIn, _MESSAGE_EXAMPLES),
    "responses": {
        200: {"model": VerdictOut, "content": {"application/json": {"example": _VERDICT_EXAMPLE}}},
        **_ERRORS,
    },
}
BATCH: dict[str, Any] = {
    "openapi_extra": _body(
        BatchIn,
        {"two": {"value": {"messages": [v["value"] for v in _MESSAGE_EXAMPLES.values()][:2]}}},
    ),
    "responses": {200: {"model": BatchOut}, **_ERRORS},
}
RULES: dict[str, Any] = {"responses": {200: {"description": "Version, packs, reload status"}}}
RELOAD: dict[str, Any] = {
    "responses": {
        200: {"description": "Reloaded (or unchanged)"},
        401: {"model": ErrorOut},
        403: {"model": ErrorOut, "description": "The key lacks the admin scope, or no key has it"},
        409: {"description": "Refused: the old rules keep serving; see reload.errors"},
    }
}
HEALTH: dict[str, Any] = {}


def _relative(error: str, root: Path) -> str:
    """``rules/packs/x.yaml:7: ...`` rather than the server's absolute path (shown to users)."""
    for base in {root.parent, root.resolve().parent}:
        error = error.replace(f"{base}/", "")
    return error


def rules_report(holder: RulesetHolder) -> dict[str, Any]:
    """What /v1/rules shows: the serving ruleset and the last reload attempt."""
    rs = holder.ruleset
    packs: dict[str, int] = {}
    categories: dict[str, int] = {}
    for pr in rs.specs:
        pack = pr.full_id.split(".")[0]
        packs[pack] = packs.get(pack, 0) + 1
        categories[pr.spec.category] = categories.get(pr.spec.category, 0) + 1
    status = holder.status
    return {
        "name": rs.name,
        "version": rs.version,
        "commit": rs.commit,
        "rules": len(rs.rules),
        "packs": packs,
        "categories": categories,
        "word_lists": sum(1 for wl in rs.lexicon.lists if wl.role.value != "gate"),
        "automaton_keys": rs.word_count,
        "profiles": sorted(rs.profiles),
        "loaded_at": holder.loaded_at.isoformat(),
        "reload": {
            "ok": status.ok,
            "attempted_at": status.attempted_at.isoformat(),
            "errors": [_relative(e, holder.root) for e in status.errors],
            "rejected_version": status.rejected_version,
        },
    }


def request_body(model: type[BaseModel], examples: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as a route's JSON request body."""
    return _body(model, examples)


ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    503: {"model": ErrorOut, "description": "Storage unavailable (disk full, read-only); retry"},
}
