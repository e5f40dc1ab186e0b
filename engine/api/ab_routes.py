"""GET /v1/ab/{experiment}: the A/B report as JSON (same schema as `xinshi ab report --json`).

The store is opened read-only per request, so `xinshi ab ingest` can run between requests.
Charts render in a worker thread (matplotlib takes ~0.5 s), one at a time (pyplot is not
thread-safe), and are cached by experiment, metric and data version (the store file's size
and modification time): an unchanged store is never rendered twice.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from engine.api.limits import error_body
from engine.extras import install_hint

if TYPE_CHECKING:
    from engine.abtest.report import Report

# DuckDB and SciPy load on the first A/B request, not at server start; without the 'ab'
# extra every route here answers 501 with the command that installs it.

AB, AB_LIST, AB_CHART = "/v1/ab/{experiment}", "/v1/ab", "/v1/ab/{experiment}/chart.png"

router = APIRouter()


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(error_body(code, message, field), status, media_type="application/json")


def _missing(exc: ImportError) -> Response:
    message = f"A/B analysis needs the 'ab' extra ({exc.name} is not installed): " + (
        install_hint("ab")
    )
    return _error(501, "extra_missing", message)


def _bad_metric(metric: str) -> Response | None:
    from engine.abtest.report import METRICS

    if metric in METRICS:
        return None
    message = f"unknown metric {metric!r}; one of {', '.join(METRICS)}"
    return _error(422, "invalid_request", message, "metric")


def _load(
    experiment: str, metric: str, weights: str | None = None, guardrails: str | None = None
) -> Report | Response:
    """The experiment's report, or the 404 (422 for bad weights) that says why there is none."""
    from engine.abtest.report import report
    from engine.abtest.store import (
        StoreError,
        WeightsError,
        connect,
        data_dir,
        experiments,
        parse_weights,
    )

    planned = None
    if weights is not None:
        try:
            planned = parse_weights(weights)
        except WeightsError as exc:
            return _error(422, "invalid_request", f"weights: {exc}", "weights")
    from engine.abtest.scorecard import MarginError, parse_margins

    try:
        margins = parse_margins(guardrails)
    except MarginError as exc:
        return _error(422, "invalid_request", f"guardrails: {exc}", "guardrails")

    try:
        con = connect(read_only=True)
    except StoreError:
        return _error(404, "not_found", f"no experiment {experiment!r}: the A/B store is empty")
    try:
        if experiment not in experiments(con):
            message = f"no experiment {experiment!r} in {data_dir()}"
            return _error(404, "not_found", message, "experiment")
        return report(con, experiment, metric, weights=planned, margins=margins)
    finally:
        con.close()


def _report(
    experiment: str, metric: str, weights: str | None = None, guardrails: str | None = None
) -> Response:
    rep = _load(experiment, metric, weights, guardrails)
    if isinstance(rep, Response):
        return rep
    return Response(orjson.dumps(rep.to_dict()), media_type="application/json")


@router.get(AB, summary="A/B report for one experiment")
async def ab_report(
    experiment: str,
    metric: str = "click",
    weights: str | None = None,
    guardrails: str | None = None,
) -> Response:
    """Return the experiment's report: variants, comparisons, SRM, segments, send-time heatmap,
    and the scorecard (every goal metric, guardrails with non-inferiority margins).

    ``weights`` (e.g. ``control=0.9,treat=0.1``) overrides the planned split stored with the
    experiment for the SRM check; ``guardrails`` (e.g. ``opt_out=0.05pp,complaint=10%``) the
    guardrail margins.
    """
    build = partial(_report, weights=weights, guardrails=guardrails)
    return await run_in_threadpool(_guarded, build, experiment, metric)


def _guarded(build: Callable[[str, str], Response], experiment: str, metric: str) -> Response:
    """Check the metric, then build; a missing 'ab' extra is a 501 naming it."""
    try:
        bad = _bad_metric(metric)
        return bad if bad is not None else build(experiment, metric)
    except ImportError as exc:
        return _missing(exc)


def _list() -> Response:
    try:
        from engine.abtest.store import StoreError, connect, experiments
    except ImportError as exc:
        return _missing(exc)
    try:
        con = connect(read_only=True)
    except StoreError:
        names: list[str] = []
    else:
        try:
            names = experiments(con)
        finally:
            con.close()
    return Response(orjson.dumps({"experiments": names}), media_type="application/json")


@router.get(AB_LIST, summary="Experiments in the A/B store")
async def ab_list() -> Response:
    """Return the experiment names in the store (an empty list when there is no store yet)."""
    return await run_in_threadpool(_list)


ChartKey = tuple[str, str, str, tuple[int, ...]]
_CHARTS: OrderedDict[ChartKey, bytes] = OrderedDict()
_CHARTS_MAX = 32
_RENDER = threading.Lock()


def _data_version() -> tuple[int, ...]:
    """Size and mtime of the store and its write-ahead log: they change with every ingest."""
    from engine.abtest.store import db_path

    out: list[int] = []
    path = db_path()
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = os.stat(p)
        except OSError:
            out.extend((-1, -1))
        else:
            out.extend((st.st_size, st.st_mtime_ns))
    return tuple(out)


def _chart(experiment: str, metric: str) -> Response:
    from engine.abtest.plot import write_png  # matplotlib loads only when a chart is asked for
    from engine.abtest.store import data_dir

    key = (str(data_dir().resolve()), experiment, metric, _data_version())
    with _RENDER:
        png = _CHARTS.get(key)
        hit = png is not None
        if png is None:
            rep = _load(experiment, metric)
            if isinstance(rep, Response):
                return rep
            with tempfile.TemporaryDirectory() as tmp:
                png = write_png(rep, Path(tmp) / "chart.png").read_bytes()
            _CHARTS[key] = png
            while len(_CHARTS) > _CHARTS_MAX:
                _CHARTS.popitem(last=False)
        else:
            _CHARTS.move_to_end(key)
    headers = {"X-Chart-Cache": "hit" if hit else "miss"}
    return Response(png, media_type="image/png", headers=headers)


@router.get(AB_CHART, summary="A/B charts (PNG): rates with intervals, send-time heatmap")
async def ab_chart(experiment: str, metric: str = "click") -> Response:
    """Return the report's two charts as one PNG."""
    return await run_in_threadpool(_guarded, _chart, experiment, metric)
