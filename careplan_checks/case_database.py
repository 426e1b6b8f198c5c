"""An empty, prepared database for a rule's test case, made once a process and reused case after case.

Preparing a database (every contract table, the calendar from 1990 to 2050, the macros and the shared
views) takes longer than most cases take to run, and the packs have close to a thousand cases. So the
database is prepared once; each case runs on a new cursor of it inside a transaction that is rolled
back afterwards, which leaves the tables empty again for the next. Temporary tables (the engine's
working tables, the materialised views) belong to the cursor, so no case sees another's.

A transaction that fails part-way cannot run another statement, where the engine on its own goes on
to the next rule; so a case that fails or errors here is run again on a database of its own
(``run_isolated``), and its failure is reported from there, as it would be on a real night.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import duckdb

Prepare = Callable[[duckdb.DuckDBPyConnection], None]
T = TypeVar("T")

_prepared: dict[Prepare, duckdb.DuckDBPyConnection] = {}


def new_database(prepare: Prepare) -> duckdb.DuckDBPyConnection:
    """A new in-memory database, prepared."""
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    prepare(con)
    return con


@contextlib.contextmanager
def case_cursor(prepare: Prepare) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on this process's database prepared by ``prepare``, in a transaction rolled back on leaving."""
    base = _prepared.get(prepare)
    if base is None:
        base = _prepared[prepare] = new_database(prepare)
    cur = base.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
    finally:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        cur.close()


def run_isolated(prepare: Prepare, run: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """``run`` on the shared prepared database, rolled back afterwards; if it fails there, ``run`` again on a
    database of its own, whose answer (or error) is the case's."""
    try:
        with case_cursor(prepare) as cur:
            return run(cur)
    except (duckdb.Error, AssertionError):
        pass
    con = new_database(prepare)
    try:
        return run(con)
    finally:
        con.close()


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """A case's rows of ``table`` (dicts by column; a column a row leaves out is empty), on lines 2, 3, ... as
    a file's rows would be."""
    from .inserts import insert_rows as insert

    insert(con, f'"{table}"', [[row.get(c) for c in columns] + [i + 2] for i, row in enumerate(rows)],
           [*columns, "_LINE"])
