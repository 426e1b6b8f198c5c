"""The DfE 903 pack against the sample generator: a clean sample raises only the errors its answer key
expects (from compliance lapses that are DfE errors too), and a sample with one violation of each code
seeded into it raises exactly the seeded children under each code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import REPO

from careplan_checks.pipeline import NightOptions, run_night
from careplan_checks.sample import generate, read_answer_key
from careplan_checks.sample.seeded import mismatches, read_seeded, seed_violations
from careplan_checks.validation_rules import current_year, load_pack

PACK = load_pack(REPO / "rules" / "dfe903")
#: A year-end night of the current collection year (1 April 2026 to 31 March 2027).
YEAR_END = dt.date(2027, 3, 31)


def _night(folder: Path, as_of: dt.date):
    return run_night(NightOptions(extract_dir=folder, as_of=as_of, pack="dfe903", quality=False))


def _expected(folder: Path) -> set[tuple[str, str]]:
    """(code, child) for each 903 error the answer key expects."""
    return {(r.removeprefix("903-"), c) for r, c, _d, _k in read_answer_key(folder) if r.startswith("903-")}


def _clean(folder: Path, as_of: dt.date) -> None:
    night = _night(folder, as_of)
    year = current_year(as_of)
    assert not [v.rule.code for v in night.validation if v.status == "errored"]
    not_run = [(v.rule.code, v.message) for v in night.validation if v.status == "not run" and v.rule.applies_in(year)]
    assert not not_run, f"codes of {year} that did not run on the sample: {not_run}"
    got = {(code, child) for code, child, *_ in night.validation_errors}
    want = _expected(folder)
    assert got == want, f"unexpected {sorted(got - want)[:10]}, missed {sorted(want - got)[:10]}"


def test_the_built_in_sample_raises_no_903_error_its_answer_key_does_not_expect() -> None:
    _clean(REPO / "sample_data", dt.date(2025, 3, 31))


@pytest.mark.parametrize("seed", [1, 2])
def test_a_sample_of_the_current_year_is_clean(tmp_path: Path, seed: int) -> None:
    generate(tmp_path, children=1500, seed=seed, as_of=YEAR_END)
    _clean(tmp_path, YEAR_END)


def test_every_code_of_the_year_flags_exactly_the_child_seeded_for_it(tmp_path: Path) -> None:
    year = current_year(YEAR_END)
    codes = [r.code for r in PACK if r.applies_in(year)]
    assert len(codes) >= 250
    assert not [r.code for r in PACK if r.applies_in(year) and r.seed is None], "every code of the year has a seed"
    generate(tmp_path, children=1500, seed=1, as_of=YEAR_END)
    given = seed_violations(tmp_path, year)
    assert sorted(given) == sorted(codes) and len(set(given.values())) == len(given)
    night = _night(tmp_path, YEAR_END)
    assert not [v.rule.code for v in night.validation if v.status != "ran" and v.rule.applies_in(year)]
    bad = mismatches(read_seeded(tmp_path), night.validation_errors, codes, _expected(tmp_path))
    assert not bad, "\n".join(bad[:20])
