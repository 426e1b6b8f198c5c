"""Rule cases share one prepared database a process: no case may see another's rows, and a case that fails
there is answered by a database of its own."""

from __future__ import annotations

import duckdb
import pytest
from conftest import REPO

from careplan_checks import case_database
from careplan_checks.engine import prepare_database
from careplan_checks.rule_tests import expected_keys, run_case
from careplan_checks.rules import load_rules

RULES = {r.id: r for r in load_rules(REPO / "rules")}


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in ("header", "episodes", "reviews")}


def test_a_case_leaves_the_shared_database_as_it_found_it():
    rule = RULES["REV-02"]
    case = next(c for c in rule.tests if c.expect)
    run_case(rule, case)
    with case_database.case_cursor(prepare_database) as cur:
        assert _counts(cur) == {"header": 0, "episodes": 0, "reviews": 0}
        temporary = {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
        assert temporary == set(), "the engine's working tables belong to the case's cursor alone"
        cur.execute("INSERT INTO header (CHILD, _LINE) VALUES ('X1', 2)")
    with case_database.case_cursor(prepare_database) as cur:
        assert _counts(cur)["header"] == 0, "a case's rows are rolled back"


def test_cases_run_one_after_another_give_each_its_own_answer():
    """Every case of two rules on the same tables, interleaved, gives what the case expects: nothing of an
    earlier case's rows or materialised views is left for the next."""
    cases = [(RULES[i], c) for i in ("REV-01", "REV-02") for c in RULES[i].tests]
    for rule, case in cases[::2] + cases[1::2]:
        assert run_case(rule, case)[0] == expected_keys(case), f"{rule.id} / {case.name}"


def test_a_case_that_errors_in_the_shared_database_reports_its_own_error(monkeypatch):
    """A failing statement aborts the shared transaction; the case is run again on its own database, so
    its message is the rule's error, not the aborted transaction's."""
    rule = RULES["REV-02"]
    broken = rule.model_copy(update={"sql": "SELECT CHILD, REVIEW AS EVENT_DATE FROM reviews WHERE 1/0 > error('x')"})
    fresh: list[object] = []
    real = case_database.new_database

    def counted(prepare):
        fresh.append(prepare)
        return real(prepare)

    monkeypatch.setattr(case_database, "new_database", counted)
    case_database._prepared.clear()
    with pytest.raises(AssertionError, match="REV-02 did not run: errored") as info:
        run_case(broken, next(c for c in rule.tests if c.expect))
    assert "transaction" not in str(info.value).lower()
    assert len(fresh) == 2, "the shared database, then the case's own"
