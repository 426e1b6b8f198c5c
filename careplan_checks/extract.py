"""Find and read the files of an extract into untyped staging tables, and guard
against direct identifiers before anything is written to the database.

Each file becomes a temporary all-text table ``raw_<table>`` in an in-memory
DuckDB connection, with ``_LINE`` holding the line (CSV) or sheet row (XLSX) it
came from. Rows a CSV parser cannot split are kept as ``raw_rejects`` with
their line and a value-free reason, so that rows read = rows loaded + rows
rejected holds from the first step.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import spill
from .contract import Table, table_for_headers, table_for_name
from .errors import InputError, Problem, ident, literal

log = logging.getLogger(__name__)

#: DuckDB errors that say nothing about the file being read (memory ran out, the run was stopped): they are
#: never reported as a file that cannot be parsed.
NOT_THE_FILE = (duckdb.OutOfMemoryException, duckdb.InterruptException)

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class SourceFile:
    """A file recognised as one table of the extract."""

    path: Path
    table: Table
    format: str
    headers: list[str]
    sheet: str | None = None
    sha256: str = ""
    rows_read: int = 0
    #: header as written -> contract column (upper-case) for the contract's columns
    extra_columns: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Discovery:
    files: list[SourceFile]
    ignored: list[tuple[str, str]]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- headers


def _csv_headers(path: Path) -> list[str]:
    with path.open("rb") as f:
        head = f.read(65536)
    if not head.strip():
        raise InputError(Problem(path.name, "the file is empty: a table needs at least a header row"))
    if head.startswith(b"PK\x03\x04"):
        raise InputError(Problem(path.name, "the file is an Excel workbook (or another zip file) named .csv: save it "
                                 "as 'CSV UTF-8', or rename it .xlsx"))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(Problem(path.name, "the file is an old Excel .xls workbook named .csv: save it as 'CSV UTF-8' "
                                 "or as .xlsx"))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(Problem(path.name, "the file is UTF-16 encoded; save it as 'CSV UTF-8'"))
    if b"\x00" in head:
        raise InputError(Problem(path.name, "the file contains NUL bytes: it is binary or UTF-16, not a UTF-8 CSV"))
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Problem(path.name, "the file is not UTF-8 encoded (perhaps Latin-1 or Windows-1252); "
                                 "save it as 'CSV UTF-8'", line=1)) from None
    headers = next(csv.reader([text]))
    if len(headers) == 1 and (";" in text or "\t" in text or "|" in text):
        raise InputError(Problem(path.name, "the file is not comma-separated (the header row has no commas); "
                                 "save it as a comma-separated CSV", line=1))
    return headers


def _xlsx_sheet(path: Path):  # -> openpyxl worksheet
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise InputError(Problem(path.name, "the file is not a readable XLSX workbook")) from None
    names = wb.sheetnames
    if len(names) == 1:
        return wb, wb[names[0]]
    by_name = [n for n in names if table_for_name(n) is not None]
    stem_table = table_for_name(path.stem)
    if stem_table is not None:
        by_name = [n for n in by_name if table_for_name(n) is stem_table] or by_name
    if len(by_name) == 1:
        return wb, wb[by_name[0]]
    wb.close()
    raise InputError(Problem(
        path.name,
        f"the workbook has {len(names)} sheets ({', '.join(names)}); keep one sheet per file, "
        "or name the sheet that holds the table after it (for example 'episodes')",
    ))


def _xlsx_cell(v: object) -> str | None:
    """A spreadsheet cell as the text a CSV export would have held."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _xlsx_headers(path: Path) -> tuple[list[str], str]:
    wb, ws = _xlsx_sheet(path)
    try:
        first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        headers = [_xlsx_cell(v) or "" for v in first]
        while headers and headers[-1] == "":
            headers.pop()
        return headers, ws.title
    finally:
        wb.close()


def _parquet_headers(path: Path, con: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        rows = con.execute("SELECT name FROM parquet_schema(?) WHERE num_children IS NULL OR num_children = 0",
                           [str(path)]).fetchall()
    except NOT_THE_FILE:
        raise
    except duckdb.Error:
        raise InputError(Problem(path.name, "the file is not a readable Parquet file (truncated or corrupt?)")) \
            from None
    return [r[0] for r in rows]


# -------------------------------------------------------------- discovery


def discover(folder: Path, con: duckdb.DuckDBPyConnection) -> Discovery:
    """Recognise each file in the folder as a table, by name or else by headers.

    Every unreadable or ambiguous file is reported together, so a data team
    fixes an extract in one pass rather than one error per night.
    """
    if not folder.is_dir():
        raise InputError(Problem(str(folder), "is not a folder: give the folder that holds the extract's files"))
    problems: list[Problem] = []
    files: list[SourceFile] = []
    ignored: list[tuple[str, str]] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        fmt = FORMATS.get(path.suffix.lower())
        if path.name.startswith((".", "~$")):
            continue
        if fmt is None:
            ignored.append((path.name, "not a CSV, XLSX or Parquet file"))
            continue
        try:
            sheet = None
            if fmt == "csv":
                headers = _csv_headers(path)
            elif fmt == "xlsx":
                headers, sheet = _xlsx_headers(path)
            else:
                headers = _parquet_headers(path, con)
        except InputError as e:
            problems.extend(e.problems)
            continue
        table = table_for_name(path.stem) or table_for_headers(headers)
        if table is None:
            ignored.append((path.name, "neither its name nor its headers match a table of the contract"))
            continue
        problems.extend(_check_headers(path.name, table, headers))
        files.append(SourceFile(path, table, fmt, headers, sheet))
    seen: dict[str, str] = {}
    for f in files:
        if f.table.name in seen:
            problems.append(Problem(f.name, f"holds table '{f.table.name}', which {seen[f.table.name]} "
                                    "holds too; keep one file per table"))
        seen.setdefault(f.table.name, f.name)
    if problems:
        raise InputError(problems)
    for f in files:
        upper = [h.strip().upper() for h in f.headers]
        f.extra_columns = [h for h in upper if h not in f.table.column_names]
        f.missing_optional = [c for c in f.table.column_names if c not in upper]
    return Discovery(files, ignored)


def _check_headers(name: str, table: Table, headers: list[str]) -> list[Problem]:
    problems = []
    upper = [h.strip().upper() for h in headers]
    dupes = sorted({h for h in upper if upper.count(h) > 1 and h})
    if dupes:
        problems.append(Problem(name, f"the header row repeats column(s) {', '.join(dupes)}", line=1))
    if "" in upper:
        problems.append(Problem(name, f"the header row has an empty column name (column {upper.index('') + 1})",
                                line=1))
    missing = [c for c in table.required_columns if c not in upper]
    if missing:
        problems.append(Problem(name, f"table '{table.name}' needs column(s) {', '.join(missing)}, "
                                "which the header row lacks", line=1))
    return problems


# ---------------------------------------------------------------- staging


def _raw_columns(f: SourceFile) -> list[str]:
    return [h.strip().upper() for h in f.headers]


def stage(f: SourceFile, con: duckdb.DuckDBPyConnection) -> None:
    """Read one file into ``raw_<table>`` (all text, ``_LINE``) and its parse failures into
    ``raw_rejects``. Never lets a parser message (which quotes the row) reach the user."""
    t = f.table.name
    cols = _raw_columns(f)
    con.execute(f'DROP TABLE IF EXISTS "raw_{t}"')
    if f.format == "csv":
        _stage_csv(f, cols, con)
    elif f.format == "xlsx":
        _stage_xlsx(f, cols, con)
    else:
        _stage_parquet(f, cols, con)
    for c in f.missing_optional:
        con.execute(f'ALTER TABLE "raw_{t}" ADD COLUMN {ident(c)} VARCHAR')
    loaded = con.execute(f'SELECT count(*) FROM "raw_{t}"').fetchone()[0]
    rejected = con.execute("SELECT count(DISTINCT LINE) FROM raw_rejects WHERE FILE = ?", [f.name]).fetchone()[0]
    f.rows_read = loaded + rejected
    log.info("read %s as table %s: %d rows", f.name, t, f.rows_read)


def _stage_csv(f: SourceFile, cols: list[str], con: duckdb.DuckDBPyConnection) -> None:
    t = f.table.name
    spec = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in cols) + "}"
    read = f"""CREATE TEMP TABLE "parsed_{t}" AS SELECT * FROM read_csv(?, header=true, auto_detect=false,
                delim=',', quote='"', escape='"', columns={spec}, store_rejects=true,
                rejects_table='csv_rej', rejects_scan='csv_scan', max_line_size=4194304)"""
    try:
        try:
            con.execute(read, [str(f.path)])
        except NOT_THE_FILE:
            raise
        except duckdb.Error:
            if not _mixed_line_endings(f.path):
                raise
            # CRLF and LF in one file (a line added by hand): DuckDB's parser takes one or the other.
            # Read an LF copy held in memory, never written out as a file: the guard has not seen it yet.
            con.execute("DROP TABLE IF EXISTS csv_rej; DROP TABLE IF EXISTS csv_scan")
            with _in_memory_copy(con, f.path) as copy:
                con.execute(read, [copy])
    except NOT_THE_FILE:
        raise
    except duckdb.Error as e:
        if _cut_off(f.path, len(cols)):
            raise InputError(Problem(f.name, "the file ends inside a quoted field, with no line end: it looks cut "
                                     "off")) from None
        raise InputError(Problem(f.name, _describe_duckdb_error(str(e)), line=_line_of(str(e)))) from None
    rejected, bad_encoding = con.execute(
        "SELECT count(*), min(line) FILTER (WHERE error_type = 'INVALID ENCODING') FROM csv_rej").fetchone()
    if bad_encoding is not None:
        raise InputError(Problem(f.name, "the file is not UTF-8 encoded (perhaps Latin-1 or Windows-1252); "
                                 "save it as 'CSV UTF-8'", line=int(bad_encoding)))
    if rejected:
        con.execute("""INSERT INTO raw_rejects SELECT ?, ?, line, coalesce(column_name, ''),
        CASE error_type WHEN 'TOO MANY COLUMNS' THEN 'the row has more fields than the header'
                        WHEN 'MISSING COLUMNS' THEN 'the row has fewer fields than the header'
                        WHEN 'UNQUOTED VALUE' THEN 'a quote character is out of place'
                        WHEN 'LINE SIZE OVER MAXIMUM' THEN 'the row is longer than 4 MB'
                        ELSE 'the row could not be parsed' END, 'row dropped'
            FROM (SELECT DISTINCT ON (line) * FROM csv_rej ORDER BY line, column_idx, error_type)""", [f.name, t])
    if _cut_off(f.path, len(cols)):
        raise InputError(Problem(f.name, "the last line stops part-way through a row (fewer fields than the header "
                                 "and no line end): the file looks cut off", line=_last_rejected_line(con)))
    if not rejected:
        # The common case: record k of the file is on line k + 2 (the header is line 1).
        con.execute(f'ALTER TABLE "parsed_{t}" RENAME TO "raw_{t}"')
        con.execute(f'ALTER TABLE "raw_{t}" ADD COLUMN _LINE INTEGER')
        con.execute(f'UPDATE "raw_{t}" SET _LINE = rowid + 2')
        con.execute("DROP TABLE IF EXISTS csv_rej; DROP TABLE IF EXISTS csv_scan")
        return
    # Lines of accepted records: every line from 2 on, less the rejected ones, in order.
    con.execute(f"""CREATE TEMP TABLE "raw_{t}" AS
        WITH p AS (SELECT *, rowid + 1 AS _k FROM "parsed_{t}"),
        lines AS (SELECT l, row_number() OVER (ORDER BY l) AS _k
                  FROM range(2, 2 + (SELECT count(*) FROM p) + (SELECT count(DISTINCT line) FROM csv_rej)) r(l)
                  WHERE l NOT IN (SELECT line FROM csv_rej))
        SELECT p.* EXCLUDE (_k), lines.l::INTEGER AS _LINE FROM p JOIN lines USING (_k)""")
    con.execute(f'DROP TABLE "parsed_{t}"')
    con.execute("DROP TABLE IF EXISTS csv_rej; DROP TABLE IF EXISTS csv_scan")


def _mixed_line_endings(path: Path) -> bool:
    """True when the file ends some lines with CRLF and others with a bare LF."""
    crlf = lf = 0
    last = b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            lf += chunk.count(b"\n")
            last = chunk[-1:]
            if crlf and lf > crlf:
                return True
    return False


@contextlib.contextmanager
def _in_memory_copy(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[str]:
    """The file with every CRLF turned into LF, as a path DuckDB reads from memory (fsspec)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    name = f"/careplan-checks/{hashlib.sha256(str(path).encode()).hexdigest()[:16]}.csv"
    fs.pipe_file(name, path.read_bytes().replace(b"\r\n", b"\n"))
    con.register_filesystem(fs)
    try:
        yield f"memory://{name}"
    finally:
        fs.rm_file(name)
        con.unregister_filesystem("memory")


def _cut_off(path: Path, fields: int) -> bool:
    """True when the file ends without a line break part-way through a row: a file cut off in
    transfer, not a row with a mistake in it. Only the file's last 64 KB are read."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return False
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    if last.count('"') % 2:
        return True  # it ends inside a quoted field
    try:
        return len(next(csv.reader([last]), [])) < fields
    except csv.Error:  # not a row the csv module can split: the parser's own rejects say what is wrong
        return False


def _last_rejected_line(con: duckdb.DuckDBPyConnection) -> int | None:
    row = con.execute("SELECT max(line) FROM csv_rej").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _stage_xlsx(f: SourceFile, cols: list[str], con: duckdb.DuckDBPyConnection) -> None:
    import pyarrow as pa

    wb, ws = _xlsx_sheet(f.path)
    try:
        n = len(cols)
        data: list[list[str | None]] = [[] for _ in range(n + 1)]
        for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            cells = [_xlsx_cell(v) for v in row[:n]] + [None] * max(0, n - len(row))
            if all(c is None for c in cells):
                continue  # blank spreadsheet rows are formatting, not records
            for j, c in enumerate(cells):
                data[j].append(c)
            data[n].append(str(i))
    finally:
        wb.close()
    arrow = pa.table({**{c: pa.array(data[j], pa.string()) for j, c in enumerate(cols)},
                      "_LINE": pa.array(data[n], pa.string())})
    con.register("xlsx_rows", arrow)
    con.execute(f'CREATE TEMP TABLE "raw_{f.table.name}" AS SELECT * EXCLUDE (_LINE), _LINE::INTEGER AS _LINE '
                "FROM xlsx_rows")
    con.unregister("xlsx_rows")


def _stage_parquet(f: SourceFile, cols: list[str], con: duckdb.DuckDBPyConnection) -> None:
    try:
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
                                 [str(f.path)]).fetchall())
        select = []
        for h, c in zip(f.headers, cols, strict=True):
            src = ident(h)
            if types.get(h, "").startswith("TIMESTAMP"):
                src = f"CAST({src} AS DATE)"
            select.append(f"CAST({src} AS VARCHAR) AS {ident(c)}")
        con.execute(f'CREATE TEMP TABLE "raw_{f.table.name}" AS SELECT {", ".join(select)}, '
                    "(file_row_number + 2)::INTEGER AS _LINE FROM read_parquet(?, file_row_number=true)",
                    [str(f.path)])
    except NOT_THE_FILE:
        raise
    except duckdb.Error:
        raise InputError(Problem(f.name, "the Parquet file could not be read (truncated or corrupt?)")) from None


_LINE_RE = re.compile(r"Line: (\d+)")


def _line_of(message: str) -> int | None:
    m = _LINE_RE.search(message)
    return int(m.group(1)) if m else None


def _describe_duckdb_error(message: str) -> str:
    """A parser error in our words. DuckDB's own text quotes the offending line, so it is never shown."""
    if "unicode" in message.lower() or "encod" in message.lower():
        return "the file is not UTF-8 encoded; save it as 'CSV UTF-8'"
    if "quote" in message.lower():
        return "a quoted field is never closed"
    return "the file could not be parsed as a comma-separated CSV"


def new_staging_connection() -> duckdb.DuckDBPyConnection:
    con = spill.connect()  # the guard has not passed these rows: spill only to a private folder
    con.execute("CREATE TEMP TABLE raw_rejects (FILE VARCHAR, TABLE_NAME VARCHAR, LINE INTEGER, "
                "COLUMN_NAME VARCHAR, REASON VARCHAR, ACTION VARCHAR)")
    return con


def read_extract(folder: Path, budget: bool = True) -> tuple[duckdb.DuckDBPyConnection, Discovery]:
    """Discover and stage every file, then run the anonymisation guard.

    Raises InputError (exit 2) for unreadable files or refused identifiers; nothing has
    been written outside this process's memory and its private spill folder when it does.
    ``budget``: hold the load to ``spill.load_budget`` (see ``spill.limit_load``).
    """
    from .guard import check_anonymised

    con, found = stage_folder(folder, budget)
    check_anonymised(found.files, con)
    return con, found


def stage_folder(folder: Path, budget: bool = True) -> tuple[duckdb.DuckDBPyConnection, Discovery]:
    """Discover and stage every file of a folder in a new in-memory connection, without the guard
    (``anonymise`` reads raw exports this way). Every unreadable file is reported together."""
    con = new_staging_connection()
    found = discover(folder, con)
    if budget:
        spill.limit_load(con, sum(f.path.stat().st_size for f in found.files))
    problems: list[Problem] = []
    # Each file's SHA-256 (for the manifest and the history) is worked out beside DuckDB's read of the files,
    # not before it: hashing releases the interpreter lock, and at 100,000 children it took 0.9 s on its own.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    try:
        digests = [pool.submit(sha256_of, f.path) for f in found.files]
        for f in found.files:
            try:
                stage(f, con)
            except InputError as e:
                problems.extend(e.problems)
        if problems:
            raise InputError(problems)
        for f, digest in zip(found.files, digests, strict=True):
            f.sha256 = digest.result()
    finally:
        pool.shutdown(cancel_futures=True)  # a night stopped here waits for one file's hash at most
    return con, found

