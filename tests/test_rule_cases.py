"""Every rule's inline test cases, one pytest test per case."""

from careplan_checks.rule_tests import pytest_generate_tests, test_rule_case  # noqa: F401
