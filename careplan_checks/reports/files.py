"""Writing the report tables as CSV, JSON, Parquet (by DuckDB) and Excel (by xlsxwriter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ..errors import ident
from .due_soon import DUE_SOON_QUERY
from .tables import EXCEPTION_COLUMNS, REVIEW_COLUMNS, SUMMARY_COLUMNS

#: A spreadsheet is for reading: beyond this many rows a sheet says "see the CSV".
MAX_SHEET_ROWS = 20_000


def spreadsheet_safe(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> str:
    """The query with every text column neutralised for spreadsheets: a value starting with = + - @,
    a tab or a carriage return would run as a formula in Excel, so it gets a leading quote.

    The one place this is done: every CSV the tool writes (reports and ``exceptions --format csv``)
    and every workbook sheet goes through it, whatever the column (DETAIL, TEAM, a file name...).
    """
    types = con.execute(f"SELECT * FROM ({query}) LIMIT 0", params or []).description
    cols = []
    for name, type_code, *_ in types:
        q = ident(name)
        if str(type_code) == "VARCHAR":
            cols.append(f"CASE WHEN regexp_matches({q}, '^[=+\\-@\t\r]') THEN chr(39) || {q} ELSE {q} END AS {q}")
        else:
            cols.append(q)
    return f"SELECT {', '.join(cols)} FROM ({query})"


def copy(con: duckdb.DuckDBPyConnection, query: str, path: Path, fmt: str) -> None:
    options = {"csv": "FORMAT csv, HEADER", "json": "FORMAT json, ARRAY true", "parquet": "FORMAT parquet"}[fmt]
    if fmt == "csv":
        query = spreadsheet_safe(con, query)
    con.execute(f"COPY ({query}) TO '{_sql_path(path)}' ({options})")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


#: The exception sheets' columns: the exception list, then what a QA officer decided. A QA officer fills
#: REVIEW_ACTION (a drop-down of ``history.ACTIONS``) and REVIEW_REASON, and ``review --from-xlsx`` reads
#: them back by name.
SHEET_COLUMNS = (*EXCEPTION_COLUMNS, "FIRST_SEEN", *REVIEW_COLUMNS)
SHEET_WIDTHS = [10, 40, 10, 12, 12, 12, 8, 60, 16, 12, 9, 18, 12, 12, 16, 30, 18, 12]


def exceptions_workbook(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Summary sheet first, then one sheet per rule with exceptions; headers frozen, filters on.

    Each sheet is one ``query_sheet`` call: another sheet (a list of items due soon, say) is one more.
    """
    import xlsxwriter

    from ..history import ACTIONS

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "default_date_format": "yyyy-mm-dd"})
    try:
        fmt = _formats(wb)
        summary = """SELECT RULE_ID, TITLE, SEVERITY, STATUS, POPULATION, EXCEPTIONS, RATE, TARGET, MESSAGE
            FROM report_rules"""
        query_sheet(con, wb, fmt, "Summary", summary, header=["Rule", "Title", "Severity", "Status", "Population",
                                                              "Exceptions", "Compliance", "Target", "Note"],
                    widths=[10, 70, 10, 10, 12, 12, 12, 10, 40], percent={6, 7}, limit=None)
        query_sheet(con, wb, fmt, "Due soon", DUE_SOON_QUERY, widths=[10, 50, 10, 12, 12, 12, 9, 13, 60, 16, 12],
                    what="items", full="due_soon.csv")
        rules = [r for (r,) in con.execute("SELECT RULE_ID FROM report_rules UNION "
                                           "SELECT RULE_ID FROM report_exceptions ORDER BY 1").fetchall()]
        for rule_id in rules:
            query_sheet(con, wb, fmt, rule_id[:31],
                        f"SELECT {', '.join(SHEET_COLUMNS)} FROM report_exceptions WHERE RULE_ID = ?", [rule_id],
                        widths=SHEET_WIDTHS, choices={"REVIEW_ACTION": list(ACTIONS)}, skip_empty=True,
                        what="exceptions", full="exceptions.csv")
        # The DfE 903 validation: kept apart from the compliance rules, a summary by code and the errors.
        from ..validation_history import LIST_COLUMNS

        query_sheet(con, wb, fmt, "903 summary", "SELECT * FROM report_validation_summary",
                    header=["Code", "Message", "Status", "Note", "Errors", "Children", "New", "Resolved"],
                    widths=[10, 80, 10, 30, 10, 10, 8, 10], skip_empty=True, what="codes",
                    full="validation_summary.csv")
        query_sheet(con, wb, fmt, "903 validation", f"SELECT {', '.join(LIST_COLUMNS)} FROM report_validation",
                    widths=[9, 10, 70, 18, 14, 7, 30, 16, 12, 12, 9, 12, 18], skip_empty=True, what="errors",
                    full="validation.csv")
    finally:
        wb.close()


def query_sheet(con: duckdb.DuckDBPyConnection, wb: Any, fmt: dict[str, Any], title: str, query: str,
                params: list | None = None, *, header: list[str] | None = None, widths: list[int] | None = None,
                percent: set[int] | None = None, choices: dict[str, list[str]] | None = None,
                limit: int | None = MAX_SHEET_ROWS, skip_empty: bool = False, what: str = "rows",
                full: str = "the CSV") -> Any:
    """One sheet of a workbook from a query (every text cell made spreadsheet-safe): a header row
    (the query's column names unless given), frozen and filtered; ``choices`` gives a column a
    drop-down of allowed values; beyond ``limit`` rows the sheet says where the rest is.
    Returns the worksheet, or None when ``skip_empty`` and the query has no rows."""
    params = params or []
    cur = con.execute(spreadsheet_safe(con, query if limit is None else f"{query} LIMIT {limit + 1}", params),
                      params)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if skip_empty and not rows:
        return None
    ws = wb.add_worksheet(title)
    shown = rows if limit is None else rows[:limit]
    _table(ws, fmt, header or names, shown, widths=widths or [14] * len(names), percent=percent)
    for column, allowed in (choices or {}).items():
        j = names.index(column)
        ws.data_validation(1, j, max(len(shown), 1), j, {
            "validate": "list", "source": allowed, "ignore_blank": True,
            "input_title": column, "input_message": "One of: " + ", ".join(allowed),
            "error_title": column, "error_message": "Choose one of: " + ", ".join(allowed)})
    if limit is not None and len(rows) > limit:
        ws.write(limit + 2, 0, f"Only the first {limit:,} {what} are shown here: {full} has them all.",
                 fmt["note"])
    return ws


def summary_workbook(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        fmt = _formats(wb)
        for level, title in (("rule", "By rule"), ("team", "By team"), ("month", "By month")):
            rows = con.execute(spreadsheet_safe(con, f"SELECT * FROM ({query}) WHERE LEVEL = ?", [level]),
                               [level]).fetchall()
            ws = wb.add_worksheet(title)
            _table(ws, fmt, list(SUMMARY_COLUMNS), rows, widths=[8, 10, 60, 10, 18, 9, 12, 12, 10, 8, 8],
                   percent={8, 9})
    finally:
        wb.close()


def _formats(wb: Any) -> dict[str, Any]:
    return {
        "header": wb.add_format({"bold": True, "bg_color": "#1d3557", "font_color": "#ffffff", "text_wrap": True}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "percent": wb.add_format({"num_format": "0.0%"}),
        "note": wb.add_format({"italic": True}),
    }


def _table(ws: Any, fmt: dict[str, Any], header: list[str], rows: list[tuple], widths: list[int],
           percent: set[int] | None = None) -> None:
    percent = percent or set()
    ws.write_row(0, 0, header, fmt["header"])
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if value is None:
                continue
            if hasattr(value, "isoformat"):
                ws.write_datetime(i, j, value, fmt["date"]) if hasattr(value, "hour") else \
                    ws.write_datetime(i, j, _as_datetime(value), fmt["date"])
            elif j in percent and isinstance(value, float):
                ws.write_number(i, j, value, fmt["percent"])
            elif isinstance(value, int | float):
                ws.write_number(i, j, value)
            else:
                ws.write_string(i, j, str(value))
    for j, width in enumerate(widths[:len(header)]):
        ws.set_column(j, j, width)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(header) - 1)


def _as_datetime(d: Any) -> Any:
    import datetime as dt

    return dt.datetime(d.year, d.month, d.day)
