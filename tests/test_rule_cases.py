"""Every rule's inline test cases (the compliance pack and the DfE 903 pack), one pytest test per case."""

from careplan_checks.rule_tests import pytest_generate_tests, test_rule_case, test_validation_case  # noqa: F401
