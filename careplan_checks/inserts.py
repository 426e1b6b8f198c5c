"""Rows from Python into a table in one statement.

``executemany`` binds and runs the insert once a row: 0.18 s for the 267 results of the DfE 903 pack
on this machine, more than running the pack's checks on a small extract. Each column handed over as
one list parameter and unnested is one statement whatever the number of rows (5 ms for the same 267).
DuckDB casts each list's values to one type and then to the column's, as it does for a parameter a
row, so a column may mix Python types as a case file's rows do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def insert_rows(con: duckdb.DuckDBPyConnection, target: str, rows: Sequence[Sequence[Any]],
                columns: Sequence[str] | None = None) -> None:
    """Insert ``rows`` (each a sequence of values, all of the same length) into ``target`` (a table name as
    SQL, quoted by the caller), into ``columns`` (SQL names) or all of its columns in order."""
    if not rows:
        return
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError(f"rows of different lengths for {target}")
    into = f" ({', '.join(columns)})" if columns is not None else ""
    # unnest in one SELECT zips the lists: row i of the insert is element i of every list
    con.execute(f"INSERT INTO {target}{into} SELECT {', '.join('unnest(?)' for _ in range(width))}",
                [list(column) for column in zip(*rows, strict=True)])
