"""Running rules over a loaded extract: bound parameters, results tables, one transaction.

Each rule's population and exception queries run with ``$as_of``,
``$period_start``, ``$period_end`` and the rule's own parameters bound (never
pasted into the SQL). A rule whose table is absent from the extract is "not
run"; a rule that fails is "errored" with its message; neither stops the rest.
All of a run's results are written in one transaction, so a run that fails
leaves the previous results as they were.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from . import interrupt, spill
from .calendar import install as install_calendar
from .contract import TABLES, Table
from .errors import InputError, Problem, literal, safe_message
from .inserts import insert_rows
from .load import create_table_sql
from .rules import _PARAM, DUE_WITHIN_DAYS, Rule

log = logging.getLogger(__name__)

#: What the history and the reports need from the connection the rules ran on (temporary tables last).
HANDED_OVER = ("load_files", "rejected_rows", "dropped_rows", "quality_results", "allocations", "_exceptions",
               "_populations", "_due_soon", "_validation", "previous_files")


def default_period(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending on the as-of date."""
    start = duckdb.execute("SELECT (?::DATE - INTERVAL 12 MONTH + INTERVAL 1 DAY)::DATE", [as_of]).fetchall()[0][0]
    return start, as_of


def collection_year(label: str) -> tuple[dt.date, dt.date]:
    """A DfE collection year such as ``2024-25``: 1 April 2024 to 31 March 2025."""
    try:
        first = int(label[:4])
        if label[4] != "-" or int(label[5:]) != (first + 1) % 100:
            raise ValueError
    except (ValueError, IndexError):
        raise InputError(Problem("--period", "give a collection year such as 2024-25")) from None
    return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


def prepare_database(con: duckdb.DuckDBPyConnection, holidays: Path | None = None,
                     term_dates: Path | None = None) -> None:
    """Make sure every contract table exists (empty if the extract lacked it), then install the
    working-day calendar, the school terms and the shared views."""
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    for t in TABLES:
        if t.name not in existing:
            con.execute(create_table_sql(t).replace("CREATE OR REPLACE TABLE", "CREATE TABLE"))
    if "dropped_rows" not in existing:  # rows the loader dropped, for rules that must not count them as absent
        con.execute("CREATE TABLE dropped_rows (FILE VARCHAR, TABLE_NAME VARCHAR, LINE INTEGER, CHILD VARCHAR)")
    install_calendar(con, holidays, term_dates)
    con.execute(resources.files("careplan_checks").joinpath("views.sql").read_text(encoding="utf-8"))


@dataclass
class RuleResult:
    rule: Rule
    status: str  # ran | not run | errored
    message: str = ""
    population: int = 0
    exceptions: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    #: Tables of the rule's ``also_reads`` absent tonight: it ran without them, so an item of last
    #: night's that it did not find again is kept, not resolved (the history's carry-over).
    absent: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        from .compliance import rate

        return rate(self.population, self.exceptions) if self.status == "ran" else None


def resolve_parameters(rule: Rule, overrides: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The rule's parameters with ``--param RULE.NAME=VALUE`` overrides, typed as the default."""
    values: dict[str, Any] = dict(rule.parameters)
    for name, raw in overrides.get(rule.id, {}).items():
        if name not in values:
            raise InputError(Problem("--param", f"{rule.id} has no parameter '{name}' "
                                     f"(it has {', '.join(values) or 'none'})"))
        default = values[name]
        try:
            values[name] = type(default)(raw)
        except ValueError:
            raise InputError(Problem("--param", f"{rule.id}.{name} must be a {type(default).__name__}")) from None
    return values


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """From now on, SQL on ``con`` reads only what is already in it: no file, no network, no setting.

    Rule packs are shared between authorities, and a rule file is SQL. A pattern check cannot
    catch every way of reading a file (quoted names, comments inside a call, replacement scans),
    so the engine turns DuckDB's external access off and locks the configuration before any
    rule's SQL is planned or run; a rule that tries errors with DuckDB's permission message.
    """
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def event_date(table: Table) -> str | None:
    """The column that dates a table's record: the first date in its key (DECOM, REVIEW, VISIT_DATE...)."""
    return next((c for c in table.key if table.column(c).kind == "date"), None)


def set_aside_future(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Move the records dated after the as-of date out of the rule tables into ``future_rows``.

    A review dated 2030 cannot have met a review due in 2025, nor can an episode that has not
    begun be one of the child's placements: as of the as-of date those records do not exist.
    They are kept, with table, column, line and child, for the data-quality findings.
    """
    con.execute("""CREATE TEMP TABLE IF NOT EXISTS future_rows (TABLE_NAME VARCHAR, COLUMN_NAME VARCHAR,
        LINE INTEGER, CHILD VARCHAR)""")
    dated = [(t, c) for t in TABLES if (c := event_date(t)) is not None]
    # one scan of every table says which have any (most nights: none), so only those are rewritten
    found = con.execute(" UNION ALL ".join(
        f"""SELECT {i} WHERE EXISTS (SELECT 1 FROM "{t.name}" WHERE "{c}" > $as_of)"""
        for i, (t, c) in enumerate(dated)), {"as_of": as_of}).fetchall()
    for i in sorted(r[0] for r in found):
        table, column = dated[i]
        con.execute(f"""INSERT INTO future_rows SELECT '{table.name}', '{column}', _LINE, CHILD
            FROM "{table.name}" WHERE "{column}" > ?""", [as_of])
        con.execute(f'DELETE FROM "{table.name}" WHERE "{column}" > ?', [as_of])


#: The shared views most rules build on, in the order each reads the one before.
MATERIALISED_VIEWS = ("ordered_episodes", "episode_periods", "periods_of_care", "placements", "eligibility")


def materialise_views(con: duckdb.DuckDBPyConnection) -> None:
    """Work the shared views out once for the night, as temporary tables of the same names.

    A view is worked out again by every query that reads it: forty rules reading ``placements`` would
    number and window every episode forty times. A temporary table shadows the view of its name (DuckDB
    looks in the temporary schema first, and a view's own body is resolved when it is read), so the
    rules, the views built on these and the macros read the table, with the same rows and numbers.
    Called once the tables hold the night's rows (after ``set_aside_future``); each call works them
    out again from the views in ``main``.
    """
    for name in MATERIALISED_VIEWS:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM main."{name}"')


def future_findings(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """One data-quality finding per table with records dated after the as-of date, in the shape
    of ``quality_results`` rows."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'future_rows'").fetchone()[0]:
        return []
    return [(t, "dated_after_as_of", c, f"{c} is after the as-of date (first at line {first}): the record is not "
             "counted, as done or otherwise", False, None, n, None)
            for t, c, n, first in con.execute("""SELECT TABLE_NAME, COLUMN_NAME, count(*), min(LINE)
                FROM future_rows GROUP BY ALL ORDER BY ALL""").fetchall()]


def results_connection(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new connection holding only what the history and the reports need from ``con``, on which
    the rules ran with external access off; the history is attached and the reports written there."""
    out = spill.connect()
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for name in HANDED_OVER:
        if name not in present:
            continue
        out.register("_handed_over", con.sql(f'SELECT * FROM "{name}"').to_arrow_table())
        # quality_results is temporary too: the checks' findings from their worker are added to it inside the
        # history's transaction, which may write to one database only (the temporary one aside)
        temp = "TEMP " if name.startswith("_") or name == "quality_results" else ""
        out.execute(f'CREATE {temp}TABLE "{name}" AS SELECT * FROM _handed_over')
        out.unregister("_handed_over")
    return out


#: Rules planned and run to a statement. Each rule's query costs some 20-40 ms to plan and start whatever
#: the data (the 2,000-child sample), and the steps that follow it (one answer per obligation, the dropped-row
#: note, the population cross-check) as much again when run rule by rule; in one statement the rules' branches
#: are planned together and run side by side on both cores. A batch whose statement fails is run again rule
#: by rule, so that only the rule at fault is in error.
BATCH = 20

#: One row per obligation a rule's statement returns: P (population), E (exception), D (due soon).
_ROWS = """CREATE OR REPLACE TEMP TABLE _rule_rows (RULE_ID VARCHAR, _KIND VARCHAR, CHILD VARCHAR,
    EVENT_DATE DATE, EVENT_KEY VARCHAR, DUE_DATE DATE, DONE_DATE DATE, DETAIL VARCHAR, DAYS_LEFT INTEGER)"""


def evaluate(con: duckdb.DuckDBPyConnection, rules: list[Rule], as_of: dt.date,
             period: tuple[dt.date, dt.date] | None = None, present: set[str] | None = None,
             overrides: dict[str, dict[str, str]] | None = None,
             due_within: int = DUE_WITHIN_DAYS,
             absent_columns: dict[str, list[str]] | None = None) -> list[RuleResult]:
    """Run the rules into the temporary tables ``_exceptions``, ``_populations`` and ``_due_soon``.

    Nothing permanent is written here: a failing statement would abort a DuckDB transaction,
    and a killed run must leave the history as it was, so the results are recorded
    separately, all at once (``history.record_run``). ``con`` is locked down first
    (``lock_down``): afterwards it can no longer read or write files, so the results are
    recorded through ``results_connection``. ``absent_columns`` names, per table, the optional
    columns the extract did not have at all: a rule that reads one is not run, rather than run on a
    column that is empty because the source cannot supply it.
    """
    if not con.execute("SELECT current_setting('lock_configuration')").fetchone()[0]:
        lock_down(con)
    set_aside_future(con, as_of)
    materialise_views(con)
    period_start, period_end = period or default_period(as_of)
    overrides = overrides or {}
    params = {rule.id: resolve_parameters(rule, overrides) for rule in rules}
    con.execute("""CREATE OR REPLACE TEMP TABLE _exceptions (RULE_ID VARCHAR, CHILD VARCHAR, EVENT_DATE DATE,
        EVENT_KEY VARCHAR, DUE_DATE DATE, DONE_DATE DATE, DAYS_OVERDUE INTEGER, DETAIL VARCHAR, FINGERPRINT VARCHAR)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _populations (RULE_ID VARCHAR, CHILD VARCHAR, EVENT_DATE DATE,
        EVENT_KEY VARCHAR)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _due_soon (RULE_ID VARCHAR, CHILD VARCHAR, EVENT_DATE DATE,
        EVENT_KEY VARCHAR, DUE_DATE DATE, DAYS_LEFT INTEGER, COUNTED_IN VARCHAR, DETAIL VARCHAR)""")
    dropped = con.execute("SELECT count(*) > 0 FROM dropped_rows WHERE CHILD IS NOT NULL").fetchone()[0]
    shared = {"as_of": as_of, "period_start": period_start, "period_end": period_end, "due_within": due_within}
    results: dict[str, RuleResult] = {}
    branches: list[_Branch] = []
    for rule in rules:
        skipped = _not_run(rule, as_of, params[rule.id], present, absent_columns or {})
        if skipped is not None:
            results[rule.id] = skipped
            continue
        try:
            branches.append(_branch(con, rule, params[rule.id], shared, len(branches)))
        except duckdb.Error as e:
            results[rule.id] = _errored(rule, e, params[rule.id])
    for i in range(0, len(branches), BATCH):
        batch = branches[i:i + BATCH]
        con.execute(_ROWS)
        try:
            _run_batch(con, batch)
        except duckdb.Error as e:
            _raise_if_interrupted(e)
            con.execute(_ROWS)
            for branch in batch:  # find the rule at fault; the others still count
                try:
                    _run_batch(con, [branch])
                except duckdb.Error as e1:
                    _raise_if_interrupted(e1)
                    results[branch.rule.id] = _errored(branch.rule, e1, params[branch.rule.id])
        ran = [b for b in batch if b.rule.id not in results]
        for result in _collect(con, ran, as_of, dropped, present):
            results[result.rule.id] = result
    con.execute("DROP TABLE IF EXISTS _rule_rows")
    return [results[rule.id] for rule in rules]


@dataclass
class _Branch:
    """One rule's part of a batch: its statement, with its own parameters renamed apart from the others'."""
    rule: Rule
    sql: str
    values: dict[str, Any]
    position: int
    params: dict[str, Any]


def _not_run(rule: Rule, as_of: dt.date, params: dict[str, Any], present: set[str] | None,
             absent_columns: dict[str, list[str]]) -> RuleResult | None:
    if present is not None:
        missing = [t for t in rule.tables if t not in present]
        if missing:
            return RuleResult(rule, "not run", f"missing table {', '.join(missing)}", parameters=params)
    if absent_columns and any(t in absent_columns for t in rule.reads):  # parsed only when it matters
        gaps = sorted(f"{t}.{c}" for t, c in rule.columns_read if c in absent_columns.get(t, ()))
        if gaps:
            return RuleResult(rule, "not run", f"column(s) not in the extract: {', '.join(gaps)}", parameters=params)
    if (rule.applies_from and as_of < rule.applies_from) or (rule.applies_until and as_of > rule.applies_until):
        return RuleResult(rule, "not run", "the rule does not apply on the as-of date", parameters=params)
    return None


def _raise_if_interrupted(e: duckdb.Error) -> None:
    if isinstance(e, duckdb.InterruptException) or interrupt.received() is not None:
        raise e  # a signal stopped the query: the run is interrupted, not the rule in error


def _errored(rule: Rule, e: duckdb.Error, params: dict[str, Any]) -> RuleResult:
    _raise_if_interrupted(e)
    message = safe_message(str(e))  # DuckDB quotes the cell
    log.warning("rule %s errored: %s", rule.id, message)
    return RuleResult(rule, "errored", message, parameters=params)


def _columns(con: duckdb.DuckDBPyConnection, rule: Rule, query: str, values: dict[str, Any]) -> list[str]:
    """The columns a rule's query (``Rule.exception_query`` or ``population_query``) returns: planned, not run."""
    planned = rule.planned_columns(query)
    if planned is not None:
        return planned
    sql = f"SELECT * FROM ({query}) LIMIT 0"
    return [d[0] for d in con.execute(sql, rule.bind(sql, values)).description]


def _due_branch(con: duckdb.DuckDBPyConnection, rule: Rule, values: dict[str, Any]) -> str:
    """The rule's obligations not yet done whose due date falls in the next ``$due_within`` days (after the
    as-of date, which the exceptions cover), with the days left counted as the rule counts: a branch of
    the rule's one statement, so that its obligations are worked out once for exceptions, population and
    the due-soon list alike."""
    name = rule.due_soon
    columns = _columns(con, rule, rule.due_soon_query, values)
    key = "EVENT_KEY::VARCHAR" if "EVENT_KEY" in columns else "NULL::VARCHAR"
    owed = "coalesce(LAPSES, DATE '9999-12-31') > DUE_DATE" if "LAPSES" in columns else "true"
    working = rule.counts == "working days"  # any other rule's days left are calendar days
    left = "working_days_between($as_of::DATE, DUE_DATE)" if working else "DUE_DATE - $as_of::DATE"
    return f"""
            UNION ALL
            SELECT DISTINCT 'D', CHILD::VARCHAR, EVENT_DATE::DATE, {key}, DUE_DATE::DATE, NULL::DATE, DETAIL::VARCHAR,
                   ({left})::INTEGER
            FROM {name}
            WHERE (DONE_DATE IS NULL OR DONE_DATE > $as_of::DATE) AND DUE_DATE > $as_of::DATE
              AND DUE_DATE <= $as_of::DATE + to_days($due_within::INTEGER) AND {owed}"""


def _branch(con: duckdb.DuckDBPyConnection, rule: Rule, params: dict[str, Any], shared: dict[str, Any],
            position: int) -> _Branch:
    """The rule's population, exceptions and due-soon obligations as one query, so that its shared ``with``
    expressions (its obligations) are worked out once. The rule's own parameters are renamed ``$r<n>_<name>``:
    two rules of a batch may give the same name different values."""
    values = {**params, **shared}
    exc_cols = _columns(con, rule, rule.exception_query, values)
    pop_cols = _columns(con, rule, rule.population_query, values)
    key = "EVENT_KEY::VARCHAR" if "EVENT_KEY" in exc_cols else "NULL::VARCHAR"
    pkey = "EVENT_KEY::VARCHAR" if "EVENT_KEY" in pop_cols else "NULL::VARCHAR"
    done = "DONE_DATE::DATE" if "DONE_DATE" in exc_cols else "NULL::DATE"
    with_ = f"{rule.with_},\n" if rule.with_ else ""
    due = _due_branch(con, rule, values) if rule.due_soon else ""
    sql = f"""WITH {with_}_population AS ({rule.population}), _exceptions_q AS ({rule.sql})
        SELECT 'P' AS _KIND, CHILD::VARCHAR AS CHILD, EVENT_DATE::DATE AS EVENT_DATE, {pkey} AS EVENT_KEY,
               NULL::DATE AS DUE_DATE, NULL::DATE AS DONE_DATE, NULL::VARCHAR AS DETAIL,
               NULL::INTEGER AS DAYS_LEFT FROM _population
        UNION ALL
        SELECT 'E', CHILD::VARCHAR, EVENT_DATE::DATE, {key}, DUE_DATE::DATE, {done}, DETAIL::VARCHAR, NULL::INTEGER
        FROM _exceptions_q{due}"""
    used = rule.bind(sql, values)
    renamed = {name: f"r{position}_{name}" for name in used if name in params}
    sql = _PARAM.sub(lambda m: "$" + renamed.get(m.group(1), m.group(1)), sql)
    return _Branch(rule, sql, {renamed.get(k, k): v for k, v in used.items()}, position, params)


def _run_batch(con: duckdb.DuckDBPyConnection, batch: list[_Branch]) -> None:
    sql = "\nUNION ALL\n".join(f"SELECT {literal(b.rule.id)} AS RULE_ID, * FROM ({b.sql}) AS _r{b.position}"
                               for b in batch)
    values: dict[str, Any] = {}
    for b in batch:
        values.update(b.values)
    con.execute(f"INSERT INTO _rule_rows {sql}", values)


def _collect(con: duckdb.DuckDBPyConnection, batch: list[_Branch], as_of: dt.date, dropped: bool,
             present: set[str] | None) -> list[RuleResult]:
    """A batch's rows as each rule's exceptions (one per obligation, with days overdue counted as the rule
    counts and a fingerprint), population and due-soon list, cross-checked rule by rule."""
    if not batch:
        return []
    con.execute("CREATE OR REPLACE TEMP TABLE _rule_meta (RULE_ID VARCHAR, POSITION INTEGER, COUNTS VARCHAR)")
    insert_rows(con, "_rule_meta", [[b.rule.id, b.position, b.rule.counts] for b in batch])
    # Late is never 0 days overdue: an action due on a Friday and done on the Saturday is 1 day late.
    con.execute("""CREATE OR REPLACE TEMP TABLE _rule_exc AS
        SELECT RULE_ID, CHILD, EVENT_DATE, EVENT_KEY, DUE_DATE, DONE_DATE,
               coalesce(CASE WHEN coalesce(DONE_DATE, $as_of::DATE) > DUE_DATE THEN greatest(1,
                   CASE WHEN m.COUNTS = 'working days'
                        THEN working_days_between(DUE_DATE, coalesce(DONE_DATE, $as_of::DATE))
                        ELSE coalesce(DONE_DATE, $as_of::DATE) - DUE_DATE END) ELSE 0 END, 0)::INTEGER AS DAYS_OVERDUE,
               DETAIL,
               substr(sha256(concat_ws('|', RULE_ID, CHILD, EVENT_DATE::VARCHAR, coalesce(EVENT_KEY, ''))),
                      1, 16) AS FINGERPRINT,
               m.POSITION
        FROM (SELECT DISTINCT ON (RULE_ID, CHILD, EVENT_DATE, EVENT_KEY) * FROM _rule_rows WHERE _KIND = 'E'
              ORDER BY RULE_ID, CHILD, EVENT_DATE, EVENT_KEY, DUE_DATE, DONE_DATE NULLS FIRST, DETAIL)
        JOIN _rule_meta m USING (RULE_ID)""", {"as_of": as_of})
    # A row the loader dropped may be why this child looks in breach: say so beside the exception.
    if dropped:
        con.execute("CREATE OR REPLACE TEMP TABLE _rule_reads (RULE_ID VARCHAR, TABLE_NAME VARCHAR)")
        insert_rows(con, "_rule_reads", [[b.rule.id, t] for b in batch for t in b.rule.reads])
        con.execute("""UPDATE _rule_exc e
            SET DETAIL = e.DETAIL || ' (note: ' || d.N || ' row(s) of this child''s in '
                || d.FILES || ' could not be loaded; see rejected_rows.csv)'
            FROM (SELECT r.RULE_ID, d.CHILD, count(*) AS N, string_agg(DISTINCT d.FILE, ', ' ORDER BY d.FILE) AS FILES
                  FROM dropped_rows d JOIN _rule_reads r USING (TABLE_NAME)
                  WHERE d.CHILD IS NOT NULL GROUP BY r.RULE_ID, d.CHILD) d
            WHERE d.CHILD = e.CHILD AND d.RULE_ID = e.RULE_ID""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _rule_pop AS
        SELECT DISTINCT RULE_ID, CHILD, EVENT_DATE, EVENT_KEY FROM _rule_rows WHERE _KIND = 'P'""")
    counts = {rule_id: (outside, n_exc, n_pop) for rule_id, outside, n_exc, n_pop in con.execute("""
        SELECT m.RULE_ID,
               (SELECT count(*) FROM _rule_exc e WHERE e.RULE_ID = m.RULE_ID AND NOT EXISTS (SELECT 1 FROM _rule_pop p
                   WHERE p.RULE_ID = e.RULE_ID AND p.CHILD = e.CHILD AND p.EVENT_DATE IS NOT DISTINCT FROM e.EVENT_DATE
                     AND p.EVENT_KEY IS NOT DISTINCT FROM e.EVENT_KEY)),
               (SELECT count(*) FROM _rule_exc e WHERE e.RULE_ID = m.RULE_ID),
               (SELECT count(*) FROM _rule_pop p WHERE p.RULE_ID = m.RULE_ID)
        FROM _rule_meta m""").fetchall()}
    results: list[RuleResult] = []
    faulty: list[str] = []
    for b in batch:
        rule, params = b.rule, b.params
        outside, n_exc, n_pop = counts[rule.id]
        if outside:  # a fault in the rule: its rate would be wrong, so it is not reported as if it ran
            message = (f"{outside} exception(s) are not in the rule's population (its population and sql disagree "
                       "on CHILD, EVENT_DATE or EVENT_KEY)")
            log.warning("rule %s errored: %s", rule.id, message)
            results.append(RuleResult(rule, "errored", message, parameters=params))
            faulty.append(rule.id)
            continue
        absent = [t for t in rule.also_reads if present is not None and t not in present]
        message = f"ran without {', '.join(absent)} (absent tonight)" if absent else ""
        results.append(RuleResult(rule, "ran", message, n_pop, n_exc, params, absent))
    con.execute("""INSERT INTO _exceptions SELECT RULE_ID, CHILD, EVENT_DATE, EVENT_KEY, DUE_DATE, DONE_DATE,
            DAYS_OVERDUE, DETAIL, FINGERPRINT
        FROM _rule_exc WHERE NOT list_contains($faulty, RULE_ID)
        ORDER BY POSITION, CHILD, EVENT_DATE, EVENT_KEY NULLS FIRST""", {"faulty": faulty})
    # unsorted: the population is only ever counted (by rule, team and month), and it is the largest of the
    # three (4 million rows at 100,000 children; sorting them took 1.7 s)
    con.execute("INSERT INTO _populations SELECT * FROM _rule_pop WHERE NOT list_contains($faulty, RULE_ID)",
                {"faulty": faulty})
    con.execute("""INSERT INTO _due_soon
        SELECT DISTINCT r.RULE_ID, CHILD, EVENT_DATE, EVENT_KEY, DUE_DATE, DAYS_LEFT,
               CASE WHEN m.COUNTS = 'working days' THEN 'working days' ELSE 'calendar days' END, DETAIL
        FROM _rule_rows r JOIN _rule_meta m USING (RULE_ID)
        WHERE _KIND = 'D' AND NOT list_contains($faulty, r.RULE_ID)""", {"faulty": faulty})
    for name in ("_rule_meta", "_rule_exc", "_rule_pop", "_rule_reads"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return results
