"""School terms: the shipped default, a local override file, and the table the rules read."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest

from careplan_checks.calendar import default_terms, install, read_term_overrides, school_terms
from careplan_checks.errors import InputError

D = dt.date


def test_default_is_three_terms_a_school_year_with_august_off():
    year = [t for t in default_terms() if D(2024, 9, 1) <= t[0] <= D(2025, 8, 31)]
    assert year == [(D(2024, 9, 1), D(2024, 12, 31), "autumn 2024"), (D(2025, 1, 1), D(2025, 3, 31), "spring 2025"),
                    (D(2025, 4, 1), D(2025, 7, 31), "summer 2025")]
    assert not any(t[0] <= D(2025, 8, 15) <= t[1] for t in default_terms())


def test_default_terms_never_overlap_and_cover_the_calendar_years():
    terms = default_terms()
    assert all(a[1] < b[0] for a, b in pairwise(terms))
    assert terms[0][0] == D(1990, 9, 1) and terms[-1][1] == D(2050, 7, 31)


def _csv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "terms.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_local_term_replaces_the_default_terms_it_overlaps_only(tmp_path: Path):
    path = _csv(tmp_path, "TERM_START,TERM_END,NAME\n2024-09-04,2024-12-20,Autumn 2024\n"
                          "2025-01-06,2025-04-04,Spring 2025\n")
    terms = school_terms(path)
    year = [t for t in terms if D(2024, 9, 1) <= t[0] <= D(2025, 8, 31)]
    assert year == [(D(2024, 9, 4), D(2024, 12, 20), "Autumn 2024"), (D(2025, 1, 6), D(2025, 4, 4), "Spring 2025")]
    # the default summer 2025 (1 Apr - 31 Jul) overlaps the local spring term, which ends 4 April: replaced too
    assert (D(2025, 4, 1), D(2025, 7, 31), "summer 2025") not in terms
    # other years keep the default
    assert (D(2023, 9, 1), D(2023, 12, 31), "autumn 2023") in terms


def test_installed_table_holds_the_terms(tmp_path: Path):
    con = duckdb.connect()
    install(con, terms=_csv(tmp_path, "TERM_START,TERM_END,NAME\n2024-09-04,2024-12-20,Autumn 1 and 2\n"))
    got = con.execute("SELECT TERM_START, TERM_END, NAME FROM school_terms WHERE TERM_START BETWEEN "
                      "DATE '2024-08-01' AND DATE '2025-02-01' ORDER BY TERM_START").fetchall()
    assert got == [(D(2024, 9, 4), D(2024, 12, 20), "Autumn 1 and 2"), (D(2025, 1, 1), D(2025, 3, 31), "spring 2025")]
    con2 = duckdb.connect()
    install(con2)
    assert con2.execute("SELECT count(*) FROM school_terms").fetchone()[0] == len(default_terms())


@pytest.mark.parametrize(("text", "message"), [
    ("TERM_START,TERM_END,NAME\n04/09/2024,2024-12-20,x\n", "TERM_START is not a yyyy-mm-dd date"),
    ("TERM_START,TERM_END,NAME\n2024-09-04,2024-09-03,x\n", "TERM_END is before TERM_START"),
    ("TERM_START,TERM_END,NAME\n2024-09-04,2024-12-20,a\n2024-12-20,2025-03-01,b\n", "overlap"),
])
def test_a_bad_term_file_is_refused_with_the_reason(tmp_path: Path, text: str, message: str):
    with pytest.raises(InputError) as e:
        read_term_overrides(_csv(tmp_path, text))
    assert message in str(e.value.problems[0])


def test_no_override_file_means_the_default():
    assert read_term_overrides(None) == []
    assert school_terms() == list(default_terms())


def test_run_uses_the_local_terms_given_with_term_dates(cli, tmp_path: Path):
    """A PEP on 2 April 2025 falls in the authority's spring term (6 Jan - 4 Apr), not in the default one
    (1 Jan - 31 Mar): the same extract has a missed term by default and none with --term-dates."""
    import json

    d = tmp_path / "extract"
    d.mkdir()
    (d / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/01/2014\n")
    (d / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,19/08/2024,S,C2,N1,U4\n")
    (d / "peps.csv").write_text("CHILD,PEP_DATE,PEP_TYPE\nC1,2024-09-03,INITIAL\nC1,2025-04-02,REVIEW\n")
    terms = _csv(tmp_path, "TERM_START,TERM_END,NAME\n2025-01-06,2025-04-04,Spring 2025\n")

    def exceptions(*extra: object) -> int:
        result = cli("run", d, "--as-of", "2025-04-30", "--select", "EDU-01", "--no-quality", "--no-report",
                     "--format", "json", *extra)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["rules"][0]["exceptions"]

    assert exceptions() == 1
    assert exceptions("--term-dates", terms) == 0
