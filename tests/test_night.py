"""A night that is not complete never changes the history or the previous report.

Each scenario starts from the same good night (the sample extract as of 31 March 2025,
recorded in a history database with its report), then runs a broken night and checks
the exit status, the message, and that the history's exceptions, statuses and reviews
and the previous report are exactly as they were, with the broken night recorded as
refused, failed or interrupted.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import REPO, SAMPLE, SLOW_RULE

GOOD_NIGHT = "2025-03-31"
NEXT_NIGHT = "2025-04-01"


@pytest.fixture(scope="module")
def first_night(tmp_path_factory) -> tuple[Path, Path]:
    from click.testing import CliRunner

    from careplan_checks.cli import main

    base = tmp_path_factory.mktemp("first-night")
    db, out = base / "careplan.duckdb", base / "report"
    result = CliRunner().invoke(main, ["run", str(SAMPLE), "--as-of", GOOD_NIGHT, "--db", str(db), "--out", str(out),
                                       "--no-quality"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return db, out


@pytest.fixture
def night(first_night, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the history and report after the first good night."""
    db, out = tmp_path / "careplan.duckdb", tmp_path / "report"
    shutil.copy(first_night[0], db)
    shutil.copytree(first_night[1], out)
    return db, out


def _extract(tmp_path: Path, name: str = "extract") -> Path:
    dest = tmp_path / name
    shutil.copytree(SAMPLE, dest)
    return dest


def _history(db: Path) -> dict[str, list]:
    """Everything the history holds about nights that count: all but the rows of runs that did not."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        state = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                 for t in ("exceptions", "rule_results", "populations", "qa_reviews", "run_inputs")}
        state["runs"] = con.execute("SELECT RUN_ID, STATUS, AS_OF, EXCEPTIONS FROM runs "
                                    "WHERE STATUS IN ('succeeded', 'superseded') ORDER BY RUN_ID").fetchall()
        return state
    finally:
        con.close()


def _statuses(cli, db: Path) -> list[tuple]:
    result = cli("exceptions", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    return sorted((r["FINGERPRINT"], r["STATUS"], r["FIRST_SEEN"], r["CHECKED"]) for r in json.loads(result.output))


def _report(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _last_run(db: Path) -> tuple[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT STATUS, MESSAGE FROM runs ORDER BY RUN_ID DESC LIMIT 1").fetchone()
    finally:
        con.close()


def _assert_refused(cli, db: Path, out: Path, extract: Path, message: str, *extra: str, status: str = "refused",
                    code: int = 2) -> None:
    before = (_history(db), _statuses(cli, db), _report(out))
    result = cli("run", extract, "--as-of", NEXT_NIGHT, "--db", db, "--out", out, "--no-quality", *extra)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert (_history(db), _statuses(cli, db), _report(out)) == before, "a refused night must change nothing"
    recorded, why = _last_run(db)
    assert recorded == status and message in why


def test_an_empty_folder_is_refused(cli, night, tmp_path: Path):
    db, out = night
    empty = tmp_path / "empty"
    empty.mkdir()
    _assert_refused(cli, db, out, empty, "no readable table in the extract")


def test_a_missing_table_is_refused_unless_allowed(cli, night, tmp_path: Path):
    db, out = night
    extract = _extract(tmp_path)
    (extract / "episodes.csv").unlink()
    _assert_refused(cli, db, out, extract, "table 'episodes' is missing tonight but was in the last successful "
                    "night (run 1, as of 2025-03-31); give --allow-missing episodes", "--fail-on", "critical")


def test_a_halved_table_is_refused(cli, night, tmp_path: Path):
    db, out = night
    extract = _extract(tmp_path)
    lines = (SAMPLE / "visits.csv").read_text().splitlines(keepends=True)
    (extract / "visits.csv").write_text("".join(lines[: len(lines) // 2]))
    rows = len(lines) - 1
    _assert_refused(cli, db, out, extract, f"visits.csv: {len(lines) // 2 - 1} rows read, against {rows} in the "
                    "last successful night")


def test_too_many_rejected_rows_are_refused(cli, night, tmp_path: Path):
    db, out = night
    extract = _extract(tmp_path)
    header, *rows = (SAMPLE / "visits.csv").read_text().splitlines()
    spoiled = [r.replace(",", ",31/02/2024x,", 1).rsplit(",", 1)[0] if i % 5 == 0 else r
               for i, r in enumerate(rows)]  # a bad date and one field too many in every fifth row
    (extract / "visits.csv").write_text("\n".join([header, *spoiled]) + "\n")
    n = len(rows[::5])
    _assert_refused(cli, db, out, extract, f"visits.csv: {n} of {len(rows)} rows dropped (20%), more than the 10% "
                    "allowed (--max-rejected)")
    # the limit is the team's to set
    result = cli("run", extract, "--as-of", NEXT_NIGHT, "--db", db, "--out", out, "--no-quality",
                 "--max-rejected", "25")
    assert result.exit_code == 0, result.output


def _rewrite_dates(extract: Path, table: str, fmt: str) -> None:
    import re

    path = extract / f"{table}.csv"
    path.write_text(re.sub(r"\b(\d\d)/(\d\d)/(\d{4})\b",
                           lambda m: fmt.format(d=m[1], m=m[2], y=m[3]), path.read_text()))


def _first_day_over_12(table: str, column: str) -> int:
    """The line of the sample file's first date in ``column`` whose day cannot be a month: the line a
    month-first message names."""
    import csv

    with (SAMPLE / f"{table}.csv").open(encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            if row[column] and int(row[column][:2]) > 12:
                return line
    raise AssertionError(f"no day over 12 in {table}.{column}")


@pytest.mark.parametrize(("table", "fmt", "message"), [
    ("episodes", "{m}/{d}/{y}", f"episodes.csv, line {_first_day_over_12('episodes', 'DEC')}, column DEC: "
                                "the dates look like mm/dd/yyyy (month first)"),
    ("reviews", "{d}-{m}-{y}", "reviews.csv, line 2, column DOB: {n} of the {n} dates look like dd-mm-yyyy, "
                               "which is not an accepted format"),
])
def test_dates_in_a_wrong_format_are_refused_never_read_in_the_wrong_order(cli, night, tmp_path: Path, table: str,
                                                                           fmt: str, message: str):
    db, out = night
    extract = _extract(tmp_path)
    _rewrite_dates(extract, table, fmt)
    import re

    dates = len(re.findall(r"\b\d\d/\d\d/\d{4}\b", (SAMPLE / f"{table}.csv").read_text()))
    message = message.format(n=dates)  # every date in the file
    _assert_refused(cli, db, out, extract, message)
    result = cli("validate", extract)
    assert result.exit_code == 2 and message in result.output


def test_a_file_cut_off_in_its_last_line_is_refused(cli, night, tmp_path: Path):
    db, out = night
    extract = _extract(tmp_path)
    data = (SAMPLE / "visits.csv").read_bytes()
    last = data.rindex(b"\n", 0, len(data) - 1) + 1
    (extract / "visits.csv").write_bytes(data[:last + 12])  # the last row stops in its second field
    lines = data.count(b"\n")
    _assert_refused(cli, db, out, extract, f"visits.csv, line {lines}: the last line stops part-way through a row")


def test_a_missing_final_line_break_alone_is_fine(cli, night, tmp_path: Path):
    db, out = night
    extract = _extract(tmp_path)
    (extract / "visits.csv").write_bytes((SAMPLE / "visits.csv").read_bytes().rstrip(b"\r\n"))
    result = cli("run", extract, "--as-of", NEXT_NIGHT, "--db", db, "--out", out, "--no-quality")
    assert result.exit_code == 0, result.output


def test_an_output_folder_that_cannot_be_written_is_refused_before_any_work(cli, night, tmp_path: Path):
    db, _out = night
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("x")
    before = (_history(db), _statuses(cli, db))
    result = cli("run", SAMPLE, "--as-of", NEXT_NIGHT, "--db", db, "--out", not_a_folder, "--no-quality")
    assert result.exit_code == 2 and "not-a-folder: the output folder cannot be written" in result.output
    assert (_history(db), _statuses(cli, db)) == before


def test_a_report_that_fails_to_write_leaves_no_night_behind(cli, night, monkeypatch):
    db, out = night
    from careplan_checks import reports

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reports, "_write_all", full_disk)
    before = (_history(db), _statuses(cli, db), _report(out))
    result = cli("run", SAMPLE, "--as-of", NEXT_NIGHT, "--db", db, "--out", out, "--no-quality")
    assert result.exit_code == 2 and "the report could not be written (No space left on device)" in result.output
    assert (_history(db), _statuses(cli, db), _report(out)) == before
    assert _last_run(db)[0] == "failed"
    assert not list(out.parent.glob(".report-*")), "no temporary folder left behind"




@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_the_rules_exits_with_its_own_status_and_changes_nothing(cli, night, tmp_path: Path,
                                                                                signum: int, code: int):
    db, out = night
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "SLOW-01.yml").write_text(SLOW_RULE)
    before = (_history(db), _statuses(cli, db), _report(out))
    proc = subprocess.Popen(
        [sys.executable, "-c", "from careplan_checks.cli import entry_point; entry_point()", "run", str(SAMPLE),
         "--as-of", NEXT_NIGHT, "--db", str(db), "--rules", str(rules), "--no-quality", "--out", str(out),
         "--select", "SLOW-01,REV-01"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)
    assert proc.poll() is None, "the slow rule should still be running"
    proc.send_signal(signum)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert (_history(db), _statuses(cli, db), _report(out)) == before
    assert _last_run(db) == ("interrupted", f"stopped by {signal.Signals(signum).name}")


def test_after_a_refused_night_the_next_good_night_is_as_if_it_never_ran(cli, night, first_night, tmp_path: Path):
    db, out = night
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("run", empty, "--as-of", NEXT_NIGHT, "--db", db, "--out", out, "--no-quality").exit_code == 2
    cli("run", SAMPLE, "--as-of", "2025-04-02", "--db", db, "--out", out, "--no-quality")
    clean = tmp_path / "clean.duckdb"
    shutil.copy(first_night[0], clean)
    cli("run", SAMPLE, "--as-of", "2025-04-02", "--db", clean, "--out", tmp_path / "clean-report", "--no-quality")
    assert _statuses(cli, db) == _statuses(cli, clean)
    found = {s for _f, s, _d, _c in _statuses(cli, db)}
    assert "open" in found and "resolved" not in found, "the same data two days later fixes nothing"


def test_a_partial_night_keeps_the_exceptions_of_rules_it_did_not_run(cli, night, first_night, tmp_path: Path):
    db, out = night
    extract = _extract(tmp_path)
    (extract / "episodes.csv").unlink()
    before = {f: s for f, s, _d, _c in _statuses(cli, db)}
    result = cli("run", extract, "--as-of", NEXT_NIGHT, "--db", db, "--out", out, "--no-quality",
                 "--allow-missing", "episodes", "--format", "json")
    assert result.exit_code == 0, result.output
    not_run = {r["id"] for r in json.loads(result.output)["rules"] if r["status"] == "not run"}
    assert "REV-01" in not_run
    tonight = _statuses(cli, db)
    assert not [s for s in tonight if s[1] in ("resolved", "closed")], "a rule that did not run resolves nothing"
    kept = {f: s for f, s, _d, _c in tonight}
    assert set(before) <= set(kept) and {kept[f] for f in before} <= {"open", "accepted"}
    assert any(not checked for *_x, checked in tonight), "items of rules not run are marked as not checked"
    import csv

    with (out / "exceptions.csv").open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r, strict=True)) for r in reader]
    assert header[:13] == ["RULE_ID", "TITLE", "SEVERITY", "CHILD", "EVENT_DATE", "DUE_DATE", "DAYS_OVERDUE",
                           "DETAIL", "TEAM", "WORKER_ID", "STATUS", "FINGERPRINT", "LAST_CHECKED"]
    assert {r["LAST_CHECKED"] for r in rows} == {GOOD_NIGHT, NEXT_NIGHT}
    html = (out / "report.html").read_text()
    assert "not checked tonight (last 2025-03-31)" in html
    tonight = sum(r["exceptions"] for r in json.loads(result.stdout)["rules"])
    kept = sum(1 for r in rows if r["LAST_CHECKED"] == GOOD_NIGHT)
    assert f"{tonight} exceptions in" in html and f"{kept} more of rules not run tonight" in html
    text = cli("history", "--db", db).output
    assert "partial (" in text and "rules not run)" in text
    rev01 = next(line for line in text.splitlines() if line.startswith("REV-01 "))
    assert "—" in rev01 and "%" in rev01, "a night a rule did not run is a visible gap"
    # the next full night: as if the partial night had never happened
    cli("run", SAMPLE, "--as-of", "2025-04-02", "--db", db, "--out", out, "--no-quality")
    clean = tmp_path / "clean.duckdb"
    shutil.copy(first_night[0], clean)
    cli("run", SAMPLE, "--as-of", "2025-04-02", "--db", clean, "--out", tmp_path / "clean-report", "--no-quality")
    assert _statuses(cli, db) == _statuses(cli, clean)
    # and the allowance is remembered: a night later, the missing table is still expected back
    result = cli("run", extract, "--as-of", "2025-04-03", "--db", db, "--out", out, "--no-quality")
    assert result.exit_code == 2 and "table 'episodes' is missing tonight" in result.output


def _review_night(tmp: Path, name: str, review_c2: str) -> Path:
    d = tmp / name
    d.mkdir()
    (d / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2014\nC2,M,01/06/2012\nC3,F,01/06/2010\n")
    (d / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,02/01/2024,S,C2,N1,U4\nC2,02/09/2024,S,C2,N1,U4\nC3,01/07/2024,S,C2,N1,U4\n")
    (d / "reviews.csv").write_text(f"CHILD,REVIEW\nC1,01/03/2024\nC2,{review_c2}\n")
    return d


def test_an_item_that_left_the_period_is_closed_not_resolved(cli, tmp_path: Path):
    """REV-01 (reg 33(1)): first review within 20 working days of becoming looked after.

    C1 came into care on 2 January 2024, first review due 30 January 2024, held late on 1 March.
    C2 came in on 2 September 2024, due 30 September; recorded late (15 October), then corrected to
    27 September: on time. C3 came in on 1 July 2024 and has had no review. The second night is a
    month later: C1's due date is now before the 12-month period, C2's record was fixed.
    """
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    first = _review_night(tmp_path, "n1", "15/10/2024")
    second = _review_night(tmp_path, "n2", "27/09/2024")
    for extract, as_of in ((first, "2025-01-15"), (second, "2025-02-15")):
        result = cli("run", extract, "--as-of", as_of, "--db", db, "--out", out, "--no-quality", "--select",
                     "REV-01")
        assert result.exit_code == 0, result.output
    rows = json.loads(cli("exceptions", "--db", db, "--format", "json").output)
    assert {(r["CHILD"], r["STATUS"]) for r in rows} == {("C1", "closed"), ("C2", "resolved"), ("C3", "open")}
    closed = cli("exceptions", "--db", db, "--status", "closed")
    assert "closed (out of period)" in closed.output and "1 exception\n" in closed.output
    assert "1 resolved" in (out / "report.html").read_text()
    assert "1 closed (out of period" in (out / "report.html").read_text()


def test_importing_the_same_reviews_again_records_nothing(cli, night, tmp_path: Path):
    db, out = night
    wb = openpyxl.load_workbook(out / "exceptions.xlsx")
    sheet = next(name for name in wb.sheetnames[2:] if wb[name].max_row >= 3)  # a rule with two exceptions or more
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("REVIEW_ACTION") + 1, "accepted")
    ws.cell(2, header.index("REVIEW_REASON") + 1, "Recorded on paper, seen by the IRO")
    ws.cell(3, header.index("REVIEW_ACTION") + 1, "note")
    ws.cell(3, header.index("REVIEW_REASON") + 1, "Asked the team")
    wb.save(tmp_path / "filled.xlsx")
    first = cli("review", "--from-xlsx", tmp_path / "filled.xlsx", "--db", db, "--by", "QA officer A")
    assert first.exit_code == 0 and "recorded 2 review(s)" in first.output, first.output
    again = cli("review", "--from-xlsx", tmp_path / "filled.xlsx", "--db", db, "--by", "QA officer A")
    assert "recorded 0 review(s); 2 already recorded, unchanged" in again.output
    # the next night's workbook shows the standing review; importing it credits no one else with it
    assert cli("run", SAMPLE, "--as-of", NEXT_NIGHT, "--db", db, "--out", out, "--no-quality").exit_code == 0
    next_wb = openpyxl.load_workbook(out / "exceptions.xlsx")
    ws = next_wb[sheet]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("REVIEW_ACTION") + 1).value == "accepted"
    next_wb.save(tmp_path / "next.xlsx")
    later = cli("review", "--from-xlsx", tmp_path / "next.xlsx", "--db", db, "--by", "QA officer B")
    assert "recorded 0 review(s)" in later.output
    # a cell that differs is a new review
    ws.cell(2, header.index("REVIEW_ACTION") + 1, "disputed")
    next_wb.save(tmp_path / "changed.xlsx")
    changed = cli("review", "--from-xlsx", tmp_path / "changed.xlsx", "--db", db, "--by", "QA officer B")
    assert "recorded 1 review(s)" in changed.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT REVIEWER, ACTION FROM qa_reviews ORDER BY REVIEW_ID").fetchall() == [
        ("QA officer A", "accepted"), ("QA officer A", "note"), ("QA officer B", "disputed")]
    con.close()


def test_history_shows_rates_to_one_decimal_never_100_with_exceptions(cli, night):
    db, _out = night
    text = cli("history", "--db", db).output
    cp02 = next(line for line in text.splitlines() if line.startswith("CP-02 "))
    assert re.search(r"\s99\.\d%", cp02) and "100.0%" not in cp02, cp02  # one exception in hundreds
    from careplan_checks.cli import format_rate

    assert format_rate(1 - 1 / 5000, 1) == ">99.9%"
    assert format_rate(1.0, 0) == "100.0%"
    assert format_rate(1 / 5000, 4999) == "<0.1%"
    assert format_rate(None) == "—"


def test_without_a_history_the_checks_that_need_none_still_apply(cli, night, tmp_path: Path):
    _db, out = night
    before = _report(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("run", empty, "--as-of", NEXT_NIGHT, "--out", out, "--no-quality")
    assert result.exit_code == 2 and "no readable table in the extract" in result.output
    extract = _extract(tmp_path)
    _rewrite_dates(extract, "header", "{m}/{d}/{y}")
    result = cli("run", extract, "--as-of", NEXT_NIGHT, "--out", out, "--no-quality")
    line = _first_day_over_12("header", "DOB")
    assert result.exit_code == 2
    assert f"header.csv, line {line}, column DOB: the dates look like mm/dd/yyyy" in result.output
    assert _report(out) == before


def test_a_history_database_in_a_folder_that_does_not_exist_is_named_plainly(cli, tmp_path: Path):
    db = tmp_path / "no-such-folder" / "careplan.duckdb"
    for args in (("run", SAMPLE, "--as-of", GOOD_NIGHT, "--no-quality", "--no-report"), ("validate", SAMPLE)):
        result = cli(*args, "--db", db)
        assert result.exit_code == 2
        assert f"the folder {db.parent} does not exist" in result.output
    assert not db.parent.exists()


def test_a_row_that_cannot_be_read_tonight_resolves_nothing(cli, tmp_path: Path):
    """REV-01: C1's first review is overdue on the first night. On the second, C1's episode row has a
    start date that cannot be read: the row is dropped, and the overdue review is kept, not checked,
    instead of resolved by the row's absence."""
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    nights = []
    for name, decom in (("n1", "05/01/2024"), ("n2", "31/02/2024")):
        d = tmp_path / name
        d.mkdir()
        (d / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2014\nC2,M,01/06/2013\n")
        (d / "episodes.csv").write_text(f"CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,{decom},S,C2,N1,U4\n"
                                        "C2,05/01/2024,S,C2,N1,U4\n")
        (d / "reviews.csv").write_text("CHILD,REVIEW\nC2,10/01/2024\n")
        nights.append(d)
    for extract, as_of in zip(nights, ("2024-12-30", "2024-12-31"), strict=True):
        result = cli("run", extract, "--as-of", as_of, "--db", db, "--out", out, "--no-quality", "--select", "REV-01")
        assert result.exit_code == 0, result.output
    [(_fp, status, _first, checked)] = _statuses(cli, db)
    assert (status, checked) == ("open", False), "C1's item is kept as it was, not resolved"


def test_a_table_a_rule_reads_when_present_being_absent_resolves_nothing(cli, tmp_path: Path):
    """DQ-02 checks every table it is given (also_reads): a night without one of them runs the rule on
    the others, and what it found in the absent table last night is kept, not resolved."""
    d = tmp_path / "extract"
    d.mkdir()
    (d / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2012\nC2,M,01/06/2011\n")
    (d / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE,DEC\n"  # DQ-02 reads DEC: it must be there
                                    "C1,02/01/2024,S,C2,N1,U4,\nC2,02/01/2024,S,C2,N1,U4,\n")
    (d / "missing.csv").write_text("CHILD,DOB,MISSING,MIS_START,MIS_END\nC1,01/06/2012,M,10/06/2024,09/06/2024\n")
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    first = cli("run", d, "--as-of", GOOD_NIGHT, "--db", db, "--out", out, "--no-quality", "--select", "DQ-02")
    assert first.exit_code == 0, first.output
    (before,) = [s for s in _statuses(cli, db)]
    assert before[1] == "new"
    (d / "missing.csv").unlink()
    result = cli("run", d, "--as-of", NEXT_NIGHT, "--db", db, "--out", out, "--no-quality", "--select", "DQ-02",
                 "--allow-missing", "missing", "--format", "json")
    assert result.exit_code == 0, result.output
    (rule,) = json.loads(result.output)["rules"]
    assert rule["status"] == "ran" and rule["message"].startswith("ran without missing, ")
    (after,) = _statuses(cli, db)
    assert after[0] == before[0] and after[1] == "open" and after[3] is False, after


def test_a_table_absent_every_night_does_not_stop_items_resolving(cli, tmp_path: Path):
    """VIS-02 reads placement_plans when present; an authority that never sends it still sees a late visit,
    once made good, resolved."""
    d = tmp_path / "extract"
    d.mkdir()
    (d / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,03/06/2024,S,C2,N1,U6\n")
    visits = "CHILD,VISIT_DATE,SEEN\nC1,2024-06-05,Y\nC1,2025-01-10,Y\n"
    (d / "visits.csv").write_text(visits)
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    assert cli("run", d, "--as-of", "2025-01-31", "--db", db, "--out", out, "--no-quality",
               "--select", "VIS-02").exit_code == 0
    assert [s[1] for s in _statuses(cli, db)] == ["new"]  # seen 5 Jun, not again within six weeks
    (d / "visits.csv").write_text(visits.replace("2025-01-10", "2024-07-15"))  # the visit was mis-dated
    assert cli("run", d, "--as-of", "2025-02-01", "--db", db, "--out", out, "--no-quality",
               "--select", "VIS-02").exit_code == 0
    assert {s[1] for s in _statuses(cli, db)} >= {"resolved"}
