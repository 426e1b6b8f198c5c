"""The report tables, built in DuckDB from a run's results: one row per exception with
its team, worker and status, and the compliance summary per rule, team and month."""

from __future__ import annotations

import duckdb

#: The exception list's columns: a stable interface other tools read. LAST_CHECKED (the as-of date of
#: the night that last checked the item: earlier than tonight's when its rule did not run) came later,
#: so it is last.
EXCEPTION_COLUMNS = ("RULE_ID", "TITLE", "SEVERITY", "CHILD", "EVENT_DATE", "DUE_DATE", "DAYS_OVERDUE", "DETAIL",
                     "TEAM", "WORKER_ID", "STATUS", "FINGERPRINT", "LAST_CHECKED")

#: What a QA officer decided about an item (the review that stands, ``history.statuses``), after the
#: exception columns in exceptions.csv and exceptions.json: appended, so earlier columns keep their places.
REVIEW_COLUMNS = ("REVIEW_ACTION", "REVIEW_REASON", "REVIEWER", "REVIEWED_AT")

SUMMARY_COLUMNS = ("LEVEL", "RULE_ID", "TITLE", "SEVERITY", "TEAM", "MONTH", "POPULATION", "EXCEPTIONS", "RATE",
                   "TARGET", "RAG")


def build(con: duckdb.DuckDBPyConnection, run_id: int, targets: dict[str, float] | None = None) -> None:
    """Create ``report_exceptions``, ``report_rules`` and ``report_summary`` (temporary tables) from the
    history database, which must be attached (``history.attach``)."""
    from .. import compliance
    from ..history import statuses
    from ..inserts import insert_rows
    from ..validation_history import build_report_tables

    targets = targets or {}
    statuses(con, run_id)
    build_report_tables(con, run_id)
    compliance.install(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _targets (RULE_ID VARCHAR, TARGET DOUBLE)")
    if targets:
        insert_rows(con, "_targets", sorted(targets.items()))
    # A rule's title and severity as last recorded: an item carried over from a rule that was not
    # run (or not selected) tonight keeps them.
    con.execute("""CREATE OR REPLACE TEMP TABLE _rule_meta AS
        SELECT RULE_ID, arg_max(TITLE, RUN_ID) AS TITLE, arg_max(SEVERITY, RUN_ID) AS SEVERITY
        FROM rule_results WHERE RUN_ID <= ? GROUP BY RULE_ID""", [run_id])
    con.execute("""CREATE OR REPLACE TEMP TABLE report_exceptions AS
        SELECT e.RULE_ID, rr.TITLE, rr.SEVERITY, e.CHILD, e.EVENT_DATE, e.DUE_DATE, e.DAYS_OVERDUE, e.DETAIL,
               e.TEAM, e.WORKER_ID, s.STATUS, e.FINGERPRINT, s.LAST_CHECKED, s.CHECKED, s.FIRST_SEEN,
               s.REVIEW_ACTION, s.REVIEW_REASON, s.REVIEWER, s.REVIEWED_AT, s.REVIEW_UNTIL
        FROM exceptions e
        JOIN _rule_meta rr ON rr.RULE_ID = e.RULE_ID
        JOIN _status s USING (FINGERPRINT)
        WHERE e.RUN_ID = ?
        ORDER BY CASE rr.SEVERITY WHEN 'critical' THEN 1 WHEN 'high' THEN 2 WHEN 'medium' THEN 3 ELSE 4 END,
                 e.RULE_ID, e.DUE_DATE, e.CHILD, e.FINGERPRINT""", [run_id])
    # What tonight resolved (the data shows it done or no longer owed) and closed (out of period).
    con.execute("""CREATE OR REPLACE TEMP TABLE report_closed AS
        SELECT s.STATUS, e.RULE_ID, rr.TITLE, e.CHILD, e.EVENT_DATE, e.DUE_DATE, e.TEAM, e.FINGERPRINT,
               s.FIRST_SEEN, e.WORKER_ID, s.REVIEW_ACTION, s.REVIEW_REASON, s.REVIEWER, s.REVIEWED_AT, s.REVIEW_UNTIL
        FROM _status s
        JOIN (SELECT * FROM exceptions WHERE RUN_ID < ?
              QUALIFY row_number() OVER (PARTITION BY FINGERPRINT ORDER BY RUN_ID DESC) = 1) e USING (FINGERPRINT)
        JOIN _rule_meta rr ON rr.RULE_ID = e.RULE_ID
        WHERE s.STATUS IN ('resolved', 'closed')
        ORDER BY s.STATUS DESC, e.RULE_ID, e.DUE_DATE, e.CHILD, e.FINGERPRINT""", [run_id])
    con.execute("""CREATE OR REPLACE TEMP TABLE report_rules AS
        SELECT rr.RULE_ID, rr.TITLE, rr.SEVERITY, rr.AREA, rr.STATUS, rr.MESSAGE, rr.POPULATION, rr.EXCEPTIONS,
               CASE WHEN rr.STATUS = 'ran' THEN compliance_rate(rr.POPULATION, rr.EXCEPTIONS) END AS RATE,
               coalesce(t.TARGET, rr.TARGET) AS TARGET
        FROM rule_results rr LEFT JOIN _targets t USING (RULE_ID)
        WHERE rr.RUN_ID = ? ORDER BY rr.RULE_ID""", [run_id])
    con.execute("""CREATE OR REPLACE TEMP TABLE report_summary AS
        WITH pop AS (
            SELECT RULE_ID, coalesce(TEAM, 'No team') AS TEAM, strftime(EVENT_DATE, '%Y-%m') AS MONTH
            FROM populations WHERE RUN_ID = ?
        ), exc AS (
            SELECT RULE_ID, coalesce(TEAM, 'No team') AS TEAM, strftime(EVENT_DATE, '%Y-%m') AS MONTH
            FROM exceptions WHERE RUN_ID = ? AND coalesce(CHECKED, true)
        ), levels AS (
            SELECT 'rule' AS LEVEL, RULE_ID, NULL AS TEAM, NULL AS MONTH, POPULATION, EXCEPTIONS
            FROM report_rules WHERE STATUS = 'ran'
            UNION ALL
            SELECT 'team', RULE_ID, TEAM, NULL, sum(P), sum(E) FROM (
                SELECT RULE_ID, TEAM, count(*) AS P, 0 AS E FROM pop GROUP BY ALL
                UNION ALL SELECT RULE_ID, TEAM, 0, count(*) FROM exc GROUP BY ALL) GROUP BY ALL
            UNION ALL
            SELECT 'month', RULE_ID, NULL, MONTH, sum(P), sum(E) FROM (
                SELECT RULE_ID, MONTH, count(*) AS P, 0 AS E FROM pop GROUP BY ALL
                UNION ALL SELECT RULE_ID, MONTH, 0, count(*) FROM exc GROUP BY ALL) GROUP BY ALL
        )
        SELECT l.LEVEL, l.RULE_ID, r.TITLE, r.SEVERITY, l.TEAM, l.MONTH, l.POPULATION::BIGINT AS POPULATION,
               l.EXCEPTIONS::BIGINT AS EXCEPTIONS,
               round(compliance_rate(l.POPULATION, l.EXCEPTIONS), 4) AS RATE, r.TARGET,
               rag(compliance_rate(l.POPULATION, l.EXCEPTIONS), r.TARGET) AS RAG
        FROM levels l JOIN report_rules r USING (RULE_ID)
        ORDER BY CASE l.LEVEL WHEN 'rule' THEN 1 WHEN 'team' THEN 2 ELSE 3 END, l.RULE_ID, l.TEAM, l.MONTH""",
                [run_id, run_id])


def suppressed_summary(n: int) -> str:
    """SQL for the summary with counts from 1 to n-1 (and the rates that would reveal them)
    shown as ``[c]``, as DfE statistics do for tables that leave the authority."""
    hide = f"(POPULATION BETWEEN 1 AND {n - 1} OR EXCEPTIONS BETWEEN 1 AND {n - 1})"
    return f"""SELECT LEVEL, RULE_ID, TITLE, SEVERITY, TEAM, MONTH,
        CASE WHEN POPULATION BETWEEN 1 AND {n - 1} THEN '[c]' ELSE POPULATION::VARCHAR END AS POPULATION,
        CASE WHEN EXCEPTIONS BETWEEN 1 AND {n - 1} THEN '[c]' ELSE EXCEPTIONS::VARCHAR END AS EXCEPTIONS,
        CASE WHEN {hide} THEN '[c]' ELSE RATE::VARCHAR END AS RATE, TARGET,
        CASE WHEN {hide} THEN '[c]' ELSE RAG END AS RAG
        FROM report_summary"""
