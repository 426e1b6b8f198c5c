"""DuckDB spills only into a private folder that is removed at exit, and the load stays within its
memory budget without changing its answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from careplan_checks import load as load_mod
from careplan_checks import spill
from careplan_checks.load import load_extract

SPILLING = """
import json
from careplan_checks import load as load_mod
from careplan_checks import spill
con = spill.connect()
con.execute("SET memory_limit = '64MB'")
con.execute("SET threads = 1")
# some 150 MB of text that cannot be held in 64 MB: DuckDB has to write part of it out
con.execute("CREATE TABLE t AS SELECT md5(i::VARCHAR) AS v FROM range(3000000) r(i) ORDER BY v")
files = [r[0] for r in con.execute("SELECT path FROM duckdb_temporary_files()").fetchall()]
print(json.dumps({"folder": str(spill.folder()), "files": files, "mode": spill.folder().stat().st_mode & 0o777,
                  "rows": con.execute("SELECT count(*) FROM t").fetchone()[0]}))
"""


def test_a_connection_spills_only_into_a_private_folder_removed_at_exit(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    done = subprocess.run([sys.executable, "-c", SPILLING], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(tmp_path / "tmp")}, check=True)
    out = json.loads(done.stdout)
    assert out["rows"] == 3_000_000
    assert out["files"], "the query did not spill: the test proves nothing"
    folder = Path(out["folder"])
    assert folder.parent == tmp_path / "tmp"
    assert out["mode"] == 0o700
    assert all(Path(f).resolve().is_relative_to(folder.resolve()) for f in out["files"])
    assert not folder.exists(), "the spill folder outlived the process"
    assert not (tmp_path / ".tmp").exists(), "DuckDB spilled into the current folder"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_two_connections_never_share_a_spill_folder() -> None:
    a, b = spill.connect(), spill.connect()
    dirs = [Path(c.execute("SELECT current_setting('temp_directory')").fetchone()[0]) for c in (a, b)]
    assert dirs[0] != dirs[1]
    assert all(d.parent == spill.folder() for d in dirs)


def _header_csv(folder: Path, rows: int) -> Path:
    folder.mkdir()
    lines = ["CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"]
    lines += [f"C{i},{1 + i % 2},{1 + i % 28:02d}/{1 + i % 12:02d}/20{10 + i % 9},WBRI,UN{1 + i % 5},,"
              for i in range(rows)]
    lines[7] = "C6,1,31/02/2011,WBRI,UN1,,"  # a date of birth that is no date: the row is dropped
    lines[8] = "C7,1,01/02/2011,WBRI,UN1,,31/13/2020"  # a mother's child's date of birth that is none: emptied
    (folder / "header.csv").write_text("\n".join(lines) + "\n")
    return folder


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall()
            for t in ("header", "rejected_rows", "dropped_rows")}


@pytest.fixture
def big_header(tmp_path: Path) -> tuple[Path, dict[str, list[tuple]], str]:
    """A 300,000-row header file (10 MB), its tables loaded without a budget, and DuckDB's own limit."""
    extract = _header_csv(tmp_path / "extract", 300_000)
    con, _report = load_extract(extract)
    tables, default = _tables(con), con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.close()
    return extract, tables, default


def test_the_load_within_a_small_budget_spills_and_gives_the_same_tables(
        big_header: tuple[Path, dict[str, list[tuple]], str], monkeypatch: pytest.MonkeyPatch) -> None:
    extract, expected, default = big_header
    monkeypatch.setattr(spill, "LOAD_FLOOR_BYTES", 48 << 20)
    monkeypatch.setattr(spill, "LOAD_PER_BYTE", 0.0)
    seen = []
    write = load_mod._write

    def noted(con: duckdb.DuckDBPyConnection, *args: object) -> list[str]:
        # the text and the typed copies are both held here: more than the budget, so some are on disk
        seen.append((con.execute("SELECT current_setting('memory_limit')").fetchone()[0],
                     con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchone()[0]))
        return write(con, *args)
    monkeypatch.setattr(load_mod, "_write", noted)
    con, report = load_extract(extract)
    assert seen[0][0] == "48.0 MiB"
    assert seen[0][1] > 0, "the load did not spill: the test proves nothing"
    assert _tables(con) == expected
    assert report.files[0].rows_read == 300_000
    assert report.files[0].rows_rejected == 1 and report.files[0].cells_emptied == 1
    # the rules that follow have DuckDB's own limit back
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default


def test_a_load_that_cannot_fit_its_budget_is_loaded_again_without_it(
        big_header: tuple[Path, dict[str, list[tuple]], str], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    extract, expected, default = big_header
    monkeypatch.setattr(spill, "LOAD_FLOOR_BYTES", 4 << 20)  # too little for DuckDB to work in at all
    monkeypatch.setattr(spill, "LOAD_PER_BYTE", 0.0)
    budgets = []
    limit = spill.limit_load
    monkeypatch.setattr(spill, "limit_load", lambda con, n: (budgets.append(n), limit(con, n)))
    with caplog.at_level("WARNING", logger="careplan_checks.load"):
        con, _report = load_extract(extract)
    assert len(budgets) == 1, "the second load should have had no budget"
    assert _tables(con) == expected
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default
    assert "loading again without it" in caplog.text


def test_the_budget_grows_with_the_extract_and_never_raises_a_lower_limit() -> None:
    assert spill.load_budget(0) == spill.LOAD_FLOOR_BYTES
    assert spill.load_budget(4 << 30) == int(spill.LOAD_PER_BYTE * (4 << 30))
    con = spill.connect()
    con.execute("SET memory_limit = '100MB'")
    spill.limit_load(con, 10 << 30)
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "95.3 MiB"


def test_a_killed_run_s_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    stale = tmp / f"careplan-checks-spill-{gone}-abc"  # as a process killed outright leaves it
    (stale / "db-x").mkdir(parents=True)
    (stale / "db-x" / "duckdb_temp_block").write_text("rows")
    alive = tmp / f"careplan-checks-spill-{os.getpid()}-def"  # a run still going: kept
    alive.mkdir()
    other = tmp / "careplan-checks-spill-notapid-ghi"  # not one of ours by its name: kept
    other.mkdir()
    subprocess.run([sys.executable, "-c", "from careplan_checks import spill; spill.connect()"],
                   env={**os.environ, "TMPDIR": str(tmp)}, check=True)
    assert not stale.exists()
    assert alive.is_dir() and other.is_dir()


def test_the_helpers_copy_of_the_tables_is_inside_the_private_folder() -> None:
    from careplan_checks.quality_worker import QualityWorker

    con = spill.connect()
    con.execute("CREATE TABLE header AS SELECT 'C1' AS CHILD")
    worker = QualityWorker().start()
    try:
        worker.send(con, {"header": "SELECT * FROM header"}, {"tables_present": []})
        copy = worker._dir
        assert copy is not None and copy.parent == spill.folder()
        assert (copy / "header.parquet").is_file()
    finally:
        worker.close()
    assert not copy.exists()


def test_a_run_that_runs_out_of_memory_says_so_in_one_line(cli, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def out_of_memory(*_args: object, **_kwargs: object) -> None:
        raise duckdb.OutOfMemoryException("failed to pin block of size 256.0 KiB (1.5 GiB/1.5 GiB used)")
    monkeypatch.setattr(load_mod, "load_extract", out_of_memory)
    result = cli("validate", tmp_path)
    assert result.exit_code == 3
    assert "the run needed more memory than this machine has" in result.output
    assert "nothing was changed" in result.output and "internal error" not in result.output
