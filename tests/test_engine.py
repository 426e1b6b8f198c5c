"""Rule engine: rule files, evaluation, CLI. Each rule's own cases run in test_rule_cases.py."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, SAMPLE

from careplan_checks import calendar
from careplan_checks.docs import rules_reference
from careplan_checks.rules import load_rules

RULES = REPO / "rules"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(RULES, dest)
    return dest


NEW_RULE = """
id: TEST-01
title: Child has no visit recorded at all
severity: low
area: visits
source: {document: test, reference: test}
rationale: A test rule.
requirement: Every child in the header has at least one visit.
tables: [header, visits]
parameters: {grace_days: 0}
population: SELECT CHILD, DOB AS EVENT_DATE FROM header
sql: |
  SELECT h.CHILD, h.DOB AS EVENT_DATE, $as_of + $grace_days AS DUE_DATE, 'no visit' AS DETAIL
  FROM header h WHERE h.CHILD NOT IN (SELECT CHILD FROM visits)
tests:
  - name: visited
    data: {header: [{CHILD: C1, SEX: M, DOB: 2015-01-01}], visits: [{CHILD: C1, VISIT_DATE: 2025-01-01, SEEN: Y}]}
    expect: []
  - name: not_visited
    data: {header: [{CHILD: C1, SEX: M, DOB: 2015-01-01}]}
    expect: [{CHILD: C1, EVENT_DATE: 2015-01-01}]
"""


def test_adding_a_rule_is_one_yaml_file(pack: Path, cli):
    (pack / "TEST-01.yml").write_text(NEW_RULE)
    listed = cli("rules", "list", "--rules", pack)
    assert "TEST-01    low       visits" in listed.output
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--rules", pack, "--select", "TEST-01", "--no-quality")
    assert result.exit_code == 0, result.output
    unvisited = duckdb.sql(f"SELECT count(*) FROM read_csv('{SAMPLE / 'header.csv'}') WHERE CHILD NOT IN "
                           f"(SELECT CHILD FROM read_csv('{SAMPLE / 'visits.csv'}'))").fetchall()[0][0]
    children = duckdb.sql(f"SELECT count(*) FROM read_csv('{SAMPLE / 'header.csv'}')").fetchall()[0][0]
    assert f"TEST-01    low       {children:>10} {unvisited:>10}" in result.output
    tested = cli("rules", "test", "TEST-01", "--rules", pack)
    assert tested.exit_code == 0


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("severity: low\n", ""), "rules/TEST-01.yml: 'severity' is required"),
    (lambda t: t.replace("severity: low", "severity: urgent"),
     "rules/TEST-01.yml: severity: Input should be 'critical', 'high', 'medium' or 'low'"),
    (lambda t: t.replace("population: SELECT CHILD, DOB AS EVENT_DATE FROM header",
                         "population: DELETE FROM header"),
     "rules/TEST-01.yml: population: must be a read-only SELECT: rules may not write or change anything"),
    (lambda t: t.replace("SELECT h.CHILD, h.DOB", "SELECT h.DOB"),
     "rules/TEST-01.yml: sql: the query must return column(s) CHILD"),
    (lambda t: t.replace("tables: [header, visits]", "tables: [header, visitz]"),
     "rules/TEST-01.yml: tables: Value error, unknown table(s) visitz"),
    (lambda t: t.replace("FROM header h WHERE", "FROM read_csv('/etc/passwd') h WHERE"),
     "rules/TEST-01.yml: sql: may not call read_csv()"),
    (lambda t: t.replace("    expect: [{CHILD: C1, EVENT_DATE: 2015-01-01}]", "    expect: []"),
     "rules/TEST-01.yml: (file): tests need at least one failing case"),
    (lambda t: t.replace("id: TEST-01", "id: TEST-02"), "rules/TEST-01.yml: id: 'TEST-02' must match the file name"),
])
def test_bad_rule_files_give_file_and_field_and_exit_2(pack: Path, cli, edit, message: str):
    (pack / "TEST-01.yml").write_text(edit(NEW_RULE))
    result = cli("rules", "list", "--rules", pack)
    assert result.exit_code == 2
    assert message.replace("Value error, ", "") in result.output, result.output
    assert "Traceback" not in result.output


def test_a_rule_that_errors_at_run_time_does_not_stop_the_others(pack: Path, cli):
    # Valid on the empty schema, fails on the data: a cast that only real rows reach.
    broken = NEW_RULE.replace("'no visit' AS DETAIL", "CAST(h.CHILD AS INTEGER)::VARCHAR AS DETAIL")
    (pack / "TEST-01.yml").write_text(broken)
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--rules", pack, "--no-quality", "--format", "json",
                 "--fail-on", "critical")
    assert result.exit_code == 3, "an errored rule is never hidden behind 0 or 1"
    import json

    summary = json.loads(result.stdout)
    by_id = {r["id"]: r for r in summary["rules"]}
    assert by_id["TEST-01"]["status"] == "errored"
    assert "Conversion Error" in by_id["TEST-01"]["message"]
    children = {line.split(",")[0] for line in (SAMPLE / "header.csv").read_text().splitlines()[1:]}
    assert not any(c in by_id["TEST-01"]["message"] for c in children), "a message never quotes a cell"
    assert "1 rule errored: TEST-01" in result.output
    assert by_id["REV-01"]["status"] == "ran"


def test_rule_needing_an_absent_table_is_not_run(tmp_path: Path, cli):
    extract = tmp_path / "x"
    shutil.copytree(SAMPLE, extract)
    (extract / "placement_views.csv").unlink()
    result = cli("run", extract, "--as-of", "2025-03-31", "--no-quality")
    assert "PLACE-01   high      not run: missing table placement_views" in result.output


def test_rule_reading_a_column_the_extract_does_not_have_is_not_run(tmp_path: Path, cli):
    """An extract whose care_plans has no HEALTH_PLAN column (a source that cannot record it) must not
    make CP-02 report every plan as lacking a health plan; rules that read only the columns present run."""
    extract = tmp_path / "x"
    shutil.copytree(SAMPLE, extract)
    path = extract / "care_plans.csv"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * EXCLUDE (HEALTH_PLAN, PEP) FROM read_csv('{path}', all_varchar=true)) "
                f"TO '{path}' (FORMAT csv, HEADER)")
    result = cli("run", extract, "--as-of", "2025-03-31", "--no-quality", "--select", "CP-01,CP-02,CP-05",
                 "--format", "json")
    by_id = {r["id"]: r for r in json.loads(result.stdout)["rules"]}
    assert by_id["CP-02"]["status"] == "not run"
    assert by_id["CP-02"]["message"] == "column(s) not in the extract: care_plans.HEALTH_PLAN, care_plans.PEP"
    assert by_id["CP-01"]["status"] == by_id["CP-05"]["status"] == "ran"
    # the same column present but empty in every row is data, and the rule runs on it
    con.execute(f"COPY (SELECT *, NULL AS HEALTH_PLAN, NULL AS PEP FROM read_csv('{path}', all_varchar=true)) "
                f"TO '{path}' (FORMAT csv, HEADER)")
    result = cli("run", extract, "--as-of", "2025-03-31", "--no-quality", "--select", "CP-02", "--format", "json")
    (cp02,) = json.loads(result.stdout)["rules"]
    assert cp02["status"] == "ran" and cp02["exceptions"] > 0


def test_parameters_are_bound_and_overridable(cli):
    base = cli("run", SAMPLE, "--as-of", "2025-03-31", "--select", "PLACE-01", "--no-quality", "--format", "json")
    loose = cli("run", SAMPLE, "--as-of", "2025-03-31", "--select", "PLACE-01", "--no-quality", "--format", "json",
                "--param", "PLACE-01.audit_within_working_days=400")
    import json

    strict_n = json.loads(base.output)["rules"][0]["exceptions"]
    loose_n = json.loads(loose.output)["rules"][0]["exceptions"]
    assert loose_n < strict_n
    bad = cli("run", SAMPLE, "--select", "PLACE-01", "--param", "PLACE-01.nope=1")
    assert bad.exit_code == 2 and "PLACE-01 has no parameter 'nope'" in bad.output


def test_fail_on_sets_exit_status_1(cli):
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--select", "PLACE-01", "--no-quality", "--fail-on", "high")
    assert result.exit_code == 1
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--select", "PLACE-01", "--no-quality",
                 "--fail-on", "critical")
    assert result.exit_code == 0


def test_results_are_stored_per_run(tmp_path: Path, cli):
    db = tmp_path / "c.duckdb"
    for _ in range(2):
        assert cli("demo", "--db", db, "--no-quality", "--no-report").exit_code == 0
    con = duckdb.connect(str(db))
    # the same night twice: the second run supersedes the first
    assert con.execute("SELECT RUN_ID, STATUS FROM runs ORDER BY RUN_ID").fetchall() == [
        (1, "superseded"), (2, "succeeded")]
    per_run = con.execute("SELECT RUN_ID, count(*) FROM exceptions GROUP BY 1 ORDER BY 1").fetchall()
    assert per_run[0][1] == per_run[1][1] > 0
    stored = con.execute("SELECT sum(EXCEPTIONS) FROM rule_results WHERE RUN_ID = 2").fetchone()[0]
    assert stored == per_run[1][1]
    inputs = con.execute("SELECT count(*), sum(ROWS_READ) FROM run_inputs WHERE RUN_ID = 2").fetchone()
    assert inputs[0] == len(list(SAMPLE.glob("*.csv"))) - 1 and inputs[1] > 0  # every table; not the answer key


@pytest.mark.parametrize(("start", "n", "expected"), [
    (dt.date(2022, 6, 1), 1, dt.date(2022, 6, 6)),     # Platinum Jubilee: Thu 2 and Fri 3 June 2022
    (dt.date(2022, 9, 16), 1, dt.date(2022, 9, 20)),   # state funeral, Mon 19 September 2022
    (dt.date(2023, 5, 5), 1, dt.date(2023, 5, 9)),     # coronation, Mon 8 May 2023
    (dt.date(2020, 5, 7), 1, dt.date(2020, 5, 11)),    # VE Day, early-May holiday moved to Fri 8 May 2020
    (dt.date(2020, 5, 1), 1, dt.date(2020, 5, 4)),     # ... so Mon 4 May 2020 was a working day
    (dt.date(2022, 12, 23), 2, dt.date(2022, 12, 29)),  # 25 Dec a Sunday: 26 and 27 Dec are holidays
    (dt.date(2024, 3, 28), 1, dt.date(2024, 4, 2)),    # Good Friday and Easter Monday
    (dt.date(2025, 1, 4), 1, dt.date(2025, 1, 6)),     # a Saturday trigger: the first working day is Monday
])
def test_working_days_match_hand_checked_dates(start: dt.date, n: int, expected: dt.date):
    con = duckdb.connect()
    calendar.install(con)
    assert con.execute("SELECT add_working_days(?, ?)", [start, n]).fetchone()[0] == expected
    assert con.execute("SELECT working_days_between(?, ?)", [start, expected]).fetchone()[0] == n
    assert calendar.add_working_days(start, n) == expected


def test_local_holiday_override(tmp_path: Path):
    f = tmp_path / "h.csv"
    f.write_text("DATE,ACTION,NAME\n2026-06-01,add,Local proclamation\n")
    con = duckdb.connect()
    calendar.install(con, f)
    assert con.execute("SELECT add_working_days(DATE '2026-05-29', 1)").fetchone()[0] == dt.date(2026, 6, 2)


def test_calendar_months_clamp_to_month_end():
    con = duckdb.connect()
    calendar.install(con)
    assert con.execute("SELECT add_months(DATE '2024-01-31', 1), add_months(DATE '2023-01-31', 1), "
                       "add_months(DATE '2024-08-31', 6)").fetchone() == (
        dt.date(2024, 2, 29), dt.date(2023, 2, 28), dt.date(2025, 2, 28))


def test_rule_reference_is_current():
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_reference(RULES), "docs/rules.md is stale: run 'careplan-checks docs'"
    assert "## Not yet checkable" in committed and "| PLACE-06 |" in committed
    # an item the pack now checks is a rule, not a catalogue item waiting for data
    assert "| [CP-04](#cp-04) |" in committed and "| CP-04 |" not in committed


def test_demo_runs_every_rule(cli):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    assert "0 not run, 0 errored" in result.output
    for rule in load_rules(RULES):
        assert rule.id in result.output


def test_applies_from_and_until(pack: Path, cli):
    (pack / "TEST-01.yml").write_text(NEW_RULE + "applies_from: 2025-04-01\n")
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--rules", pack, "--select", "TEST-01", "--no-quality",
                 "--no-report")
    assert "TEST-01    low       not run: the rule does not apply on the as-of date" in result.output
    result = cli("run", SAMPLE, "--as-of", "2025-04-01", "--rules", pack, "--select", "TEST-01", "--no-quality",
                 "--no-report")
    assert "not run" not in result.output.splitlines()[2]


def test_the_pack_covers_every_catalogue_section():
    pack = load_rules(RULES)
    assert len(pack) >= 30
    prefixes = {r.id.split("-")[0] for r in pack}
    assert {"CP", "REV", "VIS", "PLACE", "HLTH", "EDU", "MISS", "LEAVE"} <= prefixes
    assert {"QI", "DQ"} & prefixes and "data-quality" in {r.area for r in pack}
    assert {f"LEAVE-0{i}" for i in range(1, 8)} | {"PLACE-01", "HLTH-05"} <= {r.id for r in pack}


SECRET = "S3CRET-FROM-OUTSIDE"


@pytest.mark.parametrize("reader", [
    'SELECT content FROM "read_text"(\'{path}\')',            # a quoted name passes any pattern check
    "SELECT content FROM read_text/* a comment */('{path}')",  # so does a comment inside the call
    "SELECT TOKEN FROM '{path}'",                             # a replacement scan names no function at all
    'SELECT file FROM "glob"(\'{path}\')',
])
def test_a_rule_cannot_read_a_file_at_start_up_or_at_run_time(pack: Path, cli, tmp_path: Path, reader: str):
    from careplan_checks.engine import evaluate, prepare_database
    from careplan_checks.rules import read_rule

    secret = tmp_path / "secret.csv"
    secret.write_text(f"TOKEN\n{SECRET}\n")
    sql = f"({reader.format(path=secret)} LIMIT 1)"
    (pack / "TEST-01.yml").write_text(NEW_RULE.replace("'no visit' AS DETAIL", f"{sql} AS DETAIL"))
    out = tmp_path / "report"
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--rules", pack, "--select", "TEST-01", "--no-quality",
                 "--out", out)
    assert result.exit_code == 2
    assert "rules/TEST-01.yml: sql: Permission Error" in result.output
    assert "file system operations are disabled by configuration" in result.output
    assert SECRET not in result.output and not out.exists()
    # and at run time, for a rule that was never checked at start-up
    rule = read_rule(pack / "TEST-01.yml")
    con = duckdb.connect(":memory:")
    prepare_database(con)
    con.execute("INSERT INTO header (CHILD, SEX, DOB) VALUES ('C1', 'M', DATE '2015-01-01')")
    [outcome] = evaluate(con, [rule], dt.date(2025, 3, 31))
    assert outcome.status == "errored" and "disabled by configuration" in outcome.message
    assert con.execute("SELECT count(*) FROM _exceptions").fetchone()[0] == 0
    with pytest.raises(duckdb.Error, match="locked"):
        con.execute("SET enable_external_access = true")


@pytest.mark.parametrize("option", ["--targets", "--holidays"])
def test_a_file_that_is_not_utf8_is_bad_input_not_a_traceback(cli, tmp_path: Path, option: str):
    bad = tmp_path / "local.csv"
    bad.write_bytes("RULE_ID,TARGET\nREV-01,95\nCaf\xe9,1\n".encode("latin-1"))
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--no-quality", "--no-report", option, bad)
    assert result.exit_code == 2, result.output
    assert "local.csv: is not UTF-8 text" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("quality", [False, True])
def test_a_record_dated_after_the_as_of_date_is_a_finding_and_meets_nothing(cli, tmp_path: Path, quality: bool):
    """REV-02 (reg 33(2)): the second review within 3 months of the first. A review dated 2030 is
    a data-quality finding, and cannot be the review due in April 2024. With the checks on, their worker's
    findings join it in the report: neither replaces the other."""
    extract = tmp_path / "x"
    extract.mkdir()
    # with the checks on, C1's header row twice over is one of their own findings
    (extract / "header.csv").write_text("CHILD,SEX,DOB\n" + "C1,F,01/06/2014\n" * (2 if quality else 1))
    (extract / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,02/01/2024,S,C2,N1,U4\n")
    (extract / "reviews.csv").write_text("CHILD,REVIEW\nC1,26/01/2024\nC1,20/04/2030\n")
    out = tmp_path / "report"
    result = cli("run", extract, "--as-of", "2025-03-31", "--select", "REV-02", "--out", out, "--format", "json",
                 *([] if quality else ["--no-quality"]))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    if quality:
        assert summary["quality_findings"] > 1
        assert "one row per CHILD" in (out / "report.html").read_text()
    else:
        assert summary["quality_findings"] == 1
    [rev02] = summary["rules"]
    assert rev02["exceptions"] >= 1, "the 2030 review does not meet the review due on 26 April 2024"
    html = (out / "report.html").read_text()
    assert "REVIEW is after the as-of date (first at line 3)" in html
    exceptions = (out / "exceptions.csv").read_text()
    assert "2024-04-26" in exceptions


def test_an_exception_that_a_dropped_row_may_explain_says_so(cli, tmp_path: Path):
    extract = tmp_path / "x"
    extract.mkdir()
    (extract / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2014\n")
    (extract / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,02/01/2024,S,C2,N1,U4\n")
    (extract / "reviews.csv").write_text("CHILD,REVIEW\nC1,26/01/2024\nC1,31/04/2024\n")  # no 31 April
    out = tmp_path / "report"
    result = cli("run", extract, "--as-of", "2025-03-31", "--select", "REV-02", "--no-quality", "--out", out,
                 "--max-rejected", "100")
    assert result.exit_code == 0, result.output
    text = (out / "exceptions.csv").read_text()
    assert "(note: 1 row(s) of this child's in reviews.csv could not be loaded; see rejected_rows.csv)" in text
    assert "reviews.csv,3,REVIEW,REVIEW is not a valid date (dd/mm/yyyy or yyyy-mm-dd),row dropped" in (
        out / "rejected_rows.csv").read_text()


def test_rules_test_runs_the_cases_of_the_folder_it_is_given(pack: Path, cli):
    import careplan_checks.rule_tests  # noqa: F401  (already imported: the folder must still be honoured)

    rule = (pack / "REV-04.yml").read_text()
    (pack / "REV-04.yml").write_text(rule.replace("{CHILD: C1, EVENT_DATE: 2024-10-15}",
                                                  "{CHILD: C1, EVENT_DATE: 2024-10-16}", 1))
    broken = cli("rules", "test", "REV-04", "--rules", pack)
    assert broken.exit_code == 1, broken.output
    assert "REV-04::" in broken.output and "1 failed" in broken.output
    assert cli("rules", "test", "REV-04").exit_code == 0, "the built-in pack's cases still pass"


def test_team_and_worker_are_the_allocation_current_at_the_as_of_date_and_late_is_never_0_days(cli,
                                                                                              tmp_path: Path):
    """REV-01 (reg 33(1)): C1 came into care on Friday 5 January 2024, first review due 20 working days
    later, Friday 2 February; held on Saturday 3 February: late by one day, though no working day
    passed. C1's social worker allocations have both ended by 31 December 2024; C2's is current."""
    extract = tmp_path / "x"
    extract.mkdir()
    (extract / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2014\nC2,M,01/06/2013\n")
    (extract / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,05/01/2024,S,C2,N1,U4\n"
                                          "C2,05/01/2024,S,C2,N1,U4\n")
    (extract / "reviews.csv").write_text("CHILD,REVIEW\nC1,03/02/2024\nC2,05/02/2024\n")
    (extract / "allocations.csv").write_text(
        "CHILD,ROLE,WORKER_ID,TEAM,START_DATE,END_DATE\n"
        "C1,SW,W1,North,01/01/2023,30/11/2024\nC1,SW,W2,South,01/06/2024,31/10/2024\n"
        "C2,SW,W3,East,01/01/2023,30/11/2024\nC2,SW,W4,West,01/12/2024,\n")
    out = tmp_path / "report"
    result = cli("run", extract, "--as-of", "2024-12-31", "--select", "REV-01", "--no-quality", "--out", out)
    assert result.exit_code == 0, result.output
    import csv

    with (out / "exceptions.csv").open(newline="") as f:
        rows = {r["CHILD"]: r for r in csv.DictReader(f)}
    assert (rows["C1"]["DUE_DATE"], rows["C1"]["DAYS_OVERDUE"]) == ("2024-02-02", "1")
    assert (rows["C1"]["TEAM"], rows["C1"]["WORKER_ID"]) == ("", ""), "both of C1's allocations had ended"
    assert (rows["C2"]["TEAM"], rows["C2"]["WORKER_ID"], rows["C2"]["DAYS_OVERDUE"]) == ("West", "W4", "1")


def test_a_targets_file_naming_an_unknown_rule_is_an_error_naming_it(cli, tmp_path: Path):
    targets = tmp_path / "targets.csv"
    targets.write_text("RULE_ID,TARGET\nREV-01,95\nREV-99,90\n")
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--no-quality", "--no-report", "--targets", targets)
    assert result.exit_code == 2 and "targets.csv: names no rule of the pack: REV-99" in result.output


def test_an_exception_outside_its_population_is_a_fault_in_the_rule_not_a_rate_below_0(pack: Path, cli):
    broken = NEW_RULE.replace("population: SELECT CHILD, DOB AS EVENT_DATE FROM header",
                              "population: SELECT CHILD, DOB + 1 AS EVENT_DATE FROM header")
    (pack / "TEST-01.yml").write_text(broken)
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--rules", pack, "--select", "TEST-01", "--no-quality",
                 "--no-report", "--format", "json")
    assert result.exit_code == 3
    [outcome] = json.loads(result.stdout)["rules"]
    assert outcome["status"] == "errored" and "not in the rule's population" in outcome["message"]


def test_one_definition_of_the_rate_and_its_rag_in_sql_and_python():
    from careplan_checks import compliance

    con = duckdb.connect()
    compliance.install(con)
    for population, exceptions, target in ((200, 3, 0.95), (20, 3, 0.95), (10, 10, 0.9), (0, 0, 0.9), (7, 0, 1.0)):
        sql_rate, sql_rag = con.execute("SELECT compliance_rate(?, ?), rag(compliance_rate(?, ?), ?)",
                                        [population, exceptions, population, exceptions, target]).fetchone()
        assert sql_rate == compliance.rate(population, exceptions)
        assert sql_rag == compliance.rag(compliance.rate(population, exceptions), target)
    assert compliance.rag(0.86, 0.95) == "amber" and compliance.rag(0.84, 0.95) == "red"
    with pytest.raises(ValueError):
        compliance.rate(2, 3)


def test_a_child_whose_header_row_was_dropped_is_no_qi02_breach(cli, tmp_path: Path):
    extract = tmp_path / "x"
    extract.mkdir()
    (extract / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2014\nC2,M,31/02/2013\n")  # no 31 February
    (extract / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,05/01/2024,S,C2,N1,U4\n"
                                          "C2,05/01/2024,S,C2,N1,U4\nC3,05/01/2024,S,C2,N1,U4\n")
    out = tmp_path / "report"
    result = cli("run", extract, "--as-of", "2024-12-31", "--select", "QI-02", "--no-quality", "--out", out,
                 "--max-rejected", "100", "--format", "json")
    assert result.exit_code == 0, result.output
    import csv

    with (out / "exceptions.csv").open(newline="") as f:
        flagged = {r["CHILD"] for r in csv.DictReader(f)}
    assert flagged == {"C3"}, "C3 has no header row at all; C2's could not be read, which rejected_rows.csv lists"
    assert "header.csv,3,DOB," in (out / "rejected_rows.csv").read_text()
