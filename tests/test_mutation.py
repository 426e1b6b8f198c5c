"""Every timescale pinned from both sides.

For each whole-number parameter of each rule (a number of days, working days, months or
years), moving it by one in either direction must make at least one of the rule's own cases
fail. A rule whose cases survive such a change would not notice a wrong timescale.
"""

from __future__ import annotations

import pytest
from conftest import REPO

from careplan_checks.rule_tests import expected_keys, run_case
from careplan_checks.rules import load_rules

RULES = load_rules(REPO / "rules")


def _mutations() -> list:
    out = []
    for rule in RULES:
        for name, value in rule.parameters.items():
            if isinstance(value, int) and not isinstance(value, bool):
                out += [pytest.param(rule, name, delta, id=f"{rule.id}.{name}{delta:+d}") for delta in (-1, 1)]
    return out


def _caught(rule, name: str, delta: int) -> bool:
    for case in rule.tests:
        base = case.parameters.get(name, rule.parameters[name])
        got, population = run_case(rule, case, {name: base + delta})
        if got != expected_keys(case) or (case.population is not None and population != case.population):
            return True
    return False


@pytest.mark.parametrize(("rule", "name", "delta"), _mutations())
def test_changing_a_timescale_by_one_breaks_a_case(rule, name: str, delta: int):
    assert _caught(rule, name, delta), (
        f"{rule.id}: with {name} {delta:+d}, every case still passes: add a case on the edge of {name}")
