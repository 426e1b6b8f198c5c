"""Running the DfE SSDA903 validation pack over a loaded extract.

The DfE validates a year's return: the episodes open at some time in the collection year, the reviews
and missing episodes of the year, and the children those concern. An extract is usually a case
system's whole history, so before the pack runs the return is cut from it (``scope_return``) as
temporary tables that shadow the loaded ones; a return given as it is (a year's 903 files) is unchanged
by the cut. Last year's return, when given (``prev/`` or ``--previous``), is loaded as ``prev_<table>``.

The rules run set-based, several to a statement (``BATCH``): DuckDB plans and scans once for the batch
instead of once a rule; a batch that fails is run again rule by rule, so one broken rule is reported as
errored and the rest still run. Every error found is a row of ``_validation``: code, child, table,
line, the fields the DfE names, the record's key (its dates: stable from night to night, where a line
number is not) and a fingerprint, for the history's new / open / resolved.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from . import interrupt
from .contract import TABLES_BY_NAME
from .errors import ident, literal, safe_message
from .load import create_table_sql
from .validation_rules import (
    PREVIOUS,
    PREVIOUS_TABLES,
    REJECTED_CELLS,
    REJECTED_COLUMNS,
    RETURN_TABLES,
    ValidationCase,
    ValidationRule,
    table_of,
    year_bounds,
)

log = logging.getLogger(__name__)

#: Rules run together in one statement.
BATCH = 40

#: How each dated table of the year's return is cut from an extract's history (the others are snapshots,
#: one row a child, and are taken as they are; the header keeps the children the return concerns).
RETURN_SCOPE = {
    "episodes": "DECOM <= $collection_end AND (DEC IS NULL OR DEC >= $collection_start)",
    "reviews": "REVIEW BETWEEN $collection_start AND $collection_end",
    "missing": "MIS_START <= $collection_end AND (MIS_END IS NULL OR MIS_END >= $collection_start)",
    "sw_episodes": "SW_DECOM <= $collection_end AND (SW_DEC IS NULL OR SW_DEC >= $collection_start)",
}


@dataclass
class ValidationResult:
    rule: ValidationRule
    status: str  # ran | not run | errored
    message: str = ""
    errors: int = 0


def prepare_validation_database(con: duckdb.DuckDBPyConnection) -> None:
    """Every contract table, the calendar and macros (``engine.prepare_database``), and the pack's own
    tables (``add_validation_tables``)."""
    from .engine import prepare_database

    prepare_database(con)
    add_validation_tables(con)


def add_validation_tables(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ``prev_`` table for each SSDA903 table not loaded from last year's return, and
    ``rejected_cells``."""
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    for name in PREVIOUS_TABLES:
        if name not in existing:
            sql = create_table_sql(table_of(name)).replace("CREATE OR REPLACE TABLE", "CREATE TABLE")
            con.execute(sql.replace(f'"{table_of(name).name}"', f'"{name}"', 1))
    # every episode the extract holds, whatever the year's cut (a care leaver's time in care from 14: 1001)
    db = ident(con.execute("SELECT current_database()").fetchone()[0])  # "main" alone may name the temporary schema
    con.execute(f'CREATE OR REPLACE TEMP VIEW history_episodes AS SELECT * FROM {db}.main."episodes"')
    if REJECTED_CELLS not in existing:
        con.execute(f"CREATE TABLE {REJECTED_CELLS} "
                    "(CHILD VARCHAR, TABLE_NAME VARCHAR, LINE INTEGER, COLUMN_NAME VARCHAR)")


def load_previous(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Read, guard and load last year's return from ``folder`` as ``prev_<table>`` tables of ``con``; the
    names of those loaded. Its files are read as an extract's are: an identifier refuses the night, a bad
    cell is emptied; the rows it could not read are not listed with tonight's (they are last year's)."""
    import dataclasses

    from .errors import InputError
    from .load import load_extract

    try:
        before, report = load_extract(folder, None)
    except InputError as e:  # say which folder: its files have the names of tonight's
        raise InputError([dataclasses.replace(p, file=f"{folder.name}/{p.file}") for p in e.problems]) from None
    try:
        con.register("_previous", before.sql("SELECT * FROM load_files").to_arrow_table())
        con.execute("CREATE OR REPLACE TABLE previous_files AS SELECT * FROM _previous")  # for the manifest
        con.unregister("_previous")
        # rows of last year's the loader dropped: an error on them is not resolved by their absence
        con.register("_previous", before.sql(f"SELECT {literal(folder.name + '/')} || FILE, '{PREVIOUS}' || "
                                             "TABLE_NAME, LINE, CHILD FROM dropped_rows").to_arrow_table())
        con.execute("INSERT INTO dropped_rows SELECT * FROM _previous")
        con.unregister("_previous")
        loaded = []
        for f in report.files:
            if f.table not in RETURN_TABLES:
                continue
            name = PREVIOUS + f.table
            con.register("_previous", before.sql(f'SELECT * FROM "{f.table}"').to_arrow_table())
            con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _previous')
            con.unregister("_previous")
            loaded.append(name)
        return loaded
    finally:
        before.close()


def list_rejected_cells(con: duckdb.DuckDBPyConnection) -> None:
    """Fill ``rejected_cells`` from the loader's ``rejected_rows``: each cell with the child of its row
    (from the table for a cell emptied, from ``dropped_rows`` for a row dropped)."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'rejected_rows'").fetchone()[0]:
        return
    emptied = " UNION ALL ".join(
        f"SELECT t.CHILD, r.TABLE_NAME, r.LINE, r.COLUMN_NAME FROM rejected_rows r JOIN main.\"{t}\" t "
        f"ON t._LINE = r.LINE WHERE r.TABLE_NAME = '{t}' AND r.ACTION = 'cell emptied'" for t in RETURN_TABLES)
    con.execute(f"""INSERT INTO {REJECTED_CELLS}
        SELECT d.CHILD, r.TABLE_NAME, r.LINE, r.COLUMN_NAME FROM rejected_rows r
        JOIN dropped_rows d ON d.FILE = r.FILE AND d.LINE = r.LINE
        WHERE r.ACTION = 'row dropped' AND d.CHILD IS NOT NULL AND list_contains(?, r.TABLE_NAME)
        UNION ALL {emptied}""", [list(RETURN_TABLES)])


def scope_return(con: duckdb.DuckDBPyConnection, year: str) -> None:
    """Cut the year's return from the loaded tables, as temporary tables of the same names (the whole
    history of episodes stays readable as ``history_episodes``: ``add_validation_tables``)."""
    start, end = year_bounds(year)
    values = {"collection_start": start, "collection_end": end}
    db = ident(con.execute("SELECT current_database()").fetchone()[0])  # "main" alone may name the temporary schema
    for table, condition in RETURN_SCOPE.items():
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT * FROM {db}.main."{table}" WHERE {condition}',
                    values)
    concerned = " UNION ".join(
        f'SELECT CHILD FROM {"temp.main" if t in RETURN_SCOPE else db + ".main"}."{t}"'
        for t in RETURN_TABLES if t != "header")
    con.execute(f'CREATE OR REPLACE TEMP TABLE "header" AS SELECT * FROM {db}.main."header" '
                f"WHERE CHILD IN ({concerned})")


def unscope_return(con: duckdb.DuckDBPyConnection) -> None:
    for table in (*RETURN_SCOPE, "header"):
        con.execute(f'DROP TABLE IF EXISTS temp.main."{table}"')


def evaluate_validation(con: duckdb.DuckDBPyConnection, rules: list[ValidationRule], year: str,
                        present: set[str] | None = None, as_of: dt.date | None = None) -> list[ValidationResult]:
    """Run the pack into the temporary table ``_validation`` and return one result per rule.

    ``present`` names the tables the extract (and ``prev/``) had: a rule that needs another is not run.
    A rule that does not apply in ``year`` is not run either. ``con`` is locked down first, as for the
    compliance rules; records dated after ``as_of`` are set aside as they are for those."""
    from .engine import lock_down, set_aside_future

    if not con.execute("SELECT current_setting('lock_configuration')").fetchone()[0]:
        lock_down(con)
    if as_of is not None:
        set_aside_future(con, as_of)
    list_rejected_cells(con)
    start, end = year_bounds(year)
    values = {"collection_start": start, "collection_end": end, "year": year}
    con.execute("""CREATE OR REPLACE TEMP TABLE _validation (CODE VARCHAR, CHILD VARCHAR, TABLE_NAME VARCHAR,
        LINE INTEGER, FIELDS VARCHAR, RECORD_KEY VARCHAR, FINGERPRINT VARCHAR)""")
    results: dict[str, ValidationResult] = {}
    runnable = []
    for rule in rules:
        missing = [t for t in rule.tables if present is not None and t not in present]
        if not rule.applies_in(year):
            results[rule.code] = ValidationResult(rule, "not run", f"does not apply in {year} ({rule.years})")
        elif missing:
            results[rule.code] = ValidationResult(rule, "not run", f"missing table {', '.join(missing)}")
        else:
            runnable.append(rule)
    scope_return(con, year)
    try:
        for i in range(0, len(runnable), BATCH):
            batch = runnable[i:i + BATCH]
            try:
                _run_batch(con, batch, values)
            except duckdb.Error as e:
                if isinstance(e, duckdb.InterruptException) or interrupt.received() is not None:
                    raise
                for rule in batch:  # find the rule at fault; the others still count
                    try:
                        _run_batch(con, [rule], values)
                    except duckdb.Error as e1:
                        if isinstance(e1, duckdb.InterruptException) or interrupt.received() is not None:
                            raise
                        message = safe_message(str(e1))
                        log.warning("validation rule %s errored: %s", rule.code, message)
                        results[rule.code] = ValidationResult(rule, "errored", message)
    finally:
        unscope_return(con)
    _finish(con)
    counts = dict(con.execute("SELECT CODE, count(*) FROM _validation GROUP BY CODE").fetchall())
    for rule in runnable:
        results.setdefault(rule.code, ValidationResult(rule, "ran", "", counts.get(rule.code, 0)))
    return [results[r.code] for r in rules]


def _run_batch(con: duckdb.DuckDBPyConnection, batch: list[ValidationRule], values: dict[str, Any]) -> None:
    parts = [f"""SELECT {literal(r.code)} AS CODE, CHILD::VARCHAR AS CHILD, TABLE_NAME::VARCHAR AS TABLE_NAME,
                        LINE::INTEGER AS LINE, {literal(", ".join(r.fields))} AS FIELDS
                 FROM ({r.sql}) AS _r{i}""" for i, r in enumerate(batch)]
    sql = "\nUNION ALL\n".join(parts)
    names: dict[str, Any] = {}
    for r in batch:
        names.update(r.bind(values))
    con.execute(f"INSERT INTO _validation (CODE, CHILD, TABLE_NAME, LINE, FIELDS) {sql}", names)


def _finish(con: duckdb.DuckDBPyConnection) -> None:
    """One row per code and row at fault; each with its record's key and a fingerprint that does not
    depend on the line, which changes when rows are added above it."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _validation AS
        SELECT DISTINCT ON (CODE, CHILD, TABLE_NAME, LINE) * FROM _validation
        ORDER BY CODE, CHILD, TABLE_NAME, LINE NULLS FIRST""")
    tables = [t for (t,) in con.execute("SELECT DISTINCT TABLE_NAME FROM _validation WHERE LINE IS NOT NULL "
                                        "ORDER BY 1").fetchall()]
    for name in tables:
        if name not in TABLES_BY_NAME and name not in PREVIOUS_TABLES:
            continue  # a rule naming a table that is not one: the key stays empty
        key = [c for c in table_of(name).key if c != "CHILD"]
        expr = "concat_ws('|', " + ", ".join(f't."{c}"::VARCHAR' for c in key) + ")" if key else "''"
        con.execute(f"""UPDATE _validation v SET RECORD_KEY = {expr}
            FROM main."{name}" t WHERE v.TABLE_NAME = ? AND v.LINE = t._LINE""", [name])
    con.execute("""UPDATE _validation SET FINGERPRINT = substr(sha256(concat_ws('|', '903-' || CODE, CHILD,
        TABLE_NAME, coalesce(RECORD_KEY, ''))), 1, 16)""")


def run_validation_case(rule: ValidationRule, case: ValidationCase) -> set[tuple[str, str, int | None]]:
    """Load the case's rows into an empty database and run the rule: the (CHILD, TABLE, LINE) at fault."""
    from .case_database import run_isolated

    return run_isolated(prepare_validation_database, lambda con: _run_validation_case_on(con, rule, case))


def _run_validation_case_on(con: duckdb.DuckDBPyConnection, rule: ValidationRule, case: ValidationCase,
                            ) -> set[tuple[str, str, int | None]]:
    from .case_database import insert_rows
    from .inserts import insert_rows as insert

    add_validation_tables(con)  # its view of every episode is the cursor's own (a temporary view)
    for table, rows in case.data.items():
        if table == REJECTED_CELLS:
            insert(con, REJECTED_CELLS, [[row.get(c) for c in REJECTED_COLUMNS] for row in rows])
            continue
        insert_rows(con, table, table_of(table).column_names, rows)
    result = evaluate_validation(con, [rule], case.year)[0]
    if result.status != "ran":
        raise AssertionError(f"{rule.id} did not run: {result.status} {result.message}")
    return {(c, t, line) for c, t, line in con.execute("SELECT CHILD, TABLE_NAME, LINE FROM _validation").fetchall()}
