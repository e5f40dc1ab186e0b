"""The outbox in PostgreSQL as production runs it: several workers on one database, workers
killed with kill -9, the database going away mid-send, start-up errors, migrations, retention
by day partitions, and the copy from an SQLite outbox. (The outbox-level tests of this
directory run on both backends through the ``store_at`` fixture.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from engine.dispatch import Intake, Outbox, SendRequest, load_templates
from engine.dispatch.callback_signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    CallbackAuthError,
    SeenSignatures,
    sign,
    verify,
)
from engine.dispatch.copy import TABLES
from engine.dispatch.message import Lane
from engine.dispatch.outbox import DAY, NewMessage, OutboxError
from engine.dispatch.schema import POSTGRES_MIGRATIONS
from engine.ruleset import RuleSet
from tests.dispatch.conftest import KEY, running_stack, stop
from tests.dispatch.test_end_to_end import _wait
from tests.pg import Cluster, fresh_url
from tests.processes import HTTP

SECRET = b"dispatch-test-secret-0123"


def _intake(outbox: Outbox, ruleset: RuleSet) -> Intake:
    return Intake(outbox, load_templates(), lambda: ruleset, SECRET, "https://xinshi.cn")


def _notices(intake: Intake, n: int, first: int = 1000) -> list[NewMessage]:
    # 1000..9999 as the last four digits: none of the fake provider's magic endings (0001-0099)
    return [
        intake.prepare(
            SendRequest(f"n-{i}", f"137{i:08d}", "order_confirmed", {"order": f"1111{i:06d}"})
        )
        for i in range(first, first + n)
    ]


def _sent_once(outbox: Outbox) -> int:
    return int(outbox.query("SELECT COUNT(*) FROM message WHERE accepted_at IS NOT NULL")[0][0])


def test_three_workers_two_killed_send_everything_once_and_caps_hold(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    url = fresh_url("e2e")
    with running_stack(tmp_path, url) as stack:
        outbox = Outbox(url)
        intake = _intake(outbox, ruleset)
        # 40 double-tapped login codes (cap: 1 a minute per number) and 1,500 notices
        otp = [
            intake.prepare(
                SendRequest(
                    f"otp-{i}-{tap}", f"136{i:08d}", "login_code", {"code": f"{i % 9000 + 1000}"}
                )
            )
            for i in range(2000, 2040)
            for tap in (1, 2)
        ]
        outbox.enqueue_many(otp)
        notices = _notices(intake, 1500)
        outbox.enqueue_many(notices)
        workers = [stack.worker("--lease", "2", "--reconcile-after", "0.5") for _ in range(3)]

        def otp_settled() -> bool:
            (n,) = outbox.query(
                "SELECT COUNT(*) FROM message WHERE lane='otp' AND status IN "
                "('queued','sending','unknown')"
            )[0]
            return int(n) == 0

        _wait(otp_settled, 180)  # before the kills: a killed OTP may be re-sent blindly (by design)
        _wait(lambda: int(stack.stats()["accepted"]) >= 400 and
              outbox.counts().get("sending", 0) > 0, 180)  # fmt: skip
        mid_send = outbox.counts().get("sending", 0)
        for w in workers[:2]:
            os.kill(w.pid, signal.SIGKILL)
            w.wait()
        try:
            _wait(lambda: _sent_once(outbox) == len(notices) + 40, 300)
        finally:
            stop(workers[2])
        stats = stack.stats()
        assert stats["duplicates"] == [], "a message the provider accepted was sent again"
        assert stats["unique"] == stats["accepted"] == len(notices) + 40
        per_phone = outbox.query(
            "SELECT phone, COUNT(*) FROM message WHERE lane='otp' AND accepted_at IS NOT NULL "
            "GROUP BY phone"
        )
        assert len(per_phone) == 40 and {n for _, n in per_phone} == {1}, "OTP cap broken"
        assert outbox.counts().get("failed", 0) == 40  # each second tap refused, not queued
        assert mid_send > 0
        outbox.close()


def test_the_database_going_away_mid_send_loses_and_doubles_nothing(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    cluster = Cluster(durable=True)  # its own server: this test stops it like a crash
    try:
        url = cluster.admin_url()
        with running_stack(tmp_path, url) as stack:
            auth = {"Authorization": f"Bearer {KEY}"}
            body = {"idempotency_key": "during-outage", "phone": "13712349999",
                    "template": "order_confirmed", "params": {"order": "1111999999"}}  # fmt: skip
            # down before the API's first use of the outbox (it connects when first needed)
            cluster.stop("immediate")
            r = HTTP.post(f"{stack.api}/v1/messages", json=body, headers=auth, timeout=10)
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "storage_unavailable"
            assert "XINSHI_DATABASE_URL" in r.json()["error"]["message"]
            cluster.start()
            outbox = Outbox(url)
            notices = _notices(_intake(outbox, ruleset), 600)
            outbox.enqueue_many(notices)
            worker = stack.worker("--lease", "3", "--reconcile-after", "0.5")
            try:
                _wait(lambda: int(stack.stats()["accepted"]) >= 100, 180)
                cluster.stop("immediate")  # mid-send, as a crashed server

                def not_ready() -> bool:
                    r = HTTP.get(f"{stack.api}/readyz", timeout=10)
                    return r.status_code == 503

                r = HTTP.post(f"{stack.api}/v1/messages", json=body, headers=auth, timeout=10)
                assert r.status_code == 503, r.text
                assert r.json()["error"]["code"] == "storage_unavailable"
                assert "XINSHI_DATABASE_URL" in r.json()["error"]["message"]
                _wait(not_ready, 30)
                time.sleep(2)  # the worker keeps retrying against a dead server
                assert worker.poll() is None, "the worker must survive the outage"
                cluster.start()
                _wait(lambda: HTTP.get(f"{stack.api}/readyz", timeout=10).status_code == 200)
                outbox = Outbox(url)
                _wait(lambda: _sent_once(outbox) == len(notices), 300)
            finally:
                stop(worker)
            stats = stack.stats()
            assert stats["duplicates"] == [], "a message was sent twice across the outage"
            assert stats["unique"] == len(notices)
            assert "database unavailable" in (tmp_path / "worker.log").read_text()
            outbox.close()
    finally:
        cluster.remove()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_wrong_url_or_user_is_a_clear_error_at_start_up(tmp_path: Path) -> None:
    base = fresh_url()
    host = base.split("@", 1)[1].split("/", 1)[0]
    cases = {
        f"postgresql://xinshi:pw@{host}/no_such_db": 'database "no_such_db" does not exist',
        f"postgresql://nobody:s3cret@{host}/xinshi": 'role "nobody" does not exist',
        "postgresql://xinshi:s3cret@127.0.0.1:1/xinshi": "Connection refused",
    }
    for url, says in cases.items():
        env = {"XINSHI_DATA_DIR": str(tmp_path), "XINSHI_DATABASE_URL": url}
        for args in (("dispatch", "status"), ("dispatch", "worker", "--provider", "aliyun=http://127.0.0.1:9"),
                     ("serve", "--port", "1")):  # fmt: skip
            r = _cli(*args, env=env)
            assert r.returncode == 2, (args, r.stderr)
            assert says in r.stderr and "XINSHI_DATABASE_URL" in r.stderr, r.stderr
            assert "s3cret" not in r.stderr + r.stdout  # the password is never printed
    r = _cli("dispatch", "status", env={"XINSHI_DATABASE_URL": "mysql://a:s3cret@h/d"})
    assert r.returncode == 2 and "is not a PostgreSQL URL" in r.stderr
    assert "s3cret" not in r.stderr


def test_migrations_are_recorded_once_and_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = fresh_url()
    Outbox(url).close()
    Outbox(url).close()  # opening again applies nothing
    env = {"XINSHI_DATA_DIR": str(tmp_path), "XINSHI_DATABASE_URL": url}
    r = _cli("dispatch", "migrate", env=env)
    assert r.returncode == 0, r.stderr
    newest = POSTGRES_MIGRATIONS[-1][0]
    assert f'"schema_version": {newest}' in r.stdout
    with psycopg.connect(url, autocommit=True) as db:
        versions = db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert versions == [(v,) for v, _, _ in POSTGRES_MIGRATIONS]  # each applied once
        db.execute("INSERT INTO schema_version (version) VALUES (99)")
    with pytest.raises(RuntimeError, match="schema version 99, newer than this xinshi"):
        Outbox(url)
    r = _cli("dispatch", "migrate", env={"XINSHI_DATA_DIR": str(tmp_path)})
    assert r.returncode == 2 and "XINSHI_DATABASE_URL is not set" in r.stderr


def _msg(key: str, phone: str = "+8613812345678") -> NewMessage:
    return NewMessage(key, "h", Lane.NOTICE, phone, "信使商城", "order_confirmed",
                      {"order": "1"}, "【信使商城】订单1已发货", "v", 0.0, None)  # fmt: skip


def test_retention_drops_whole_days_and_never_less_than_the_period() -> None:
    outbox = Outbox(fresh_url())
    now = 1_800_000_000.0 - 1_800_000_000.0 % DAY + DAY / 2  # noon UTC
    cutoff = now - 186 * DAY
    at = {"two_days_before": cutoff - 1.5 * DAY, "same_day_before": cutoff - 3600,
          "after": cutoff + 60}  # fmt: skip
    ids = {k: outbox.enqueue(_msg(k), now=t)[0].id for k, t in at.items()}
    outbox.record_attempt(ids["two_days_before"], "aliyun", cutoff, cutoff, "accepted", "OK", None)
    with pytest.raises(OutboxError, match="below the legal floor of 153 days"):
        outbox.purge(now, 152)
    assert outbox.purge(now, 186) == 1
    kept = {r[0] for r in outbox.query("SELECT idem_key FROM message")}
    # the cutoff's own day is kept whole: a record may outlive the period, never fall short
    assert kept == {"same_day_before", "after"}
    assert outbox.query("SELECT COUNT(*) FROM attempt")[0][0] == 0
    assert outbox.query("SELECT COUNT(*) FROM idem WHERE idem_key='two_days_before'")[0][0] == 0
    tables = {r[0] for r in outbox.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}  # fmt: skip
    day = time.strftime("%Y%m%d", time.gmtime(at["two_days_before"]))
    assert f"message_d{day}" not in tables and f"history_d{day}" not in tables
    outbox.close()


def test_copy_moves_an_sqlite_outbox_into_postgres_once(tmp_path: Path) -> None:
    lite = Outbox(tmp_path / "dispatch.sqlite")
    rows = [lite.enqueue(_msg(f"k{i}", f"+86138000{i:05d}"), now=1_800_000_000.0 + i * DAY)[0]
            for i in range(3)]  # fmt: skip
    lite.accept(rows[0].id, "aliyun", "REF-0", "OK", now=1_800_000_001.0)
    lite.record_attempt(rows[0].id, "aliyun", 1.0, 2.0, "accepted", "OK", "req")
    lite.suppress("+8613800000001", "信使商城", "reply", "api", 1_800_000_000.0)
    lite.close()
    url = fresh_url()
    env = {"XINSHI_DATA_DIR": str(tmp_path), "XINSHI_DATABASE_URL": url}
    r = _cli("dispatch", "copy", env=env)
    assert r.returncode == 0, r.stderr
    assert '"message": 3' in r.stdout and '"attempt": 1' in r.stdout
    pg = Outbox(url)
    assert [h["status"] for h in pg.history(rows[0].id)] == ["queued", "accepted"]
    got = pg.get(rows[0].id)
    assert got is not None and got.provider_ref == "REF-0" and got.created_at == rows[0].created_at
    assert pg.is_suppressed("+8613800000001", "信使商城")
    assert pg.enqueue(_msg("k1", "+8613800000001"))[1] is False  # keys copied: no second send
    pg.close()
    r = _cli("dispatch", "copy", env=env)  # never twice
    assert r.returncode == 2 and "already holds 3 messages" in r.stderr
    r = _cli("dispatch", "copy", "--from", str(tmp_path / "none.sqlite"), env=env)
    assert r.returncode == 2 and "is not an SQLite outbox file" in r.stderr
    r = _cli("dispatch", "copy", "--to", str(tmp_path), env={"XINSHI_DATA_DIR": str(tmp_path)})
    assert r.returncode == 2 and "--to: give the PostgreSQL URL to copy into" in r.stderr


def test_a_callback_replayed_to_another_api_host_is_refused(tmp_path: Path) -> None:
    url = fresh_url()
    secret, body, now = b"callback-secret-0123456789", b'{"r":1}', 1_800_000_000
    headers = sign(secret, now, body)
    hosts = [  # two API hosts: their own data directories, one database
        SeenSignatures(tmp_path / f"host{i}" / "callbacks.sqlite", Outbox(url)) for i in (1, 2)
    ]
    args = (headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body)
    verify(secret, *args, hosts[0], now=now)
    with pytest.raises(CallbackAuthError) as err:
        verify(secret, *args, hosts[1], now=now + 1)
    assert err.value.code == "replayed"
    assert not (tmp_path / "host2" / "callbacks.sqlite").exists()  # nothing kept per host
    # after the window the signature is forgotten (and a stale timestamp is refused anyway)
    assert hosts[1].claim(b"other", now + 300, now) and not hosts[0].claim(b"other", 1, now)


def test_copy_keeps_the_kill_switch_state(tmp_path: Path) -> None:
    """A paused campaign, its held message, what holds it, its signals, log and the send
    counts survive the move: nothing held is orphaned, no rate starts from zero."""
    lite = Outbox(tmp_path / "dispatch.sqlite")
    (row, _) = lite.enqueue(_msg("held-1", "+8613800000009"), now=1_800_000_000.0)
    with lite.transaction() as db:
        db.execute("UPDATE message SET campaign='spring', status='held' WHERE id=?", (row.id,))
        db.execute(
            "INSERT INTO campaign (name, state, sign_name, signal, figure, threshold, paused_at, "
            "held) VALUES ('spring', 'paused', '信使商城', 'complaint', '3 of 100', '2%', ?, 1)",
            (1_800_000_100.0,),
        )
        db.execute(
            "INSERT INTO campaign_hold VALUES ('spring', 'complaint', 'complaint', '3 of 100', '2%', ?)",
            (1_800_000_100.0,),
        )
        db.execute(
            "INSERT INTO campaign_signal VALUES ('spring', 'complaint', ?, '投诉', ?)",
            (row.id, 1_800_000_050.0),
        )
        db.execute(
            "INSERT INTO campaign_log VALUES ('spring', ?, 'paused', 'kill switch', 'x', 1)",
            (1_800_000_100.0,),
        )
        db.execute("INSERT INTO send_count VALUES ('signature 信使商城', 30000000, 100)")
    kill_switch = ("campaign", "campaign_hold", "campaign_signal", "campaign_log", "send_count")
    cols = dict(TABLES)
    assert set(kill_switch) <= set(cols), "dispatch copy leaves kill-switch tables behind"
    before = {t: sorted(map(tuple, lite.query(f"SELECT {cols[t]} FROM {t}"))) for t in kill_switch}
    assert all(before.values())
    lite.close()
    url = fresh_url()
    r = _cli("dispatch", "copy", env={"XINSHI_DATA_DIR": str(tmp_path), "XINSHI_DATABASE_URL": url})
    assert r.returncode == 0, r.stderr
    pg = Outbox(url)
    after = {t: sorted(map(tuple, pg.query(f"SELECT {cols[t]} FROM {t}"))) for t in kill_switch}
    assert after == before
    assert pg.query(f"SELECT campaign, status FROM message WHERE id='{row.id}'") == [
        ("spring", "held")
    ]
    pg.close()
