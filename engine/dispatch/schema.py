"""The outbox's tables on both engines, and the migrations that bring a database up to date.

SQLite: one file, created or extended in place when opened (columns added since the first
release are added to older files). PostgreSQL: numbered migrations, applied in order under an
advisory lock by whoever opens the database first (``xinshi dispatch migrate`` does it on its
own); the record tables are partitioned by day (engine.dispatch.partitions).
"""

from __future__ import annotations

import time

from engine.dispatch.backend import Connection, transaction

SQLITE = """
CREATE TABLE IF NOT EXISTS message (
  id TEXT PRIMARY KEY, idem_key TEXT NOT NULL UNIQUE, body_hash TEXT NOT NULL,
  lane TEXT NOT NULL, priority INT NOT NULL, phone TEXT NOT NULL, carrier_hint TEXT,
  sign_name TEXT NOT NULL, template_id TEXT NOT NULL, params_json TEXT NOT NULL,
  rendered_text TEXT NOT NULL, ruleset_version TEXT NOT NULL,
  experiment TEXT, variant TEXT,
  status TEXT NOT NULL, not_before REAL NOT NULL, expires_at REAL, lease_until REAL,
  attempts INT NOT NULL DEFAULT 0, provider TEXT, provider_ref TEXT, billed_parts INT,
  last_code TEXT, last_error TEXT,
  created_at REAL NOT NULL, accepted_at REAL, final_at REAL, claimed_at REAL,
  scene TEXT, send_window TEXT);
CREATE INDEX IF NOT EXISTS message_claim ON message(status, lane, not_before);
CREATE INDEX IF NOT EXISTS message_phone ON message(phone, accepted_at);
CREATE INDEX IF NOT EXISTS message_ref ON message(provider, provider_ref);
CREATE INDEX IF NOT EXISTS message_created ON message(created_at);
CREATE TABLE IF NOT EXISTS history (
  message_id TEXT NOT NULL, at REAL NOT NULL, status TEXT NOT NULL, code TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS history_message ON history(message_id);
CREATE TABLE IF NOT EXISTS attempt (
  message_id TEXT NOT NULL, provider TEXT NOT NULL, started_at REAL NOT NULL,
  ended_at REAL NOT NULL, outcome TEXT NOT NULL, code TEXT, request_id TEXT);
CREATE INDEX IF NOT EXISTS attempt_message ON attempt(message_id);
CREATE TABLE IF NOT EXISTS receipt (
  provider TEXT NOT NULL, provider_ref TEXT, out_id TEXT, phone TEXT, delivered INT NOT NULL,
  code TEXT, reported_at TEXT, received_at REAL NOT NULL, message_id TEXT, raw TEXT);
CREATE INDEX IF NOT EXISTS receipt_orphan ON receipt(message_id) WHERE message_id IS NULL;
CREATE TABLE IF NOT EXISTS inbound (
  provider TEXT NOT NULL, phone TEXT NOT NULL, sign_name TEXT, text TEXT NOT NULL,
  optout INT NOT NULL, received_at REAL NOT NULL, raw TEXT);
CREATE TABLE IF NOT EXISTS suppression (
  phone TEXT NOT NULL, scope TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,
  created_at REAL NOT NULL, removed_at REAL, PRIMARY KEY (phone, scope));
CREATE TABLE IF NOT EXISTS worker (id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS link (
  code TEXT PRIMARY KEY, message_id TEXT NOT NULL, url TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS schedule (
  id TEXT PRIMARY KEY, cron TEXT NOT NULL, tz TEXT NOT NULL, template_id TEXT NOT NULL,
  messages_json TEXT NOT NULL, next_fire_at REAL NOT NULL, enabled INT NOT NULL DEFAULT 1,
  created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fire (
  schedule_id TEXT NOT NULL, fire_at REAL NOT NULL, queued INT NOT NULL,
  PRIMARY KEY (schedule_id, fire_at));
CREATE TABLE IF NOT EXISTS conversion (
  message_id TEXT NOT NULL, key TEXT NOT NULL, value_fen INTEGER NOT NULL, at REAL NOT NULL,
  PRIMARY KEY (message_id, key));
CREATE TABLE IF NOT EXISTS scene_event (
  idem_key TEXT PRIMARY KEY, scene TEXT NOT NULL, phone TEXT NOT NULL, body_hash TEXT NOT NULL,
  outcome TEXT NOT NULL, message_id TEXT, code TEXT, not_before REAL,
  created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS scene_event_created ON scene_event(created_at);
"""
# columns added after the first release: (name, type), added to an older file on open
SQLITE_ADDED_COLUMNS = (("claimed_at", "REAL"), ("scene", "TEXT"), ("send_window", "TEXT"))
# indexes on added columns: created after the columns exist
SQLITE_ADDED_INDEXES = (
    "CREATE INDEX IF NOT EXISTS message_scene ON message(phone, scene, not_before)",
)

# The complaint kill switch (engine.dispatch.campaigns): each message's campaign, each
# campaign's state, the signals counted against it and who paused or resumed it when.
_CAMPAIGN_TABLES = """
CREATE TABLE IF NOT EXISTS campaign (
  name TEXT PRIMARY KEY, state TEXT NOT NULL, sign_name TEXT, signal TEXT, figure TEXT,
  threshold TEXT, paused_at {t}, held INT, resumed_at {t}, resumed_by TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS campaign_signal (
  campaign TEXT NOT NULL, kind TEXT NOT NULL, message_id TEXT NOT NULL, detail TEXT,
  at {t} NOT NULL);
CREATE INDEX IF NOT EXISTS campaign_signal_at ON campaign_signal(campaign, at);
CREATE TABLE IF NOT EXISTS campaign_log (
  campaign TEXT NOT NULL, at {t} NOT NULL, action TEXT NOT NULL, who TEXT, detail TEXT,
  messages INT NOT NULL)"""
# Accepted marketing sends per signature and per template, counted per minute as each is
# accepted (one upsert), so the kill switch rates a signature or template across its campaigns
# without an index on the message table by signature and send time.
_SEND_COUNT = """
CREATE TABLE IF NOT EXISTS send_count (
  scope TEXT NOT NULL, minute BIGINT NOT NULL, n INT NOT NULL, PRIMARY KEY (scope, minute))"""
SQLITE_CAMPAIGNS = _CAMPAIGN_TABLES.format(t="REAL") + ";" + _SEND_COUNT
# An outbox from before the counters has sends no counter saw: without them, the first window
# after the upgrade rates the signals against every send in it (an opt-out reply to a message
# accepted an hour before the upgrade) over only the sends since, and overstates the rate (a
# signature could pause on 3 opt-outs of 50 sends read as 3 of 10). So the counters are filled
# once from the message table for the sends accepted before they existed ({cutoff}), as far
# back as the longest window (7 days, engine.dispatch.complaints.MAX_WINDOW_S), adding to what a
# process already counted in the same minute. {trim} strips the signature's 【】 as
# engine.dispatch.send_record.send_scopes does.
_BACKFILL = """
INSERT INTO send_count (scope, minute, n)
SELECT scope, minute, COUNT(*) FROM (
  SELECT 'signature ' || {trim}(sign_name, '【】 ') AS scope, {minute} AS minute
    FROM message WHERE lane='marketing' AND accepted_at < {cutoff}
    AND accepted_at >= {cutoff} - 604860
  UNION ALL
  SELECT 'template ' || template_id AS scope, {minute} AS minute
    FROM message WHERE lane='marketing' AND accepted_at < {cutoff}
    AND accepted_at >= {cutoff} - 604860) sends
GROUP BY scope, minute
ON CONFLICT (scope, minute) DO UPDATE SET n = send_count.n + excluded.n"""
SQLITE_BACKFILL = _BACKFILL.format(trim="trim", minute="CAST(accepted_at / 60 AS INTEGER)",
                                   cutoff="?")  # fmt: skip
# Why each paused campaign is held (engine.dispatch.hold_sources): one row per source (its own
# signals, or a signature or template whose rate tripped). An outbox from before the table gets
# a row for each campaign paused then, its source read from the reason (a scope's figure starts
# with its name: "signature 信使商城: opt-out rate ...").
_CAMPAIGN_HOLD = """
CREATE TABLE IF NOT EXISTS campaign_hold (
  campaign TEXT NOT NULL, source TEXT NOT NULL, signal TEXT, figure TEXT, threshold TEXT,
  at {t} NOT NULL, PRIMARY KEY (campaign, source));
CREATE INDEX IF NOT EXISTS campaign_hold_source ON campaign_hold(source)"""
_HOLD_BACKFILL = """
INSERT INTO campaign_hold (campaign, source, signal, figure, threshold, at)
SELECT name, CASE WHEN figure LIKE 'signature %: %' OR figure LIKE 'template %: %'
  THEN substr(figure, 1, {pos}(figure, ': ') - 1) ELSE COALESCE(signal, 'unknown') END,
  signal, figure, threshold, COALESCE(paused_at, 0) FROM campaign
WHERE state='paused' AND name NOT LIKE '% %'
ON CONFLICT (campaign, source) DO NOTHING"""
SQLITE_HOLDS = _CAMPAIGN_HOLD.format(t="REAL")
SQLITE_HOLD_BACKFILL = _HOLD_BACKFILL.format(pos="instr")
SQLITE_CAMPAIGN_INDEX = (
    "CREATE INDEX IF NOT EXISTS message_campaign ON message(campaign, accepted_at)"
)

# Times are seconds since the epoch in DOUBLE PRECISION (PostgreSQL's REAL is 4 bytes: it
# would round a timestamp to minutes). Message ids sort by creation time (engine.dispatch.
# storage.new_id) and compare byte-wise (COLLATE "C"), so each day is one id range: the record
# tables are partitioned by that range, and a day's partitions are dropped together. Rows whose
# message id is in no day (an operator's note on an unknown id) wait in the DEFAULT partitions.
# ``rowid`` keeps SQLite's insertion order where the store sorts by it.
_PG_V1 = """
CREATE TABLE message (
  id TEXT COLLATE "C" NOT NULL, idem_key TEXT NOT NULL, body_hash TEXT NOT NULL,
  lane TEXT NOT NULL, priority INT NOT NULL, phone TEXT NOT NULL, carrier_hint TEXT,
  sign_name TEXT NOT NULL, template_id TEXT NOT NULL, params_json TEXT NOT NULL,
  rendered_text TEXT NOT NULL, ruleset_version TEXT NOT NULL,
  experiment TEXT, variant TEXT,
  status TEXT NOT NULL, not_before DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION,
  lease_until DOUBLE PRECISION, attempts INT NOT NULL DEFAULT 0, provider TEXT,
  provider_ref TEXT, billed_parts INT, last_code TEXT, last_error TEXT,
  created_at DOUBLE PRECISION NOT NULL, accepted_at DOUBLE PRECISION,
  final_at DOUBLE PRECISION, claimed_at DOUBLE PRECISION,
  PRIMARY KEY (id)) PARTITION BY RANGE (id);
CREATE INDEX message_claim ON message(status, lane, not_before);
CREATE INDEX message_phone ON message(phone, accepted_at);
CREATE INDEX message_ref ON message(provider, provider_ref);
CREATE INDEX message_created ON message(created_at);
CREATE INDEX message_idem ON message(idem_key);
CREATE TABLE idem (
  idem_key TEXT PRIMARY KEY, message_id TEXT COLLATE "C" NOT NULL,
  created_at DOUBLE PRECISION NOT NULL);
CREATE INDEX idem_created ON idem(created_at);
CREATE TABLE history (
  message_id TEXT COLLATE "C" NOT NULL, at DOUBLE PRECISION NOT NULL, status TEXT NOT NULL,
  code TEXT, detail TEXT, rowid BIGSERIAL) PARTITION BY RANGE (message_id);
CREATE TABLE history_other PARTITION OF history DEFAULT;
CREATE INDEX history_message ON history(message_id);
CREATE TABLE attempt (
  message_id TEXT COLLATE "C" NOT NULL, provider TEXT NOT NULL,
  started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION NOT NULL,
  outcome TEXT NOT NULL, code TEXT, request_id TEXT, rowid BIGSERIAL)
  PARTITION BY RANGE (message_id);
CREATE TABLE attempt_other PARTITION OF attempt DEFAULT;
CREATE INDEX attempt_message ON attempt(message_id);
CREATE TABLE receipt (
  provider TEXT NOT NULL, provider_ref TEXT, out_id TEXT, phone TEXT, delivered INT NOT NULL,
  code TEXT, reported_at TEXT, received_at DOUBLE PRECISION NOT NULL,
  message_id TEXT COLLATE "C", raw TEXT, rowid BIGSERIAL) PARTITION BY RANGE (message_id);
CREATE TABLE receipt_unmatched PARTITION OF receipt DEFAULT;
CREATE INDEX receipt_message ON receipt(message_id);
CREATE INDEX receipt_ref ON receipt(provider, provider_ref) WHERE message_id IS NULL;
CREATE TABLE inbound (
  provider TEXT NOT NULL, phone TEXT NOT NULL, sign_name TEXT, text TEXT NOT NULL,
  optout INT NOT NULL, received_at DOUBLE PRECISION NOT NULL, raw TEXT);
CREATE INDEX inbound_received ON inbound(received_at);
CREATE TABLE suppression (
  phone TEXT NOT NULL, scope TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,
  created_at DOUBLE PRECISION NOT NULL, removed_at DOUBLE PRECISION,
  PRIMARY KEY (phone, scope));
CREATE TABLE worker (id TEXT PRIMARY KEY, seen_at DOUBLE PRECISION NOT NULL);
CREATE TABLE link (
  code TEXT PRIMARY KEY, message_id TEXT COLLATE "C" NOT NULL, url TEXT NOT NULL,
  created_at DOUBLE PRECISION NOT NULL);
CREATE INDEX link_created ON link(created_at);
CREATE TABLE schedule (
  id TEXT PRIMARY KEY, cron TEXT NOT NULL, tz TEXT NOT NULL, template_id TEXT NOT NULL,
  messages_json TEXT NOT NULL, next_fire_at DOUBLE PRECISION NOT NULL,
  enabled INT NOT NULL DEFAULT 1, created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE fire (
  schedule_id TEXT NOT NULL, fire_at DOUBLE PRECISION NOT NULL, queued INT NOT NULL,
  PRIMARY KEY (schedule_id, fire_at));
CREATE TABLE conversion (
  message_id TEXT NOT NULL, key TEXT NOT NULL, value_fen INTEGER NOT NULL,
  at DOUBLE PRECISION NOT NULL, PRIMARY KEY (message_id, key));
"""

# Scenes (rules/dispatch/scenes.yaml): each message's scene and the send window it was queued
# under; every accepted event, by its idempotency key (a retry answers what the first got).
_PG_V3 = """
ALTER TABLE message ADD COLUMN scene TEXT;
ALTER TABLE message ADD COLUMN send_window TEXT;
CREATE INDEX message_scene ON message(phone, scene, not_before);
CREATE TABLE scene_event (
  idem_key TEXT PRIMARY KEY, scene TEXT NOT NULL, phone TEXT NOT NULL, body_hash TEXT NOT NULL,
  outcome TEXT NOT NULL, message_id TEXT COLLATE "C", code TEXT,
  not_before DOUBLE PRECISION, created_at DOUBLE PRECISION NOT NULL);
CREATE INDEX scene_event_created ON scene_event(created_at);
"""

# (version, what it does, SQL): append only; a released migration never changes
POSTGRES_MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "outbox tables; record tables partitioned by day", _PG_V1),
    (
        2,
        "callback replay cache shared by every API host",
        "CREATE TABLE seen_signature (sig BYTEA PRIMARY KEY, until DOUBLE PRECISION NOT NULL)",
    ),
    (3, "scenes: scene and send window of each message; triggering events", _PG_V3),
)
# appended after scenes' migration 3 (a parallel branch): the complaint kill switch
POSTGRES_MIGRATIONS += (
    (
        4,
        "campaigns: each message's campaign; paused campaigns, their signals and log",
        "ALTER TABLE message ADD COLUMN campaign TEXT;"
        "CREATE INDEX message_campaign ON message(campaign, accepted_at);"
        + _CAMPAIGN_TABLES.format(t="DOUBLE PRECISION").replace("IF NOT EXISTS ", ""),
    ),
)
POSTGRES_MIGRATIONS += (
    (
        5,
        "send counts per signature and template a minute (kill switch rates across campaigns)",
        _SEND_COUNT.replace("IF NOT EXISTS ", ""),
    ),
)
POSTGRES_MIGRATIONS += (
    (
        6,
        "send counts filled from the sends accepted before migration 5 (last 7 days)",
        _BACKFILL.format(
            trim="btrim",
            minute="FLOOR(accepted_at / 60)::BIGINT",
            cutoff="(SELECT EXTRACT(EPOCH FROM applied_at)::DOUBLE PRECISION FROM schema_version "
            "WHERE version=5)",
        ),
    ),
)
POSTGRES_MIGRATIONS += (
    (
        7,
        "campaign holds: every source that holds a campaign (its signals, signatures, templates)",
        _CAMPAIGN_HOLD.format(t="DOUBLE PRECISION").replace("IF NOT EXISTS ", "")
        + ";"
        + _HOLD_BACKFILL.format(pos="strpos"),
    ),
)
MIGRATION_LOCK = 0x78696E7368690001  # pg_advisory_xact_lock key: one migrator at a time


def statements(script: str) -> list[str]:
    """The statements of a script (none of ours has a ``;`` inside a literal)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def create_sqlite(db: Connection) -> None:
    """Create the tables of an SQLite outbox, or add what an older file lacks."""
    for stmt in statements(SQLITE):
        db.execute(stmt)
    have = {r[1] for r in db.execute("PRAGMA table_info(message)").fetchall()}
    for name, kind in SQLITE_ADDED_COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE message ADD COLUMN {name} {kind}")
    for stmt in SQLITE_ADDED_INDEXES:
        db.execute(stmt)


def postgres_version(db: Connection) -> int:
    """The migration a PostgreSQL outbox is at (0: none applied)."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL, "
               "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), note TEXT)")  # fmt: skip
    (v,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(v)


def migrate_postgres(db: Connection) -> list[int]:
    """Apply the migrations a PostgreSQL outbox lacks, in one transaction (all or none), under
    an advisory lock (workers starting together wait for the first); return those applied."""
    applied: list[int] = []
    with transaction(db):
        db.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        current = postgres_version(db)
        newest = max(v for v, _, _ in POSTGRES_MIGRATIONS)
        if current > newest:
            raise RuntimeError(
                f"the outbox database is at schema version {current}, newer than this xinshi "
                f"knows ({newest}). Upgrade xinshi before starting it on this database"
            )
        for version, note, script in POSTGRES_MIGRATIONS:
            if version <= current:
                continue
            for stmt in statements(script):
                db.execute(stmt)
            db.execute("INSERT INTO schema_version (version, note) VALUES (?, ?)", (version, note))
            applied.append(version)
    return applied


def create_campaigns(db: Connection) -> None:
    """SQLite: the kill switch's column and tables, added to a file that lacks them."""
    have = {r[1] for r in db.execute("PRAGMA table_info(message)").fetchall()}
    if "campaign" not in have:
        db.execute("ALTER TABLE message ADD COLUMN campaign TEXT")
    db.execute("BEGIN IMMEDIATE")  # two processes opening an old file: one fills the counters
    try:
        counted = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='send_count'"
        ).fetchone()
        for stmt in statements(SQLITE_CAMPAIGNS):
            db.execute(stmt)
        db.execute(SQLITE_CAMPAIGN_INDEX)
        if counted is None:  # the counters start now: count what was accepted before
            db.execute(SQLITE_BACKFILL, (time.time(),) * 4)
        holds = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='campaign_hold'"
        ).fetchone()
        for stmt in statements(SQLITE_HOLDS):
            db.execute(stmt)
        if holds is None:  # campaigns paused before holds were recorded: one hold each
            db.execute(SQLITE_HOLD_BACKFILL)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
