"""What falls due next: the obligations not yet done whose due date is in the next days.

The exception list says what already went wrong; team managers plan from this one. The engine
lists each obligation rule's items due within ``--due-within`` days of the as-of date
(``engine._due_soon``, from the expression a rule names in ``due_soon``); here they are joined
to the child's team and social worker at the as-of date and sorted by due date.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import duckdb

#: The columns of due_soon.csv and of the workbook's "Due soon" sheet, in order.
DUE_SOON_COLUMNS = ("RULE_ID", "TITLE", "SEVERITY", "CHILD", "EVENT_DATE", "DUE_DATE", "DAYS_LEFT", "COUNTED_IN",
                    "DETAIL", "TEAM", "WORKER_ID")

#: The list in its one order: by due date, then rule, child and event (a total order).
DUE_SOON_QUERY = (f"SELECT {', '.join(DUE_SOON_COLUMNS)} FROM report_due_soon "
                  "ORDER BY DUE_DATE, RULE_ID, CHILD, EVENT_DATE, EVENT_KEY NULLS FIRST")


class DueItem(NamedTuple):
    """One obligation falling due: the child, what is owed, by when, and who holds the case."""

    rule_id: str
    title: str
    severity: str
    child: str
    event_date: dt.date
    due_date: dt.date
    days_left: int
    counted_in: str
    detail: str
    team: str | None
    worker_id: str | None


def build(con: duckdb.DuckDBPyConnection, run_id: int, due_within: int) -> None:
    """Create ``report_due_soon`` from the engine's ``_due_soon``, the run's rule titles in the history and
    the history's ``_worker`` (the social worker allocated at the as-of date, made by ``history.record_run``,
    which must have run). ``due_within``: the days ahead the list looked, for the report to say."""
    from ..history import STORE

    con.execute("CREATE OR REPLACE TEMP TABLE report_due_window AS SELECT ?::INTEGER AS DAYS", [due_within])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE report_due_soon AS
        SELECT d.RULE_ID, r.TITLE, r.SEVERITY, d.CHILD, d.EVENT_DATE, d.DUE_DATE, d.DAYS_LEFT, d.COUNTED_IN,
               d.DETAIL, w.TEAM, w.WORKER_ID, d.EVENT_KEY
        FROM _due_soon d JOIN {STORE}.rule_results r ON r.RUN_ID = ? AND r.RULE_ID = d.RULE_ID
        LEFT JOIN _worker w USING (CHILD)""", [run_id])


def ensure(con: duckdb.DuckDBPyConnection) -> int | None:
    """Make sure ``report_due_soon`` exists for the reports (empty when the night listed none, as a
    report written outside a night's run); return the days ahead it looked (None: not listed)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "report_due_soon" not in tables:
        con.execute("""CREATE TEMP TABLE report_due_soon (RULE_ID VARCHAR, TITLE VARCHAR, SEVERITY VARCHAR,
            CHILD VARCHAR, EVENT_DATE DATE, DUE_DATE DATE, DAYS_LEFT INTEGER, COUNTED_IN VARCHAR, DETAIL VARCHAR,
            TEAM VARCHAR, WORKER_ID VARCHAR, EVENT_KEY VARCHAR)""")
    if "report_due_window" not in tables:
        return None
    return con.execute("SELECT DAYS FROM report_due_window").fetchone()[0]


def items(con: duckdb.DuckDBPyConnection) -> list[DueItem]:
    """The rows of ``report_due_soon`` (``build`` first), as typed items for callers of the pipeline."""
    return [DueItem(*row) for row in con.execute(DUE_SOON_QUERY).fetchall()]
