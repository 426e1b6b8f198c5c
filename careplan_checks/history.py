"""The history database: runs, their results, the exception lifecycle and QA reviews.

A run works on its extract in memory and touches the history database once, at
the end: it attaches the file (waiting, for a bounded time, while another run
holds it), writes the night's results in one transaction and detaches. A run
that fails or is killed before then leaves the file exactly as it was; DuckDB's
write-ahead log makes the final transaction all or nothing.

Lifecycle, by fingerprint (rule + child + event date + key), for a run as of A:
*new* if first seen at A, *open* if first seen earlier, *accepted* while an
accepted review stands (until its date, and while the exception's due date and
detail are those the reviewer saw), *disputed* while a disputed review stands on
the same terms (a QA officer says the item is wrong: it stays listed and counted,
marked, until the data changes or it is resolved). An item of the last night before A that is
not listed at A is *resolved* when its due date lies in A's reporting period (the
data now shows it done or no longer owed) and *closed* (out of period) when its
due date is before that period: the list no longer covers it, which says nothing
about whether it was done. Only a rule that ran at A can resolve or close
anything: the items of a rule that did not run (absent table, error, not
selected) are carried into A's list unchanged, with ``CHECKED`` false and the
date they were last checked. A run for an as-of date that already has one
supersedes it, so re-running a night gives the same statuses and no duplicates.
Runs that were refused, failed or interrupted are recorded with their reason and
never count as a night.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

import duckdb

from . import __version__, spill
from .errors import InputError, Problem
from .inserts import insert_rows

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
CREATE TABLE IF NOT EXISTS {STORE}.validation_results (RUN_ID INTEGER, CODE VARCHAR, MESSAGE VARCHAR,
    TABLES VARCHAR, FIELDS VARCHAR, YEARS VARCHAR, COLLECTION_YEAR VARCHAR, STATUS VARCHAR, STATUS_MESSAGE VARCHAR,
    ERRORS BIGINT, RULE_HASH VARCHAR);
CREATE TABLE IF NOT EXISTS {STORE}.validation_errors (RUN_ID INTEGER, CODE VARCHAR, CHILD VARCHAR,
    TABLE_NAME VARCHAR, LINE INTEGER, FIELDS VARCHAR, RECORD_KEY VARCHAR, FINGERPRINT VARCHAR, TEAM VARCHAR,
    WORKER_ID VARCHAR, CHECKED BOOLEAN, LAST_CHECKED DATE);
-- columns added since the first version: a history database of any age opens
ALTER TABLE {STORE}.exceptions ADD COLUMN IF NOT EXISTS CHECKED BOOLEAN;
ALTER TABLE {STORE}.exceptions ADD COLUMN IF NOT EXISTS LAST_CHECKED DATE;
ALTER TABLE {STORE}.runs ADD COLUMN IF NOT EXISTS ALLOWED_MISSING VARCHAR;
ALTER TABLE {STORE}.run_inputs ADD COLUMN IF NOT EXISTS CELLS_EMPTIED BIGINT;
"""

ACTIONS = ("accepted", "disputed", "note")

#: Every status an exception can have, in lifecycle order.
STATUSES = ("new", "open", "accepted", "disputed", "resolved", "closed")


def attach(con: duckdb.DuckDBPyConnection, db: Path | None, wait: float = 60.0, read_only: bool = False) -> None:
    """Attach the history database as ``hist`` (in memory when ``db`` is None), waiting up to
    ``wait`` seconds while another run holds it; then exit 2 with a clear message."""
    target = ":memory:" if db is None else str(db)
    if db is not None and not db.parent.is_dir():
        raise InputError(Problem(target, f"the folder {db.parent} does not exist; create it, or give --db a file "
                                 "in a folder that exists"))
    deadline = time.monotonic() + wait
    while True:
        try:
            con.execute(f"ATTACH ? AS {STORE}" + (" (READ_ONLY)" if read_only else ""), [target])
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
    if not read_only:
        con.execute(SCHEMA)
    # Results and reviews are read from the history; the extract, views and calendar from memory.
    con.execute(f"SET search_path = '{STORE}.main,memory.main'")


def detach(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET search_path = 'memory.main'")
    con.execute(f"DETACH {STORE}")


def record_run(con: duckdb.DuckDBPyConnection, results: list[Any], as_of: dt.date,
               period: tuple[dt.date, dt.date], started: dt.datetime, allowed_missing: list[str] | None = None) -> int:
    """Write a night's results (left by ``engine.evaluate`` in temporary tables) into the attached history.

    The caller holds the transaction: the reports are written inside it too, so the night is
    committed only once they exist, and a failure anywhere leaves the history as it was.
    """
    # The child's social worker at the as-of date: an allocation begun by then and not yet ended
    # (one ending on the as-of date still stands that day); of two, the later start, then the later line.
    con.execute("""CREATE OR REPLACE TEMP TABLE _worker AS
        SELECT CHILD, TEAM, WORKER_ID FROM memory.main.allocations
        WHERE ROLE = 'SW' AND START_DATE <= $as_of AND (END_DATE IS NULL OR END_DATE >= $as_of)
        QUALIFY row_number() OVER (PARTITION BY CHILD ORDER BY START_DATE DESC, _LINE DESC) = 1""",
                {"as_of": as_of})
    run_id = con.execute(f"SELECT coalesce(max(RUN_ID), 0) + 1 FROM {STORE}.runs").fetchone()[0]
    previous = previous_night(con, as_of)
    con.execute(f"UPDATE {STORE}.runs SET STATUS = 'superseded', MESSAGE = 're-run as run ' || ? "
                "WHERE AS_OF = ? AND STATUS = 'succeeded'", [run_id, as_of])
    totals = con.execute("SELECT coalesce(sum(ROWS_READ), 0), coalesce(sum(ROWS_REJECTED), 0) "
                         "FROM memory.main.load_files").fetchone()
    con.execute(f"""INSERT INTO {STORE}.runs (RUN_ID, STARTED, FINISHED, STATUS, MESSAGE, AS_OF, PERIOD_START,
            PERIOD_END, TOOL_VERSION, ROWS_READ, ROWS_REJECTED, EXCEPTIONS, ALLOWED_MISSING)
        VALUES (?, ?, now(), 'succeeded', NULL, ?, ?, ?, ?, ?, ?, (SELECT count(*) FROM _exceptions), ?)""",
                [run_id, started, as_of, period[0], period[1], __version__, totals[0], totals[1],
                 ",".join(sorted(allowed_missing or [])) or None])
    rule_rows = [
        [run_id, r.rule.id, r.rule.title, r.rule.severity, r.rule.area, r.status, r.message, r.population,
         r.exceptions, r.rule.target, r.rule.content_hash, repr(r.parameters)] for r in results]
    if rule_rows:
        insert_rows(con, f"{STORE}.rule_results", rule_rows)
    columns = ("RUN_ID, RULE_ID, CHILD, EVENT_DATE, EVENT_KEY, DUE_DATE, DONE_DATE, DAYS_OVERDUE, DETAIL, "
               "FINGERPRINT, TEAM, WORKER_ID, CHECKED, LAST_CHECKED")
    con.execute(f"""INSERT INTO {STORE}.exceptions ({columns}) SELECT ?, e.*, w.TEAM, w.WORKER_ID, true, ?
        FROM _exceptions e LEFT JOIN _worker w USING (CHILD)""", [run_id, as_of])
    # A rule that did not run tonight says nothing about its items: they stay as they were. Nor does a
    # row the loader dropped: an item of last night's that is gone for a child with a dropped row in one
    # of the rule's tables is kept, not checked, rather than resolved by a row that could not be read.
    ran = [r.rule.id for r in results if r.status == "ran"]
    # A rule that ran without a table it reads when present, which last night had: what it found in that
    # table is not resolved by the table's absence (a table absent both nights changes nothing).
    had = {t for (t,) in con.execute(f"SELECT DISTINCT TABLE_NAME FROM {STORE}.run_inputs WHERE RUN_ID = ?",
                                     [previous]).fetchall()} if previous is not None else set()
    partial = [r.rule.id for r in results if r.status == "ran" and had.intersection(r.absent)]
    con.execute("CREATE OR REPLACE TEMP TABLE _rule_tables (RULE_ID VARCHAR, TABLE_NAME VARCHAR)")
    pairs = [[r.rule.id, t] for r in results if r.status == "ran" for t in r.rule.reads]
    if pairs:
        insert_rows(con, "_rule_tables", pairs)
    con.execute(f"""INSERT INTO {STORE}.exceptions ({columns})
        SELECT $run, e.RULE_ID, e.CHILD, e.EVENT_DATE, e.EVENT_KEY, e.DUE_DATE, e.DONE_DATE, e.DAYS_OVERDUE,
               e.DETAIL, e.FINGERPRINT, e.TEAM, e.WORKER_ID, false, coalesce(e.LAST_CHECKED, p.AS_OF)
        FROM {STORE}.exceptions e JOIN {STORE}.runs p USING (RUN_ID)
        WHERE e.RUN_ID = $previous
          AND (NOT list_contains($ran, e.RULE_ID)
               OR (list_contains($partial, e.RULE_ID) AND e.FINGERPRINT NOT IN (SELECT FINGERPRINT FROM _exceptions))
               OR (e.FINGERPRINT NOT IN (SELECT FINGERPRINT FROM _exceptions)
                   AND EXISTS (SELECT 1 FROM memory.main.dropped_rows d JOIN _rule_tables t USING (TABLE_NAME)
                               WHERE t.RULE_ID = e.RULE_ID AND d.CHILD = e.CHILD)))""",
                {"run": run_id, "previous": previous, "ran": ran, "partial": partial})
    con.execute(f"""INSERT INTO {STORE}.populations SELECT ?, p.*, w.TEAM
        FROM _populations p LEFT JOIN _worker w USING (CHILD)""", [run_id])
    con.execute(f"""INSERT INTO {STORE}.run_inputs (RUN_ID, FILE, TABLE_NAME, FORMAT, SHA256, ROWS_READ, ROWS_LOADED,
            ROWS_REJECTED, CELLS_EMPTIED)
        SELECT ?, FILE, TABLE_NAME, FORMAT, SHA256, ROWS_READ, ROWS_LOADED, ROWS_REJECTED, CELLS_EMPTIED
        FROM memory.main.load_files""", [run_id])
    return run_id


def previous_night(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> int | None:
    """The run that stands for the last night before ``as_of``: what tonight is compared with."""
    row = con.execute(f"""SELECT RUN_ID FROM {STORE}.runs WHERE STATUS = 'succeeded' AND AS_OF < ?
        ORDER BY AS_OF DESC, RUN_ID DESC LIMIT 1""", [as_of]).fetchone()
    return row[0] if row else None


def record_outcome(db: Path | None, status: str, as_of: dt.date, started: dt.datetime, message: str) -> None:
    """Note a run that did not succeed (refused, failed, interrupted) in the history, if the
    database can be had within a few seconds; never raises, and changes nothing else."""
    if db is None or not db.exists():
        return
    try:
        con = spill.connect()
        attach(con, db, wait=5)
        run_id = con.execute(f"SELECT coalesce(max(RUN_ID), 0) + 1 FROM {STORE}.runs").fetchone()[0]
        con.execute(f"INSERT INTO {STORE}.runs (RUN_ID, STARTED, FINISHED, STATUS, MESSAGE, AS_OF, TOOL_VERSION) "
                    "VALUES (?, ?, now(), ?, ?, ?, ?)", [run_id, started, status, message[:500], as_of, __version__])
        detach(con)
        con.close()
    except Exception:  # the outcome being reported matters more than this note
        log.warning("could not record the %s run in %s", status, db)


def last_good_night(db: Path | None, wait: float = 60.0) -> dict[str, Any] | None:
    """The tables of the last successful night and their rows read, and the tables it was allowed
    to miss: the baseline tonight's extract is checked against. None when there is no such night."""
    if db is None or not db.exists():
        return None
    con = spill.connect()
    try:
        attach(con, db, wait, read_only=True)
        has_runs = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = 'runs'",
                               [STORE]).fetchone()[0]
        if not has_runs:
            return None
        allowed = "ALLOWED_MISSING" if con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = ? AND table_name = 'runs' "
            "AND column_name = 'ALLOWED_MISSING'", [STORE]).fetchone()[0] else "NULL"
        row = con.execute(f"SELECT RUN_ID, AS_OF, {allowed} FROM {STORE}.runs WHERE STATUS = 'succeeded' "
                          "ORDER BY RUN_ID DESC LIMIT 1").fetchone()
        if row is None:
            return None
        tables = dict(con.execute(f"SELECT TABLE_NAME, sum(ROWS_READ) FROM {STORE}.run_inputs WHERE RUN_ID = ? "
                                  "GROUP BY TABLE_NAME", [row[0]]).fetchall())
        return {"run_id": row[0], "as_of": row[1], "tables": tables,
                "allowed_missing": [t for t in (row[2] or "").split(",") if t]}
    finally:
        con.close()


def statuses(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """``_status``: every fingerprint of run ``run_id`` and of the last earlier night, with its
    lifecycle status, first-seen date, the review that stands, if any, and whether tonight's run
    checked it (``CHECKED``, ``LAST_CHECKED``).

    The review shown (``REVIEW_ACTION``, ``REVIEW_REASON``, ``REVIEWER``, ``REVIEWED_AT`` the date
    it was recorded, ``REVIEW_UNTIL``) is the latest decision (accepted or disputed) or, for an item
    never decided, its latest note. It is shown for resolved and closed items too: what a QA officer
    decided stays visible whatever the data did next.
    """
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _status AS
        WITH this AS (SELECT AS_OF, PERIOD_START FROM {STORE}.runs WHERE RUN_ID = $run),
        nights AS (SELECT RUN_ID, AS_OF FROM {STORE}.runs
                   WHERE (STATUS = 'succeeded' AND AS_OF < (SELECT AS_OF FROM this)) OR RUN_ID = $run),
        previous AS (SELECT max(RUN_ID) AS RUN_ID FROM nights WHERE RUN_ID <> $run
                     AND AS_OF = (SELECT max(AS_OF) FROM nights WHERE RUN_ID <> $run)),
        seen AS (SELECT e.FINGERPRINT, min(n.AS_OF) AS FIRST_SEEN, max(n.AS_OF) AS LAST_SEEN
                 FROM {STORE}.exceptions e JOIN nights n USING (RUN_ID) GROUP BY e.FINGERPRINT),
        review AS (SELECT * FROM {STORE}.qa_reviews
                   QUALIFY row_number() OVER (PARTITION BY FINGERPRINT
                                              ORDER BY ACTION IN ('accepted', 'disputed') DESC, REVIEW_ID DESC) = 1),
        current AS (SELECT * FROM {STORE}.exceptions WHERE RUN_ID = $run),
        gone AS (SELECT * FROM {STORE}.exceptions WHERE RUN_ID = (SELECT RUN_ID FROM previous)
                 AND FINGERPRINT NOT IN (SELECT FINGERPRINT FROM current))
        SELECT c.FINGERPRINT, s.FIRST_SEEN,
               CASE WHEN r.ACTION IN ('accepted', 'disputed')
                         AND (r.UNTIL IS NULL OR r.UNTIL >= (SELECT AS_OF FROM this))
                         AND r.DUE_DATE IS NOT DISTINCT FROM c.DUE_DATE AND r.DETAIL IS NOT DISTINCT FROM c.DETAIL
                    THEN r.ACTION
                    WHEN s.FIRST_SEEN = (SELECT AS_OF FROM this) THEN 'new' ELSE 'open' END AS STATUS,
               r.ACTION AS REVIEW_ACTION, r.REASON AS REVIEW_REASON,
               coalesce(c.CHECKED, true) AS CHECKED, coalesce(c.LAST_CHECKED, (SELECT AS_OF FROM this)) AS LAST_CHECKED,
               r.REVIEWER, r.RECORDED_AT::DATE AS REVIEWED_AT, r.UNTIL AS REVIEW_UNTIL
        FROM current c JOIN seen s USING (FINGERPRINT) LEFT JOIN review r USING (FINGERPRINT)
        UNION ALL
        SELECT g.FINGERPRINT, s.FIRST_SEEN,
               CASE WHEN coalesce(g.DUE_DATE, g.EVENT_DATE) < (SELECT PERIOD_START FROM this) THEN 'closed'
                    ELSE 'resolved' END,
               r.ACTION, r.REASON, true, (SELECT AS_OF FROM this), r.REVIEWER, r.RECORDED_AT::DATE, r.UNTIL
        FROM gone g JOIN seen s USING (FINGERPRINT) LEFT JOIN review r USING (FINGERPRINT)""", {"run": run_id})


#: The columns of ``exception_list``: new ones go at the end, since other tools read them by position too.
LIST_COLUMNS = ("STATUS", "RULE_ID", "CHILD", "EVENT_DATE", "DUE_DATE", "DAYS_OVERDUE", "TEAM", "WORKER_ID",
                "FIRST_SEEN", "FINGERPRINT", "DETAIL", "REVIEW_REASON", "CHECKED", "LAST_CHECKED", "REVIEW_ACTION",
                "REVIEWER", "REVIEWED_AT", "REVIEW_UNTIL")


def exception_list(con: duckdb.DuckDBPyConnection, run_id: int, status: str | None = None,
                   rule_id: str | None = None, team: str | None = None,
                   spreadsheet_safe: bool = False) -> tuple[tuple[str, ...], list[tuple]]:
    """Run ``run_id``'s exceptions, and those it resolved or closed, with their status and the review that
    stands (``statuses``), as (``LIST_COLUMNS``, rows). Rule and team are matched in any case, and team
    "(none)" selects the items with no team; a rule or team the history has never seen is an
    ``InputError`` naming the known ones, not an empty list."""
    statuses(con, run_id)
    if rule_id is not None:
        known = [r for (r,) in con.execute("SELECT DISTINCT RULE_ID FROM rule_results UNION "
                                           "SELECT DISTINCT RULE_ID FROM exceptions ORDER BY 1").fetchall()]
        match = [r for r in known if r.lower() == rule_id.strip().lower()]
        if not match:
            raise InputError(Problem("--rule", f"no rule {rule_id!r} in the history; the known rules are "
                                     f"{', '.join(known) or '(none yet)'}"))
        rule_id = match[0]
    none_team = team is not None and team.strip().lower() == "(none)"
    if team is not None and not none_team:
        known = [t for (t,) in con.execute("SELECT DISTINCT TEAM FROM exceptions WHERE TEAM IS NOT NULL UNION "
                                           "SELECT DISTINCT TEAM FROM populations WHERE TEAM IS NOT NULL "
                                           "ORDER BY 1").fetchall()]
        if team.strip().lower() not in {t.lower() for t in known}:
            raise InputError(Problem("--team", f"no team {team!r} in the history; the known teams are "
                                     f"{', '.join(known) or '(none yet)'}, or '(none)' for items with no team"))
    query = """
        SELECT s.STATUS, e.RULE_ID, e.CHILD, e.EVENT_DATE, e.DUE_DATE, e.DAYS_OVERDUE, e.TEAM, e.WORKER_ID,
               s.FIRST_SEEN, e.FINGERPRINT, e.DETAIL, s.REVIEW_REASON, s.CHECKED, s.LAST_CHECKED,
               s.REVIEW_ACTION, s.REVIEWER, s.REVIEWED_AT, s.REVIEW_UNTIL
        FROM _status s
        JOIN (SELECT * FROM exceptions
              QUALIFY row_number() OVER (PARTITION BY FINGERPRINT ORDER BY RUN_ID DESC) = 1) e USING (FINGERPRINT)
        WHERE (? IS NULL OR s.STATUS = ?) AND (? IS NULL OR e.RULE_ID = ?)
          AND (? IS NULL OR lower(trim(e.TEAM)) = lower(trim(?))) AND (NOT ? OR e.TEAM IS NULL)
        ORDER BY e.RULE_ID, e.DUE_DATE, e.CHILD, e.FINGERPRINT"""
    named = None if none_team else team
    params = [status, status, rule_id, rule_id, named, named, none_team]
    if spreadsheet_safe:
        from .reports.files import spreadsheet_safe as neutralised

        query = neutralised(con, query, params)
    return LIST_COLUMNS, con.execute(query, params).fetchall()


def latest_run(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT max(RUN_ID) FROM {STORE}.runs WHERE STATUS = 'succeeded'").fetchone()
    if row[0] is None:
        raise InputError(Problem("history", "the database has no successful run yet"))
    return row[0]


def add_review(con: duckdb.DuckDBPyConnection, fingerprint: str, action: str, reason: str, reviewer: str,
               until: dt.date | None, same_until: bool = True) -> bool:
    """Append a QA review of an exception (reviews are never changed or deleted); False when it
    would only repeat the review that stands.

    The review that stands is the latest decision (accepted or disputed) or, for a note, the
    latest note. Importing the same workbook twice, or the next night's workbook with earlier
    reviews shown in it, therefore records nothing again and credits no one else with them.
    ``same_until`` False compares action and reason only (a workbook has no until column).
    """
    if action not in ACTIONS:
        raise InputError(Problem("--action", f"must be one of {', '.join(ACTIONS)}"))
    reason, reviewer = reason.strip(), reviewer.strip()
    if not reason or not reviewer:
        raise InputError(Problem("review", "a review needs a reason and the reviewer's name"))
    row = con.execute(f"""SELECT DUE_DATE, DETAIL FROM {STORE}.exceptions WHERE FINGERPRINT = ?
        ORDER BY RUN_ID DESC LIMIT 1""", [fingerprint]).fetchone()
    if row is None:
        raise InputError(Problem(fingerprint, "no exception with this fingerprint in the history"))
    family = ["note"] if action == "note" else ["accepted", "disputed"]
    standing = con.execute(f"""SELECT ACTION, REASON, UNTIL FROM {STORE}.qa_reviews
        WHERE FINGERPRINT = ? AND list_contains(?, ACTION) ORDER BY REVIEW_ID DESC LIMIT 1""",
                           [fingerprint, family]).fetchone()
    if standing and standing[0] == action and standing[1] == reason and (not same_until or standing[2] == until):
        return False
    review_id = con.execute(f"SELECT coalesce(max(REVIEW_ID), 0) + 1 FROM {STORE}.qa_reviews").fetchone()[0]
    con.execute(f"INSERT INTO {STORE}.qa_reviews VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?)",
                [review_id, fingerprint, action, reason, reviewer, until, row[0], row[1]])
    return True
