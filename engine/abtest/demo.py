"""A realistic generated experiment with known answers, written as Parquet and ingested.

Three copy variants over one week of sends, 09:00-20:59 Beijing time:
- ``short_link`` is the winner (click rate x1.3 over ``control``); ``emoji`` is a dud (x0.97);
- sends at 14:00-16:59 click 1.6x as often (the afternoon effect);
- women aged 35-44 convert (after a click) at twice the rate of everyone else.
Randomness comes from hashing (i, salt, seed), so the same seed gives the same file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DEMO_EXPERIMENT = "demo_promo"
VARIANTS = ("control", "short_link", "emoji")


def _u(tag: str) -> str:
    """A uniform(0, 1) draw for row i, independent per tag."""
    return f"((hash(i, '{tag}', seed) % 1000000007) / 1000000007.0)"


def demo_sql(experiment: str, recipients: int, seed: int) -> str:
    """Return SQL producing the demo's events (one row per event)."""
    return f"""
WITH base AS (
  SELECT i, {seed} AS seed FROM range({recipients}) t(i)
), r AS (
  SELECT i,
    ['control', 'short_link', 'emoji'][1 + i % 3] AS variant,
    'm' || i AS message_id,
    sha256('demo-recipient-' || i) AS recipient,
    TIMESTAMP '2026-11-02 09:00:00'
      + to_days(CAST(floor({_u("day")} * 7) AS INTEGER))
      + to_hours(CAST(floor({_u("hour")} * 12) AS INTEGER))
      + to_seconds(CAST(floor({_u("sec")} * 3600) AS INTEGER)) AS ts,
    CASE WHEN {_u("carrier")} < 0.55 THEN 'cmcc' WHEN {_u("carrier")} < 0.8 THEN 'cucc'
         ELSE 'ctcc' END AS carrier,
    ['华东', '华南', '华北', '西南', '西北'][1 + CAST(floor({_u("region")} * 5) AS INTEGER)]
      AS region,
    ['18-24', '25-34', '35-44', '45-54', '55+'][1 + CAST(floor({_u("age")} * 5) AS INTEGER)]
      AS age_band,
    CASE WHEN {_u("gender")} < 0.5 THEN 'F' ELSE 'M' END AS gender,
    CASE WHEN {_u("channel")} < 0.6 THEN 'member' ELSE 'app_user' END AS channel,
    {_u("deliver")} < 0.97 AS delivered,
    {_u("click")} AS u_click, {_u("convert")} AS u_convert, {_u("value")} AS u_value
  FROM base
), p AS (
  SELECT *,
    0.035 * CASE variant WHEN 'short_link' THEN 1.3 WHEN 'emoji' THEN 0.97 ELSE 1.0 END
          * CASE WHEN hour(ts) BETWEEN 14 AND 16 THEN 1.6 ELSE 1.0 END AS p_click,
    CASE WHEN gender = 'F' AND age_band = '35-44' THEN 0.36 ELSE 0.18 END AS p_convert
  FROM r
), m AS (
  SELECT *, delivered AND u_click < p_click AS clicked FROM p
), e AS (
  SELECT *, clicked AND u_convert < p_convert AS converted FROM m
)
SELECT '{experiment}' AS experiment, variant, message_id, recipient, event,
       CAST(ts + offset_s * INTERVAL 1 SECOND AS VARCHAR) AS ts, value_fen,
       carrier, region, age_band, gender, channel
FROM (
  SELECT *, 'sent' AS event, 0 AS offset_s, 0 AS value_fen FROM e
  UNION ALL SELECT *, 'delivered', 5, 0 FROM e WHERE delivered
  UNION ALL SELECT *, 'failed', 5, 0 FROM e WHERE NOT delivered
  UNION ALL SELECT *, 'clicked', 300, 0 FROM e WHERE clicked
  UNION ALL SELECT *, 'converted', 1800, CAST(3000 + floor(u_value * 27000) AS BIGINT)
    FROM e WHERE converted
)
"""


def write_demo(
    path: Path, experiment: str = DEMO_EXPERIMENT, recipients: int = 150_000, seed: int = 7
) -> int:
    """Write the demo events to a Parquet file; return the number of events."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        target = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"COPY ({demo_sql(experiment, recipients, seed)}) TO {target} (FORMAT parquet)")
        return int(con.execute(f"SELECT count(*) FROM read_parquet({target})").fetchall()[0][0])
    finally:
        con.close()
