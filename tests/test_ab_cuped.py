"""CUPED with pre-period clicks: the adjusted difference from sums equals the per-unit formula.

Reference: Deng, Xu, Kohavi & Walker (2013); recomputed here per recipient with NumPy
(Y_adj = Y - theta (X - mean X), theta = cov(X, Y) / var(X) over both arms), not from sums.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.abtest import cuped, report, store
from engine.abtest.queries import Counts


def _units(seed: int, n: int, lift: float) -> tuple[np.ndarray, np.ndarray]:
    rnd = random.Random(seed)
    x = np.array([min(20, int(rnd.expovariate(0.5))) for _ in range(n)], dtype=float)
    p = np.clip(0.01 + 0.06 * x, 0, 0.8) * (1 + lift)
    y = np.array([1.0 if rnd.random() < q else 0.0 for q in p])
    return x, y


def _counts(x: np.ndarray, y: np.ndarray) -> Counts:
    n, clicks = len(x), int(y.sum())
    return Counts(n, n, 0, clicks, 0, 0, 0, pre_n=n, pre_sum=int(x.sum()),
                  pre_sq=int((x * x).sum()), pre_x_click=int((x * y).sum()))  # fmt: skip


def _reference(xa: np.ndarray, ya: np.ndarray, xb: np.ndarray, yb: np.ndarray) -> tuple:
    x, y = np.concatenate([xa, xb]), np.concatenate([ya, yb])
    theta = np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1)
    adj_a, adj_b = ya - theta * (xa - x.mean()), yb - theta * (xb - x.mean())
    diff = adj_b.mean() - adj_a.mean()
    se = math.sqrt(np.var(adj_a, ddof=1) / len(xa) + np.var(adj_b, ddof=1) / len(xb))
    raw = math.sqrt(np.var(ya, ddof=1) / len(xa) + np.var(yb, ddof=1) / len(xb))
    return theta, diff, se, 1 - se**2 / raw**2


def test_cuped_from_sums_equals_the_per_unit_formula() -> None:
    xa, ya = _units(1, 4000, 0.0)
    xb, yb = _units(2, 4200, 0.15)
    got = cuped.cuped(_counts(xa, ya), _counts(xb, yb), "click")
    assert got is not None
    theta, diff, se, reduction = _reference(xa, ya, xb, yb)
    assert got.theta == pytest.approx(theta, rel=1e-9)
    assert got.diff == pytest.approx(diff, rel=1e-9)
    assert (got.diff_ci[1] - got.diff_ci[0]) / 2 == pytest.approx(1.959963984540054 * se, rel=1e-9)
    assert got.variance_reduction == pytest.approx(reduction, rel=1e-9)
    assert got.variance_reduction > 0.05  # the covariate really predicts clicks here


def test_no_covariate_no_cuped() -> None:
    plain = Counts(1000, 1000, 0, 40, 0, 0, 0)
    assert cuped.cuped(plain, plain, "click") is None
    half = Counts(1000, 1000, 0, 40, 0, 0, 0, pre_n=500, pre_sum=900, pre_sq=3000)
    assert cuped.cuped(half, half, "click") is None  # every send must carry it
    assert cuped.cuped(plain, plain, "revenue") is None


def test_ingest_pre_clicks_and_report_the_adjusted_difference(tmp_path: Path) -> None:
    xa, ya = _units(3, 1500, 0.0)
    xb, yb = _units(4, 1500, 0.2)
    lines = ["experiment,variant,message_id,recipient,event,ts,pre_clicks"]
    for v, xs, ys in (("control", xa, ya), ("treat", xb, yb)):
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            lines.append(f"c,{v},{v}{i},h{v}{i},sent,2026-11-11T10:00:00,{int(x)}")
            if y:
                lines.append(f"c,{v},{v}{i},h{v}{i},clicked,2026-11-11T10:05:00,")
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "XINSHI_DATA": str(tmp_path / "data")}
    run = [sys.executable, "-m", "engine.cli", "ab"]
    r = subprocess.run([*run, "ingest", str(path)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([*run, "report", "c", "--json"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["comparisons"][0]["cuped"]
    theta, diff, _se, reduction = _reference(xa, ya, xb, yb)
    assert got["covariate"] == "pre_clicks"
    assert got["theta"] == pytest.approx(theta, rel=1e-9)
    assert got["diff"] == pytest.approx(diff, rel=1e-9)
    assert got["variance_reduction"] == pytest.approx(reduction, rel=1e-9)


def test_a_bad_pre_clicks_value_names_its_line(tmp_path: Path) -> None:
    from engine.abtest import ingest

    path = tmp_path / "c.csv"
    path.write_text(
        "experiment,variant,message_id,recipient,event,ts,pre_clicks\n"
        "c,control,m1,h1,sent,2026-11-11T10:00:00,3\n"
        "c,control,m2,h2,sent,2026-11-11T10:00:00,-1\n",
        encoding="utf-8",
    )
    con = store.connect(tmp_path / "data")
    try:
        with pytest.raises(ingest.IngestError) as err:
            ingest.ingest_file(con, path)
    finally:
        con.close()
    assert str(err.value).splitlines()[1] == (
        f"{path}:3: pre_clicks: '-1' is not a whole number of clicks >= 0 (the recipient's "
        "clicks before the test)"
    )


def test_a_parquet_source_without_pre_clicks_still_reports(tmp_path: Path) -> None:
    from engine.abtest.demo import write_demo

    parquet = write_demo(tmp_path / "d.parquet", recipients=3000, seed=2) and tmp_path / "d.parquet"
    con = store.connect(tmp_path / "data")
    try:
        rep = report.report(con, "demo_promo", source=f"read_parquet('{parquet}')")
    finally:
        con.close()
    assert [c.cuped for c in rep.comparisons] == [None, None]
