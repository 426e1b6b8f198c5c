"""Stage SSD tables from where an authority has them: a folder of files, or its database.

Whatever the source, each table in ``spec.SSD_TABLES`` becomes a DuckDB table of the same name with
exactly the columns the mapping reads, all as text (a timestamp as ``YYYY-MM-DD HH:MM:SS``), so that the
one mapping (``mapping.sql``) serves every route. A table the source lacks is staged empty and listed;
a column it lacks (Eclipse's reviews have no person column) is staged empty and listed.

* A folder: ``ssd_<table>.csv`` as SSMS, ``bcp`` or ``psql \\copy`` save them (a header row, UTF-8 with
  or without a byte-order mark, SSMS's literal ``NULL`` read as empty), or ``.parquet``.
* ``postgresql://…`` (OLM Eclipse): read through the ADBC PostgreSQL driver into Arrow, in a read-only
  transaction. ``?schema=NAME`` names the schema (default: the first of ``ssd_development`` and the
  search path that has ``ssd_person``).
* ``mssql+pyodbc://…`` or ``mssql+pymssql://…`` (SystemC/Liquidlogic, Mosaic): through SQLAlchemy
  and the authority's own driver, where it is installed.

Only the listed columns are ever selected: names, NHS numbers, addresses and case notes stay in the
source.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import duckdb

from ..errors import InputError, Problem, ident, literal, safe_message
from .spec import REQUIRED_TABLES, SSD_TABLES

log = logging.getLogger(__name__)


@dataclass
class Staged:
    """What the source gave: rows per table, and the tables and columns it did not have."""

    source: str
    rows: dict[str, int] = field(default_factory=dict)
    absent_tables: list[str] = field(default_factory=list)
    absent_columns: list[tuple[str, str]] = field(default_factory=list)


def is_url(source: str) -> bool:
    return "://" in source


def stage(con: duckdb.DuckDBPyConnection, source: str | Path) -> Staged:
    """Stage every SSD table the mapping reads from ``source`` (a folder or a database URL) into ``con``."""
    text = str(source)
    if is_url(text):
        scheme = urlsplit(text).scheme.lower()
        if scheme in ("postgresql", "postgres"):
            staged = _stage_postgres(con, text)
        elif scheme.startswith("mssql"):
            staged = _stage_sqlalchemy(con, text)
        else:
            raise InputError(Problem(_safe_url(text), "unsupported database: give postgresql://… or "
                                                      "mssql+pyodbc://… (or a folder of ssd_*.csv files)"))
    else:
        staged = _stage_folder(con, Path(source))
    missing = [t for t in REQUIRED_TABLES if t in staged.absent_tables]
    if missing:
        raise InputError([Problem(staged.source, f"has no {t} table: every extract starts from it") for t in missing])
    return staged


def _create(con: duckdb.DuckDBPyConnection, table: str, select: str, have: set[str], staged: Staged) -> None:
    """``table`` with exactly its spec columns, as text, from the relation ``select``; absent columns empty."""
    cols = []
    for c in SSD_TABLES[table]:
        if c in have:
            cols.append(f"CAST({ident(c)} AS VARCHAR) AS {c}")
        else:
            cols.append(f"NULL::VARCHAR AS {c}")
            staged.absent_columns.append((table, c))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {', '.join(cols)} FROM {select}")
    staged.rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # a finished result


def _empty(con: duckdb.DuckDBPyConnection, table: str, staged: Staged) -> None:
    cols = ", ".join(f"{c} VARCHAR" for c in SSD_TABLES[table])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({cols})")
    staged.absent_tables.append(table)
    staged.rows[table] = 0


# ---------------------------------------------------------------- a folder of files

def _stage_folder(con: duckdb.DuckDBPyConnection, folder: Path) -> Staged:
    if not folder.is_dir():
        raise InputError(Problem(str(folder), "is not a folder: give the folder of ssd_*.csv or ssd_*.parquet "
                                              "files, or a database URL"))
    staged = Staged(str(folder))
    files = {p.stem.lower(): p for p in sorted(folder.iterdir())
             if p.is_file() and p.suffix.lower() in (".csv", ".parquet", ".pq") and not p.name.startswith(".")}
    problems: list[Problem] = []
    for table in SSD_TABLES:
        path = files.get(table) or files.get(table.removeprefix("ssd_"))
        if path is None:
            _empty(con, table, staged)
            continue
        try:
            if path.suffix.lower() == ".csv":
                # every column text; SSMS's "Save results as" writes NULL as the word NULL
                rel = (f"read_csv({literal(str(path))}, header=true, all_varchar=true, auto_detect=true, "
                       "quote='\"', escape='\"', nullstr=['', 'NULL'], encoding='utf-8')")
            else:
                rel = f"read_parquet({literal(str(path))})"
            names = [d[0] for d in con.execute(f"SELECT * FROM {rel} LIMIT 0").description]
        except duckdb.Error as e:
            problems.append(Problem(path.name, f"cannot be read as a table ({_reason(e)})"))
            continue
        lower = {n.strip().lower().lstrip("\ufeff"): n for n in names}
        if not set(lower) & set(SSD_TABLES[table]):
            problems.append(Problem(path.name, f"has none of the columns of {table} (such as "
                                               f"{SSD_TABLES[table][0]}): is it the right file, with a header row?"))
            continue
        renamed = ", ".join(f"{ident(orig)} AS {ident(low)}" for low, orig in lower.items()
                            if low in SSD_TABLES[table])
        select = f"(SELECT {renamed or 'NULL AS _none'} FROM {rel})"
        try:
            _create(con, table, select, set(lower), staged)
        except duckdb.Error as e:
            problems.append(Problem(path.name, f"cannot be read as a table ({_reason(e)})"))
    if problems:
        raise InputError(problems)
    return staged


def _reason(e: duckdb.Error) -> str:
    """DuckDB's message without any cell it quotes, nor the names of a file's columns (they are data)."""
    return re.sub(r'"[^"]*"', "'…'", safe_message(str(e)))[:200]


# ---------------------------------------------------------------- PostgreSQL (OLM Eclipse)

def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))


def _stage_postgres(con: duckdb.DuckDBPyConnection, url: str) -> Staged:
    try:
        import adbc_driver_postgresql.dbapi as pg
    except ImportError:
        raise InputError(Problem(_safe_url(url), "reading PostgreSQL needs the ADBC driver: "
                                                 "pip install 'careplan-checks[postgres]'")) from None
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    schema = (query.pop("schema", [None]) or [None])[0]
    # every transaction of the session read-only, set by the server on connecting
    query["options"] = [" ".join([*query.get("options", []), "-c default_transaction_read_only=on"]).strip()]
    plain = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True, quote_via=quote), ""))
    staged = Staged(_safe_url(url))
    try:
        conn = pg.connect(plain)
    except Exception as e:  # the driver's errors are its own classes; none may show the password
        raise InputError(Problem(staged.source, f"cannot connect ({type(e).__name__})")) from None
    try:
        cur = conn.cursor()
        cur.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns "
                    "WHERE table_name LIKE 'ssd\\_%' ORDER BY table_schema, table_name, ordinal_position")
        found: dict[str, dict[str, set[str]]] = {}
        for s, t, c in cur.fetchall():
            found.setdefault(s, {}).setdefault(t.lower(), set()).add(c.lower())
        if schema is None:
            schema = next((s for s in ("ssd_development", "public", *sorted(found))
                           if "ssd_person" in found.get(s, {})), None)
        tables = found.get(schema or "", {})
        for table in SSD_TABLES:
            have = tables.get(table)
            if have is None:
                _empty(con, table, staged)
                continue
            cols = ", ".join(f'"{c}"' for c in SSD_TABLES[table] if c in have)
            cur.execute(f'SELECT {cols} FROM "{schema}"."{table}"')
            arrow = cur.fetch_arrow_table()
            con.register("_ssd_arrow", arrow)
            try:
                _create(con, table, "_ssd_arrow", have, staged)
            finally:
                con.unregister("_ssd_arrow")
    except InputError:
        raise
    except Exception as e:
        detail = _reason(e) if isinstance(e, duckdb.Error) else "see the server's log"
        problem = Problem(staged.source, f"could not read the SSD tables ({type(e).__name__}: {detail})")
        raise InputError(problem) from None
    finally:
        conn.close()
    log.info("read %d SSD tables from %s", len(SSD_TABLES) - len(staged.absent_tables), staged.source)
    return staged


# ---------------------------------------------------------------- SQL Server (SystemC, Mosaic)

def _stage_sqlalchemy(con: duckdb.DuckDBPyConnection, url: str) -> Staged:
    staged = Staged(_safe_url(url))
    try:
        import pyarrow as pa
        import sqlalchemy as sa
    except ImportError:
        raise InputError(Problem(staged.source, "reading SQL Server needs SQLAlchemy and a driver: "
                                                "pip install sqlalchemy pyodbc (or pymssql)")) from None
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    schema = (query.pop("schema", ["ssd_development"]) or ["ssd_development"])[0]
    plain = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True, quote_via=quote), ""))
    try:
        engine = sa.create_engine(plain)
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = {t.lower(): t for t in inspector.get_table_names(schema=schema)}
            for table in SSD_TABLES:
                real = names.get(table)
                if real is None:
                    _empty(con, table, staged)
                    continue
                have = {c["name"].lower(): c["name"] for c in inspector.get_columns(real, schema=schema)}
                wanted = [c for c in SSD_TABLES[table] if c in have]
                cols = ", ".join(f"[{have[c]}] AS [{c}]" for c in wanted)
                rows = conn.execute(sa.text(f"SELECT {cols} FROM [{schema}].[{real}]")).fetchall()
                values = list(zip(*rows, strict=True)) if rows else [() for _ in wanted]
                arrow = pa.table({c: pa.array(list(v)) for c, v in zip(wanted, values, strict=True)})
                con.register("_ssd_arrow", arrow)
                try:
                    _create(con, table, "_ssd_arrow", set(have), staged)
                finally:
                    con.unregister("_ssd_arrow")
    except InputError:
        raise
    except Exception as e:
        raise InputError(Problem(staged.source, f"could not read the SSD tables ({type(e).__name__})")) from None
    return staged
