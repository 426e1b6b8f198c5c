"""Each rule's inline ``tests``, as one pytest test per case.

Collected by the project's own ``pytest`` run (``tests/test_rule_cases.py``
imports ``test_rule_case`` and ``pytest_generate_tests``) and by
``careplan-checks rules test [ID...]``, which runs pytest on this file; the
rules folder and selection come from the environment variables
``CAREPLAN_RULES_DIR`` and ``CAREPLAN_RULES_SELECT``. They are read when pytest
collects the tests (``pytest_generate_tests``), not when this module is
imported, so a process that has imported it already still tests the folder it
is given.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from .case_database import insert_rows, run_isolated
from .contract import TABLES_BY_NAME
from .engine import evaluate, prepare_database
from .rules import DEFAULT_RULES_DIR, Case, Rule, load_rules


def run_case(rule: Rule, case: Case, parameters: dict[str, Any] | None = None,
             ) -> tuple[set[tuple[str, dt.date, str | None]], int]:
    """Load the case's rows into an empty database and run the rule: (exception keys, population).

    ``parameters`` override the case's own (the mutation test changes one timescale at a time)."""
    return run_isolated(prepare_database, lambda con: _run_case_on(con, rule, case, parameters))


def _run_case_on(con: duckdb.DuckDBPyConnection, rule: Rule, case: Case, parameters: dict[str, Any] | None,
                 ) -> tuple[set[tuple[str, dt.date, str | None]], int]:
    for table, rows in case.data.items():
        insert_rows(con, table, TABLES_BY_NAME[table].column_names, rows)
    values = {**case.parameters, **(parameters or {})}
    results = evaluate(con, [rule], case.as_of, overrides={rule.id: {k: str(v) for k, v in values.items()}},
                       due_within=case.due_within)
    result = results[0]
    if result.status != "ran":
        raise AssertionError(f"{rule.id} did not run: {result.status} {result.message}")
    keys = {(c, d, k) for c, d, k in con.execute("SELECT CHILD, EVENT_DATE, EVENT_KEY FROM _exceptions").fetchall()}
    if case.due_soon is not None:
        due = {(c, d, k, n) for c, d, k, n in con.execute(
            "SELECT CHILD, EVENT_DATE, EVENT_KEY, DAYS_LEFT FROM _due_soon").fetchall()}
        want = {(*_key(e), e["DAYS_LEFT"]) for e in case.due_soon}
        assert due == want, (f"{rule.id} / {case.name}: due soon missing {sorted(want - due)}, "
                             f"unexpected {sorted(due - want)}")
    return keys, result.population


def _key(item: dict[str, Any]) -> tuple[str, dt.date, str | None]:
    """An expected item as the engine keys it: CHILD, EVENT_DATE and EVENT_KEY (None when not given)."""
    return str(item["CHILD"]), item["EVENT_DATE"], None if item.get("EVENT_KEY") is None else str(item["EVENT_KEY"])


def expected_keys(case: Case) -> set[tuple[str, dt.date, str | None]]:
    return {_key(e) for e in case.expect}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"rule", "case"} <= set(metafunc.fixturenames):
        metafunc.parametrize(("rule", "case"), _params())
    if {"vrule", "vcase"} <= set(metafunc.fixturenames):
        metafunc.parametrize(("vrule", "vcase"), _validation_params())


def _validation_params() -> list[Any]:
    """The 903 pack's cases: ``CAREPLAN_903_DIR`` (default the built-in pack), ``CAREPLAN_903_SELECT``;
    ``CAREPLAN_903_DIR=off`` tests none (``rules test --pack compliance``)."""
    from .validation_rules import DEFAULT_PACK_DIR, load_pack

    setting = os.environ.get("CAREPLAN_903_DIR")
    if setting == "off":
        return []
    select = [s for s in os.environ.get("CAREPLAN_903_SELECT", "").split(",") if s]
    return [pytest.param(rule, case, id=f"{rule.id}::{case.name}")
            for rule in load_pack(Path(setting or DEFAULT_PACK_DIR), select or None) for case in rule.tests]


def _params() -> list[Any]:
    setting = os.environ.get("CAREPLAN_RULES_DIR")
    if setting == "off":
        return []
    folder = Path(setting or DEFAULT_RULES_DIR)
    select = [s for s in os.environ.get("CAREPLAN_RULES_SELECT", "").split(",") if s]
    return [pytest.param(rule, case, id=f"{rule.id}::{case.name}")
            for rule in load_rules(folder, select or None) for case in rule.tests]


def test_rule_case(rule: Rule, case: Case) -> None:
    got, population = run_case(rule, case)
    want = expected_keys(case)
    assert got == want, f"{rule.id} / {case.name}: missing {sorted(want - got)}, unexpected {sorted(got - want)}"
    if case.population is not None:
        assert population == case.population, f"{rule.id} / {case.name}: population {population}"


def test_validation_case(vrule: Any, vcase: Any) -> None:
    from .validation import run_validation_case

    got = run_validation_case(vrule, vcase)
    want = vcase.keys()
    assert got == want, f"{vrule.id} / {vcase.name}: missing {sorted(want - got, key=str)}, " \
                        f"unexpected {sorted(got - want, key=str)}"
