"""The DfE 903 validation pack in a night: the year's return, last year's, the history and the outputs."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import REPO

from careplan_checks.errors import InputError
from careplan_checks.pipeline import NightOptions, run_night
from careplan_checks.validation import evaluate_validation, prepare_validation_database
from careplan_checks.validation_rules import current_year, load_pack

EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC\n"


def _extract(d: Path, ethnic: dict[str, str], old: bool = False) -> Path:
    """Header, episodes and allocations for C1..C3 (the ETHNIC given; C9 looked after only in 2022)."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC\n" + "".join(
        f"{c},F,01/06/2014,{e}\n" for c, e in sorted(ethnic.items())) + ("C9,M,01/06/2010,\n" if old else ""))
    (d / "episodes.csv").write_text(EPISODES + "".join(f"{c},01/05/2026,S,C2,N1,U1,\n" for c in sorted(ethnic))
                                    + ("C9,01/05/2022,S,C2,N1,U1,01/06/2022\n" if old else ""))
    (d / "allocations.csv").write_text("CHILD,ROLE,WORKER_ID,TEAM,START_DATE,END_DATE\n" + "".join(
        f"{c},SW,W1,North,01/05/2026,\n" for c in sorted(ethnic)))
    return d


def _night(extract: Path, db: Path, as_of: dt.date, out: Path | None = None, **kw):
    return run_night(NightOptions(extract_dir=extract, as_of=as_of, db=db, out=out, quality=False, **kw))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_current_year_turns_on_the_first_of_april() -> None:
    assert current_year(dt.date(2026, 3, 31)) == "2025-26"
    assert current_year(dt.date(2026, 4, 1)) == "2026-27"
    assert current_year(dt.date(2026, 12, 1)) == "2026-27"


def test_an_error_is_new_then_open_then_resolved_with_its_team_and_line(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    bad = _extract(tmp_path / "bad", {"C1": "WBRI", "C2": "", "C3": "WBRI"})
    first = _night(bad, db, dt.date(2026, 6, 1), tmp_path / "r1", select=["903-103"])
    assert [(v.rule.code, v.status, v.errors) for v in first.validation] == [("103", "ran", 1)]
    assert first.validation_year == "2026-27"
    listed = _rows(tmp_path / "r1" / "validation.csv")
    assert [(r["STATUS"], r["CODE"], r["CHILD"], r["TABLE_NAME"], r["LINE"], r["FIELDS"], r["TEAM"])
            for r in listed] == [("new", "103", "C2", "header", "3", "ETHNIC", "North")]
    _night(bad, db, dt.date(2026, 6, 2), tmp_path / "r2", select=["903-103"])
    assert [r["STATUS"] for r in _rows(tmp_path / "r2" / "validation.csv")] == ["open"]
    fixed = _extract(tmp_path / "fixed", {"C1": "WBRI", "C2": "WIRI", "C3": "WBRI"})
    _night(fixed, db, dt.date(2026, 6, 3), tmp_path / "r3", select=["903-103"])
    assert [(r["STATUS"], r["CHILD"]) for r in _rows(tmp_path / "r3" / "validation.csv")] == [("resolved", "C2")]
    summary = {r["CODE"]: r for r in _rows(tmp_path / "r3" / "validation_summary.csv")}
    assert (summary["103"]["ERRORS"], summary["103"]["RESOLVED"]) == ("0", "1")


def test_a_line_moving_keeps_the_errors_identity(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    _night(_extract(tmp_path / "a", {"C2": ""}), db, dt.date(2026, 6, 1), tmp_path / "r1", select=["903-103"])
    moved = _extract(tmp_path / "b", {"C0": "WBRI", "C1": "WBRI", "C2": ""})  # two rows above it now
    _night(moved, db, dt.date(2026, 6, 2), tmp_path / "r2", select=["903-103"])
    (row,) = _rows(tmp_path / "r2" / "validation.csv")
    assert (row["STATUS"], row["LINE"], row["FIRST_SEEN"]) == ("open", "4", "2026-06-01")


def test_a_night_without_the_pack_keeps_its_errors_unchecked_not_resolved(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    bad = _extract(tmp_path / "bad", {"C1": "", "C2": "WBRI"})
    _night(bad, db, dt.date(2026, 6, 1), None, select=["903-103"])
    fixed = _extract(tmp_path / "fixed", {"C1": "WBRI", "C2": "WBRI"})
    _night(fixed, db, dt.date(2026, 6, 2), tmp_path / "r2", pack="compliance")
    (row,) = _rows(tmp_path / "r2" / "validation.csv")
    assert (row["STATUS"], row["CHILD"], row["CHECKED"], row["LAST_CHECKED"]) == ("open", "C1", "false", "2026-06-01")


def test_outputs_keep_the_packs_apart(tmp_path: Path) -> None:
    bad = _extract(tmp_path / "bad", {"C1": "", "C2": "WBRI"})
    _night(bad, None, dt.date(2026, 6, 1), tmp_path / "r")
    assert not any(r["RULE_ID"].startswith("903") for r in _rows(tmp_path / "r" / "exceptions.csv"))
    wb = openpyxl.load_workbook(tmp_path / "r" / "exceptions.xlsx", read_only=True)
    assert {"903 summary", "903 validation"} <= set(wb.sheetnames)
    sheet = list(wb["903 validation"].iter_rows(values_only=True))
    assert sheet[0][:6] == ("STATUS", "CODE", "MESSAGE", "TABLE_NAME", "CHILD", "LINE")
    listed = _rows(tmp_path / "r" / "validation.csv")
    assert sorted(r[1] for r in sheet[1:]) == sorted(r["CODE"] for r in listed)
    assert ("103", "C1") in {(r["CODE"], r["CHILD"]) for r in listed}
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert 'id="h-validation"' in html and "903 validation" in html


def test_the_return_is_the_collection_year(tmp_path: Path) -> None:
    """C9 was looked after only in 2022: not in the 2026-27 return, so its missing ethnicity is not an error
    of this year's return; in the 2022-23 return it is."""
    extract = _extract(tmp_path / "x", {"C1": "WBRI"}, old=True)
    night = _night(extract, None, dt.date(2026, 6, 1), select=["903-103"])
    assert night.validation[0].errors == 0
    night = _night(extract, None, dt.date(2026, 6, 1), select=["903-103"], period="2022-23")
    assert (night.validation_year, night.validation[0].errors) == ("2022-23", 1)


PREV_RULE = """code: "9001"
message: Date of birth differs from last year's return.
tables: [header, prev_header]
fields: [DOB]
sql: |
  SELECT h.CHILD, 'header' AS TABLE_NAME, h._LINE AS LINE FROM header h JOIN prev_header p USING (CHILD)
  WHERE h.DOB <> p.DOB
tests:
  - name: same_passes
    data: {header: [{CHILD: C1, SEX: F, DOB: 2014-06-01}], prev_header: [{CHILD: C1, SEX: F, DOB: 2014-06-01}],
           episodes: [{CHILD: C1, DECOM: 2026-05-01, RNE: S, LS: C2, CIN: N1, PLACE: U1}]}
    expect: []
  - name: changed_fails
    data: {header: [{CHILD: C1, SEX: F, DOB: 2014-06-01}], prev_header: [{CHILD: C1, SEX: F, DOB: 2014-06-02}],
           episodes: [{CHILD: C1, DECOM: 2026-05-01, RNE: S, LS: C2, CIN: N1, PLACE: U1}]}
    expect: [{CHILD: C1, TABLE: header, LINE: 2}]
"""

BROKEN_RULE = """code: "9002"
message: A rule that fails on the data.
tables: [header]
fields: [CHILD]
sql: |
  SELECT CHILD, 'header' AS TABLE_NAME, CAST(CHILD AS INTEGER) AS LINE FROM header
tests:
  - {name: a, data: {}, expect: []}
  - {name: b, data: {}, expect: [{CHILD: C1, TABLE: header, LINE: 2}]}
"""


def test_last_years_return_from_prev_or_previous_and_not_run_without(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "9001.yml").write_text(PREV_RULE)
    extract = _extract(tmp_path / "x", {"C1": "WBRI"})
    night = _night(extract, None, dt.date(2026, 6, 1), pack="dfe903", pack_dir=pack)
    assert [(v.status, v.message) for v in night.validation] == [("not run", "missing table prev_header")]
    (extract / "prev").mkdir()
    (extract / "prev" / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,02/06/2014\n")
    night = _night(extract, None, dt.date(2026, 6, 1), pack="dfe903", pack_dir=pack)
    assert [(v.status, v.errors) for v in night.validation] == [("ran", 1)]
    elsewhere = tmp_path / "last-year"
    elsewhere.mkdir()
    (elsewhere / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2014\n")
    night = _night(extract, None, dt.date(2026, 6, 1), pack="dfe903", pack_dir=pack, previous=elsewhere)
    assert [(v.status, v.errors) for v in night.validation] == [("ran", 0)]
    with pytest.raises(InputError, match="is not a folder"):
        _night(extract, None, dt.date(2026, 6, 1), pack="dfe903", pack_dir=pack, previous=tmp_path / "none")


def test_a_rule_that_fails_on_the_data_is_errored_and_the_rest_of_its_batch_still_run(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "9002.yml").write_text(BROKEN_RULE)
    for code in ("103", "302"):
        (pack / f"{code}.yml").write_text((REPO / "rules" / "dfe903" / f"{code}.yml").read_text())
    con = duckdb.connect()
    prepare_validation_database(con)
    con.execute("INSERT INTO header (CHILD, SEX, DOB, _LINE) VALUES ('C1', 'F', DATE '2014-06-01', 2)")
    con.execute("INSERT INTO episodes (CHILD, DECOM, RNE, LS, CIN, PLACE, _LINE) "
                "VALUES ('C1', DATE '2026-05-01', 'S', 'C2', 'N1', 'U1', 2)")
    results = evaluate_validation(con, load_pack(pack), "2026-27")
    assert {r.rule.code: r.status for r in results} == {"103": "ran", "302": "ran", "9002": "errored"}
    assert {r.rule.code: r.errors for r in results}["103"] == 1  # C1 has no ethnicity


def test_the_validation_command_lists_the_latest_nights_errors(tmp_path: Path, cli) -> None:
    db = tmp_path / "h.duckdb"
    _night(_extract(tmp_path / "bad", {"C1": "", "C2": "WBRI"}), db, dt.date(2026, 6, 1), select=["903-103"])
    _night(_extract(tmp_path / "fixed", {"C1": "WBRI", "C2": ""}), db, dt.date(2026, 6, 2), select=["903-103"])
    result = cli("validation", "--db", str(db), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert sorted((r["STATUS"], r["CODE"], r["CHILD"]) for r in rows) == [("new", "103", "C2"),
                                                                          ("resolved", "103", "C1")]
    result = cli("validation", "--db", str(db), "--status", "new")
    assert result.exit_code == 0 and "C2" in result.output and "C1" not in result.output
    result = cli("validation", "--db", str(db), "--code", "999")
    assert result.exit_code == 2 and "no DfE code" in result.output


def test_an_error_on_a_row_the_loader_dropped_tonight_is_kept_not_resolved(tmp_path: Path) -> None:
    """C2's header row had no ethnicity last night (103); tonight its date of birth cannot be read, so the
    row is dropped: that says nothing about its ethnicity, and the error stays, not checked."""
    db = tmp_path / "h.duckdb"
    _night(_extract(tmp_path / "a", {"C1": "WBRI", "C2": ""}), db, dt.date(2026, 6, 1), select=["903-103"])
    dropped = _extract(tmp_path / "b", {"C1": "WBRI", "C2": "WIRI"})
    (dropped / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC\nC1,F,01/06/2014,WBRI\nC2,F,31/02/2014,WIRI\n")
    _night(dropped, db, dt.date(2026, 6, 2), tmp_path / "r", select=["903-103"])
    (row,) = _rows(tmp_path / "r" / "validation.csv")
    assert (row["STATUS"], row["CHILD"], row["CHECKED"], row["LAST_CHECKED"]) == ("open", "C2", "false", "2026-06-01")


def test_a_bad_file_of_last_years_return_is_named_with_its_folder(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "9001.yml").write_text(PREV_RULE)
    extract = _extract(tmp_path / "x", {"C1": "WBRI"})
    (extract / "prev").mkdir()
    (extract / "prev" / "header.csv").write_text("CHILD,SEX,DOB,NAME\nC1,F,02/06/2014,Jo Bloggs\n")
    with pytest.raises(InputError) as e:
        _night(extract, None, dt.date(2026, 6, 1), pack="dfe903", pack_dir=pack)
    assert all(p.file.startswith("prev/") for p in e.value.problems), [str(p) for p in e.value.problems]
    assert "Jo Bloggs" not in str(e.value)
