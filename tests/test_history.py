"""Nightly operation: lifecycle across runs, QA reviews, killed runs, two runs at once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import REPO, SLOW_RULE

HEADER = "CHILD,SEX,DOB\n" + "".join(f"C{i},F,01/06/2014\n" for i in range(1, 5))


def _night(tmp: Path, codes: dict[str, str]) -> Path:
    """A small extract: header and reviews only, so only REV-04 (participation codes) runs."""
    d = tmp / f"extract-{'-'.join(f'{k}{v}' for k, v in sorted(codes.items()))}"
    d.mkdir(exist_ok=True)
    (d / "header.csv").write_text(HEADER)
    (d / "reviews.csv").write_text("CHILD,REVIEW,REVIEW_CODE\n" + "".join(
        f"{child},01/10/2024,{code}\n" for child, code in sorted(codes.items())))
    return d


def _run(cli, extract: Path, db: Path, as_of: str, out: Path) -> dict:
    result = cli("run", extract, "--as-of", as_of, "--db", db, "--out", out, "--no-quality", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _statuses(cli, db: Path) -> dict[str, str]:
    result = cli("exceptions", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    return {r["CHILD"]: r["STATUS"] for r in json.loads(result.output)}


def test_new_open_and_resolved_across_nights(tmp_path: Path, cli):
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    _run(cli, _night(tmp_path, {"C1": "PN0", "C2": "PN1", "C3": "PN2", "C4": "PN0"}), db, "2025-03-31", out)
    assert _statuses(cli, db) == {"C1": "new", "C4": "new"}
    # next night: C1's code corrected, C3 recorded wrongly, C4 unchanged
    second = _night(tmp_path, {"C1": "PN1", "C2": "PN1", "C3": "PN0", "C4": "PN0"})
    _run(cli, second, db, "2025-04-01", out)
    assert _statuses(cli, db) == {"C1": "resolved", "C3": "new", "C4": "open"}
    with (out / "exceptions.csv").open() as f:
        assert sorted(line.split(",")[10] for line in f.read().splitlines()[1:]) == ["new", "open"]
    # the same night again: same statuses, no duplicates
    _run(cli, second, db, "2025-04-01", out)
    assert _statuses(cli, db) == {"C1": "resolved", "C3": "new", "C4": "open"}
    con = duckdb.connect(str(db), read_only=True)
    latest = con.execute("SELECT max(RUN_ID) FROM runs WHERE STATUS = 'succeeded'").fetchone()[0]
    assert con.execute("SELECT count(*) FROM exceptions WHERE RUN_ID = ?", [latest]).fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM runs WHERE STATUS = 'superseded'").fetchone()[0] == 1
    con.close()
    # a third night with nothing changed: nothing new, nothing resolved
    _run(cli, second, db, "2025-04-02", out)
    assert _statuses(cli, db) == {"C3": "open", "C4": "open"}
    history = cli("history", "--db", db)
    assert "superseded" in history.output and "REV-04" in history.output


def test_accepted_review_stands_until_its_date_and_is_kept(tmp_path: Path, cli):
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    night = _night(tmp_path, {"C1": "PN0", "C2": "PN1"})
    _run(cli, night, db, "2025-03-31", out)
    fp = json.loads(cli("exceptions", "--db", db, "--format", "json").output)[0]["FINGERPRINT"]
    result = cli("review", fp, "--db", db, "--action", "accepted", "--reason", "Code confirmed with the IRO",
                 "--by", "QA officer A", "--until", "2025-04-02")
    assert result.exit_code == 0, result.output
    _run(cli, night, db, "2025-04-01", out)
    assert _statuses(cli, db) == {"C1": "accepted"}
    _run(cli, night, db, "2025-04-02", out)
    assert _statuses(cli, db) == {"C1": "accepted"}
    _run(cli, night, db, "2025-04-03", out)
    assert _statuses(cli, db) == {"C1": "open"}, "an accepted review expires after its date"
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT REVIEWER, REASON FROM qa_reviews").fetchall() == [
        ("QA officer A", "Code confirmed with the IRO")]
    con.close()
    assert cli("review", "nope", "--db", db, "--action", "note", "--reason", "x", "--by", "y").exit_code == 2


def test_reviews_imported_from_the_workbook(tmp_path: Path, cli):
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    night = _night(tmp_path, {"C1": "PN0", "C2": "PN0"})
    _run(cli, night, db, "2025-03-31", out)
    wb = openpyxl.load_workbook(out / "exceptions.xlsx")
    ws = wb["REV-04"]
    header = [c.value for c in ws[1]]
    row = 2 if ws.cell(2, header.index("CHILD") + 1).value == "C1" else 3
    ws.cell(row, header.index("REVIEW_ACTION") + 1, "accepted")
    ws.cell(row, header.index("REVIEW_REASON") + 1, "Child's view recorded on paper")
    wb.save(tmp_path / "filled.xlsx")
    result = cli("review", "--from-xlsx", tmp_path / "filled.xlsx", "--db", db, "--by", "QA officer B")
    assert result.exit_code == 0 and "recorded 1 review(s)" in result.output
    _run(cli, night, db, "2025-04-01", out)
    assert _statuses(cli, db) == {"C1": "accepted", "C2": "open"}




def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", "from careplan_checks.cli import entry_point; entry_point()", *args]


def test_a_run_killed_during_rule_evaluation_leaves_the_history_intact(tmp_path: Path, cli):
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    night = _night(tmp_path, {"C1": "PN0", "C2": "PN1"})
    _run(cli, night, db, "2025-03-31", out)
    before = (db.read_bytes(), sorted(p.name for p in out.iterdir()))
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "SLOW-01.yml").write_text(SLOW_RULE)
    proc = subprocess.Popen(_cmd("run", str(night), "--as-of", "2025-04-01", "--db", str(db), "--rules", str(rules),
                                 "--no-quality", "--out", str(out)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(6)
    assert proc.poll() is None, "the slow rule should still be running"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert db.read_bytes() == before[0], "the history database must be exactly as it was"
    con = duckdb.connect(str(db))
    assert con.execute("SELECT RUN_ID, STATUS FROM runs").fetchall() == [(1, "succeeded")]
    assert con.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 1
    con.close()
    assert sorted(p.name for p in out.iterdir()) == before[1]


@pytest.mark.parametrize("broken", ["great_expectations", "xlsxwriter"])
def test_a_helper_process_that_fails_leaves_the_history_and_the_report_as_they_were(tmp_path: Path, cli,
                                                                                    broken: str):
    """The data-quality checks and the workbook run in processes of their own, and the checks' findings are
    collected inside the history's transaction: a helper that fails (here, a library it imports that
    cannot be imported) fails the night, which leaves the last night's exceptions and report unchanged."""
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    night = _night(tmp_path, {"C1": "PN0", "C2": "PN1"})
    _run(cli, night, db, "2025-03-31", out)
    report = {p.name: p.read_bytes() for p in out.iterdir()}
    fake = tmp_path / "site"
    (fake / broken).mkdir(parents=True)
    (fake / broken / "__init__.py").write_text("raise ImportError('not installed properly')\n")
    done = subprocess.run(_cmd("run", str(night), "--as-of", "2025-04-01", "--db", str(db), "--out", str(out)),
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(fake)})
    assert done.returncode == 3, (done.returncode, done.stderr[-2000:])
    assert ("the data-quality checks failed" if broken == "great_expectations" else "the exceptions workbook failed") \
        in done.stderr
    assert "Traceback" not in done.stderr
    con = duckdb.connect(str(db))
    runs = con.execute("SELECT RUN_ID, STATUS FROM runs ORDER BY RUN_ID").fetchall()
    assert runs == [(1, "succeeded"), (2, "failed")]
    assert con.execute("SELECT RUN_ID, count(*) FROM exceptions GROUP BY ALL").fetchall() == [(1, 1)]
    con.close()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == report, "the previous report is untouched"
    assert not list(out.parent.glob(".report-*")), "no half-written report left behind"


def test_a_second_run_waits_for_the_first_or_gives_up_clearly(tmp_path: Path):
    db = tmp_path / "h.duckdb"
    night = _night(tmp_path, {"C1": "PN0"})
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('held', flush=True); time.sleep(8)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    start = time.monotonic()
    blocked = subprocess.run(_cmd("run", str(night), "--as-of", "2025-03-31", "--db", str(db), "--no-quality",
                                  "--no-report", "--wait", "1"), capture_output=True, text=True, timeout=120)
    assert blocked.returncode == 2
    assert "in use by another careplan-checks process; gave up after waiting 1 s" in blocked.stderr
    assert "Traceback" not in blocked.stderr
    assert time.monotonic() - start < 60
    # with a longer wait, the run goes ahead once the other process lets go
    waited = subprocess.run(_cmd("run", str(night), "--as-of", "2025-03-31", "--db", str(db), "--no-quality",
                                 "--no-report", "--wait", "60"), capture_output=True, text=True, timeout=120)
    holder.wait(timeout=30)
    assert waited.returncode == 0, waited.stderr


def test_two_runs_at_once_both_land(tmp_path: Path):
    db = tmp_path / "h.duckdb"
    night = _night(tmp_path, {"C1": "PN0"})
    procs = [subprocess.Popen(_cmd("run", str(night), "--as-of", as_of, "--db", str(db), "--no-quality",
                                   "--no-report", "--wait", "120"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for as_of in ("2025-03-31", "2025-04-01")]
    for p in procs:
        assert p.wait(timeout=180) == 0, p.stderr.read()
    con = duckdb.connect(str(db), read_only=True)
    assert sorted(r[0] for r in con.execute("SELECT AS_OF::VARCHAR FROM runs WHERE STATUS = 'succeeded'"
                                              ).fetchall()) == ["2025-03-31", "2025-04-01"]


def test_an_unwritable_output_folder_is_a_clear_error(tmp_path: Path, cli):
    db = tmp_path / "h.duckdb"
    out_file = tmp_path / "not-a-folder"
    out_file.write_text("x")
    result = cli("run", _night(tmp_path, {"C1": "PN0"}), "--as-of", "2025-04-01", "--db", db, "--out", out_file,
                 "--no-quality")
    assert result.exit_code == 2 and "not-a-folder: the output folder cannot be written" in result.output


def test_a_run_that_fails_is_recorded_as_failed(tmp_path: Path, cli, monkeypatch):
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    night = _night(tmp_path, {"C1": "PN0"})
    _run(cli, night, db, "2025-03-31", out)
    from careplan_checks import engine

    def broken(*_a, **_k):
        raise RuntimeError("disk controller on fire")

    monkeypatch.setattr(engine, "evaluate", broken)
    result = cli("run", night, "--as-of", "2025-04-01", "--db", db, "--out", out, "--no-quality")
    assert result.exit_code == 3
    assert "internal error: RuntimeError: disk controller on fire" in result.output
    assert "Traceback" not in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT RUN_ID, STATUS, MESSAGE FROM runs ORDER BY RUN_ID").fetchall() == [
        (1, "succeeded", None), (2, "failed", "RuntimeError: disk controller on fire")]
    assert con.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 1


def test_the_command_line_exits_normally_with_its_output_flushed_and_the_night_committed(tmp_path: Path):
    db, out = tmp_path / "h.duckdb", tmp_path / "report"
    done = subprocess.run(_cmd("demo", "--db", str(db), "--out", str(out), "--select", "REV-04,HLTH-04"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    from careplan_checks.reports import OUTPUTS

    files = len(OUTPUTS) + 1  # and manifest.json
    assert done.stdout.rstrip().endswith(f"report written to {out}/report.html ({files} files)")
    assert "leaked" not in done.stderr.lower() and "Traceback" not in done.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT STATUS FROM runs").fetchall() == [("succeeded",)]
    con.close()
