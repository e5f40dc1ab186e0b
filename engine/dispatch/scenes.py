"""Scenes (rules/dispatch/scenes.yaml): what an event sends, when, and how often per recipient.

A scene names its message type and lane, its send window (Beijing time; may be narrower than
the lane's hours, e.g. birthdays 09:00-20:00), its cap per recipient (``count`` per ``per``),
and its templates: two or more make an A/B test, each recipient always drawn the same one.
``dispatch_rule_errors`` validates the dispatch rule files the way ``xinshi rules check``
reports the others: every problem, ``file:line: what. How to fix``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time as dtime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from engine.dispatch.config import parse_hours
from engine.dispatch.message import CHECK_TYPE, Lane
from engine.dispatch.templates import TemplateBook, TemplateError, load_templates
from engine.dispatch.variables import type_errors
from engine.message import MESSAGE_TYPES, MessageType
from engine.ruleset import dispatch_file
from engine.ruleset.errors import did_you_mean
from engine.ruleset.yaml_lines import YamlDocument

_DURATION = re.compile(r"([0-9]{1,6})([smhd])")
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
# the marketing hours no scene may reach outside: the platforms refuse marketing at night
# (Tencent 08:00-22:00, Huawei 08:00-21:00); dispatch's default lane hours are 08:00-21:00
MARKETING_HOURS = (dtime(8), dtime(21))
_KEYS = ("type", "lane", "window", "cap", "templates", "experiment", "delay", "expires_after",
         "description")  # fmt: skip


class SceneError(ValueError):
    """A scenes file that cannot be used (every error, one per line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Scene:
    """One scene, validated."""

    id: str
    type: MessageType
    lane: Lane
    window: str | None  # "09:00-20:00" (Beijing time); None: whenever the lane allows
    hours: tuple[dtime, dtime] | None
    cap_count: int
    cap_per_s: float
    templates: tuple[str, ...]
    experiment: str | None  # set when the scene has two or more templates
    delay_s: float
    expires_after_s: float | None

    def pick(self, phone: str) -> tuple[str, str | None]:
        """The template for a recipient and its variant name (None without an A/B test):
        the same recipient always draws the same variant."""
        if self.experiment is None:
            return self.templates[0], None
        digest = hashlib.sha256(f"{self.experiment}:{phone}".encode()).digest()
        chosen = self.templates[int.from_bytes(digest[:8], "big") % len(self.templates)]
        return chosen, chosen


@dataclass(frozen=True, slots=True)
class SceneBook:
    """Every scene, by id."""

    scenes: MappingProxyType[str, Scene]

    def get(self, scene_id: str) -> Scene | None:
        """The scene, or None."""
        return self.scenes.get(scene_id)

    def unknown(self, scene_id: str) -> str:
        """The message for a scene that does not exist."""
        known = ", ".join(sorted(self.scenes)) or "none"
        hint = did_you_mean(scene_id, list(self.scenes))
        return (
            f"unknown scene {scene_id!r}.{hint} Known scenes: {known} (rules/dispatch/scenes.yaml)"
        )


class _CapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: Any
    per: Any


class _SceneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str
    lane: str
    window: str | None = None
    cap: _CapIn
    templates: list[str]
    experiment: str | None = None
    delay: str | None = None
    expires_after: str | None = None
    description: str | None = None


class _ScenesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenes: dict[str, _SceneIn]


def parse_duration(text: object) -> float | None:
    """``365d``, ``12h``, ``30m``, ``90s`` -> seconds (None when it is not one)."""
    m = _DURATION.fullmatch(str(text).strip())
    return None if m is None else int(m.group(1)) * _UNIT[m.group(2)]


def default_scenes_path(rules: Path | None = None) -> Path:
    """rules/dispatch/scenes.yaml (of ``rules``, else of the shipped rules)."""
    return dispatch_file("scenes.yaml", rules)


def _scene(
    sid: str, s: _SceneIn, at: Callable[..., str], book: Mapping[str, Lane] | None
) -> tuple[Scene, list[str]]:
    """A scene and its errors; ``at(*keys)`` is ``file:line`` of a key of this scene."""
    errors: list[str] = []
    if not _ID.fullmatch(sid):
        errors.append(f"{at()}: scene {sid!r}: ids are lower-case letters, digits and _, "
                      "starting with a letter, e.g. birthday")  # fmt: skip
    msg_type = MessageType(s.type) if s.type in MESSAGE_TYPES else None
    if msg_type is None:
        errors.append(f"{at('type')}: scene {sid!r}: unknown type {s.type!r}."
                      f"{did_you_mean(s.type, MESSAGE_TYPES)} Known types: "
                      f"{', '.join(MESSAGE_TYPES)}")  # fmt: skip
    lanes = [lane.value for lane in Lane]
    lane = Lane(s.lane) if s.lane in lanes else None
    if lane is None:
        errors.append(f"{at('lane')}: scene {sid!r}: unknown lane {s.lane!r}."
                      f"{did_you_mean(s.lane, lanes)} Known lanes: {', '.join(lanes)}")  # fmt: skip
    elif msg_type is not None and CHECK_TYPE[lane] is not msg_type:
        errors.append(f"{at('type')}: scene {sid!r}: the {lane.value} lane sends "
                      f"{CHECK_TYPE[lane].value} messages, not {msg_type.value}. Make type "
                      f"{CHECK_TYPE[lane].value}, or pick the lane of a {msg_type.value} "
                      "message")  # fmt: skip
    hours = None
    if s.window is not None:
        try:
            hours = parse_hours(s.window)
        except ValueError as exc:
            errors.append(f"{at('window')}: scene {sid!r}: window {exc}")
    if hours is not None and lane is Lane.MARKETING:
        start, end = hours
        if not (MARKETING_HOURS[0] <= start < end <= MARKETING_HOURS[1]):
            errors.append(f"{at('window')}: scene {sid!r}: window {s.window} reaches outside "
                          "the marketing hours 08:00-21:00 (platforms refuse marketing at "
                          "night). Keep a marketing window within them, e.g. "
                          "09:00-20:00")  # fmt: skip
    count = s.cap.count
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        errors.append(f"{at('cap', 'count')}: scene {sid!r}: cap count {count!r} is not a "
                      "positive whole number. Write how many messages one recipient may get "
                      "per period, e.g. count: 1")  # fmt: skip
    per = parse_duration(s.cap.per)
    if per is None or per <= 0:
        errors.append(f"{at('cap', 'per')}: scene {sid!r}: cap per {s.cap.per!r} is not a "
                      "period. Write a positive number and a unit (s, m, h, d), e.g. 365d or "
                      "7d")  # fmt: skip
    durations: dict[str, float | None] = {}
    for key in ("delay", "expires_after"):
        raw = getattr(s, key)
        value = None if raw is None else parse_duration(raw)
        if raw is not None and (value is None or (key == "expires_after" and value <= 0)):
            errors.append(f"{at(key)}: scene {sid!r}: {key} {raw!r} is not a period. Write a "
                          "number and a unit (s, m, h, d), e.g. 1h")  # fmt: skip
        durations[key] = value
    if not s.templates:
        errors.append(f"{at('templates')}: scene {sid!r}: templates is empty. Name at least "
                      "one template of templates.yaml (two or more: an A/B test)")  # fmt: skip
    if len(set(s.templates)) != len(s.templates):
        errors.append(f"{at('templates')}: scene {sid!r}: a template is listed twice. List "
                      "each variant once")  # fmt: skip
    for i, tid in enumerate(s.templates):
        if book is None:
            continue
        tpl_lane = book.get(tid)
        if tpl_lane is None:
            errors.append(f"{at('templates', i)}: scene {sid!r}: unknown template {tid!r}."
                          f"{did_you_mean(tid, list(book))} Known templates: "
                          f"{', '.join(sorted(book))}")  # fmt: skip
        elif lane is not None and tpl_lane is not lane:
            errors.append(f"{at('templates', i)}: scene {sid!r}: template {tid!r} is in the "
                          f"{tpl_lane.value} lane, the scene in {lane.value}. Use a "
                          f"{lane.value} template, or change the scene's lane")  # fmt: skip
    experiment = (s.experiment or f"scene-{sid}") if len(s.templates) > 1 else None
    scene = Scene(sid, msg_type or MessageType.NOTIFICATION, lane or Lane.NOTICE, s.window, hours,
                  count if isinstance(count, int) else 0, per or 0.0, tuple(s.templates),
                  experiment, durations["delay"] or 0.0, durations["expires_after"])  # fmt: skip
    return scene, errors


def scene_errors(
    path: Path, book: TemplateBook | Mapping[str, Lane] | None
) -> tuple[SceneBook | None, list[str]]:
    """Read a scenes file: the scenes (None if any error) and every error, ``file:line``.
    ``book``: the templates the scenes may name (or their lanes by id); None: not checked."""
    if isinstance(book, TemplateBook):
        book = {tid: t.lane for tid, t in book.templates.items()}
    try:
        doc = YamlDocument(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [f"{path}: cannot read: {exc.strerror}"]
    except yaml.YAMLError as exc:
        return None, [f"{path}: not valid YAML: {exc}"]
    try:
        data = _ScenesIn.model_validate(
            {k: {} if k == "scenes" else v for k, v in doc.data.items()}
            if isinstance(doc.data, dict) and isinstance(doc.data.get("scenes"), dict)
            else doc.data
        )
    except ValidationError as exc:
        return None, [_shape_error(path, doc, e) for e in exc.errors()]
    del data  # the file's shape is right: now each scene, every error of each
    scenes: dict[str, Scene] = {}
    errors: list[str] = []
    for key, line in doc.duplicate_keys("scenes"):
        errors.append(f"{path}:{line}: scene {key!r} is defined twice. Keep one")
    for sid, raw in doc.data["scenes"].items():
        sid = str(sid)
        try:
            s = _SceneIn.model_validate(raw)
        except ValidationError as exc:
            errors.extend(_shape_error(path, doc, e, ("scenes", sid)) for e in exc.errors())
            s = _SceneIn.model_construct(**_usable(raw))
            if not isinstance(getattr(s, "cap", None), _CapIn) or not all(
                isinstance(getattr(s, k, None), str) for k in ("type", "lane")
            ):
                continue

        def at(*keys: str | int, _sid: str = sid) -> str:
            return f"{path}:{doc.line_of('scenes', _sid, *keys)}"

        scene, errs = _scene(sid, s, at, book)
        scenes[sid] = scene
        errors.extend(errs)
    if errors:
        return None, sorted(errors, key=_line)
    return SceneBook(MappingProxyType(scenes)), []


def _line(error: str) -> int:
    """The line number of a ``file:line: ...`` error (for sorting)."""
    head = error.split(": ", 1)[0]
    number = head.rsplit(":", 1)[-1]
    return int(number) if number.isdigit() else 0


def _usable(raw: Any) -> dict[str, Any]:
    """The known keys of a scene that failed validation, to check the rest of it anyway."""
    if not isinstance(raw, dict):
        return {}
    out = {k: v for k, v in raw.items() if k in _KEYS}
    cap = out.get("cap")
    if isinstance(cap, dict) and "count" in cap and "per" in cap:
        out["cap"] = _CapIn.model_construct(count=cap["count"], per=cap["per"])
    else:
        out.pop("cap", None)
    if not isinstance(out.get("templates"), list):
        out["templates"] = []
    out.setdefault("window", None)
    for key in ("experiment", "delay", "expires_after", "description"):
        out.setdefault(key, None)
    return out


def _shape_error(path: Path, doc: YamlDocument, e: Any, prefix: tuple[str, ...] = ()) -> str:
    loc = [*prefix, *(str(p) for p in e["loc"])]
    where = f"{path}:{doc.line_of(*loc)}: {'.'.join(loc)}"
    if e["type"] == "extra_forbidden":
        known = _KEYS if len(loc) == 3 else ("count", "per") if len(loc) == 4 else ("scenes",)
        return (f"{where}: unknown key {loc[-1]!r}.{did_you_mean(loc[-1], known)} "
                f"Known keys: {', '.join(known)}")  # fmt: skip
    if e["type"] == "missing":
        return f"{where}: required key missing. Add it (see the shipped rules/dispatch/scenes.yaml)"
    return f"{where}: {e['msg']}"


def load_scenes(path: Path | None = None, book: TemplateBook | None = None) -> SceneBook:
    """The scenes of a file (default: the shipped one), checked against a template book."""
    path = path or default_scenes_path()
    scenes, errors = scene_errors(path, book)
    if scenes is None:
        raise SceneError("\n".join(errors))
    return scenes


def _lanes(path: Path) -> dict[str, Lane] | None:
    """The lane of each template of a templates file that does not load (its other errors are
    reported already), so the scenes that name them are still checked."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {
            str(tid): Lane(t["lane"])
            for tid, t in data["templates"].items()
            if isinstance(t, dict) and t.get("lane") in {lane.value for lane in Lane}
        }
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return None


def dispatch_rule_errors(root: Path) -> list[str]:
    """Every problem in a rules directory's dispatch/ files (variables, templates, scenes)."""
    folder = root / "dispatch"
    errors: list[str] = []
    if (folder / "variables.yaml").exists():
        errors.extend(type_errors(folder / "variables.yaml")[1])
    book: Mapping[str, Lane] | None = None
    if (folder / "templates.yaml").exists():
        try:
            book = {
                t.id: t.lane for t in load_templates(folder / "templates.yaml").templates.values()
            }
        except TemplateError as exc:
            errors.extend(exc.message.splitlines())
            book = _lanes(folder / "templates.yaml")
    if (folder / "scenes.yaml").exists():
        errors.extend(scene_errors(folder / "scenes.yaml", book)[1])
    return list(dict.fromkeys(errors))
