"""The one scan: events -> per-message flags -> additive sufficient statistics per group.

DuckDB does the heavy lifting: ingest folds events into one row per message (only for the
messages a file touched); a report is one GROUPING SETS scan over that table, and Python gets
back a few hundred rows. The SQL keeps to a portable subset (explicit GROUP BY
columns, FILTER/CASE, no DuckDB-only table functions) so it runs on Parquet or another engine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb

from engine.abtest.store import SEGMENTS, missing_columns

DIMENSIONS = (*SEGMENTS, "send_time")

PER_MESSAGE = """
SELECT experiment, variant, message_id,
       bool_or(event = 'sent')      AS is_sent,
       bool_or(event = 'delivered') AS delivered,
       bool_or(event = 'failed')    AS failed,
       bool_or(event = 'clicked')   AS clicked,
       bool_or(event = 'converted') AS converted,
       sum(value_fen)               AS value_fen,
       min(CAST(ts AS TIMESTAMP)) FILTER (WHERE event = 'sent') AS sent_at,
       {segments},
       bool_or(event = 'opted_out')  AS opted_out,
       bool_or(event = 'complained') AS complained,
       {pre_clicks} AS pre_clicks
FROM {source}
WHERE {where}
GROUP BY experiment, variant, message_id
"""

SUFFICIENT = """
WITH msg AS ({per_message})
SELECT variant, {segment_cols}, dow, hour,
       GROUPING({segment_cols}, dow, hour) AS grp,
       count(*) FILTER (WHERE is_sent)                          AS sent,
       count(*) FILTER (WHERE is_sent AND delivered)            AS delivered,
       count(*) FILTER (WHERE is_sent AND failed)               AS failed,
       count(*) FILTER (WHERE is_sent AND clicked)              AS clicked,
       count(*) FILTER (WHERE is_sent AND converted)            AS converted,
       coalesce(sum(value_fen) FILTER (WHERE is_sent), 0)       AS revenue_fen,
       coalesce(sum(CAST(value_fen AS HUGEINT) * value_fen) FILTER (WHERE is_sent), 0)
                                                                AS revenue_sq_fen,
       count(*) FILTER (WHERE NOT is_sent)                      AS orphans{extras}
FROM (SELECT *, dayofweek(sent_at) AS dow, hour(sent_at) AS hour FROM msg) m
GROUP BY GROUPING SETS ((variant), {segment_sets}, (variant, dow, hour))
"""


# guardrail counts and CUPED's sums, per whole arm only (one cheap GROUP BY rather than
# every grouping set: segments and send hours do not need them)
EXTRA_COLUMNS = """
       count(*) FILTER (WHERE is_sent AND opted_out)                        AS opted_out,
       count(*) FILTER (WHERE is_sent AND complained)                       AS complained,
       count(pre_clicks) FILTER (WHERE is_sent)                             AS pre_n,
       coalesce(sum(pre_clicks) FILTER (WHERE is_sent), 0)                  AS pre_sum,
       coalesce(sum(CAST(pre_clicks AS HUGEINT) * pre_clicks) FILTER (WHERE is_sent), 0)
                                                                            AS pre_sq,
       coalesce(sum(pre_clicks) FILTER (WHERE is_sent AND clicked), 0)      AS pre_x_click,
       coalesce(sum(pre_clicks) FILTER (WHERE is_sent AND converted), 0)    AS pre_x_conversion"""
ARM_EXTRAS = f"""
WITH msg AS ({{per_message}})
SELECT variant, {EXTRA_COLUMNS}
FROM msg
GROUP BY variant
"""


@dataclass(frozen=True)
class Counts:
    """Additive sufficient statistics for one group of sent messages."""

    sent: int
    delivered: int
    failed: int
    clicked: int
    converted: int
    revenue_fen: int
    revenue_sq_fen: int
    orphans: int = 0
    opted_out: int = 0
    complained: int = 0
    pre_n: int = 0  # sent messages whose recipient's pre-period clicks are known
    pre_sum: int = 0
    pre_sq: int = 0
    pre_x_click: int = 0  # sum of pre-period clicks over messages clicked in the test
    pre_x_conversion: int = 0

    def events(self, metric: str) -> int:
        """Return the number of messages with the metric's event."""
        return {
            "click": self.clicked,
            "conversion": self.converted,
            "delivery": self.delivered,
            "opt_out": self.opted_out,
            "complaint": self.complained,
        }[metric]


@dataclass(frozen=True)
class GroupRow:
    """One output row: the variant, which dimension it slices by (None = whole arm), the key."""

    variant: str
    dimension: str | None
    key: str | tuple[int, int] | None
    counts: Counts


def per_message_sql(
    source: str = "events", where: str = "experiment = ?", pre_clicks: bool = True
) -> str:
    """Return SQL folding events into one row per message (flags, value, send time, segments).

    ``pre_clicks=False`` for a source without that column (it reads as unknown).
    """
    segments = ",\n       ".join(
        f"any_value({s}) FILTER (WHERE event = 'sent') AS {s}" for s in SEGMENTS
    )
    pre = "any_value(pre_clicks) FILTER (WHERE event = 'sent')" if pre_clicks else "NULL::BIGINT"
    return PER_MESSAGE.format(segments=segments, source=source, where=where, pre_clicks=pre)


def refresh_messages(con: duckdb.DuckDBPyConnection, file_id: str) -> None:
    """Recompute the store's per-message rows for every message the file touched."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE touched AS "
        "SELECT DISTINCT experiment, message_id FROM events WHERE file_id = ?",
        [file_id],
    )
    con.execute(
        "DELETE FROM messages USING touched t "
        "WHERE messages.experiment = t.experiment AND messages.message_id = t.message_id"
    )
    source = "(SELECT * FROM events SEMI JOIN touched USING (experiment, message_id))"
    con.execute(f"INSERT INTO messages BY NAME {per_message_sql(source, 'true')}")
    con.execute("DROP TABLE touched")


EXTRA_FIELDS = (
    "opted_out",
    "complained",
    "pre_n",
    "pre_sum",
    "pre_sq",
    "pre_x_click",
    "pre_x_conversion",
)
NULL_AS = {"opted_out": "false", "complained": "false", "pre_clicks": "NULL::BIGINT"}


def _per_message(source: str, missing: list[str] | None, pre_clicks: bool) -> str:
    if source == "events":
        fill = "".join(f", {NULL_AS[c]} AS {c}" for c in (missing or ()))
        return f"SELECT *{fill} FROM messages WHERE experiment = ?"
    return per_message_sql(source, pre_clicks=pre_clicks)


def sufficient_sql(
    source: str = "events", missing: list[str] | None = None, pre_clicks: bool = True
) -> str:
    """Return the sufficient-statistics SQL over the store ("events") or any event relation.

    Over the store it reads the per-message table that ingest maintains; over anything else
    (e.g. read_parquet(...)) it folds events into messages first.
    """
    return SUFFICIENT.format(
        per_message=_per_message(source, missing, pre_clicks),
        # over raw events the fold per message is the cost: add the extras to this one scan
        extras="" if source == "events" else "," + EXTRA_COLUMNS,
        segment_cols=", ".join(SEGMENTS),
        segment_sets=", ".join(f"(variant, {s})" for s in SEGMENTS),
    )


def sufficient_stats(
    con: duckdb.DuckDBPyConnection, experiment: str, source: str = "events"
) -> list[GroupRow]:
    """Run the one scan for an experiment and return its grouped rows.

    A second small scan (per arm only) adds the guardrail counts and, when the events carry
    pre-period clicks, CUPED's sums to the whole-arm rows.
    """
    if source == "events":  # a store not yet migrated reads its missing columns as empty
        missing = missing_columns(con)
        has_pre = "pre_clicks" not in missing
    else:
        missing = []
        columns = {str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        has_pre = "pre_clicks" in columns
    sql = sufficient_sql(source, missing, has_pre)
    extras: dict[str, tuple[int, ...]] = {}
    if source == "events":
        extras_sql = ARM_EXTRAS.format(per_message=_per_message(source, missing, has_pre))
        extras = {
            str(r[0]): tuple(int(v or 0) for v in r[1:])
            for r in con.execute(extras_sql, [experiment]).fetchall()
        }
    rows = con.execute(sql, [experiment]).fetchall()
    n_bits = len(SEGMENTS) + 2
    out: list[GroupRow] = []
    for row in rows:
        variant, *seg_values, dow, hour, grp = row[: n_bits + 2]
        counts = Counts(*(int(v or 0) for v in row[n_bits + 2 :]))
        # GROUPING() sets bit (n_bits-1-i) when column i is NOT grouped
        grouped = [not (int(grp) >> (n_bits - 1 - i)) & 1 for i in range(n_bits)]
        dimension: str | None = None
        key: str | tuple[int, int] | None = None
        if grouped[-1] and grouped[-2]:
            if dow is None:  # orphans (events but no 'sent'): no send time; the arm counts them
                continue
            dimension, key = "send_time", (int(dow), int(hour))
        else:
            for i, name in enumerate(SEGMENTS):
                if grouped[i]:
                    dimension, key = name, "(none)" if seg_values[i] is None else str(seg_values[i])
        if dimension is None and str(variant) in extras:
            counts = replace(counts, **dict(zip(EXTRA_FIELDS, extras[str(variant)], strict=True)))
        out.append(GroupRow(str(variant), dimension, key, counts))
    return out
