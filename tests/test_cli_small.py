"""The small things a person notices at the command line."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path


def _extract(tmp_path: Path) -> Path:
    d = tmp_path / "extract"
    d.mkdir()
    (d / "header.csv").write_text("CHILD,SEX,DOB\nC1,F,01/06/2014\n")
    (d / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE\nC1,02/01/2024,S,C2,N1,U4\n")
    (d / "reviews.csv").write_text("CHILD,DOB,REVIEW,REVIEW_CODE\n")
    (d / "notes.txt").write_text("kept beside the extract by the data team\n")
    return d


def test_a_date_that_does_not_exist_is_named_as_such(cli, tmp_path: Path):
    result = cli("run", _extract(tmp_path), "--as-of", "2025-02-30", "--no-report")
    assert result.exit_code == 2
    assert "2025-02-30 is not a date: there is no such day" in result.output
    assert "give a date as YYYY-MM-DD" in cli("run", tmp_path / "extract", "--as-of", "30/02/2025").output


def test_an_as_of_date_in_the_future_is_refused_unless_allowed(cli, tmp_path: Path):
    d = _extract(tmp_path)
    later = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    refused = cli("run", d, "--as-of", later, "--no-report", "--no-quality", "--select", "REV-01")
    assert refused.exit_code == 2 and "is after today" in refused.output and "--allow-future" in refused.output
    allowed = cli("run", d, "--as-of", later, "--allow-future", "--no-report", "--no-quality", "--select", "REV-01")
    assert allowed.exit_code == 0, allowed.output


def test_counts_read_as_english_and_ignored_files_are_mentioned(cli, tmp_path: Path):
    """One child whose first review never happened: one exception in one rule, not '1 exceptions'."""
    result = cli("run", _extract(tmp_path), "--as-of", "2025-03-31", "--no-report", "--no-quality",
                 "--select", "REV-01")
    assert result.exit_code == 0, result.output
    assert "1 exception in 1 rule (" in result.output
    assert "2 rows read" in result.output and "0 cells emptied" in result.output
    assert "0 items due in the next 28 days" in result.output
    assert "ignored notes.txt: not a CSV, XLSX or Parquet file" in result.output


def test_verbose_shows_the_tools_own_lines_not_the_libraries(tmp_path: Path):
    d = _extract(tmp_path)
    run = subprocess.run([sys.executable, "-m", "careplan_checks.cli", "-v", "run", str(d), "--as-of", "2025-03-31",
                          "--no-report", "--select", "REV-01"], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert any(line.startswith("INFO careplan_checks") for line in lines), run.stderr
    assert not [line for line in lines if line.startswith(("INFO", "DEBUG")) and "careplan_checks" not in line]
