"""Everything a QA officer decided, visible: in ``exceptions`` (text, CSV, JSON), in the report's
lists and files, and offered back in the workbook as a drop-down."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

HEADER = "CHILD,SEX,DOB\n" + "".join(f"C{i},F,01/06/2014\n" for i in range(1, 5))
#: The columns ``exceptions --format csv`` had before the review columns: they keep their places.
OLD_COLUMNS = ["STATUS", "RULE_ID", "CHILD", "EVENT_DATE", "DUE_DATE", "DAYS_OVERDUE", "TEAM", "WORKER_ID",
               "FIRST_SEEN", "FINGERPRINT", "DETAIL", "REVIEW_REASON", "CHECKED", "LAST_CHECKED"]


def _invoke(*args) -> object:
    from careplan_checks.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _night(tmp: Path, name: str, codes: dict[str, str]) -> Path:
    """Header and reviews only, so that only REV-04 (participation codes) runs: PN0 for a child of
    ten is an exception."""
    d = tmp / name
    d.mkdir()
    (d / "header.csv").write_text(HEADER)
    (d / "reviews.csv").write_text("CHILD,REVIEW,REVIEW_CODE\n" + "".join(
        f"{child},01/10/2024,{code}\n" for child, code in sorted(codes.items())))
    return d


def _exceptions(db: Path, *args: str) -> list[dict]:
    result = _invoke("exceptions", "--db", db, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory) -> tuple[Path, Path]:
    """Night 1: C1 and C4 are exceptions. C1 is disputed, C4 accepted. Night 2: C4's code is put right
    (resolved tonight, its review still shown), C1 stands disputed."""
    tmp = tmp_path_factory.mktemp("reviews")
    db, out = tmp / "h.duckdb", tmp / "report"
    first = _night(tmp, "n1", {"C1": "PN0", "C2": "PN1", "C4": "PN0"})
    assert _invoke("run", first, "--as-of", "2025-03-31", "--db", db, "--out", out, "--no-quality").exit_code == 0
    fps = {r["CHILD"]: r["FINGERPRINT"] for r in _exceptions(db)}
    assert set(fps) == {"C1", "C4"}
    for child, action, reason, who in (("C1", "disputed", "Code entered in error: the child attended", "QA officer A"),
                                       ("C4", "accepted", "Agreed with the IRO", "QA officer B")):
        result = _invoke("review", fps[child], "--db", db, "--action", action, "--reason", reason, "--by", who)
        assert result.exit_code == 0, result.output
    second = _night(tmp, "n2", {"C1": "PN0", "C2": "PN1", "C4": "PN1"})
    result = _invoke("run", second, "--as-of", "2025-04-01", "--db", db, "--out", out, "--no-quality")
    assert result.exit_code == 0, result.output
    return db, out


def test_status_disputed_selects_the_disputed_item_with_who_when_and_why(reviewed):
    db, _ = reviewed
    today = dt.date.today().isoformat()
    (item,) = _exceptions(db, "--status", "disputed")
    assert (item["CHILD"], item["STATUS"], item["REVIEW_ACTION"]) == ("C1", "disputed", "disputed")
    assert item["REVIEW_REASON"] == "Code entered in error: the child attended"
    assert item["REVIEWER"] == "QA officer A"
    assert item["REVIEWED_AT"] == today != item["FIRST_SEEN"] == "2025-03-31", "the review's date, not first seen"
    text = _invoke("exceptions", "--db", db, "--status", "disputed").output
    assert f"disputed by QA officer A on {today}: Code entered in error: the child attended" in text
    assert [r["CHILD"] for r in _exceptions(db, "--status", "open")] == [], "disputed is not open"


def test_tonight_s_resolved_item_keeps_its_review(reviewed):
    db, _ = reviewed
    (item,) = _exceptions(db, "--status", "resolved")
    assert (item["CHILD"], item["REVIEW_ACTION"], item["REVIEWER"]) == ("C4", "accepted", "QA officer B")


def test_csv_appends_the_review_columns(reviewed):
    db, _ = reviewed
    rows = list(csv.reader(_invoke("exceptions", "--db", db, "--format", "csv").output.splitlines()))
    header = rows[0]
    assert header[:len(OLD_COLUMNS)] == OLD_COLUMNS, "earlier columns keep their places"
    assert header[len(OLD_COLUMNS):] == ["REVIEW_ACTION", "REVIEWER", "REVIEWED_AT", "REVIEW_UNTIL"]
    c1 = next(dict(zip(header, r, strict=True)) for r in rows[1:] if r[2] == "C1")
    assert (c1["REVIEW_ACTION"], c1["REVIEW_REASON"]) == ("disputed", "Code entered in error: the child attended")


def test_report_shows_disputed_and_resolved_reviews(reviewed):
    _, out = reviewed
    html = (out / "report.html").read_text()
    today = dt.date.today().isoformat()
    exceptions = html[html.index('<table id="exceptions"'):html.index('<section aria-labelledby="h-closed">')]
    closed = html[html.index('<table id="closed"'):]
    assert 'data-status="disputed"' in exceptions
    assert "disputed</span> by QA officer A on <span class=\"date\">" + today in exceptions
    assert "Code entered in error: the child attended" in exceptions
    assert "QA reviews standing: 1 disputed, 0 accepted" in html
    assert '<option value="disputed">disputed (1)</option>' in html, "the status filter offers disputed"
    assert 'data-status="resolved"' in closed and "accepted</span> by QA officer B" in closed
    assert "Agreed with the IRO" in closed


def test_report_files_carry_review_action_and_reason(reviewed):
    _, out = reviewed
    with (out / "exceptions.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    (c1,) = [r for r in rows if r["CHILD"] == "C1"]
    assert (c1["REVIEW_ACTION"], c1["REVIEWER"], c1["REVIEWED_AT"]) == ("disputed", "QA officer A",
                                                                       dt.date.today().isoformat())
    (j1,) = [r for r in json.loads((out / "exceptions.json").read_text()) if r["CHILD"] == "C1"]
    assert j1["REVIEW_ACTION"] == "disputed" and j1["REVIEW_REASON"].startswith("Code entered in error")


def test_workbook_offers_the_allowed_actions_as_a_drop_down(reviewed):
    _, out = reviewed
    ws = openpyxl.load_workbook(out / "exceptions.xlsx")["REV-04"]
    header = [c.value for c in ws[1]]
    col = openpyxl.utils.get_column_letter(header.index("REVIEW_ACTION") + 1)
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"accepted,disputed,note"'
    assert f"{col}2" in dv.sqref and f"{col}{ws.max_row}" in dv.sqref
    assert "A2" not in dv.sqref
    assert header[-4:] == ["REVIEW_ACTION", "REVIEW_REASON", "REVIEWER", "REVIEWED_AT"]


def test_unknown_rule_is_an_error_naming_the_known_rules(reviewed):
    db, _ = reviewed
    result = _invoke("exceptions", "--db", db, "--rule", "NOPE-99")
    assert result.exit_code == 2
    assert "no rule 'NOPE-99'" in result.output and "REV-04" in result.output
    assert {r["RULE_ID"] for r in _exceptions(db, "--rule", "rev-04")} == {"REV-04"}, "any case"


def test_unknown_team_is_an_error(reviewed):
    db, _ = reviewed
    result = _invoke("exceptions", "--db", db, "--team", "North")
    assert result.exit_code == 2 and "no team 'North'" in result.output and "(none)" in result.output
    assert len(_exceptions(db, "--team", "(none)")) == len(_exceptions(db)), "no allocations: every item has no team"
