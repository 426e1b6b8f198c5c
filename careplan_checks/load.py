"""Type the staged text tables and load them into the database in one transaction.

A cell becomes a typed value by SQL generated from the contract. Every row is
kept that can be: a value that cannot be typed (bad date, unknown code) in a
column that is neither part of the table's key nor required is emptied and the
row loaded (``cell emptied``); only a failure in a key or required column, or a
line the CSV parser cannot split, drops the row (``row dropped``). Each is listed
in ``rejected_rows`` with file, line, column, a reason that never quotes the
value, and the action taken. For every file, rows read = loaded + dropped; the
rows dropped are also kept, with the child where it could be read, in
``dropped_rows``, so that a rule can tell a breach from a row the loader lost.
Every contract table exists after a load (empty when absent from the extract),
and ``load_files`` says which were present, so rules can say "not run (missing
table X)" without the views that join them failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import spill
from .contract import TABLES, Column, Table
from .errors import InputError, Problem, ident, literal
from .extract import Discovery, SourceFile, read_extract
from .inserts import insert_rows

log = logging.getLogger(__name__)

_DISTRICT = r"^[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9])?$"


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def typed_expr(c: Column, trimmed: str | None = None, typed: str | None = None) -> tuple[str, str]:
    """(value expression, error expression) for one column of a raw table.

    The error expression is NULL when the cell is acceptable. ``trimmed`` names the cell already trimmed
    (``cell``) and ``typed`` the value already worked out, when the query does that a level beneath: written
    out in full, each is repeated several times over in the expressions built on it, and planning them took
    longer than typing a small table.
    """
    v = trimmed or cell(f'"{c.name}"')
    if c.kind == "date":
        d = date_part(v)
        value = (f"CASE WHEN regexp_full_match({d}, '[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}') "
                 f"THEN try_strptime({d}, '%d/%m/%Y') "
                 f"WHEN regexp_full_match({d}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                 f"THEN try_strptime({d}, '%Y-%m-%d') END::DATE")
        bad = "is not a valid date (dd/mm/yyyy or yyyy-mm-dd)"
    elif c.kind in ("code", "upn"):
        # a spreadsheet saves the code 1 as 1.0
        value = (f"CASE WHEN contains({v}, '.') THEN regexp_replace(upper({v}), '^([0-9]+)\\.0+$', '\\1') "
                 f"ELSE upper({v}) END")
        bad = "is not one of the contract codes"
        value = f"CASE WHEN {value} IN {_sql_list(c.codes)} THEN {value} END"
    elif c.kind == "flag":
        value = f"CASE WHEN upper({v}) IN ('Y', 'N') THEN upper({v}) END"
        bad = "is not Y or N"
    elif c.kind == "int":
        lo = -(2**31) if c.minimum is None else c.minimum
        hi = 2**31 - 1 if c.maximum is None else c.maximum
        n = f"try_cast(regexp_replace({v}, '^(-?[0-9]+)\\.0+$', '\\1') AS INTEGER)"
        value = f"CASE WHEN regexp_full_match({v}, '-?[0-9]+(\\.0+)?') AND {n} BETWEEN {lo} AND {hi} THEN {n} END"
        bad = f"is not a whole number from {lo} to {hi}"
    elif c.kind == "district":
        value = f"CASE WHEN regexp_full_match(upper({v}), '{_DISTRICT}') THEN upper({v}) END"
        bad = "is not a postcode district or sector"
    elif c.kind == "id" and c.max_length:
        value = f"CASE WHEN length({v}) <= {c.max_length} THEN {v} END"
        bad = f"is longer than {c.max_length} characters"
    else:
        value, bad = v, ""
    errors = []
    if c.required:
        errors.append(f"WHEN {v} IS NULL THEN '{c.name} is empty, but a value is required'")
    if bad:
        errors.append(f"WHEN {v} IS NOT NULL AND ({typed or value}) IS NULL THEN '{c.name} {bad}'")
    error = f"CASE {' '.join(errors)} END" if errors else "NULL"
    return value, error


#: Characters a cell is trimmed of: spaces, tabs, line ends and the non-breaking space spreadsheets leave.
_BLANKS = " \t\r\n\u00a0"


def cell(expr: str) -> str:
    """A text cell trimmed of blanks, NULL when nothing is left."""
    return f"nullif(trim({expr}, '{_BLANKS}'), '')"


def date_part(v: str) -> str:
    """A date cell without the time part case-management exports add (``2017-08-24 00:00:00``,
    ``24/08/2017 00:00``): the contract's columns hold dates."""
    # a date alone is at most 10 characters: only a longer cell pays for the regular expression
    return (f"CASE WHEN length({v}) > 10 THEN regexp_replace({v}, "
            f"'[ T][0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?$', '') ELSE {v} END")


def create_table_sql(table: Table, schema: str = "main") -> str:
    cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in table.columns)
    return f'CREATE OR REPLACE TABLE {schema}."{table.name}" ({cols}, _LINE INTEGER)'


@dataclass
class FileLoad:
    file: str
    table: str
    format: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int  # rows dropped: rows read = loaded + dropped
    cells_emptied: int = 0
    #: Optional columns the file did not have: empty in every row, so rules that read them do not run.
    columns_absent: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    files: list[FileLoad]
    ignored: list[tuple[str, str]]
    absent_tables: list[str]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def cells_emptied(self) -> int:
        return sum(f.cells_emptied for f in self.files)


#: Rows from which a table's cells are typed by distinct value: in a large table each distinct cell is typed
#: and checked once, and the rows take their value from it, rather than every cell paying for the regular
#: expressions and the trimming. Dates, codes and flags repeat, and so do identifiers and text (a child's
#: CHILD in each of its visits; a team); only a column that is its table's whole key has every cell different
#: (header's CHILD), and is typed in line. Below this many rows the statement a column that this takes (a
#: dozen a table, each planned and run) costs more than typing every cell in line: at 2,000 children 1.0 s
#: against 1.4 s, at 20,000 alike (20,000 and 100,000 rows were tried).
DISTINCT_FROM_ROWS = 20_000


def _type_table(f: SourceFile, con: duckdb.DuckDBPyConnection) -> None:
    t = f.table.name
    keep = set(f.table.key) | set(f.table.required_columns)  # a failure here drops the row
    by_distinct = f.rows_read >= DISTINCT_FROM_ROWS
    raw = [ident(c.name) for c in f.table.columns] + ["_LINE"]  # the raw columns, and the cells trimmed
    typed = []  # the typed columns, the trimmed cells, and the errors found by distinct cell
    errors = []  # the errors found on the typed row
    joins, checked, trimmed, cells = [], [], [], []
    for i, c in enumerate(f.table.columns):
        name = ident(c.name)
        if by_distinct and f.table.key != (c.name,):
            cells.append(f'"_cells_{t}_{i}"')
            value, error = typed_expr(c, "_T", "_V")
            con.execute(f"""CREATE OR REPLACE TEMP TABLE "_cells_{t}_{i}" AS SELECT _RAW, _V, {error} AS _E FROM (
                SELECT _RAW, _T, {value} AS _V FROM (
                    SELECT {name} AS _RAW, {cell(name)} AS _T FROM (SELECT DISTINCT {name} FROM "raw_{t}")))""")
            joins.append(f'LEFT JOIN "_cells_{t}_{i}" k{i} ON k{i}._RAW IS NOT DISTINCT FROM r.{name}')
            typed.append(f"k{i}._V AS {name}")
            if error != "NULL":
                typed.append(f"k{i}._E AS _E{i}")
        else:  # the cell trimmed once, beneath the value; the value worked out once, beneath the error
            raw.append(f"{cell(name)} AS _T{i}")
            trimmed.append(f"_T{i}")
            value, error = typed_expr(c, f"_T{i}", name)
            typed += [f"{value} AS {name}", f"_T{i}"]
            if error != "NULL":
                errors.append(f"{error} AS _E{i}")
        if error != "NULL":
            checked.append((i, c))
    drop = " OR ".join(f"_E{i} IS NOT NULL" for i, c in checked if c.name in keep) or "false"
    exclude = f" EXCLUDE ({', '.join(trimmed)})" if trimmed else ""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE "typed_{t}" AS
        SELECT *{exclude}, ({drop}) AS _DROP FROM (
            SELECT *{"".join(", " + e for e in errors)} FROM (
                SELECT {", ".join(typed)}, r._LINE
                FROM (SELECT {", ".join(raw)} FROM "raw_{t}") r {" ".join(joins)}))
        ORDER BY _LINE""")
    for table in cells:
        con.execute(f"DROP TABLE {table}")
    # One scan says which columns have a problem at all (none, in a clean file); only those are listed.
    counts = con.execute(f"""SELECT {", ".join(f"count(_E{i})" for i, _c in checked) or "NULL"}
        FROM "typed_{t}" """).fetchone() if checked else ()
    for (i, c), n in zip(checked, counts, strict=True):
        if not n:
            continue
        con.execute(f"""INSERT INTO raw_rejects SELECT ?, ?, _LINE, ?, _E{i},
                CASE WHEN _DROP THEN 'row dropped' ELSE 'cell emptied' END
            FROM "typed_{t}" WHERE _E{i} IS NOT NULL""", [f.name, t, c.name])
    con.execute(f'DROP TABLE "raw_{t}"')  # the text copy is no longer needed: keep memory to two copies


def _write(con: duckdb.DuckDBPyConnection, found: Discovery, schema: str) -> list[str]:
    present = {f.table.name: f for f in found.files}
    con.execute(f"""CREATE OR REPLACE TABLE {schema}.dropped_rows (FILE VARCHAR, TABLE_NAME VARCHAR, LINE INTEGER,
        CHILD VARCHAR)""")
    for table in TABLES:
        con.execute(create_table_sql(table, schema))
        if table.name in present:
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            con.execute(f'INSERT INTO {schema}."{table.name}" SELECT {names}, _LINE '
                        f'FROM "typed_{table.name}" WHERE NOT _DROP')  # already in line order
            con.execute(f"""INSERT INTO {schema}.dropped_rows SELECT ?, ?, _LINE, CHILD
                FROM "typed_{table.name}" WHERE _DROP""", [present[table.name].name, table.name])
            con.execute(f'DROP TABLE "typed_{table.name}"')
    # lines the CSV parser could not split are dropped rows too; their child cannot be read
    con.execute(f"""INSERT INTO {schema}.dropped_rows SELECT DISTINCT FILE, TABLE_NAME, LINE, NULL FROM raw_rejects r
        WHERE ACTION = 'row dropped' AND NOT EXISTS (SELECT 1 FROM {schema}.dropped_rows d
                                                     WHERE d.FILE = r.FILE AND d.LINE = r.LINE)""")
    con.execute(f"""CREATE OR REPLACE TABLE {schema}.rejected_rows AS
        SELECT FILE, TABLE_NAME, LINE, COLUMN_NAME, REASON, ACTION FROM raw_rejects
        ORDER BY FILE, LINE, COLUMN_NAME, REASON""")
    con.execute(f"""CREATE OR REPLACE TABLE {schema}.load_files (FILE VARCHAR, TABLE_NAME VARCHAR, FORMAT VARCHAR,
        SHA256 VARCHAR, ROWS_READ BIGINT, ROWS_LOADED BIGINT, ROWS_REJECTED BIGINT, CELLS_EMPTIED BIGINT,
        COLUMNS_ABSENT VARCHAR[])""")
    if found.files:  # every file's counts in one statement: three a file cost more than a small table's load
        con.execute("CREATE OR REPLACE TEMP TABLE _files (FILE VARCHAR, TABLE_NAME VARCHAR, FORMAT VARCHAR, "
                    "SHA256 VARCHAR, ROWS_READ BIGINT, COLUMNS_ABSENT VARCHAR[])")
        insert_rows(con, "_files", [[f.name, f.table.name, f.format, f.sha256, f.rows_read, f.missing_optional]
                                    for f in found.files])
        loaded = " UNION ALL ".join(f"SELECT {literal(f.table.name)} AS TABLE_NAME, count(*) AS N "
                                    f'FROM {schema}."{f.table.name}"' for f in found.files)
        con.execute(f"""INSERT INTO {schema}.load_files
            SELECT f.FILE, f.TABLE_NAME, f.FORMAT, f.SHA256, f.ROWS_READ, l.N, coalesce(r.DROPPED, 0),
                   coalesce(r.EMPTIED, 0), f.COLUMNS_ABSENT
            FROM _files f JOIN ({loaded}) l USING (TABLE_NAME)
            LEFT JOIN (SELECT FILE, count(DISTINCT LINE) FILTER (WHERE ACTION = 'row dropped') AS DROPPED,
                              count(*) FILTER (WHERE ACTION = 'cell emptied') AS EMPTIED
                       FROM raw_rejects GROUP BY FILE) r USING (FILE)
            ORDER BY f.FILE""")
        con.execute("DROP TABLE _files")
        # the invariant the whole tool rests on: every row read is loaded or dropped
        broken = con.execute(f"""SELECT FILE, ROWS_READ, ROWS_LOADED, ROWS_REJECTED FROM {schema}.load_files
            WHERE ROWS_LOADED + ROWS_REJECTED <> ROWS_READ ORDER BY FILE""").fetchone()
        if broken is not None:
            name, read, n, dropped = broken
            raise RuntimeError(f"{name}: {read} rows read but {n} loaded + {dropped} dropped")
    return [t.name for t in TABLES if t.name not in present]


def load_extract(folder: Path, db: Path | None = None) -> tuple[duckdb.DuckDBPyConnection, LoadReport]:
    """Read, guard and load an extract; return a connection to the loaded database.

    With ``db`` the typed tables replace those in the database file in a single
    transaction: a failure leaves the file as it was. Without it, they live in memory.
    The load is held to a memory budget (``spill.limit_load``); an extract that cannot be
    loaded within it even writing to the spill folder is loaded again without it, so that
    the budget never costs a night.
    """
    try:
        return _load(folder, db, budget=True)
    except duckdb.OutOfMemoryException:
        log.warning("the load needed more memory than its budget, even writing to disk; loading again without it")
    # outside the handler: the exception's frames, and the first attempt's connection with them, are gone
    return _load(folder, db, budget=False)


def _load(folder: Path, db: Path | None, budget: bool) -> tuple[duckdb.DuckDBPyConnection, LoadReport]:
    from .completeness import check_dates

    con, found = read_extract(folder, budget)
    problems = check_dates(found.files, con)
    if problems:
        raise InputError(problems)
    for f in found.files:
        _type_table(f, con)
    if db is None:
        con.execute("BEGIN")
        absent = _write(con, found, "main")
        con.execute("COMMIT")
        spill.end_load(con)
        target = con
    else:
        if not db.parent.is_dir():
            raise InputError(Problem(str(db), f"the folder {db.parent} does not exist; create it, or give --db a "
                                     "file in a folder that exists"))
        try:
            con.execute("ATTACH ? AS store", [str(db)])
        except duckdb.Error as e:
            raise InputError(Problem(str(db), _db_open_problem(str(e)))) from None
        try:
            con.execute("BEGIN")
            absent = _write(con, found, "store.main")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.execute("DETACH store")
        con.close()
        target = connect(db)
    report = LoadReport(
        files=[FileLoad(*r) for r in target.execute(
            "SELECT FILE, TABLE_NAME, FORMAT, SHA256, ROWS_READ, ROWS_LOADED, ROWS_REJECTED, CELLS_EMPTIED, "
            "COLUMNS_ABSENT FROM load_files ORDER BY TABLE_NAME").fetchall()],
        ignored=found.ignored,
        absent_tables=absent,
    )
    return target, report


def _db_open_problem(message: str) -> str:
    if "lock" in message.lower():
        return "the database file is in use by another careplan-checks process; try again when it has finished"
    return "the database file could not be opened (is it a DuckDB file, and is the folder writable?)"


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    try:
        return spill.connect(db)
    except duckdb.Error as e:
        raise InputError(Problem(str(db), _db_open_problem(str(e)))) from None
