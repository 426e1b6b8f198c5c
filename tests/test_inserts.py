"""Rows inserted in one statement land as executemany would put them: in order, typed by the column."""

import datetime as dt

import duckdb
import pytest

from careplan_checks.inserts import insert_rows


def _table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE t (A INTEGER, B VARCHAR, C DATE, D VARCHAR[], E BOOLEAN)")


def test_same_rows_as_executemany() -> None:
    rows = [[i, None if i % 3 else f"x{i}", dt.date(2024, 1, 1) + dt.timedelta(days=i), [] if i % 2 else ["a", "b"],
             i % 2 == 0] for i in range(500)]
    one, many = duckdb.connect(), duckdb.connect()
    _table(one)
    _table(many)
    insert_rows(one, "t", rows)
    many.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    assert one.execute("SELECT * FROM t").fetchall() == many.execute("SELECT * FROM t").fetchall()
    assert one.execute("SELECT A FROM t LIMIT 3").fetchall() == [(0,), (1,), (2,)]  # in the rows' order


def test_mixed_python_types_cast_to_the_column() -> None:
    con = duckdb.connect()
    _table(con)
    insert_rows(con, "t", [[1, "a", "2024-03-01", None, None], ["2", 3, dt.date(2024, 3, 2), None, None]],
                ["A", "B", "C", "D", "E"])
    assert con.execute("SELECT A, B, C FROM t ORDER BY A").fetchall() == [
        (1, "a", dt.date(2024, 3, 1)), (2, "3", dt.date(2024, 3, 2))]


def test_named_columns_and_nothing_to_insert() -> None:
    con = duckdb.connect()
    _table(con)
    insert_rows(con, "t", [])
    insert_rows(con, "t", [["b", 7]], ["B", "A"])
    assert con.execute("SELECT A, B, C FROM t").fetchall() == [(7, "b", None)]


def test_rows_of_different_lengths_refused() -> None:
    con = duckdb.connect()
    _table(con)
    with pytest.raises(ValueError):
        insert_rows(con, "t", [[1, "a", None, None, None], [2]])
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
