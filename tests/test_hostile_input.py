"""Hostile and broken input: every case ends in a clear message or a correct load, never a traceback."""

from __future__ import annotations

import shutil
import string
import time
from pathlib import Path

import pytest
import yaml
from conftest import HEADER, SAMPLE, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplan_checks.errors import InputError
from careplan_checks.load import load_extract

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = yaml.safe_load((CORPUS / "expected.yml").read_text())


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_malformed_file_corpus(case: str, cli):
    want = EXPECTED[case]
    result = cli("validate", CORPUS / case)
    assert result.exit_code == want["exit"], result.output
    assert "Traceback" not in result.output
    if "message" in want:
        assert want["message"] in result.output
    if "rows" in want:
        line = next(x for x in result.output.splitlines() if x.startswith("header.csv"))
        assert [int(n) for n in line.split()[-4:-1]] == want["rows"]  # read, loaded, dropped (then cells emptied)


def test_formula_cells_are_loaded_as_text(tmp_path: Path):
    con, _ = load_extract(CORPUS / "formulas")
    assert [r[0] for r in con.execute("SELECT CHILD FROM header ORDER BY _LINE").fetchall()] == ["=1+1", "+C2"]


def test_quotes_and_newlines_inside_fields(tmp_path: Path):
    con, _ = load_extract(CORPUS / "quotes_and_newlines")
    assert con.execute("SELECT CHILD FROM header ORDER BY _LINE").fetchall() == [('C"1',), ("C2",)]


def test_a_huge_field_is_rejected_not_fatal(tmp_path: Path):
    write_csv(tmp_path / "header.csv", HEADER + "C1,1,01/02/2010,WBRI,UN1,," + "x" * (5 << 20) + "\n"
              "C2,1,01/02/2010,WBRI,UN1,,\n")
    con, report = load_extract(tmp_path)
    assert (report.files[0].rows_read, report.files[0].rows_loaded, report.files[0].rows_rejected) == (2, 1, 1)
    assert con.execute("SELECT REASON FROM rejected_rows").fetchone()[0] == "the row is longer than 4 MB"


def test_thousands_of_columns(tmp_path: Path):
    extra = [f"X{i}" for i in range(3000)]
    write_csv(tmp_path / "header.csv", "CHILD,SEX,DOB," + ",".join(extra) + "\n"
              + "C1,1,01/02/2010," + ",".join("v" for _ in extra) + "\n")
    start = time.monotonic()
    con, report = load_extract(tmp_path)
    assert report.files[0].rows_loaded == 1
    assert time.monotonic() - start < 120, "a wide file must not hang"
    assert [c[0] for c in con.execute("DESCRIBE header").fetchall()][:3] == ["CHILD", "SEX", "DOB"]


def test_truncated_parquet_is_a_clear_error(tmp_path: Path, cli):
    import duckdb

    duckdb.execute(f"COPY (SELECT * FROM read_csv('{SAMPLE / 'episodes.csv'}', all_varchar=true)) "
                   f"TO '{tmp_path / 'episodes.parquet'}' (FORMAT parquet)")
    data = (tmp_path / "episodes.parquet").read_bytes()
    (tmp_path / "episodes.parquet").write_bytes(data[: len(data) // 2])
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "episodes.parquet: the file is not a readable Parquet file" in result.output


CELL = st.text(alphabet=string.printable + "éß€\u00a0", max_size=12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=9), max_size=8))
def test_any_text_loads_or_fails_clearly(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("prop")
    body = "\n".join(",".join(r) for r in rows)
    (folder / "header.csv").write_text(HEADER + body, encoding="utf-8")
    try:
        _, report = load_extract(folder)
    except InputError as e:
        assert all(p.file for p in e.problems)
        return
    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_rejected


def test_rejected_values_never_reach_output_or_logs(extract: Path, tmp_path: Path, cli):
    secret = "ZZSECRETZZ"
    with (extract / "visits.csv").open("a") as f:
        f.write(f"C01000001,{secret},Y,Y\nC01000001,2024-01-01,{secret},N\n")
    out = tmp_path / "report"
    result = cli("-vv", "run", extract, "--as-of", "2025-03-31", "--out", out, "--no-quality")
    assert result.exit_code == 0
    assert secret not in result.output
    for f in out.iterdir():
        assert secret.encode() not in f.read_bytes(), f.name
    assert "visits.csv" in (out / "rejected_rows.csv").read_text()


def test_lock_left_by_a_dead_process_does_not_block(tmp_path: Path):
    import signal
    import subprocess
    import sys

    db = tmp_path / "h.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "c.execute('CREATE TABLE t AS SELECT 1'); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    night = tmp_path / "x"
    shutil.copytree(SAMPLE, night)
    done = subprocess.run([sys.executable, "-c", "from careplan_checks.cli import entry_point; entry_point()", "run",
                           str(night), "--as-of", "2025-03-31", "--db", str(db), "--no-quality", "--no-report",
                           "--wait", "5"], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("header", ["NOTE'S", 'NOTE"X', "A,B", "x); DROP TABLE header; --"])
def test_a_header_is_data_not_sql(tmp_path: Path, header: str):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["CHILD", "SEX", "DOB", header], ["C1", "F", "01/06/2014", "x"]])
    (tmp_path / "header.csv").write_text(buf.getvalue())
    con, report = load_extract(tmp_path)
    assert report.rows_read == 1 and report.rows_rejected == 0
    assert con.execute("SELECT CHILD, SEX FROM header").fetchall() == [("C1", "F")]
