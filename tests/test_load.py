"""Reader, guard and loader: every failure path with a real malformed file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from conftest import EPISODES, HEADER, SAMPLE, write_csv

from careplan_checks.errors import InputError
from careplan_checks.load import load_extract


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    return {r[0]: r[1:] for r in con.execute(
        "SELECT FILE, ROWS_READ, ROWS_LOADED, ROWS_REJECTED FROM load_files").fetchall()}


def test_sample_data_loads_every_table_with_zero_rejects(cli):
    from careplan_checks.quality import validate
    from careplan_checks.sample import read_answer_key

    result = cli("validate", SAMPLE)
    assert result.exit_code == 0, result.output
    con, report = load_extract(SAMPLE)
    assert report.absent_tables == []
    assert report.rows_rejected == 0
    for f in report.files:
        assert f.rows_read == f.rows_loaded > 0, f.file
    assert report.ignored == [("answer_key.csv", "neither its name nor its headers match a table of the contract")]
    # The only data-quality findings are the recording errors the generator seeded on purpose.
    seeded = {rule: sum(1 for k in read_answer_key(SAMPLE) if k[0] == rule) for rule in ("DQ-01", "DQ-02", "QI-02")}
    findings = {(r[0], r[1]): r[6] for r in validate(con, {f.table for f in report.files}) if not r[4]}
    assert findings == {("episodes", "no_overlap"): seeded["DQ-01"],
                        ("health_record_access", "date_order"): seeded["DQ-02"],
                        ("reviews", "dob_matches_header"): seeded["QI-02"]}
    assert f", {len(findings)} findings" in result.output


def test_bom_and_both_date_styles_and_lower_case_codes(tmp_path: Path):
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,01/02/2010,wbri,UN1,,\nC2,f,2012-03-04,WBRI,known,0,\n",
              bom=True)
    con, report = load_extract(tmp_path)
    rows = con.execute("SELECT CHILD, SEX, DOB, ETHNIC, UPN FROM header ORDER BY CHILD").fetchall()
    assert rows == [("C1", "1", dt.date(2010, 2, 1), "WBRI", "UN1"), ("C2", "F", dt.date(2012, 3, 4), "WBRI", "KNOWN")]
    assert report.rows_rejected == 0


def test_latin1_file_is_refused_naming_file_and_line(tmp_path: Path, cli):
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,01/02/2010,WBRI,UN1,,\nCé2,1,01/02/2010,WBRI,UN1,,\n",
              encoding="latin-1")
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "header.csv, line 3: the file is not UTF-8 encoded" in result.output
    assert "Cé2" not in result.output and "C\ufffd2" not in result.output


def test_utf16_file_is_refused(tmp_path: Path, cli):
    (tmp_path / "header.csv").write_bytes((HEADER + "C1,1,01/02/2010,WBRI,UN1,,\n").encode("utf-16"))
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "header.csv: the file is UTF-16 encoded" in result.output


def test_missing_required_column(tmp_path: Path, cli):
    write_csv(tmp_path / "episodes.csv", "CHILD,RNE,LS,CIN,PLACE\nC1,S,C2,N1,U4\n")
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "episodes.csv, line 1: table 'episodes' needs column(s) DECOM, which the header row lacks" in result.output


def test_duplicated_header(tmp_path: Path, cli):
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB,DOB\nC1,1,01/02/2010,01/02/2010\n")
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "header.csv, line 1: the header row repeats column(s) DOB" in result.output


def test_bad_dates_and_codes_are_rejected_and_counted(tmp_path: Path):
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,31/02/2010,WBRI,UN1,,\nC2,1,2024-13-01,WBRI,UN1,,\n"
              "C3,X,01/02/2010,WBRI,UN1,,\nC4,1,01/02/2010,WBRI,UN1,,\n,1,01/02/2010,WBRI,UN1,,\n")
    con, _report = load_extract(tmp_path)
    assert _counts(con)["header.csv"] == (5, 1, 4)
    rejected = con.execute("SELECT LINE, COLUMN_NAME, REASON FROM rejected_rows ORDER BY LINE").fetchall()
    assert rejected == [
        (2, "DOB", "DOB is not a valid date (dd/mm/yyyy or yyyy-mm-dd)"),
        (3, "DOB", "DOB is not a valid date (dd/mm/yyyy or yyyy-mm-dd)"),
        (4, "SEX", "SEX is not one of the contract codes"),
        (6, "CHILD", "CHILD is empty, but a value is required"),
    ]


def test_ragged_rows_are_rejected_with_their_line(tmp_path: Path):
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,01/02/2010,WBRI,UN1,,,extra,fields\nC2,1\n"
              'C3,1,01/02/2010,WBRI,UN1,,\n')
    con, _ = load_extract(tmp_path)
    assert _counts(con)["header.csv"] == (3, 1, 2)
    assert con.execute("SELECT CHILD, _LINE FROM header").fetchall() == [("C3", 4)]
    reasons = dict(con.execute("SELECT LINE, REASON FROM rejected_rows").fetchall())
    assert reasons == {2: "the row has more fields than the header", 3: "the row has fewer fields than the header"}


def test_xlsx_with_an_extra_sheet_is_refused_unless_a_sheet_is_named(tmp_path: Path, cli):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(HEADER.strip().split(","))
    ws.append(["C1", 1, dt.datetime(2010, 2, 1), "WBRI", "UN1", None, None])
    wb.create_sheet("Notes").append(["prepared by the data team"])
    wb.save(tmp_path / "header.xlsx")
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "header.xlsx: the workbook has 2 sheets (Data, Notes)" in result.output

    ws.title = "header"
    wb.save(tmp_path / "header.xlsx")
    con, _report = load_extract(tmp_path)
    assert con.execute("SELECT CHILD, SEX, DOB, _LINE FROM header").fetchall() == [("C1", "1", dt.date(2010, 2, 1), 2)]


def test_parquet_and_recognition_by_headers(tmp_path: Path):
    src = duckdb.connect()
    src.execute(f"COPY (SELECT * FROM read_csv('{SAMPLE / 'header.csv'}', all_varchar=true)) "
                f"TO '{tmp_path / 'children_2025.parquet'}' (FORMAT parquet)")
    (tmp_path / "readme.txt").write_text("notes")
    _con, report = load_extract(tmp_path)
    assert [f.table for f in report.files] == ["header"]
    assert report.files[0].rows_read == report.files[0].rows_loaded == 300
    assert ("readme.txt", "not a CSV, XLSX or Parquet file") in report.ignored


def test_two_files_for_one_table_are_refused(tmp_path: Path, cli):
    write_csv(tmp_path / "header.csv", HEADER)
    write_csv(tmp_path / "Header.CSV", HEADER) if not (tmp_path / "Header.CSV").exists() else None
    write_csv(tmp_path / "children.csv", HEADER)
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "holds table 'header', which" in result.output


@pytest.mark.parametrize(("column_line", "value", "expect"), [
    ("HOME_POST", "EG19 7AB", "1 value(s) look like full postcodes"),
    ("URN", "A123456789012", "1 value(s) look like real UPNs"),
    ("URN", "943 476 5919", "1 value(s) look like NHS numbers"),
])
def test_guard_refuses_identifiers_in_content(tmp_path: Path, cli, column_line: str, value: str, expect: str):
    cols = EPISODES.strip().split(",")
    row = dict.fromkeys(cols, "")
    row.update(CHILD="C1", DECOM="01/01/2020", RNE="S", LS="C2", CIN="N1", PLACE="U4")
    row[column_line] = value
    write_csv(tmp_path / "episodes.csv", EPISODES + "C0,01/01/2019,S,C2,N1,U4,PR1,,,,,,\n"
              + ",".join(f'"{row[c]}"' for c in cols) + "\n")
    db = tmp_path / "out.duckdb"
    result = cli("validate", tmp_path, "--db", db)
    assert result.exit_code == 2
    assert f"episodes.csv, line 3, column {column_line}: {expect}" in result.output
    assert "refused: extracts must be anonymised" in result.output
    assert value not in result.output
    assert not db.exists(), "nothing may be written when the guard refuses"


def test_guard_refuses_real_upn_in_header(tmp_path: Path, cli):
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,01/02/2010,WBRI,H801200001001,,\n")
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "header.csv, line 2, column UPN: 1 value(s) look like real UPNs" in result.output
    assert "H801200001001" not in result.output


def test_guard_refuses_name_and_address_columns(tmp_path: Path, cli):
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB,FORENAME,ADDRESS_LINE1\nC1,1,01/02/2010,x,y\n")
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "header.csv, column FORENAME: the column's name shows it holds direct identifiers" in result.output
    assert "header.csv, column ADDRESS_LINE1:" in result.output


def _nhs_numbers(n: int) -> list[str]:
    """``n`` ten-digit numbers with a valid NHS modulus-11 check digit."""
    out = []
    for stem in range(400_000_000, 500_000_000, 7919):
        digits = [int(d) for d in str(stem)]
        check = (11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11) % 11
        if check != 10:
            out.append(f"{stem}{check}")
        if len(out) == n:
            return out
    raise AssertionError("not enough numbers")


def test_the_guard_checks_a_column_of_all_different_cells_cell_by_cell_with_the_same_findings(tmp_path: Path, cli):
    """header's CHILD (its whole key) is checked cell by cell, not grouped by distinct value first: the same
    counts and first lines as the grouped path, which episodes' CHILD takes."""
    from careplan_checks import guard
    from careplan_checks.extract import stage_folder

    nhs = _nhs_numbers(30)
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,01/02/2010,WBRI,UN1,,\n"
              + "".join(f"{v},1,01/02/2010,WBRI,UN1,,\n" for v in nhs) + "EG19 7AB,1,01/02/2010,WBRI,UN1,,\n")
    write_csv(tmp_path / "episodes.csv", EPISODES + "".join(f"{v},01/01/2020,S,C2,N1,U4,PR1,,,,,,\n" for v in nhs))
    con, found = stage_folder(tmp_path)
    files = {f.table.name: f for f in found.files}
    tables = [(t, ["CHILD"]) for t in ("header", "episodes")]
    by_cell = guard._found(tables, con, [["CHILD"], []])
    grouped = guard._found(tables, con, None)
    assert by_cell == grouped
    header_hits = {label.split(" ")[0]: (n, first) for label, n, first in by_cell[0][(0, "CHILD")]}
    assert header_hits == {"full": (1, 33), "NHS": (30, 3)}
    assert files["header"].table.key == ("CHILD",)
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "header.csv, line 3, column CHILD: 30 value(s) look like NHS numbers" in result.output
    assert "header.csv, line 33, column CHILD: 1 value(s) look like full postcodes" in result.output
    assert nhs[0] not in result.output


def test_numeric_child_ids_are_not_mistaken_for_nhs_numbers(tmp_path: Path):
    rows = "".join(f"{1000000000 + i * 7919},1,01/02/2010,WBRI,UN1,,\n" for i in range(40))
    write_csv(tmp_path / "header.csv", HEADER + rows)
    _con, report = load_extract(tmp_path)
    assert report.files[0].rows_loaded == 40


def test_failed_load_leaves_previous_database_intact(tmp_path: Path, extract: Path):
    db = tmp_path / "careplan.duckdb"
    con, _ = load_extract(extract, db)
    before = con.execute("SELECT count(*) FROM episodes").fetchone()[0]
    con.close()
    write_csv(extract / "episodes.csv", "CHILD,DECOM\nC1,01/01/2020\n")  # required columns missing
    with pytest.raises(InputError):
        load_extract(extract, db)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM episodes").fetchone()[0] == before


def test_rows_read_equals_loaded_plus_rejected_for_every_file(extract: Path):
    text = (extract / "visits.csv").read_text()
    (extract / "visits.csv").write_text(text + "C01000001,not a date,Y,Y\nC01000001,2024-01-01,maybe,Y\n")
    con, report = load_extract(extract)
    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_rejected
    visits = next(f for f in report.files if f.table == "visits")
    assert visits.rows_rejected == 2
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchone()[0] == 2


def test_empty_and_header_only_files(tmp_path: Path, cli):
    write_csv(tmp_path / "header.csv", HEADER)
    _con, report = load_extract(tmp_path)
    assert report.files[0].rows_read == 0
    write_csv(tmp_path / "episodes.csv", "")
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "episodes.csv: the file is empty" in result.output


def test_a_bad_optional_cell_is_emptied_and_listed_the_row_kept(tmp_path: Path):
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,01/02/2010,WBRI,UN1,1.0,\nC2,2,01/02/2011,XXXX,UN1,0,\n"
              "C3,1,not a date,WBRI,UN1,0,\n")
    write_csv(tmp_path / "oc3.csv", "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\nC9,01/02/2004,YES,Q9,B1\n,01/02/2004,YES,F1,B1\n")
    con, report = load_extract(tmp_path)
    assert con.execute("SELECT CHILD, MOTHER, ETHNIC FROM header ORDER BY CHILD").fetchall() == [
        ("C1", "1", "WBRI"), ("C2", "0", None)], "a spreadsheet's 1.0 is the code 1; a bad optional code is emptied"
    assert con.execute("SELECT CHILD, DOB, IN_TOUCH, ACTIV, ACCOM FROM oc3").fetchall() == [
        ("C9", dt.date(2004, 2, 1), "YES", None, "B1")]
    listed = con.execute("SELECT FILE, LINE, COLUMN_NAME, ACTION FROM rejected_rows ORDER BY FILE, LINE").fetchall()
    assert listed == [("header.csv", 3, "ETHNIC", "cell emptied"), ("header.csv", 4, "DOB", "row dropped"),
                      ("oc3.csv", 2, "ACTIV", "cell emptied"), ("oc3.csv", 3, "CHILD", "row dropped")]
    by_file = {f.file: f for f in report.files}
    assert (by_file["header.csv"].rows_read, by_file["header.csv"].rows_loaded, by_file["header.csv"].rows_rejected,
            by_file["header.csv"].cells_emptied) == (3, 2, 1, 1)
    assert con.execute("SELECT TABLE_NAME, LINE, CHILD FROM dropped_rows ORDER BY ALL").fetchall() == [
        ("header", 4, "C3"), ("oc3", 3, None)]


def test_values_as_spreadsheets_and_exports_write_them(tmp_path: Path):
    nbsp = "\u00a0"
    write_csv(tmp_path / "episodes.csv",
              "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC\n"
              f"C1,2017-08-24 00:00:00,S,C2,N1,U4,2018-01-31 13:45\n"
              f"C2 ,24/08/2017 00:00,s{nbsp},c2,N1,U4,\n"
              f"C3,{nbsp}24/08/2017{nbsp},S,C2,N1,U4,2018-01-31T00:00:00.000\n")
    con, report = load_extract(tmp_path)
    assert report.rows_rejected == 0 and report.cells_emptied == 0
    assert con.execute("SELECT CHILD, DECOM, RNE, LS, DEC FROM episodes ORDER BY CHILD").fetchall() == [
        ("C1", dt.date(2017, 8, 24), "S", "C2", dt.date(2018, 1, 31)),
        ("C2", dt.date(2017, 8, 24), "S", "C2", None),
        ("C3", dt.date(2017, 8, 24), "S", "C2", dt.date(2018, 1, 31))]


def test_mixed_line_endings_load_every_row(tmp_path: Path):
    rows = ["C1,1,01/02/2010,WBRI,UN1,0,", "C2,2,01/02/2011,WBRI,UN1,0,", "C3,1,01/02/2012,WBRI,UN1,0,"]
    data = HEADER.replace("\n", "\r\n") + "\r\n".join(rows[:2]) + "\r\n" + rows[2] + "\n"  # a line added by hand
    write_csv(tmp_path / "header.csv", data)
    con, report = load_extract(tmp_path)
    assert report.rows_read == 3 and report.rows_rejected == 0
    assert con.execute("SELECT CHILD, _LINE FROM header ORDER BY CHILD").fetchall() == [("C1", 2), ("C2", 3), ("C3", 4)]
    # a ragged row is still caught in such a file
    write_csv(tmp_path / "header.csv", data + "C4,1\r\n")
    con, report = load_extract(tmp_path)
    assert report.rows_read == 4 and report.rows_rejected == 1


def test_accommodation_s1_and_x1_are_refused_s2_and_x2_accepted(tmp_path: Path):
    """The DfE's ACCOM list has no fixed abode (S) and custody (X) only as unsuitable (2)."""
    write_csv(tmp_path / "oc3.csv", "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\nA1,01/02/2004,YES,F1,S1\n"
              "A2,01/02/2004,YES,F1,S2\nA3,01/02/2004,YES,F1,X1\nA4,01/02/2004,YES,F1,x2\n")
    con, _report = load_extract(tmp_path)
    assert con.execute("SELECT CHILD, ACCOM FROM oc3 ORDER BY CHILD").fetchall() == [
        ("A1", None), ("A2", "S2"), ("A3", None), ("A4", "X2")]
    assert con.execute("SELECT LINE, COLUMN_NAME, ACTION FROM rejected_rows ORDER BY LINE").fetchall() == [
        (2, "ACCOM", "cell emptied"), (4, "ACCOM", "cell emptied")]


def test_a_workbook_named_csv_is_told_what_it_is(tmp_path: Path, cli):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["CHILD", "SEX", "DOB"])
    wb.save(tmp_path / "header.csv")
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "header.csv: the file is an Excel workbook (or another zip file) named .csv" in result.output


def test_typing_by_distinct_cell_and_cell_by_cell_give_the_same_tables(tmp_path: Path, monkeypatch):
    """A large table types each distinct cell once, a small one every cell in line: the same rows, values,
    emptied cells and dropped rows either way, bad cells of every kind included."""
    import careplan_checks.load as load

    lines = (SAMPLE / "episodes.csv").read_text().splitlines()
    bad = ["C0X,31/02/2024,S,C2,N5,U5,PR1,,,,EG16,,",  # an impossible date in the key: dropped
           "C0Y, 01/03/2024 ,s,c2,n5,U5,PR9,2024-04-01 00:00:00,X1,OTHER,eg16,EG21 2,",  # padded, cased, PR9
           ",01/03/2024,S,C2,N5,U5,PR1,,,,,,",  # no child: dropped
           "C0Z,01/03/2024,S,C2,N5,U5,PR1,1/4/2024,Q9,OTHER,NOT A DISTRICT,,",  # REC and HOME_POST emptied
           "C0W,2024-03-01,S,C2,N5,U5,PR1,,,,\u00a0EG16\u00a0,,",
           "C0LONGERTHAN10,01/03/2024,S,C2,N5,U5,PR1,,,,,,",  # a CHILD over ten characters: dropped
           "\u00a0C0V ,01/03/2024,S,C2,N5,U5,PR1,,,,,,"]  # a padded CHILD: trimmed (identifiers by distinct too)
    (tmp_path / "episodes.csv").write_text("\n".join(lines[:200] + bad + lines[200:400]) + "\n")
    write_csv(tmp_path / "header.csv", HEADER + "C0Y,1,01/02/2010,WBRI,UN1,,\nC0Z,3,01/02/2010,,,,\n")

    def loaded(from_rows: int) -> dict[str, list[tuple]]:
        monkeypatch.setattr(load, "DISTINCT_FROM_ROWS", from_rows)
        con, _report = load_extract(tmp_path)
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("episodes", "header", "rejected_rows", "dropped_rows", "load_files")}

    by_distinct, by_cell = loaded(0), loaded(10**9)
    assert by_distinct == by_cell
    assert ("C0V",) in {r[:1] for r in by_cell["episodes"]}
    assert sum(r[1:4:2] == ("episodes", "CHILD") for r in by_cell["rejected_rows"]) == 2
    reasons = {(r[1], r[3], r[5]) for r in by_cell["rejected_rows"]}
    assert {("episodes", "DECOM", "row dropped"), ("episodes", "CHILD", "row dropped"),
            ("episodes", "REC", "cell emptied"), ("episodes", "HOME_POST", "cell emptied"),
            ("episodes", "PLACE_PROVIDER", "cell emptied"), ("header", "SEX", "row dropped")} <= reasons


def test_each_file_with_dates_in_a_wrong_format_is_named_with_its_own_first_line(tmp_path: Path):
    """The date formats of every file are worked out in one statement; each file's finding is its own."""
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,01/02/2010,,,,\n"
              + "".join(f"C{i},1,{m:02d}/{20 + i % 8}/2010,,,,\n" for i, m in enumerate(range(1, 12), start=2)))
    write_csv(tmp_path / "episodes.csv", EPISODES + "C1,01/03/2024,S,C2,N5,U5,PR1,,,,,,\n"
              + "".join(f"C{i},{10 + i}-03-2024,S,C2,N5,U5,PR1,,,,,,\n" for i in range(2, 9)))
    with pytest.raises(InputError) as info:
        load_extract(tmp_path)
    found = {(p.file, p.line, p.column): p.message for p in info.value.problems}
    assert set(found) == {("header.csv", 3, "DOB"), ("episodes.csv", 3, "DECOM")}, found
    assert found[("header.csv", 3, "DOB")].startswith("the dates look like mm/dd/yyyy (month first): 11 have")
    assert found[("episodes.csv", 3, "DECOM")].startswith("7 of the 8 dates look like dd-mm-yyyy")


def test_each_file_is_recorded_with_the_sha256_of_its_bytes(extract: Path):
    """The hashes are worked out beside the read (a thread): each must still be its own file's."""
    import hashlib

    con, report = load_extract(extract)
    recorded = dict(con.execute("SELECT FILE, SHA256 FROM load_files").fetchall())
    assert len(recorded) == len(report.files) > 20
    for name, digest in recorded.items():
        assert digest == hashlib.sha256((extract / name).read_bytes()).hexdigest(), name
    assert {f.file: f.sha256 for f in report.files} == recorded
