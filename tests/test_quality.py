"""Data-quality suite, and the GX-on-DuckDB compatibility it depends on."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import write_csv

from careplan_checks.load import load_extract
from careplan_checks.quality import validate

PROBE = textwrap.dedent("""
    import os, duckdb
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS a FROM range(10)")
    from careplan_checks import gx_compat
    if {patch}:
        gx_compat.persist_duckdb_connections()
    import duckdb_engine, great_expectations as gx, great_expectations.expectations as gxe
    ctx = gx_compat.ephemeral_context()
    src = ctx.data_sources.add_sql(name="s", connection_string="duckdb:///:memory:",
        kwargs={{"creator": lambda: duckdb_engine.ConnectionWrapper(con.cursor())}})
    batch = src.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table("w").get_batch()
    r = batch.validate(gxe.ExpectColumnValuesToBeBetween(column="a", min_value=0, max_value=5))
    print("RESULT", r.success, r.result.get("element_count"), r.result.get("unexpected_count"), flush=True)
    os._exit(0)
""")


def _probe(patch: bool) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE.format(patch=patch)], capture_output=True, text=True,
                         timeout=120)
    return next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))


def test_gx_needs_the_persisted_connection_on_duckdb():
    """If GX fixes upstream issue #10738, the unpatched probe starts working and this
    test says the compatibility module can go; if the patch stops working, it fails too."""
    assert _probe(patch=False) == "RESULT False None None"
    assert _probe(patch=True) == "RESULT False 10 4"


def test_quality_findings_for_overlaps_dates_and_cross_table_consistency(tmp_path: Path):
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
              "C1,1,01/02/2010,WBRI,UN1,,\nC2,2,01/02/2011,WBRI,UN1,,\nC9,1,01/02/2011,WBRI,UN1,,\n")
    write_csv(tmp_path / "episodes.csv",
              "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
              "C1,01/01/2020,S,C2,N1,U4,PR1,01/06/2020,X1,CARPL,,,\n"
              "C1,01/03/2020,P,C2,N1,U6,PR4,,,,,,\n"          # overlaps the first
              "C2,01/01/2020,S,C2,N1,U4,PR1,01/01/2019,E13,,,,\n"  # ends before it starts
              "C3,01/01/2020,S,C2,N1,U4,PR1,,,,,,\n")         # not in header
    write_csv(tmp_path / "reviews.csv", "CHILD,DOB,REVIEW,REVIEW_CODE\nC1,02/02/2010,01/02/2020,PN1\n")
    con, report = load_extract(tmp_path)
    results = validate(con, {f.table for f in report.files})
    failed = {(r[0], r[1]): r[6] for r in results if not r[4]}
    assert failed == {
        ("episodes", "no_overlap"): 1,
        ("episodes", "date_order"): 1,
        ("episodes", "child_in_header"): 1,
        ("reviews", "dob_matches_header"): 1,
        ("header", "child_has_episodes"): 1,
    }
    assert all(r[7] is None for r in results), "every check must have run"
    stored = con.execute("SELECT count(*) FROM quality_results WHERE NOT SUCCESS").fetchone()[0]
    assert stored == len(failed)


def test_contract_values_check_catches_what_bypassed_the_loader(tmp_path: Path):
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,01/02/2010,WBRI,UN1,,\n"
              "C2,2,01/02/2011,WBRI,UN1,,\n")
    con, _ = load_extract(tmp_path)
    assert all(r[4] for r in validate(con, {"header"}))
    con.execute("UPDATE header SET SEX = 'Q' WHERE CHILD = 'C2'")  # as if written by something else
    con.execute("INSERT INTO header (CHILD, SEX, DOB, _LINE) VALUES (NULL, '1', DATE '2012-01-01', 9)")
    failed = {r[1]: r[6] for r in validate(con, {"header"}) if not r[4]}
    assert failed["contract_values"] == 2


def test_a_care_leaver_with_only_oc3_rows_is_not_a_child_without_episodes(tmp_path: Path):
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB\nC1,F,01/06/2010\nL1,M,01/06/2005\nX1,F,01/06/2011\n")
    write_csv(tmp_path / "episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,02/01/2024,S,C2,N1,U4\n")
    write_csv(tmp_path / "oc3.csv", "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\nL1,01/06/2005,YES,F1,U1\n")
    con, report = load_extract(tmp_path)
    results = validate(con, {f.table for f in report.files})
    [check] = [r for r in results if r[1] == "child_has_episodes"]
    assert (check[4], check[6]) == (False, 1), "X1 has no episodes and no OC3 rows; L1 is a care leaver"


def test_the_run_checks_codes_against_its_own_collection_year(tmp_path: Path, cli):
    from careplan_checks.pipeline import code_year

    assert code_year((dt.date(2024, 4, 1), dt.date(2025, 3, 31))) == "2024-25"
    assert code_year((dt.date(2019, 4, 1), dt.date(2020, 3, 31))) == "2022-23", "the nearest supported year"
    assert code_year((dt.date(2031, 4, 1), dt.date(2032, 3, 31))) == "2026-27"
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB\nC1,1,01/06/2010\nC2,M,01/06/2011\n")
    for as_of in ("2024-03-31", "2025-03-31"):  # M is flagged in 2023-24, 1 in 2024-25
        out = tmp_path / as_of
        result = cli("run", tmp_path, "--as-of", as_of, "--out", out, "--select", "REV-04")
        assert result.exit_code == 0, result.output
        year = code_year((dt.date(2000, 1, 1), dt.date.fromisoformat(as_of)))
        assert f"SEX: code not valid in {year} (valid in another year)" in (out / "report.html").read_text()


def test_the_composite_expectations_give_what_each_check_gives_alone(extract: Path):
    """One expectation a table (for speed) must report, check by check, what that check's own query finds."""
    from careplan_checks.quality import build_checks

    for name in ("reviews.csv", "episodes.csv"):  # add findings of several kinds to the sample
        lines = (extract / name).read_text().splitlines()
        (extract / name).write_text("\n".join([*lines, lines[1], lines[2]]) + "\n")  # repeated keys
    con, report = load_extract(extract)
    present = {f.table for f in report.files}
    results = {(r[0], r[1], r[2]): r for r in validate(con, present, year="2024-25")}
    checks = build_checks(present, "2024-25")
    assert len(results) == len(checks)
    found = 0
    for c in checks:
        alone = con.execute(f"SELECT count(*) FROM ({c.sql.replace('{batch}', c.table)})").fetchone()[0]
        r = results[(c.table, c.name, c.column)]
        assert r[4] == (alone == 0), (c.table, c.name)
        if not c.shape:
            assert r[6] == alone, (c.table, c.name, r[6], alone)
        found += alone > 0
    assert found >= 5, "a weak test: too few findings"


def test_the_quality_worker_finds_what_the_checks_find_in_process(extract: Path):
    from careplan_checks.quality_worker import QualityWorker

    con, report = load_extract(extract)
    present = {f.table for f in report.files}
    worker = QualityWorker().start()
    try:
        worker.submit(con, present, "2024-25")
        copy = worker._dir
        assert copy is not None and copy.stat().st_mode & 0o077 == 0, "the copy of the tables is private"
        beside = worker.result()
    finally:
        worker.close()
    assert not copy.exists(), "the private copy is removed"
    assert beside == validate(con, present, year="2024-25")
    assert [r for r in beside if not r[4]], "the sample has findings"


def test_checks_that_cannot_run_on_one_table_leave_the_other_tables_of_their_expectation_checked(tmp_path: Path):
    """Several tables' checks share an expectation (GX's bookkeeping is per expectation); a table whose checks
    cannot run is reported as such, and only that table."""
    from careplan_checks.quality import _groups, build_checks

    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB\nC1,1,01/02/2010\n")
    write_csv(tmp_path / "episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,01/01/2020,S,C2,N1,U4\n"
              "C1,01/03/2020,P,C2,N1,U6\n")
    write_csv(tmp_path / "reviews.csv", "CHILD,DOB,REVIEW,REVIEW_CODE\nC1,02/02/2010,01/02/2020,PN1\n")
    con, report = load_extract(tmp_path)
    present = {f.table for f in report.files}
    assert any(len({c.table for c in g}) > 1 for g in _groups(build_checks(present))), "tables share one"
    con.execute("ALTER TABLE reviews DROP COLUMN DOB")  # as if changed by something else: its checks fail
    results = validate(con, present)
    assert {r[0] for r in results if r[7] == "the check could not run"} == {"reviews"}
    assert all(r[7] is None for r in results if r[0] != "reviews")
    found = {(r[0], r[1]) for r in results if not r[4] and r[7] is None}
    assert ("episodes", "one_open_episode") in found, "the other tables' checks ran and found what is there"


def test_an_expectation_of_one_table_that_cannot_run_is_not_run_again(tmp_path: Path, monkeypatch):
    """Run table by table after a failure only when the expectation held several tables: with one, the table
    at fault is known, and GX's bookkeeping is not paid twice."""
    import careplan_checks.quality as quality

    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB\nC1,1,01/02/2010\n")
    write_csv(tmp_path / "reviews.csv", "CHILD,DOB,REVIEW,REVIEW_CODE\nC1,02/02/2010,01/02/2020,PN1\n")
    con, report = load_extract(tmp_path)
    present = {f.table for f in report.files}
    real = quality._groups
    monkeypatch.setattr(quality, "_groups", lambda checks: [g for group in real(checks) for g in (
        [c for c in group if c.table == t] for t in dict.fromkeys(c.table for c in group))])
    queries: list[str] = []
    composite = quality.composite_query
    monkeypatch.setattr(quality, "composite_query", lambda mine: queries.append(mine[0].table) or composite(mine))
    con.execute("ALTER TABLE reviews DROP COLUMN DOB")
    results = validate(con, present)
    assert {r[0] for r in results if r[7] == "the check could not run"} == {"reviews"}
    assert sorted(queries) == sorted(set(queries)), f"an expectation was run twice: {queries}"
    assert all(r[7] is None for r in results if r[0] != "reviews")


def test_each_composite_query_runs_once_and_reports_its_rows(extract: Path):
    """GX's own UnexpectedRowsExpectation runs its query twice (for the rows, then their count); the suite's
    expectation runs it once and counts the rows it returned, with the same findings."""
    import great_expectations.expectations as gxe
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from careplan_checks.gx_checks import CompositeChecksFindNothing

    lines = (extract / "reviews.csv").read_text().splitlines()
    (extract / "reviews.csv").write_text("\n".join([*lines, lines[1]]) + "\n")  # a repeated key: a finding
    con, report = load_extract(extract)
    present = {f.table for f in report.files}
    composite: list[str] = []

    def seen(conn, cursor, statement, *args):
        if "CHECK_NO" in statement:
            composite.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        results = validate(con, present, year="2024-25")
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    from careplan_checks.quality import _groups, build_checks

    groups = _groups(build_checks(present, "2024-25"))
    assert len(composite) == len(groups) > 1  # one query an expectation, not two
    assert any(r[0] == "reviews" and r[1] == "unique_key" and not r[4] and r[6] == 1 for r in results)
    assert issubclass(CompositeChecksFindNothing, gxe.UnexpectedRowsExpectation)
    assert CompositeChecksFindNothing.metric_dependencies == ("unexpected_rows_query.table",)
