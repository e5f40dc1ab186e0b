"""bench/mutation_sql.py drops only mutants that change the letter case of SQL text."""

from __future__ import annotations

import sqlite3
import textwrap

import pytest

from bench.mutation_sql import case_only_sql_change, case_only_sql_mutants, is_sql


@pytest.mark.parametrize(
    "text",
    [
        "SELECT id FROM message WHERE id=?",
        "  (SELECT * FROM events SEMI JOIN touched USING (experiment, message_id))",
        "WHERE messages.experiment = t.experiment",
        "AND not_before<=? ORDER BY not_before LIMIT ?",
        "ORDER BY at, rowid",
        "PRAGMA journal_mode=WAL",
        "ROLLBACK",
    ],
)
def test_sql_text_is_recognised(text: str) -> None:
    assert is_sql(text)


@pytest.mark.parametrize(
    "text",
    [
        "queued",  # a status value
        "history",  # a bare table name: not told apart from a value, so kept
        "experiment = ?",  # an expression without a keyword: kept
        "retention of 30 days is below the legal floor",  # a message
        "select id from message",  # lower-case SQL: the house style writes keywords upper case
        "Set the sender's signature",  # an English sentence starting with a keyword-like word
        "SELECTED",  # a word that only starts like a keyword
        "true",
    ],
)
def test_other_text_is_not_sql(text: str) -> None:
    assert not is_sql(text)


@pytest.mark.parametrize(
    ("original", "mutated"),
    [
        ("SELECT id FROM message WHERE id=?", "select id from message where id=?"),
        ("DROP TABLE touched", "drop table touched"),
        ("CREATE OR REPLACE TEMP TABLE touched AS ", "CREATE OR REPLACE TEMP TABLE TOUCHED AS "),
        # quoted values unchanged, the rest lower case
        (
            "SELECT 1 FROM message WHERE status='queued' AND lane=?",
            "select 1 from message where status='queued' and lane=?",
        ),
    ],
)
def test_case_only_changes_of_sql_are_dropped(original: str, mutated: str) -> None:
    assert case_only_sql_change(original, mutated)


@pytest.mark.parametrize(
    ("original", "mutated"),
    [
        # a quoted value's case is data: 'QUEUED' matches no row
        (
            "SELECT 1 FROM message WHERE status='queued' AND lane=?",
            "SELECT 1 FROM MESSAGE WHERE STATUS='QUEUED' AND LANE=?",
        ),
        (
            "INSERT INTO history VALUES (?,?,'accepted',?,?)",
            "INSERT INTO HISTORY VALUES (?,?,'ACCEPTED',?,?)",
        ),
        # a quoted identifier and a named parameter are kept as written
        ('SELECT "Col" FROM t', 'SELECT "col" FROM t'),
        ("SELECT id FROM t WHERE id=:MessageId", "SELECT id FROM t WHERE id=:messageid"),
        # not SQL: a status value, a table name, a message
        ("queued", "QUEUED"),
        ("history", "HISTORY"),
        (
            "retention of 30 days is below the legal floor",
            "RETENTION OF 30 DAYS IS BELOW THE LEGAL FLOOR",
        ),
        # not a case change
        ("SELECT id FROM message", "XXSELECT id FROM messageXX"),
        ("SELECT id FROM message", "SELECT id FROM messages"),
        ("SELECT id FROM message", "SELECT id FROM message"),
    ],
)
def test_other_string_mutants_are_kept(original: str, mutated: str) -> None:
    assert not case_only_sql_change(original, mutated)


def test_a_dropped_change_is_really_equivalent_in_sqlite() -> None:
    # the premise of the filter, on the engine the outbox uses
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE message (id TEXT, status TEXT)")
    db.execute("INSERT INTO message VALUES ('a', 'queued')")
    original = "SELECT id FROM message WHERE status='queued'"
    mutated = "select ID from MESSAGE where STATUS='queued'"
    assert case_only_sql_change(original, mutated)
    assert db.execute(original).fetchall() == db.execute(mutated).fetchall() == [("a",)]
    # and a kept one is not: the quoted value's case matters
    assert db.execute("SELECT id FROM message WHERE status='QUEUED'").fetchall() == []


# A mutmut-generated file in miniature: the original of each function and its mutants.
GENERATED = textwrap.dedent(
    """
    def x_find__mutmut_orig(db, mid):
        return db.execute("SELECT id FROM message WHERE id=?", (mid,)).fetchone()

    def x_find__mutmut_1(db, mid):
        return db.execute("select id from message where id=?", (mid,)).fetchone()

    def x_find__mutmut_2(db, mid):
        return db.execute("XXSELECT id FROM message WHERE id=?XX", (mid,)).fetchone()

    def x_find__mutmut_3(db, mid):
        return db.execute("select id from message where id=?", None).fetchone()

    def x_find__mutmut_4(db, mid):
        return db.execute("SELECT id FROM message WHERE id=?", (mid,)).fetchall()

    def x_cols__mutmut_orig(db):
        return db.execute(f"SELECT {COLS} FROM message WHERE status='queued' LIMIT ?")

    def x_cols__mutmut_1(db):
        return db.execute(f"select {COLS} from message where status='queued' limit ?")

    def x_cols__mutmut_2(db):
        return db.execute(f"SELECT {COLS} FROM MESSAGE WHERE STATUS='QUEUED' LIMIT ?")

    def x_status__mutmut_orig(db):
        return ("history", "message_id"), "opted_out"

    def x_status__mutmut_1(db):
        return ("HISTORY", "message_id"), "opted_out"

    def x_status__mutmut_2(db):
        return ("history", "message_id"), "OPTED_OUT"

    class Outbox:
        def xǁOutboxǁclaim__mutmut_orig(self, lane):
            return self._db.execute("SELECT 1 FROM message " "WHERE lane=?", (lane,))

        def xǁOutboxǁclaim__mutmut_1(self, lane):
            return self._db.execute("SELECT 1 FROM message " "where lane=?", (lane,))

        def xǁOutboxǁclaim__mutmut_2(self, lane):
            return self._db.execute("SELECT 1 FROM message " "WHERE lane=?", (lane,)) or 1
    """
)


def test_the_filter_reads_a_generated_file() -> None:
    keys = [
        f"engine.dispatch.outbox.{name}"
        for name in [
            *(f"x_find__mutmut_{i}" for i in range(1, 5)),
            "x_cols__mutmut_1",
            "x_cols__mutmut_2",
            "x_status__mutmut_1",
            "x_status__mutmut_2",
            "xǁOutboxǁclaim__mutmut_1",
            "xǁOutboxǁclaim__mutmut_2",
        ]
    ]
    dropped = case_only_sql_mutants(GENERATED, keys)
    assert dropped == {
        "engine.dispatch.outbox.x_find__mutmut_1",  # only the SQL's case
        "engine.dispatch.outbox.x_cols__mutmut_1",  # an f-string's SQL, quoted value kept
        "engine.dispatch.outbox.xǁOutboxǁclaim__mutmut_1",  # one piece of a concatenation
    }
    # kept: SQL broken (2), a case change plus another change (3), no string changed (4),
    # a quoted value's case (cols 2), a table name and a status value (status 1, 2), a method's
    # other change (claim 2)
