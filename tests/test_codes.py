"""SSDA903 code lists by collection year, the contract's union of them, and the year finding."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import write_csv

from careplan_checks import codes
from careplan_checks.codes import SUPPORTED_YEARS, all_codes, codes_for, collection_year_of
from careplan_checks.contract import TABLES, TABLES_BY_NAME
from careplan_checks.load import load_extract
from careplan_checks.quality import validate


def test_supported_years_run_2022_23_to_2026_27_and_every_list_covers_them():
    assert SUPPORTED_YEARS == ("2022-23", "2023-24", "2024-25", "2025-26", "2026-27")
    for key, by_year in codes.CODE_LISTS.items():
        assert tuple(by_year) == SUPPORTED_YEARS, key
        assert all(by_year.values()), f"{key}: an empty list"


@pytest.mark.parametrize("table", ["header", "uasc"])
def test_sex_is_1_2_to_2023_24_and_m_f_u_from_2024_25(table: str):
    for year in ("2022-23", "2023-24"):
        assert codes_for(table, "SEX", year) == ("1", "2")
    for year in ("2024-25", "2025-26", "2026-27"):
        assert codes_for(table, "SEX", year) == ("M", "F", "U")
    assert "1" in codes_for(table, "SEX", "2023-24") and "1" not in codes_for(table, "SEX", "2024-25")
    assert "M" in codes_for(table, "SEX", "2024-25") and "M" not in codes_for(table, "SEX", "2023-24")


def test_place_codes_retired_and_added():
    for retired in ("H5", "P2", "Z1"):
        assert codes.years_valid("episodes", "PLACE", retired) == ("2022-23", "2023-24", "2024-25")
        assert retired not in codes_for("episodes", "PLACE", "2025-26")
        assert retired in all_codes("episodes", "PLACE")
    assert codes.years_valid("episodes", "PLACE", "K3") == ("2024-25", "2025-26", "2026-27")
    for new in ("Z11", "Z12", "Z13", "Z14"):
        assert codes.years_valid("episodes", "PLACE", new) == ("2025-26", "2026-27")
    assert codes.years_valid("episodes", "PLACE", "U4") == SUPPORTED_YEARS


@pytest.mark.parametrize("year", SUPPORTED_YEARS)
def test_accom_no_fixed_abode_and_custody_only_as_unsuitable(year: str):
    accom = codes_for("oc3", "ACCOM", year)
    assert "S2" in accom and "X2" in accom
    assert "S1" not in accom and "X1" not in accom
    assert {"B1", "B2", "Z1", "Z2", "0"} <= set(accom)


def test_accom_s1_and_x1_are_not_loaded():
    assert not {"S1", "X1"} & set(TABLES_BY_NAME["oc3"].column("ACCOM").codes)


def test_unknown_year_or_column_is_an_error():
    with pytest.raises(ValueError, match="2021-22"):
        codes_for("header", "SEX", "2021-22")
    with pytest.raises(KeyError):
        codes_for("header", "DOB", "2024-25")


@pytest.mark.parametrize(("date", "label"), [
    (dt.date(2025, 3, 31), "2024-25"),
    (dt.date(2025, 4, 1), "2025-26"),
    (dt.date(2024, 4, 1), "2024-25"),
    (dt.date(2024, 3, 31), "2023-24"),
    (dt.date(2024, 12, 31), "2024-25"),
    (dt.date(2025, 1, 1), "2024-25"),
    (dt.date(1999, 4, 1), "1999-00"),
])
def test_collection_year_starts_on_1_april(date: dt.date, label: str):
    assert collection_year_of(date) == label


def test_contract_codes_are_the_union_of_the_yearly_lists():
    for (table, column), by_year in codes.CODE_LISTS.items():
        union = {c for year in SUPPORTED_YEARS for c in by_year[year]}
        contract_codes = TABLES_BY_NAME[table].column(column).codes
        assert set(contract_codes) == union, (table, column)
        assert len(contract_codes) == len(union), f"{table}.{column}: a code is listed twice"
        assert contract_codes == all_codes(table, column)


def test_every_903_coded_column_is_in_the_yearly_lists_or_is_a_0_1_flag():
    for t in TABLES:
        if t.group != "ssda903":
            continue
        for c in t.columns:
            if c.kind == "code" and (t.name, c.name) not in codes.CODE_LISTS:
                assert c.codes == ("0", "1"), f"{t.name}.{c.name} has a code list outside codes.py"


def test_quality_finding_for_a_code_of_another_year(tmp_path: Path):
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB\nC1,1,01/02/2010\nC2,2,03/04/2011\nC3,F,05/06/2012\n")
    con, report = load_extract(tmp_path)
    present = {f.table for f in report.files}
    assert present == {"header"}
    assert con.execute("SELECT count(*) FROM header").fetchone()[0] == 3, "every code loads"

    results = validate(con, present, year="2024-25")
    year_checks = [r for r in results if r[1] == "code_in_year"]
    assert len(year_checks) == 1
    table, _name, column, description, success, _elements, unexpected, error = year_checks[0]
    assert (table, column, description) == ("header", "SEX", "SEX: code not valid in 2024-25 (valid in another year)")
    assert success is False and unexpected == 2 and error is None
    assert all(r[4] for r in results if r[1] != "code_in_year"), "only the year check fails"
    stored = con.execute("SELECT UNEXPECTED_COUNT FROM quality_results "
                         "WHERE CHECK_NAME = 'code_in_year' AND NOT SUCCESS").fetchall()
    assert stored == [(2,)]

    earlier = [r for r in validate(con, present, year="2023-24") if r[1] == "code_in_year"]
    assert [(r[2], r[4], r[6]) for r in earlier] == [("SEX", False, 1)], "F is a 2024-25 code"


def test_no_finding_for_sex_1_in_2023_24(tmp_path: Path):
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB\nC1,1,01/02/2010\nC2,2,03/04/2011\n")
    con, report = load_extract(tmp_path)
    results = validate(con, {f.table for f in report.files}, year="2023-24")
    assert all(r[4] for r in results), [r for r in results if not r[4]]
    assert [r[3] for r in results if r[1] == "code_in_year"] == [
        "SEX: code not valid in 2023-24 (valid in another year)"]


def test_without_a_year_there_is_no_year_check(tmp_path: Path):
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB\nC1,1,01/02/2010\n")
    con, report = load_extract(tmp_path)
    present = {f.table for f in report.files}
    assert not [r for r in validate(con, present) if r[1] == "code_in_year"]
    with pytest.raises(ValueError, match="not supported"):
        validate(con, present, year="2019-20")


def test_only_columns_that_vary_get_a_year_check(tmp_path: Path):
    write_csv(tmp_path / "episodes.csv",
              "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
              "C1,01/04/2025,S,C2,N1,H5,PR4,,,,,,\n"
              "C2,01/05/2025,S,C2,N1,U4,PR1,,,,,,\n")
    con, report = load_extract(tmp_path)
    present = {f.table for f in report.files}
    by_year = {y: [(r[2], r[6]) for r in validate(con, present, year=y) if r[1] == "code_in_year"]
               for y in ("2024-25", "2025-26")}
    assert by_year == {"2024-25": [("PLACE", 0)], "2025-26": [("PLACE", 1)]}
