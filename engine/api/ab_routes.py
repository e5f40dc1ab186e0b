"""GET /v1/ab/{experiment}: the A/B report as JSON (same schema as `xinshi ab report --json`).

The store is opened read-only per request, so `xinshi ab ingest` can run between requests.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from engine.abtest.report import METRICS, report
from engine.abtest.store import StoreError, connect, data_dir, experiments
from engine.api.limits import error_body

AB = "/v1/ab/{experiment}"

router = APIRouter()


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    return Response(error_body(code, message, field), status, media_type="application/json")


def _report(experiment: str, metric: str) -> Response:
    try:
        con = connect(read_only=True)
    except StoreError:
        return _error(404, "not_found", f"no experiment {experiment!r}: the A/B store is empty")
    try:
        if experiment not in experiments(con):
            return _error(
                404, "not_found", f"no experiment {experiment!r} in {data_dir()}", "experiment"
            )
        body = report(con, experiment, metric).to_dict()
    finally:
        con.close()
    return Response(orjson.dumps(body), media_type="application/json")


@router.get(AB, summary="A/B report for one experiment")
async def ab_report(experiment: str, metric: str = "click") -> Response:
    """Return the experiment's report: variants, comparisons, SRM, segments, send-time heatmap."""
    if metric not in METRICS:
        return _error(
            422,
            "invalid_request",
            f"unknown metric {metric!r}; one of {', '.join(METRICS)}",
            "metric",
        )
    return await run_in_threadpool(_report, experiment, metric)
