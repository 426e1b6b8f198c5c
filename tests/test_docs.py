"""Committed reference documents must match what the code generates."""

from conftest import REPO

from careplan_checks.docs import contract_markdown


def test_contract_reference_is_current():
    committed = (REPO / "docs" / "contract.md").read_text(encoding="utf-8")
    assert committed == contract_markdown(), "docs/contract.md is stale: run 'careplan-checks docs'"


def test_readme_states_how_many_rules_quote_their_source():
    """The README's count of verified rules is the pack's, word for word as docs/rules.md puts it."""
    from careplan_checks.docs import verified_summary
    from careplan_checks.rules import load_rules

    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert verified_summary(load_rules(REPO / "rules")) in readme, "README.md: update the count of verified rules"


def test_validation_reference_is_current():
    from careplan_checks.docs import validation_reference

    committed = (REPO / "docs" / "dfe903.md").read_text(encoding="utf-8")
    assert committed == validation_reference(REPO / "rules" / "dfe903"), \
        "docs/dfe903.md is stale: run 'careplan-checks docs'"
