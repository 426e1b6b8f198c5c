"""Properties of the whole rule pack that a single rule's cases cannot show."""

from __future__ import annotations

import re

import pytest
from conftest import REPO

from careplan_checks.rule_tests import run_case
from careplan_checks.rules import load_rules

RULES = load_rules(REPO / "rules")
OBLIGATIONS = [r for r in RULES if "is_exception(" in (r.with_ or "") + r.sql]
UNITS = r"(working days?|days?|weeks?|months?|hours?|years?)"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_detail_states_the_parameters_bound_not_their_defaults(rule):
    """A DETAIL written with a parameter's default ("within 20 working days") would still say 20
    when a run binds 15: the text must take the value from the parameter."""
    text = " ".join(re.findall(r"'(?:[^']|'')*'", (rule.with_ or "") + "\n" + rule.sql))
    for name, value in rule.parameters.items():
        if isinstance(value, int) and not isinstance(value, bool):
            assert not re.search(rf"(?<![\d.]){value}\s+{UNITS}", text), (
                f"{rule.id}: a text in its SQL says '{value} ...' where it should show ${name}")


@pytest.mark.parametrize("rule", OBLIGATIONS, ids=lambda r: r.id)
def test_every_obligation_pins_the_due_date_from_both_sides(rule):
    """An action on its due date is on time; an item due on the as-of date and not done is overdue."""
    names = {c.name for c in rule.tests}
    assert "on_the_due_date_is_on_time" in names, f"{rule.id} has no case 'on_the_due_date_is_on_time'"
    assert "due_on_the_as_of_date_not_done_is_an_exception" in names, (
        f"{rule.id} has no case 'due_on_the_as_of_date_not_done_is_an_exception'")
    on_time = next(c for c in rule.tests if c.name == "on_the_due_date_is_on_time")
    overdue = next(c for c in rule.tests if c.name == "due_on_the_as_of_date_not_done_is_an_exception")
    assert run_case(rule, on_time)[0] == set() and on_time.expect == []
    assert len(overdue.expect) >= 1 and run_case(rule, overdue)[1] >= 1


def test_a_bound_parameter_is_what_detail_says():
    [rev01] = [r for r in RULES if r.id == "REV-01"]
    case = next(c for c in rev01.tests if c.expect)
    import duckdb

    from careplan_checks.case_database import insert_rows
    from careplan_checks.contract import TABLES_BY_NAME
    from careplan_checks.engine import evaluate, prepare_database

    con = duckdb.connect()
    prepare_database(con)
    for table, rows in case.data.items():
        insert_rows(con, table, TABLES_BY_NAME[table].column_names, rows)
    evaluate(con, [rev01], case.as_of, overrides={"REV-01": {"within_working_days": "15"}})
    details = {d for (d,) in con.execute("SELECT DETAIL FROM _exceptions").fetchall()}
    assert details and all("15 working days" in d for d in details), details


#: The shared views (views.sql) and the contract tables each reads.
VIEW_TABLES = {
    "ordered_episodes": {"episodes"}, "episode_periods": {"episodes"}, "periods_of_care": {"episodes"},
    "placements": {"episodes"}, "looked_after_on": {"episodes"}, "children": {"header"},
    "eligibility": {"episodes", "header"},
}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_table_a_rule_reads_is_declared(rule):
    """A rule is 'not run' when a table in ``tables`` is absent, and its items are kept rather than resolved
    when a table in ``also_reads`` is: a table its SQL reads but does not declare would do neither."""
    from careplan_checks.contract import TABLES_BY_NAME

    sql = re.sub(r"--[^\n]*", "", f"{rule.with_ or ''}\n{rule.population}\n{rule.sql}")
    sql = re.sub(r"'[^']*'", "''", sql)  # table names inside strings (EVENT_KEY labels) are not reads
    read = {t for t in TABLES_BY_NAME if re.search(rf"\b{t}\b", sql)}
    read |= {t for view, tables in VIEW_TABLES.items() if re.search(rf"\b{view}\b", sql) for t in tables}
    assert read <= set(rule.reads), f"{rule.id} reads {sorted(read - set(rule.reads))} without declaring them"
