"""Writing the report tables as CSV, JSON, Parquet (by DuckDB) and Excel (by xlsxwriter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ..errors import ident
from .tables import EXCEPTION_COLUMNS, SUMMARY_COLUMNS

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


def exceptions_workbook(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Summary sheet first, then one sheet per rule with exceptions; headers frozen, filters on."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "default_date_format": "yyyy-mm-dd"})
    try:
        fmt = _formats(wb)
        rules = con.execute(spreadsheet_safe(con, """SELECT RULE_ID, TITLE, SEVERITY, STATUS, POPULATION, EXCEPTIONS,
            RATE, TARGET, MESSAGE FROM report_rules""")).fetchall()
        ws = wb.add_worksheet("Summary")
        _table(ws, fmt, ["Rule", "Title", "Severity", "Status", "Population", "Exceptions", "Compliance", "Target",
                         "Note"], rules, widths=[10, 70, 10, 10, 12, 12, 12, 10, 40], percent={6, 7})
        columns = [*EXCEPTION_COLUMNS, "FIRST_SEEN", "REVIEW_ACTION", "REVIEW_REASON"]
        widths = [10, 40, 10, 12, 12, 12, 8, 60, 16, 12, 9, 18, 12, 12, 16, 30]
        listed = [r[0] for r in con.execute("SELECT DISTINCT RULE_ID FROM report_exceptions").fetchall()]
        for rule_id in sorted({r[0] for r in rules} | set(listed)):
            sheet = f"""SELECT {", ".join(EXCEPTION_COLUMNS)}, FIRST_SEEN, REVIEW_ACTION, REVIEW_REASON
                FROM report_exceptions WHERE RULE_ID = ? LIMIT {MAX_SHEET_ROWS + 1}"""
            rows = con.execute(spreadsheet_safe(con, sheet, [rule_id]), [rule_id]).fetchall()
            if not rows:
                continue
            ws = wb.add_worksheet(rule_id[:31])
            _table(ws, fmt, columns, rows[:MAX_SHEET_ROWS], widths=widths)
            if len(rows) > MAX_SHEET_ROWS:
                ws.write(MAX_SHEET_ROWS + 2, 0, f"Only the first {MAX_SHEET_ROWS:,} exceptions are shown here: "
                         "exceptions.csv has them all.", fmt["note"])
    finally:
        wb.close()


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
