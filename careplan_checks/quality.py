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

import logging
from dataclasses import dataclass
from typing import Any

import duckdb

from .codes import CODE_LISTS, SUPPORTED_YEARS, all_codes, codes_for
from .contract import TABLES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    table: str
    name: str
    column: str
    description: str
    expectation: Any


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def build_checks(present: set[str], year: str | None = None) -> list[Check]:
    """The expectations for the tables present in this extract; with ``year`` (a collection year such
    as ``2024-25``), also one check for each coded column whose list that year is narrower than the
    union the loader accepts."""
    import great_expectations.expectations as gxe

    if year is not None and year not in SUPPORTED_YEARS:
        raise ValueError(f"collection year {year!r} is not supported: {', '.join(SUPPORTED_YEARS)}")
    checks: list[Check] = []
    for t in TABLES:
        if t.name not in present:
            continue
        add = lambda name, column, description, exp, t=t: checks.append(  # noqa: E731
            Check(t.name, name, column, description, exp))
        add("columns", "", "the table has exactly the contract's columns",
            gxe.ExpectTableColumnsToMatchSet(column_set=[*t.column_names, "_LINE"], exact_match=True))
        # Required values, code lists and ranges: one expectation a table. The loader has already
        # refused rows that break them, so this is a check on the loader, and GX's overhead is per
        # expectation (some 20 ms each), not per row.
        broken = [*(f'"{c.name}" IS NULL' for c in t.columns if c.required),
                  *(f'"{c.name}" NOT IN ({", ".join(_quote(x) for x in c.codes)})' for c in t.columns if c.codes),
                  *(f'"{c.name}" NOT BETWEEN {c.minimum} AND {c.maximum}' for c in t.columns
                    if c.kind == "int" and c.minimum is not None and c.maximum is not None)]
        if broken:
            add("contract_values", ", ".join(c.name for c in t.columns if c.required or c.codes or c.kind == "int"),
                "required values are present, codes are in their lists and numbers in range",
                gxe.UnexpectedRowsExpectation(unexpected_rows_query=(
                    "SELECT _LINE FROM {batch} WHERE " + " OR ".join(f"coalesce({b}, false)" for b in broken))))
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
                    gxe.UnexpectedRowsExpectation(unexpected_rows_query=(
                        f'SELECT _LINE FROM {{batch}} WHERE "{c.name}" IS NOT NULL AND "{c.name}" NOT IN '
                        f'({", ".join(_quote(x) for x in valid)})')))
        if t.key:
            # As a grouped query: GX's own compound-uniqueness metric joins the table to itself,
            # which on millions of visits took seconds; a GROUP BY in DuckDB takes a fraction.
            cols = ", ".join(f'"{c}"' for c in t.key)
            add("unique_key", ", ".join(t.key), f"one row per {' + '.join(t.key)}",
                gxe.UnexpectedRowsExpectation(unexpected_rows_query=(
                    f"SELECT {cols} FROM {{batch}} GROUP BY {cols} HAVING count(*) > 1")))
        for later, earlier in t.date_order:
            add("date_order", f"{later}, {earlier}", f"{later} is not before {earlier}",
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"))
        if "DOB" in t.column_names and "header" in present and t.name != "header":
            add("dob_matches_header", "DOB", "DOB agrees with the header table for the same CHILD",
                gxe.UnexpectedRowsExpectation(unexpected_rows_query=(
                    "SELECT b.CHILD, b._LINE FROM (SELECT * FROM {batch}) b JOIN header h USING (CHILD) "
                    "WHERE b.DOB IS NOT NULL AND b.DOB <> h.DOB")))
        if "header" in present and t.name != "header":
            add("child_in_header", "CHILD", "every CHILD is in the header table",
                gxe.UnexpectedRowsExpectation(unexpected_rows_query=(
                    "SELECT b.CHILD, b._LINE FROM (SELECT * FROM {batch}) b "
                    "WHERE b.CHILD NOT IN (SELECT CHILD FROM header)")))
    if "episodes" in present:
        checks.append(Check("episodes", "no_overlap", "DECOM, DEC",
                            "a child's episodes do not overlap",
                            gxe.UnexpectedRowsExpectation(unexpected_rows_query=(
                                "SELECT a.CHILD, a._LINE FROM (SELECT * FROM {batch}) a "
                                "JOIN episodes b ON a.CHILD = b.CHILD "
                                "AND a._LINE <> b._LINE AND b.DECOM > a.DECOM "
                                "AND b.DECOM < coalesce(a.DEC, DATE '9999-12-31')"))))
        checks.append(Check("episodes", "one_open_episode", "DEC",
                            "a child has at most one open episode",
                            gxe.UnexpectedRowsExpectation(unexpected_rows_query=(
                                "SELECT CHILD FROM {batch} WHERE DEC IS NULL "
                                "GROUP BY CHILD HAVING count(*) > 1"))))
    if "header" in present and "episodes" in present:
        # A care leaver aged 19 to 21 has OC3 (or leaving-care) rows and, as a rule, no episode in the year.
        leavers = "".join(f" AND CHILD NOT IN (SELECT CHILD FROM {t})" for t in ("oc3", "leaving_care")
                          if t in present)
        checks.append(Check("header", "child_has_episodes", "CHILD",
                            "every child in the header has episodes (or is a care leaver with OC3 or leaving-care "
                            "rows)",
                            gxe.UnexpectedRowsExpectation(unexpected_rows_query=(
                                f"SELECT CHILD FROM {{batch}} WHERE CHILD NOT IN (SELECT CHILD FROM episodes)"
                                f"{leavers}"))))
    return checks


def store_findings(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """Add result rows to ``quality_results`` (created if the checks did not run), where the report reads them."""
    con.execute(RESULTS_DDL.replace("CREATE OR REPLACE TABLE", "CREATE TABLE IF NOT EXISTS"))
    if rows:
        con.executemany("INSERT INTO quality_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


RESULTS_DDL = """CREATE OR REPLACE TABLE quality_results (TABLE_NAME VARCHAR, CHECK_NAME VARCHAR,
    COLUMN_NAME VARCHAR, DESCRIPTION VARCHAR, SUCCESS BOOLEAN, ELEMENT_COUNT BIGINT,
    UNEXPECTED_COUNT BIGINT, ERROR VARCHAR)"""


def validate(con: duckdb.DuckDBPyConnection, present: set[str], *, year: str | None = None) -> list[tuple]:
    """Run the generated suites on the loaded tables; store and return the results.

    ``year`` is the run's collection year (``2024-25``): when given, a code valid in another supported
    year but not in this one is reported too. Without it the checks are those of every year.
    """
    import great_expectations as gx

    from .gx_compat import duckdb_datasource, ephemeral_context

    checks = build_checks(present, year)
    context = ephemeral_context()
    source = duckdb_datasource(context, con)
    rows: list[tuple] = []
    for table in sorted({c.table for c in checks}):
        mine = [c for c in checks if c.table == table]
        asset = source.add_table_asset(name=table, table_name=table)
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        # Saving the suite gives each expectation an id, by which its result is matched back.
        suite = context.suites.add(gx.ExpectationSuite(name=f"{table}_contract",
                                                       expectations=[c.expectation for c in mine]))
        result = batch.validate(suite, result_format="BASIC")
        by_id = {r.expectation_config.id: r for r in result.results}
        if len(by_id) != len(mine):
            raise RuntimeError(f"data quality: {len(mine)} checks on {table} but {len(by_id)} results")
        for c, exp in zip(mine, suite.expectations, strict=True):
            r = by_id[exp.id]
            info = r.exception_info or {}
            raised = info.get("raised_exception") or any(
                isinstance(v, dict) and v.get("exception_traceback") for v in info.values())
            if raised:
                log.debug("data-quality check %s.%s could not run: %s", c.table, c.name, str(info)[-300:])
            res = r.result or {}
            unexpected = res.get("unexpected_count")
            if unexpected is None and c.name not in ("columns",):
                unexpected = res.get("observed_value")
            rows.append((c.table, c.name, c.column, c.description, bool(r.success),
                         res.get("element_count"), unexpected, "the check could not run" if raised else None))
    con.execute(RESULTS_DDL)
    store_findings(con, rows)
    failed = sum(1 for r in rows if not r[4])
    log.info("data quality: %d checks, %d findings", len(rows), failed)
    return rows
