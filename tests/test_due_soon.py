"""Due soon: the obligations not yet done that fall due in the next days, for team managers to plan from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import REPO

from careplan_checks.pipeline import NightOptions, run_night
from careplan_checks.rules import load_rules

D = dt.date


@pytest.mark.parametrize("rule", load_rules(REPO / "rules"), ids=lambda r: r.id)
def test_every_obligation_rule_lists_what_falls_due_and_no_other_does(rule):
    """A rule reporting obligations (is_exception on a due date) names them for the due-soon list; a rule
    that checks what is recorded says so by naming none."""
    is_obligation = "is_exception(" in rule.sql
    assert (rule.due_soon is not None) == is_obligation, rule.id


def _extract(tmp_path: Path) -> Path:
    d = tmp_path / "extract"
    d.mkdir()
    (d / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2014\nC2,M,01/06/2012\n")
    (d / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,27/03/2025,S,C2,N1,U4\n"
                                    "C2,02/01/2024,S,C2,N1,U4\n")
    (d / "allocations.csv").write_text("CHILD,ROLE,WORKER_ID,TEAM,START_DATE\nC1,SW,W1,North,2025-03-27\n")
    (d / "reviews.csv").write_text("CHILD,DOB,REVIEW,REVIEW_CODE\n")  # none held yet
    (d / "visits.csv").write_text("CHILD,VISIT_DATE,SEEN\n")
    return d


def test_the_night_returns_what_falls_due_sorted_with_the_team_and_worker(tmp_path: Path):
    """Looked after Thu 27 Mar 2025, as of Mon 31 Mar: the first visit is due Thu 3 Apr (7 calendar days,
    3 left), the first review Mon 28 Apr (20 working days over Easter, 18 working days left). C2's first
    review and first visit fell due long ago: exceptions, not due soon."""
    opts = NightOptions(extract_dir=_extract(tmp_path), as_of=D(2025, 3, 31), select=["REV-01", "VIS-01"],
                        quality=False)
    night = run_night(opts)
    got = [(i.rule_id, i.child, i.due_date, i.days_left, i.counted_in, i.team, i.worker_id) for i in night.due_soon]
    assert got == [("VIS-01", "C1", D(2025, 4, 3), 3, "calendar days", "North", "W1"),
                   ("REV-01", "C1", D(2025, 4, 28), 18, "working days", "North", "W1")]
    assert {(r.rule.id, r.exceptions) for r in night.results} == {("REV-01", 1), ("VIS-01", 1)}


def test_the_window_is_the_callers_to_set(tmp_path: Path):
    opts = NightOptions(extract_dir=_extract(tmp_path), as_of=D(2025, 3, 31), select=["REV-01", "VIS-01"],
                        quality=False, due_within=3)
    assert [i.rule_id for i in run_night(opts).due_soon] == ["VIS-01"]  # due in 3 days: in; 28 days: out
    opts.due_within = 2
    assert run_night(opts).due_soon == []


def test_the_readme_python_example_runs_as_written(monkeypatch, capsys):
    """README, "From Python": the example, run from the repository folder, prints the night's figures."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## From Python", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    monkeypatch.chdir(REPO)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"\d+ exceptions; \d+ items due in 28 days", printed[0]), printed
    assert len(printed) == 4 and all(re.match(r"\d{4}-\d\d-\d\d [A-Z]+-\d\d C\d+ ", line) for line in printed[1:])


def test_the_report_lists_what_falls_due_in_its_csv_workbook_and_page(cli, tmp_path: Path):
    import csv

    import openpyxl

    out = tmp_path / "report"
    result = cli("run", _extract(tmp_path), "--as-of", "2025-03-31", "--out", out, "--no-quality",
                 "--select", "REV-01,VIS-01")
    assert result.exit_code == 0, result.output
    assert "2 items due in the next 28 days (not yet done)" in result.output
    with (out / "due_soon.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["RULE_ID"], r["CHILD"], r["DUE_DATE"], r["DAYS_LEFT"], r["COUNTED_IN"], r["TEAM"]) for r in rows] == [
        ("VIS-01", "C1", "2025-04-03", "3", "calendar days", "North"),
        ("REV-01", "C1", "2025-04-28", "18", "working days", "North")]
    wb = openpyxl.load_workbook(out / "exceptions.xlsx")
    assert wb.sheetnames[:2] == ["Summary", "Due soon"]
    sheet = [[c.value for c in row] for row in wb["Due soon"].iter_rows(min_row=2)]
    assert [(r[0], r[3], r[6]) for r in sheet] == [("VIS-01", "C1", 3), ("REV-01", "C1", 18)]
    html = (out / "report.html").read_text(encoding="utf-8")
    due = html.split('id="h-due"', 1)[1].split("</section>", 1)[0]
    assert "2 items not yet done and due in the next 28 days" in due
    assert due.index("2025-04-03") < due.index("2025-04-28") and "C2" not in due  # C2's are overdue, not due
