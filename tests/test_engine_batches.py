"""Rules run many to a statement (``engine.BATCH``): the same answers as one rule at a time, each rule with
its own parameters, and a rule at fault in error on its own while the rest of its batch still count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, SAMPLE
from test_engine import NEW_RULE

from careplan_checks import engine
from careplan_checks.engine import evaluate, prepare_database
from careplan_checks.load import load_extract
from careplan_checks.rules import load_rules, read_rule
from careplan_checks.sample import DEFAULT_AS_OF

RULES = load_rules(REPO / "rules")
AS_OF = dt.date(2025, 3, 31)


def _night(batch: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list, dict[str, list]]:
    monkeypatch.setattr(engine, "BATCH", batch)
    con, report = load_extract(SAMPLE)
    prepare_database(con)
    results = evaluate(con, RULES, DEFAULT_AS_OF, present={f.table for f in report.files})
    tables = {name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
              for name in ("_exceptions", "_populations", "_due_soon")}
    return [(r.rule.id, r.status, r.message, r.population, r.exceptions, r.parameters) for r in results], tables


def test_the_pack_in_batches_gives_what_it_gives_one_rule_at_a_time(monkeypatch: pytest.MonkeyPatch):
    one_by_one = _night(1, monkeypatch)
    batched = _night(20, monkeypatch)
    assert one_by_one[0] == batched[0]
    for name, rows in one_by_one[1].items():
        assert rows == batched[1][name], name
    assert len(batched[1]["_exceptions"]) > 0 and len(batched[1]["_due_soon"]) > 0  # something was compared


def _rule(tmp_path: Path, rule_id: str, text: str):
    path = tmp_path / f"{rule_id}.yml"
    path.write_text(text.replace("TEST-01", rule_id))
    return read_rule(path)


def _database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    prepare_database(con)
    con.execute("INSERT INTO header (CHILD, SEX, DOB) VALUES ('C1', 'M', DATE '2015-01-01')")
    return con


def test_two_rules_of_a_batch_keep_their_own_values_of_a_parameter_of_the_same_name(tmp_path: Path):
    soon = _rule(tmp_path, "TEST-01", NEW_RULE)
    later = _rule(tmp_path, "TEST-02", NEW_RULE.replace("parameters: {grace_days: 0}", "parameters: {grace_days: 30}"))
    con = _database()
    results = evaluate(con, [soon, later], AS_OF)
    assert [r.status for r in results] == ["ran", "ran"]
    assert [r.parameters for r in results] == [{"grace_days": 0}, {"grace_days": 30}]
    due = dict(con.execute("SELECT RULE_ID, DUE_DATE FROM _exceptions").fetchall())
    assert due == {"TEST-01": AS_OF, "TEST-02": AS_OF + dt.timedelta(days=30)}


def test_a_rule_that_fails_as_it_runs_is_in_error_alone(tmp_path: Path):
    good = _rule(tmp_path, "TEST-01", NEW_RULE)
    bad = _rule(tmp_path, "TEST-02", NEW_RULE.replace("'no visit' AS DETAIL", "error('broken') AS DETAIL"))
    also_good = _rule(tmp_path, "TEST-03", NEW_RULE)
    con = _database()
    results = evaluate(con, [good, bad, also_good], AS_OF)
    assert [(r.status, r.exceptions) for r in results] == [("ran", 1), ("errored", 0), ("ran", 1)]
    assert "broken" in results[1].message
    assert sorted(con.execute("SELECT DISTINCT RULE_ID FROM _exceptions").fetchall()) == [("TEST-01",), ("TEST-03",)]


def test_a_rule_whose_exceptions_are_outside_its_population_is_in_error_and_its_rows_are_not_kept(tmp_path: Path):
    good = _rule(tmp_path, "TEST-01", NEW_RULE)
    shifted = NEW_RULE.replace("population: SELECT CHILD, DOB AS EVENT_DATE FROM header",
                               "population: SELECT CHILD, DOB + 1 AS EVENT_DATE FROM header")
    outside = _rule(tmp_path, "TEST-02", shifted)
    con = _database()
    results = evaluate(con, [good, outside], AS_OF)
    assert [r.status for r in results] == ["ran", "errored"]
    assert "not in the rule's population" in results[1].message
    for table in ("_exceptions", "_populations"):
        assert con.execute(f"SELECT DISTINCT RULE_ID FROM {table}").fetchall() == [("TEST-01",)]
