"""The 903 validation errors through the nights: new, open, resolved, like the compliance exceptions.

An error's identity is its fingerprint: the DfE code, the child, the table and the record's key (its
dates), never the line, which moves when rows are added above it. Tonight's errors are *new* when first
seen tonight and *open* when seen on an earlier night; an error of the last night that is not found
tonight is *resolved*, but only when its code ran tonight and the loader kept the child's rows of that
table: the errors of a code that did not run (a table absent, last year's return not given, the pack not
selected), or on a table where the child has a row dropped tonight, are carried into tonight's list
unchanged, with ``CHECKED`` false and the date they were last checked. The tables are the history's
(``history.SCHEMA``: ``validation_results``, ``validation_errors``), written in the night's
transaction, with the exceptions (``history.record_run``), so a failed night changes neither.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from .history import STORE, previous_night
from .inserts import insert_rows

#: The columns of the 903 validation list (validation.csv, the workbook's sheet): a stable interface.
LIST_COLUMNS = ("STATUS", "CODE", "MESSAGE", "TABLE_NAME", "CHILD", "LINE", "FIELDS", "TEAM", "WORKER_ID",
                "FIRST_SEEN", "CHECKED", "LAST_CHECKED", "FINGERPRINT")
SUMMARY_COLUMNS = ("CODE", "MESSAGE", "STATUS", "STATUS_MESSAGE", "ERRORS", "CHILDREN", "NEW", "RESOLVED")


def record_validation(con: duckdb.DuckDBPyConnection, run_id: int, results: list[Any], as_of: dt.date,
                      year: str | None) -> None:
    """Write tonight's validation results and errors (``_validation``) into the attached history; the
    child's team and worker come from ``_worker``, which ``history.record_run`` made for the night."""
    rows = [[run_id, r.rule.code, r.rule.message, ", ".join(r.rule.tables), ", ".join(r.rule.fields), r.rule.years,
             year, r.status, r.message, r.errors, r.rule.content_hash] for r in results]
    if rows:
        insert_rows(con, f"{STORE}.validation_results", rows)
    has_errors = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_validation'").fetchone()[0]
    if has_errors:
        con.execute(f"""INSERT INTO {STORE}.validation_errors
            SELECT ?, v.CODE, v.CHILD, v.TABLE_NAME, v.LINE, v.FIELDS, v.RECORD_KEY, v.FINGERPRINT, w.TEAM, w.WORKER_ID,
                   true, ?
            FROM _validation v LEFT JOIN _worker w USING (CHILD)""", [run_id, as_of])
    previous = previous_night(con, as_of)
    if previous is None:
        return
    # A code that did not run tonight says nothing about its errors; nor does a row the loader dropped: an
    # error of last night's on a table where the child has a dropped row tonight is kept, not resolved.
    ran = [r.rule.code for r in results if r.status == "ran"]
    con.execute(f"""INSERT INTO {STORE}.validation_errors
        SELECT $run, e.CODE, e.CHILD, e.TABLE_NAME, e.LINE, e.FIELDS, e.RECORD_KEY, e.FINGERPRINT, e.TEAM, e.WORKER_ID,
               false, coalesce(e.LAST_CHECKED, p.AS_OF)
        FROM {STORE}.validation_errors e JOIN {STORE}.runs p USING (RUN_ID)
        WHERE e.RUN_ID = $previous
          AND (NOT list_contains($ran, e.CODE)
               OR (e.FINGERPRINT NOT IN (SELECT FINGERPRINT FROM {STORE}.validation_errors WHERE RUN_ID = $run)
                   AND EXISTS (SELECT 1 FROM memory.main.dropped_rows d
                               WHERE d.CHILD = e.CHILD AND d.TABLE_NAME = e.TABLE_NAME)))""",
                {"run": run_id, "previous": previous, "ran": ran})


def build_report_tables(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """``report_validation`` (tonight's errors and those tonight resolved, with status and first-seen date)
    and ``report_validation_summary`` (one row per code) from the attached history."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE report_validation AS
        WITH this AS (SELECT AS_OF FROM {STORE}.runs WHERE RUN_ID = $run),
        nights AS (SELECT RUN_ID, AS_OF FROM {STORE}.runs
                   WHERE (STATUS = 'succeeded' AND AS_OF < (SELECT AS_OF FROM this)) OR RUN_ID = $run),
        previous AS (SELECT max(RUN_ID) AS RUN_ID FROM nights WHERE RUN_ID <> $run
                     AND AS_OF = (SELECT max(AS_OF) FROM nights WHERE RUN_ID <> $run)),
        seen AS (SELECT e.FINGERPRINT, min(n.AS_OF) AS FIRST_SEEN FROM {STORE}.validation_errors e
                 JOIN nights n USING (RUN_ID) GROUP BY e.FINGERPRINT),
        current AS (SELECT * FROM {STORE}.validation_errors WHERE RUN_ID = $run),
        gone AS (SELECT * FROM {STORE}.validation_errors WHERE RUN_ID = (SELECT RUN_ID FROM previous)
                 AND FINGERPRINT NOT IN (SELECT FINGERPRINT FROM current)),
        messages AS (SELECT CODE, arg_max(MESSAGE, RUN_ID) AS MESSAGE FROM {STORE}.validation_results
                     WHERE RUN_ID <= $run GROUP BY CODE),
        listed AS (
            SELECT CASE WHEN s.FIRST_SEEN = (SELECT AS_OF FROM this) THEN 'new' ELSE 'open' END AS STATUS, c.*,
                   s.FIRST_SEEN
            FROM current c JOIN seen s USING (FINGERPRINT)
            UNION ALL
            SELECT 'resolved', g.* REPLACE (true AS CHECKED, (SELECT AS_OF FROM this) AS LAST_CHECKED), s.FIRST_SEEN
            FROM gone g JOIN seen s USING (FINGERPRINT))
        SELECT l.STATUS, l.CODE, m.MESSAGE, l.TABLE_NAME, l.CHILD, l.LINE, l.FIELDS, l.TEAM, l.WORKER_ID, l.FIRST_SEEN,
               l.CHECKED, l.LAST_CHECKED, l.FINGERPRINT
        FROM listed l LEFT JOIN messages m USING (CODE)
        ORDER BY l.STATUS = 'resolved', try_cast(regexp_extract(l.CODE, '^[0-9]+') AS INTEGER) NULLS LAST, l.CODE,
                 l.CHILD, l.TABLE_NAME, l.LINE NULLS FIRST, l.FINGERPRINT""", {"run": run_id})
    con.execute(f"""CREATE OR REPLACE TEMP TABLE report_validation_summary AS
        SELECT * FROM (SELECT r.CODE, r.MESSAGE, r.STATUS, r.STATUS_MESSAGE,
               count(v.FINGERPRINT) FILTER (WHERE v.STATUS <> 'resolved' AND v.CHECKED) AS ERRORS,
               count(DISTINCT v.CHILD) FILTER (WHERE v.STATUS <> 'resolved' AND v.CHECKED) AS CHILDREN,
               count(v.FINGERPRINT) FILTER (WHERE v.STATUS = 'new') AS NEW,
               count(v.FINGERPRINT) FILTER (WHERE v.STATUS = 'resolved') AS RESOLVED
        FROM {STORE}.validation_results r LEFT JOIN report_validation v USING (CODE)
        WHERE r.RUN_ID = ?
        GROUP BY r.CODE, r.MESSAGE, r.STATUS, r.STATUS_MESSAGE)
        ORDER BY try_cast(regexp_extract(CODE, '^[0-9]+') AS INTEGER) NULLS LAST, CODE""", [run_id])
