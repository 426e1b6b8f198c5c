"""Data-quality validation: Great Expectations suites generated from the contract.

The loader has already refused cells that cannot be typed; these checks look at
what typing cannot see: keys that repeat, dates out of order, overlapping
episodes, a child whose date of birth differs between tables, a child in one
table and not in another, and (given the run's collection year) a code that the
DfE allowed in another supported year but not in this one. Findings are warnings
(the rows are loaded and the rules still run), stored in ``quality_results`` and
shown in the report.

Every check runs as SQL inside DuckDB through GX's SQL datasource. GX is
imported here only, because importing it takes seconds.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from dataclasses import dataclass

import duckdb

from .codes import CODE_LISTS, SUPPORTED_YEARS, all_codes, codes_for
from .contract import TABLES
from .inserts import insert_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    """One finding the suite looks for: ``sql`` returns the offending rows (``{batch}`` is the table)."""

    table: str
    name: str
    column: str
    description: str
    sql: str
    #: Report the table's row count beside a finding (as GX's column-pair expectation did).
    counts_rows: bool = False
    #: A check on the table's shape, not its rows: no count of unexpected rows.
    shape: bool = False


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def build_checks(present: set[str], year: str | None = None) -> list[Check]:
    """The checks for the tables present in this extract; with ``year`` (a collection year such
    as ``2024-25``), also one check for each coded column whose list that year is narrower than the
    union the loader accepts."""
    if year is not None and year not in SUPPORTED_YEARS:
        raise ValueError(f"collection year {year!r} is not supported: {', '.join(SUPPORTED_YEARS)}")
    checks: list[Check] = []
    for t in TABLES:
        if t.name not in present:
            continue
        add = lambda name, column, description, sql, t=t, **kw: checks.append(  # noqa: E731
            Check(t.name, name, column, description, sql, **kw))
        expected = ", ".join(_quote(c) for c in sorted([*t.column_names, "_LINE"]))
        add("columns", "", "the table has exactly the contract's columns",
            f"SELECT 1 FROM (SELECT list(column_name ORDER BY column_name) AS C FROM information_schema.columns "
            f"WHERE table_name = {_quote(t.name)} AND table_schema = current_schema()) WHERE C <> [{expected}]",
            shape=True)
        # Required values, code lists and ranges. The loader has already refused rows that break them,
        # so this is a check on the loader.
        broken = [*(f'"{c.name}" IS NULL' for c in t.columns if c.required),
                  *(f'"{c.name}" NOT IN ({", ".join(_quote(x) for x in c.codes)})' for c in t.columns if c.codes),
                  *(f'"{c.name}" NOT BETWEEN {c.minimum} AND {c.maximum}' for c in t.columns
                    if c.kind == "int" and c.minimum is not None and c.maximum is not None)]
        if broken:
            add("contract_values", ", ".join(c.name for c in t.columns if c.required or c.codes or c.kind == "int"),
                "required values are present, codes are in their lists and numbers in range",
                "SELECT _LINE FROM {batch} WHERE " + " OR ".join(f"coalesce({b}, false)" for b in broken))
        if year is not None:
            # The loader accepts a code valid in any supported year (an extract holds episodes recorded
            # under older lists); one valid only in another year is worth a finding, not a lost row.
            for c in t.columns:
                if (t.name, c.name) not in CODE_LISTS:
                    continue
                valid = codes_for(t.name, c.name, year)
                if len(valid) == len(all_codes(t.name, c.name)):
                    continue
                add("code_in_year", c.name, f"{c.name}: code not valid in {year} (valid in another year)",
                    f'SELECT _LINE FROM {{batch}} WHERE "{c.name}" IS NOT NULL AND "{c.name}" NOT IN '
                    f'({", ".join(_quote(x) for x in valid)})')
        if t.key:
            cols = ", ".join(f'"{c}"' for c in t.key)
            add("unique_key", ", ".join(t.key), f"one row per {' + '.join(t.key)}",
                f"SELECT {cols} FROM {{batch}} GROUP BY {cols} HAVING count(*) > 1")
        for later, earlier in t.date_order:
            add("date_order", f"{later}, {earlier}", f"{later} is not before {earlier}",
                f'SELECT _LINE FROM {{batch}} WHERE "{later}" < "{earlier}"', counts_rows=True)
        if "DOB" in t.column_names and "header" in present and t.name != "header":
            add("dob_matches_header", "DOB", "DOB agrees with the header table for the same CHILD",
                "SELECT b.CHILD, b._LINE FROM (SELECT * FROM {batch}) b JOIN header h USING (CHILD) "
                "WHERE b.DOB IS NOT NULL AND b.DOB <> h.DOB")
        if "header" in present and t.name != "header":
            add("child_in_header", "CHILD", "every CHILD is in the header table",
                "SELECT b.CHILD, b._LINE FROM (SELECT * FROM {batch}) b "
                "WHERE b.CHILD NOT IN (SELECT CHILD FROM header)")
    if "episodes" in present:
        checks.append(Check("episodes", "no_overlap", "DECOM, DEC", "a child's episodes do not overlap",
                            "SELECT a.CHILD, a._LINE FROM (SELECT * FROM {batch}) a "
                            "JOIN episodes b ON a.CHILD = b.CHILD "
                            "AND a._LINE <> b._LINE AND b.DECOM > a.DECOM "
                            "AND b.DECOM < coalesce(a.DEC, DATE '9999-12-31')"))
        checks.append(Check("episodes", "one_open_episode", "DEC", "a child has at most one open episode",
                            "SELECT CHILD FROM {batch} WHERE DEC IS NULL GROUP BY CHILD HAVING count(*) > 1"))
    if "header" in present and "episodes" in present:
        # A care leaver aged 19 to 21 has OC3 (or leaving-care) rows and, as a rule, no episode in the year.
        leavers = "".join(f" AND CHILD NOT IN (SELECT CHILD FROM {t})" for t in ("oc3", "leaving_care")
                          if t in present)
        checks.append(Check("header", "child_has_episodes", "CHILD",
                            "every child in the header has episodes (or is a care leaver with OC3 or leaving-care "
                            "rows)",
                            f"SELECT CHILD FROM {{batch}} WHERE CHILD NOT IN (SELECT CHILD FROM episodes){leavers}"))
    return checks


def composite_query(checks: list[Check]) -> str:
    """One query for several checks: a row (check number, offending rows, table rows) per check that
    finds something. GX's bookkeeping costs some 20-30 ms an expectation whatever the data, so checks run
    as one expectation (``gx_checks.CompositeChecksFindNothing``, an ``UnexpectedRowsExpectation`` that runs
    its query once) rather than one each. ``{batch}`` is the first check's table (the expectation's asset);
    the others' tables are named."""
    asset = checks[0].table

    def on_table(sql: str, table: str) -> str:
        return sql if table == asset else sql.replace("{batch}", f'"{table}"')

    parts = [f"SELECT {i} AS CHECK_NO, count(*) AS N, "
             f"{on_table('(SELECT count(*) FROM {batch})', c.table) if c.counts_rows else 'NULL::BIGINT'} AS ELEMENTS "
             f"FROM ({on_table(c.sql, c.table)})"
             for i, c in enumerate(checks)]
    return "SELECT * FROM (" + " UNION ALL ".join(parts) + ") WHERE N > 0 ORDER BY CHECK_NO"


#: Checks to an expectation, whole tables at a time. All 110 in one overflowed the recursion of GX's handling
#: of the query; some thirty keep the expectations few (five instead of one a table).
GROUP = 30


def _groups(checks: list[Check]) -> list[list[Check]]:
    groups: list[list[Check]] = []
    for table in sorted({c.table for c in checks}):
        mine = [c for c in checks if c.table == table]
        if groups and len(groups[-1]) + len(mine) <= GROUP:
            groups[-1] += mine
        else:
            groups.append(mine)
    return groups


def store_findings(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """Add result rows to ``quality_results`` (created if the checks did not run), where the report reads them.

    The table may be a temporary one (``engine.results_connection``): only when there is none at all is one made."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'quality_results'").fetchone()[0]:
        results_table(con)
    insert_rows(con, "quality_results", rows)  # one statement (executemany: 0.15 s for 130 rows)


def results_table(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> None:
    """``quality_results``, where the report reads the findings. The checks' own run makes it afresh. A
    transaction that writes elsewhere (the history's) may write to one database only, the temporary one
    aside, so to add the findings there it is ``temporary``, and made only if there is none: the findings
    on future dates may be in it already, handed over by ``engine.results_connection``."""
    create = "CREATE TEMP TABLE IF NOT EXISTS" if temporary else "CREATE OR REPLACE TABLE"
    con.execute(f"""{create} quality_results (TABLE_NAME VARCHAR, CHECK_NAME VARCHAR,
        COLUMN_NAME VARCHAR, DESCRIPTION VARCHAR, SUCCESS BOOLEAN, ELEMENT_COUNT BIGINT,
        UNEXPECTED_COUNT BIGINT, ERROR VARCHAR)""")


def validate(con: duckdb.DuckDBPyConnection, present: set[str], *, year: str | None = None) -> list[tuple]:
    """Run the generated checks on the loaded tables, one composite expectation a table; store and
    return the results (one row per check, as before they were combined).

    ``year`` is the run's collection year (``2024-25``): when given, a code valid in another supported
    year but not in this one is reported too. Without it the checks are those of every year.
    """
    import great_expectations as gx

    from .gx_checks import CompositeChecksFindNothing
    from .gx_compat import duckdb_datasource, ephemeral_context, roll_back

    checks = build_checks(present, year)
    context = ephemeral_context()
    source = duckdb_datasource(context, con)
    numbers = itertools.count()  # names GX's context keeps apart
    assets: dict[str, object] = {}

    def run(mine: list[Check]) -> list[tuple] | None:
        """The rows of one expectation's checks, or None if GX could not run it."""
        table = mine[0].table
        if table not in assets:
            assets[table] = source.add_table_asset(name=table, table_name=table)
        number = next(numbers)
        batch = assets[table].add_batch_definition_whole_table(f"whole_{number}").get_batch()
        suite = context.suites.add(gx.ExpectationSuite(name=f"contract_{number}", expectations=[
            CompositeChecksFindNothing(unexpected_rows_query=composite_query(mine))]))
        (result,) = batch.validate(suite, result_format="COMPLETE").results
        info = result.exception_info or {}
        raised = info.get("raised_exception") or any(
            isinstance(v, dict) and v.get("exception_traceback") for v in info.values())
        if raised:
            log.debug("data-quality checks on %s could not run: %s", table, str(info)[-300:])
            roll_back(source)
            return None
        found = {int(r["CHECK_NO"]): r for r in (result.result or {}).get("details", {}).get("unexpected_rows", [])}
        if len(found) != (result.result or {}).get("observed_value", 0):
            raise RuntimeError(f"data quality: the checks on {table} returned an unreadable result")
        out = []
        for i, c in enumerate(mine):
            hit = found.get(i)
            n = int(hit["N"]) if hit else 0
            elements = int(hit["ELEMENTS"]) if hit and hit["ELEMENTS"] is not None else None
            out.append((c.table, c.name, c.column, c.description, hit is None, elements, None if c.shape else n, None))
        return out

    def could_not_run(mine: list[Check]) -> list[tuple]:
        return [(c.table, c.name, c.column, c.description, False, None, None, "the check could not run") for c in mine]

    rows: list[tuple] = []
    for group in _groups(checks):
        done = run(group)
        tables = list(dict.fromkeys(c.table for c in group))
        if done is None and len(tables) == 1:  # the table at fault is known: not run again
            done = could_not_run(group)
        elif done is None:  # one table's checks at a time, so that only the table at fault is "could not run"
            done = []
            for table in tables:
                mine = [c for c in group if c.table == table]
                done += run(mine) or could_not_run(mine)
        rows += done
    with contextlib.suppress(Exception):  # GX's kept and pooled cursors closed now, not when ``con`` has gone
        source.get_execution_engine().close()
        source.get_engine().dispose()
    results_table(con)
    store_findings(con, rows)
    failed = sum(1 for r in rows if not r[4])
    log.info("data quality: %d checks, %d findings", len(rows), failed)
    return rows
