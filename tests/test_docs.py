"""Committed reference documents must match what the code generates."""

from conftest import REPO

from careplan_checks.docs import contract_markdown


def test_contract_reference_is_current():
    committed = (REPO / "docs" / "contract.md").read_text(encoding="utf-8")
    assert committed == contract_markdown(), "docs/contract.md is stale: run 'careplan-checks docs'"
