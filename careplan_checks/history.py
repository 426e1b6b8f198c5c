"""The history database: runs, their results, the exception lifecycle and QA reviews.

A run works on its extract in memory and touches the history database once, at
the end: it attaches the file (waiting, for a bounded time, while another run
holds it), writes the night's results in one transaction and detaches. A run
that fails or is killed before then leaves the file exactly as it was; DuckDB's
write-ahead log makes the final transaction all or nothing.

Lifecycle, by fingerprint (rule + child + event date + key), for a run as of A:
*new* if first seen at A, *open* if first seen earlier, *accepted* while an
accepted review stands (until its date, and while the exception's due date and
detail are those the reviewer saw), *resolved* if it was in the last run before
A and is not now. A run for an as-of date that already has one supersedes it,
so re-running a night gives the same statuses and no duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

import duckdb

from . import __version__
from .errors import InputError, Problem

log = logging.getLogger(__name__)

STORE = "hist"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {STORE}.runs (RUN_ID INTEGER PRIMARY KEY, STARTED TIMESTAMP, FINISHED TIMESTAMP,
    STATUS VARCHAR, MESSAGE VARCHAR, AS_OF DATE, PERIOD_START DATE, PERIOD_END DATE, TOOL_VERSION VARCHAR,
    ROWS_READ BIGINT, ROWS_REJECTED BIGINT, EXCEPTIONS BIGINT);
CREATE TABLE IF NOT EXISTS {STORE}.rule_results (RUN_ID INTEGER, RULE_ID VARCHAR, TITLE VARCHAR, SEVERITY VARCHAR,
    AREA VARCHAR, STATUS VARCHAR, MESSAGE VARCHAR, POPULATION BIGINT, EXCEPTIONS BIGINT, TARGET DOUBLE,
    RULE_HASH VARCHAR, PARAMETERS VARCHAR);
CREATE TABLE IF NOT EXISTS {STORE}.exceptions (RUN_ID INTEGER, RULE_ID VARCHAR, CHILD VARCHAR, EVENT_DATE DATE,
    EVENT_KEY VARCHAR, DUE_DATE DATE, DONE_DATE DATE, DAYS_OVERDUE INTEGER, DETAIL VARCHAR, FINGERPRINT VARCHAR,
    TEAM VARCHAR, WORKER_ID VARCHAR);
CREATE TABLE IF NOT EXISTS {STORE}.populations (RUN_ID INTEGER, RULE_ID VARCHAR, CHILD VARCHAR, EVENT_DATE DATE,
    EVENT_KEY VARCHAR, TEAM VARCHAR);
CREATE TABLE IF NOT EXISTS {STORE}.run_inputs (RUN_ID INTEGER, FILE VARCHAR, TABLE_NAME VARCHAR, FORMAT VARCHAR,
    SHA256 VARCHAR, ROWS_READ BIGINT, ROWS_LOADED BIGINT, ROWS_REJECTED BIGINT);
CREATE TABLE IF NOT EXISTS {STORE}.qa_reviews (REVIEW_ID INTEGER, FINGERPRINT VARCHAR, ACTION VARCHAR,
    REASON VARCHAR, REVIEWER VARCHAR, UNTIL DATE, RECORDED_AT TIMESTAMP, DUE_DATE DATE, DETAIL VARCHAR);
"""

ACTIONS = ("accepted", "disputed", "note")


def attach(con: duckdb.DuckDBPyConnection, db: Path | None, wait: float = 60.0) -> None:
    """Attach the history database as ``hist`` (in memory when ``db`` is None), waiting up to
    ``wait`` seconds while another run holds it; then exit 2 with a clear message."""
    target = ":memory:" if db is None else str(db)
    deadline = time.monotonic() + wait
    while True:
        try:
            con.execute(f"ATTACH ? AS {STORE}", [target])
            break
        except duckdb.Error as e:
            message = str(e).lower()
            if "lock" not in message and "conflicting" not in message:
                raise InputError(Problem(target, "the history database could not be opened (is it a DuckDB file, "
                                         "and is its folder writable?)")) from None
            if time.monotonic() >= deadline:
                raise InputError(Problem(target, f"the history database is in use by another careplan-checks "
                                         f"process; gave up after waiting {wait:.0f} s")) from None
            time.sleep(0.5)
    con.execute(SCHEMA)
    # Results and reviews are read from the history; the extract, views and calendar from memory.
    con.execute(f"SET search_path = '{STORE}.main,memory.main'")


def detach(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET search_path = 'memory.main'")
    con.execute(f"DETACH {STORE}")


def record_run(con: duckdb.DuckDBPyConnection, results: list[Any], as_of: dt.date,
               period: tuple[dt.date, dt.date], started: dt.datetime) -> int:
    """Write a night's results (left by ``engine.evaluate`` in temporary tables) in one transaction."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _worker AS
        SELECT CHILD, arg_max(TEAM, START_DATE) AS TEAM, arg_max(WORKER_ID, START_DATE) AS WORKER_ID
        FROM memory.main.allocations WHERE ROLE = 'SW' AND START_DATE <= ? GROUP BY CHILD""", [as_of])
    con.execute("BEGIN")
    try:
        run_id = con.execute(f"SELECT coalesce(max(RUN_ID), 0) + 1 FROM {STORE}.runs").fetchone()[0]
        con.execute(f"UPDATE {STORE}.runs SET STATUS = 'superseded', MESSAGE = 're-run as run ' || ? "
                    "WHERE AS_OF = ? AND STATUS = 'succeeded'", [run_id, as_of])
        totals = con.execute("SELECT coalesce(sum(ROWS_READ), 0), coalesce(sum(ROWS_REJECTED), 0) "
                             "FROM memory.main.load_files").fetchone()
        con.execute(f"INSERT INTO {STORE}.runs VALUES (?, ?, now(), 'succeeded', NULL, ?, ?, ?, ?, ?, ?, "
                    "(SELECT count(*) FROM _exceptions))",
                    [run_id, started, as_of, period[0], period[1], __version__, totals[0], totals[1]])
        con.executemany(f"INSERT INTO {STORE}.rule_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            [run_id, r.rule.id, r.rule.title, r.rule.severity, r.rule.area, r.status, r.message, r.population,
             r.exceptions, r.rule.target, r.rule.content_hash, repr(r.parameters)] for r in results])
        con.execute(f"""INSERT INTO {STORE}.exceptions SELECT ?, e.*, w.TEAM, w.WORKER_ID
            FROM _exceptions e LEFT JOIN _worker w USING (CHILD)""", [run_id])
        con.execute(f"""INSERT INTO {STORE}.populations SELECT ?, p.*, w.TEAM
            FROM _populations p LEFT JOIN _worker w USING (CHILD)""", [run_id])
        con.execute(f"INSERT INTO {STORE}.run_inputs SELECT ?, * FROM memory.main.load_files", [run_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return run_id


def record_failure(db: Path | None, as_of: dt.date, started: dt.datetime, message: str) -> None:
    """Note a failed run in the history, if the database can be had at once; never raises."""
    if db is None:
        return
    try:
        con = duckdb.connect(":memory:")
        attach(con, db, wait=5)
        run_id = con.execute(f"SELECT coalesce(max(RUN_ID), 0) + 1 FROM {STORE}.runs").fetchone()[0]
        con.execute(f"INSERT INTO {STORE}.runs (RUN_ID, STARTED, FINISHED, STATUS, MESSAGE, AS_OF, TOOL_VERSION) "
                    "VALUES (?, ?, now(), 'failed', ?, ?, ?)", [run_id, started, message[:500], as_of, __version__])
        detach(con)
        con.close()
    except Exception:  # the failure being recorded matters more than this note
        log.warning("could not record the failed run in %s", db)


def statuses(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """``_status``: every fingerprint of run ``run_id`` and of the last earlier night, with its
    lifecycle status, first-seen date and the review that stands, if any."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _status AS
        WITH this AS (SELECT AS_OF FROM {STORE}.runs WHERE RUN_ID = $run),
        nights AS (SELECT RUN_ID, AS_OF FROM {STORE}.runs
                   WHERE (STATUS = 'succeeded' AND AS_OF < (SELECT AS_OF FROM this)) OR RUN_ID = $run),
        previous AS (SELECT max(RUN_ID) AS RUN_ID FROM nights WHERE RUN_ID <> $run
                     AND AS_OF = (SELECT max(AS_OF) FROM nights WHERE RUN_ID <> $run)),
        seen AS (SELECT e.FINGERPRINT, min(n.AS_OF) AS FIRST_SEEN, max(n.AS_OF) AS LAST_SEEN
                 FROM {STORE}.exceptions e JOIN nights n USING (RUN_ID) GROUP BY e.FINGERPRINT),
        review AS (SELECT FINGERPRINT, arg_max(ACTION, REVIEW_ID) AS ACTION, arg_max(UNTIL, REVIEW_ID) AS UNTIL,
                          arg_max(DUE_DATE, REVIEW_ID) AS DUE_DATE, arg_max(DETAIL, REVIEW_ID) AS DETAIL,
                          arg_max(REASON, REVIEW_ID) AS REASON
                   FROM {STORE}.qa_reviews WHERE ACTION IN ('accepted', 'disputed') GROUP BY FINGERPRINT),
        current AS (SELECT * FROM {STORE}.exceptions WHERE RUN_ID = $run),
        gone AS (SELECT * FROM {STORE}.exceptions WHERE RUN_ID = (SELECT RUN_ID FROM previous)
                 AND FINGERPRINT NOT IN (SELECT FINGERPRINT FROM current))
        SELECT c.FINGERPRINT, s.FIRST_SEEN,
               CASE WHEN r.ACTION = 'accepted' AND (r.UNTIL IS NULL OR r.UNTIL >= (SELECT AS_OF FROM this))
                         AND r.DUE_DATE IS NOT DISTINCT FROM c.DUE_DATE AND r.DETAIL IS NOT DISTINCT FROM c.DETAIL
                    THEN 'accepted'
                    WHEN s.FIRST_SEEN = (SELECT AS_OF FROM this) THEN 'new' ELSE 'open' END AS STATUS,
               r.ACTION AS REVIEW_ACTION, r.REASON AS REVIEW_REASON
        FROM current c JOIN seen s USING (FINGERPRINT) LEFT JOIN review r USING (FINGERPRINT)
        UNION ALL
        SELECT g.FINGERPRINT, s.FIRST_SEEN, 'resolved', NULL, NULL FROM gone g JOIN seen s USING (FINGERPRINT)""",
                {"run": run_id})


def latest_run(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT max(RUN_ID) FROM {STORE}.runs WHERE STATUS = 'succeeded'").fetchone()
    if row[0] is None:
        raise InputError(Problem("history", "the database has no successful run yet"))
    return row[0]


def add_review(con: duckdb.DuckDBPyConnection, fingerprint: str, action: str, reason: str, reviewer: str,
               until: dt.date | None) -> None:
    """Append a QA review of an exception of the latest run (reviews are never changed or deleted)."""
    if action not in ACTIONS:
        raise InputError(Problem("--action", f"must be one of {', '.join(ACTIONS)}"))
    if not reason.strip() or not reviewer.strip():
        raise InputError(Problem("review", "a review needs a reason and the reviewer's name"))
    row = con.execute(f"""SELECT DUE_DATE, DETAIL FROM {STORE}.exceptions WHERE FINGERPRINT = ?
        ORDER BY RUN_ID DESC LIMIT 1""", [fingerprint]).fetchone()
    if row is None:
        raise InputError(Problem(fingerprint, "no exception with this fingerprint in the history"))
    review_id = con.execute(f"SELECT coalesce(max(REVIEW_ID), 0) + 1 FROM {STORE}.qa_reviews").fetchone()[0]
    con.execute(f"INSERT INTO {STORE}.qa_reviews VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?)",
                [review_id, fingerprint, action, reason.strip(), reviewer.strip(), until, row[0], row[1]])
