"""The playground's JSON: compare drafts (POST /v1/variants), list rules (GET /v1/rules/catalog).

Thin like the rest of the API: it parses, calls ``check_scored`` and ``engine.rewrite.fixes``
and renders. Errors are the standard ``{"error": {"code", "message", "field"}}`` JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from engine.api import bodies
from engine.api.auth import Scope, require
from engine.api.requests import ApiError, json_response, parse_message, read_json
from engine.api.settings import Settings
from engine.evasion_names import evasion_names
from engine.message import Message, MessageError
from engine.reload import RulesetHolder
from engine.rewrite import fixes
from engine.rule_types.specs.base import Example
from engine.ruleset import RuleSet
from engine.score import check_scored, shipped_model
from engine.score.ranking import rank_by_type

VARIANTS, CATALOG = "/v1/variants", "/v1/rules/catalog"
MAX_DRAFTS = 20  # a page of drafts to compare, not a batch job (that is /v1/check/batch)
DEFAULT_PRICE = 0.045  # yuan per billed segment, as `xinshi variants`
_DEFAULTS = ("type", "industry", "send_at", "profile")
_FIELDS = frozenset({"drafts", "price", "signature", *_DEFAULTS})

router = APIRouter()


def _signature(data: dict[str, Any]) -> str | None:
    """The caller's signature for missing-signature fixes: 2-12 characters, no brackets."""
    sig = data.get("signature")
    if sig in (None, ""):
        return None
    if not isinstance(sig, str) or not 2 <= len(sig.strip()) <= 12 or set(sig) & set("【】[]"):
        raise ApiError(
            422,
            "invalid_request",
            "signature: the sender's name, 2-12 characters without 【】 (e.g. 信使商城)",
            "signature",
        )
    return sig.strip()


def _drafts(data: Any, settings: Settings) -> tuple[list[Message], float]:
    """Validate the request: drafts (strings or message objects), shared defaults, price."""
    if not isinstance(data, dict) or not isinstance(data.get("drafts"), list):
        raise ApiError(
            422, "invalid_request", 'send {"drafts": ["draft one", "draft two"]}', "drafts"
        )
    extra = sorted(set(data) - _FIELDS)
    if extra:
        allowed = ", ".join(sorted(_FIELDS))
        raise ApiError(
            422, "invalid_request", f"unknown field {extra[0]!r} (allowed: {allowed})", extra[0]
        )
    items: list[Any] = data["drafts"]
    if len(items) > MAX_DRAFTS:
        raise ApiError(
            413,
            "too_many_drafts",
            f"{len(items)} drafts; compare at most {MAX_DRAFTS} at once "
            "(use /v1/check/batch for more)",
            "drafts",
        )
    price = data.get("price", DEFAULT_PRICE)
    if isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
        raise ApiError(
            422, "invalid_request", "price: yuan per segment, a number >= 0 (e.g. 0.045)", "price"
        )
    defaults = {k: data[k] for k in _DEFAULTS if data.get(k) not in (None, "")}
    messages = []
    for i, item in enumerate(items):
        obj = {"text": item} if isinstance(item, str) else item
        if isinstance(obj, dict):
            obj = {**defaults, "id": f"#{i + 1}", **obj}
        messages.append(parse_message(obj, settings, f"drafts.{i}."))
    return messages, float(price)


def rank_drafts(
    messages: list[Message], ruleset: RuleSet, price: float, signature: str | None = None
) -> list[dict[str, Any]]:
    """Check and score each draft, in input order; rank each among the drafts of its type
    and mark the best compliant one of each type.

    Each finding carries ``fixes``: one-click edits that passed the gate (engine.rewrite).
    """
    model = shipped_model()
    rows: list[dict[str, Any]] = []
    for i, msg in enumerate(messages):
        try:
            verdict = check_scored(msg, ruleset, model)
        except MessageError as exc:  # unknown industry or profile for these rules
            raise ApiError(422, "invalid_message", exc.message, f"drafts.{i}.{exc.field}") from None
        row = verdict.to_dict()
        found, dropped = fixes(msg, verdict, ruleset, signature)
        for item, own in zip(row["findings"], found, strict=True):
            item["fixes"] = [f.to_dict() for f in own]
        row.update(
            fixes_dropped=dropped,
            text=msg.text,
            cost_per_10k=round(verdict.segments * price * 10_000, 2),
            rank=0,
            best=False,
        )
        rows.append(row)
    places = rank_by_type(
        [
            (m.type.value, r["score"]["score"], r["verdict"])
            for m, r in zip(messages, rows, strict=True)
        ]
    )
    for row, place in zip(rows, places, strict=True):
        row.update(rank=place.rank, rank_of=place.of, best=place.best)
    return rows


def _example(item: Example | str) -> dict[str, Any]:
    ex = Example(text=item) if isinstance(item, str) else item
    return ex.model_dump(exclude_none=True)


def _shown_path(path: str, root: Path) -> str:
    """``rules/packs/x.yaml`` rather than the server's absolute path."""
    try:
        return str(Path(path).resolve().relative_to(root.resolve().parent))
    except ValueError:
        return path


def catalog(ruleset: RuleSet, root: Path) -> list[dict[str, Any]]:
    """Every rule with where it is defined (relative to the rules' parent), scope and examples."""
    out = []
    for pr in sorted(ruleset.specs, key=lambda p: p.full_id):
        spec = pr.spec
        out.append(
            {
                "id": pr.full_id,
                "pack": pr.full_id.split(".")[0],
                "kind": spec.kind,
                "category": spec.category,
                "severity": spec.severity,
                "message": spec.message,
                "suggestion": spec.suggestion,
                "source": spec.source,
                "description": spec.description,
                "file": _shown_path(pr.path, root),
                "line": pr.line,
                "types": list(spec.types),
                "industries": spec.industries,
                "skip_industries": list(spec.skip_industries),
                "profiles": spec.profiles,
                "effective_from": spec.effective_from and spec.effective_from.isoformat(),
                "effective_until": spec.effective_until and spec.effective_until.isoformat(),
                "examples": {
                    "flag": [_example(e) for e in spec.examples.flag],
                    "pass": [_example(e) for e in spec.examples.pass_],
                },
            }
        )
    return out


@router.post(
    VARIANTS,
    summary="Compare drafts: verdict, score, rewrites, segments, cost",
    dependencies=[Depends(require(Scope.CHECK))],
    **bodies.VARIANTS,
)
async def variants(request: Request) -> Response:
    """Check and score up to 20 drafts; each with verdict, score block, cost, rank and best;
    each finding with its one-click ``fixes`` (README: Playground)."""
    settings: Settings = request.app.state.settings
    holder: RulesetHolder = request.app.state.holder
    data = await read_json(request)
    messages, price = _drafts(data, settings)
    signature = _signature(data)
    ruleset = holder.ruleset  # one ruleset for every draft, even across a reload
    rows = await run_in_threadpool(rank_drafts, messages, ruleset, price, signature)
    model = shipped_model()
    return json_response(
        {
            "ruleset_version": ruleset.version,
            "model": {"version": model.version, "trained_on": model.trained_on},
            "price": price,
            "results": rows,
        }
    )


@router.get(
    CATALOG,
    summary="Every loaded rule with its source and examples",
    dependencies=[Depends(require(Scope.READ, "catalog"))],
)
async def rules_catalog(request: Request) -> Response:
    """Return the serving ruleset's rules, sorted by id."""
    holder: RulesetHolder = request.app.state.holder
    ruleset = holder.ruleset
    options = {
        "types": ["marketing", "notification", "verification"],
        "industries": sorted(ruleset.industries),
        "profiles": sorted(ruleset.profiles),
        "evasions": evasion_names(),  # how the page names a finding's evasion
    }
    rules = catalog(ruleset, holder.root)
    return json_response(
        {"version": ruleset.version, "commit": ruleset.commit, **options, "rules": rules}
    )
