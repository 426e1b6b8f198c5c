"""Reports: every output written, consistent with the run and with each other."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import SAMPLE, header_rule

from careplan_checks.reports.tables import EXCEPTION_COLUMNS, REVIEW_COLUMNS


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, Path, dict]:
    from click.testing import CliRunner

    from careplan_checks.cli import main

    base = tmp_path_factory.mktemp("demo")
    out, db = base / "report", base / "careplan.duckdb"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--db", str(db), "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, db, json.loads(result.output)


def test_demo_writes_every_output_owner_only(demo_run):
    out, _, summary = demo_run
    names = {"exceptions.csv", "exceptions.json", "exceptions.xlsx", "due_soon.csv", "summary.csv", "summary.xlsx",
             "summary.parquet", "report.html", "manifest.json", "rejected_rows.csv", "validation.csv",
             "validation_summary.csv"}
    assert {p.name for p in out.iterdir()} == names
    for p in out.iterdir():
        assert p.stat().st_mode & 0o777 == 0o600, p.name
    assert set(summary["outputs"]) == names
    assert not list(out.parent.glob(".report-*")), "no temporary folder left behind"


def test_exception_list_agrees_with_the_run_everywhere(demo_run):
    out, db, summary = demo_run
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("SELECT count(*) FROM exceptions WHERE RUN_ID = ?", [summary["run_id"]]).fetchone()[0]
    stdout_total = sum(r["exceptions"] for r in summary["rules"])
    with (out / "exceptions.csv").open(newline="") as f:
        reader = csv.reader(f)
        # the review columns came later: appended, so every earlier column keeps its place
        assert tuple(next(reader)) == (*EXCEPTION_COLUMNS, *REVIEW_COLUMNS)
        rows = list(reader)
    as_json = json.loads((out / "exceptions.json").read_text())
    wb = openpyxl.load_workbook(out / "exceptions.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["Summary", "Due soon"]
    # one sheet per rule, then the DfE 903 validation's own two sheets
    per_sheet = {name: wb[name].max_row - 1 for name in wb.sheetnames[2:] if not name.startswith("903 ")}
    summary_rows = list(wb["Summary"].iter_rows(min_row=2, values_only=True))
    parquet = con.execute(f"SELECT sum(EXCEPTIONS::BIGINT), sum(POPULATION::BIGINT) FROM "
                          f"read_parquet('{out / 'summary.parquet'}') WHERE LEVEL = 'rule'").fetchone()
    assert stored == stdout_total == len(rows) == len(as_json) == sum(per_sheet.values()) == parquet[0] > 0
    assert parquet[1] == sum(r["population"] for r in summary["rules"])
    assert sum(r[5] for r in summary_rows) == stored
    for rule in summary["rules"]:
        assert per_sheet.get(rule["id"], 0) == rule["exceptions"]
    # team and month breakdowns add up to the rule totals
    by_level = dict(con.execute(f"SELECT LEVEL, sum(EXCEPTIONS) FROM read_parquet('{out / 'summary.parquet'}') "
                                "GROUP BY LEVEL").fetchall())
    assert by_level == {"rule": stored, "team": stored, "month": stored}
    assert {r[10] for r in rows} == {"new"}  # the first run: everything is new


def test_workbook_is_readable(demo_run):
    out, _, _ = demo_run
    wb = openpyxl.load_workbook(out / "exceptions.xlsx")
    ws = wb[wb.sheetnames[2]]  # the first rule's sheet
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["H"].width >= 40  # DETAIL is readable


def test_suppress_small_replaces_small_counts(tmp_path: Path, cli):
    result = cli("demo", "--out", tmp_path, "--no-quality", "--suppress-small", "5")
    assert result.exit_code == 0
    with (tmp_path / "summary.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    small = [r for r in rows if r["EXCEPTIONS"] == "[c]"]
    assert small and all(r["RATE"] == "[c]" and r["RAG"] == "[c]" for r in small)
    for r in rows:
        for col in ("POPULATION", "EXCEPTIONS"):
            assert r[col] == "[c]" or r[col] == "0" or int(r[col]) >= 5


def test_verify_manifest_detects_a_changed_file(tmp_path: Path, cli):
    out = tmp_path / "r"
    assert cli("demo", "--out", out, "--no-quality").exit_code == 0
    assert cli("verify-manifest", out).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert {i["file"] for i in manifest["inputs"]} >= {"episodes.csv", "header.csv"}
    assert all(len(r["sha256"]) == 64 for r in manifest["rules"])
    with (out / "exceptions.csv").open("a") as f:
        f.write("tampered\n")
    result = cli("verify-manifest", out)
    assert result.exit_code == 1 and "exceptions.csv: changed since the run" in result.output


def test_failed_write_leaves_the_previous_report_intact(tmp_path: Path, cli, monkeypatch):
    out = tmp_path / "r"
    assert cli("demo", "--out", out, "--no-quality").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    from careplan_checks.reports import files

    def broken(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "summary_workbook", broken)
    result = cli("demo", "--out", out, "--no-quality")
    assert result.exit_code == 2
    assert "the previous report is unchanged" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".r-*"))


FORMULA_RULE = header_rule("TEST-01", "A rule whose detail looks like a formula",
                           "SELECT CHILD, DOB AS EVENT_DATE, DOB AS DUE_DATE, '=HYPERLINK(\"x\")' AS DETAIL "
                           "FROM header WHERE CHILD < 'C0100001'")


def test_formulas_in_data_are_neutralised_in_every_csv_and_sheet(extract: Path, tmp_path: Path, cli):
    text = (extract / "allocations.csv").read_text().replace(",North,", ",=HYPERLINK(\"x\"),")
    (extract / "allocations.csv").write_text(text)
    visits = (extract / "visits.csv").read_text()
    (extract / "visits.csv").unlink()
    (extract / "+visits.csv").write_text(visits + "C01000001,2024-01-01,maybe,Y\n")  # recognised by its headers
    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules", rules)
    (rules / "TEST-01.yml").write_text(FORMULA_RULE)
    out, db = tmp_path / "r", tmp_path / "h.duckdb"
    result = cli("run", extract, "--as-of", "2025-03-31", "--out", out, "--db", db, "--no-quality", "--rules", rules)
    assert result.exit_code == 0, result.output
    seen = set()
    for name in ("exceptions.csv", "summary.csv", "rejected_rows.csv"):
        with (out / name).open(newline="") as f:
            cells = [v for row in csv.reader(f) for v in row]
        assert not [v for v in cells if v[:1] in ("=", "+", "-", "@")], name
        seen |= {v for v in cells if v.startswith("'")}
    assert {"'=HYPERLINK(\"x\")", "'+visits.csv"} <= seen, "TEAM, DETAIL and FILE were each neutralised"
    listed = cli("exceptions", "--db", db, "--format", "csv").output
    assert "'=HYPERLINK" in listed and not any(line.startswith("=") or ",=" in line for line in listed.splitlines())
    for book in ("exceptions.xlsx", "summary.xlsx"):
        wb = openpyxl.load_workbook(out / book)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                assert not any(isinstance(v, str) and v[:1] in ("=", "+", "@") for v in row), book
    assert '=HYPERLINK(&#34;x&#34;)' in (out / "report.html").read_text() or \
        "=HYPERLINK(&quot;x&quot;)" in (out / "report.html").read_text(), "the page shows the value as written"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CAREPLAN_REQUIRE_BROWSER"),
                                   reason="headless Chromium is not installed (.ci/run installs it)")


def _chromium(url: str, tmp_path: Path, *extra: str) -> str:
    assert CHROMIUM, "CAREPLAN_REQUIRE_BROWSER is set but Chromium is missing"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", *extra, url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return done.stdout


def _page_requests(netlog: Path) -> list[str]:
    """URLs that a page asked for (not Chromium's own background traffic, whose initiator
    is 'not an origin'), from a Chromium net log."""
    text = netlog.read_text()
    log = json.loads(text if text.rstrip().endswith("}") else text.rstrip().rstrip(",") + "]}")
    return [e["params"]["url"] for e in log.get("events", [])
            if "url" in e.get("params", {}) and e["params"].get("initiator", "not an origin") != "not an origin"]


@needs_browser
def test_html_report_renders_filters_and_stays_offline(demo_run, tmp_path: Path):
    out, _, summary = demo_run
    total = sum(r["exceptions"] for r in summary["rules"])
    rule = next(r for r in summary["rules"] if r["exceptions"] > 0)
    netlog = tmp_path / "net.json"
    dom = _chromium((out / "report.html").as_uri(), tmp_path, "--dump-dom", f"--log-net-log={netlog}")
    assert f'data-count="{total}"' in dom and f"Showing {total} of {total} exceptions" in dom
    assert dom.count("<tr data-rule=") >= total
    assert _page_requests(netlog) == [], "the report asked for something outside the file"
    filtered = _chromium((out / "report.html").as_uri() + f"#rule={rule['id']}", tmp_path, "--dump-dom")
    assert f"Showing {rule['exceptions']} of {total} exceptions" in filtered
    assert len(re.findall(r'<tr [^>]*\bhidden=""', filtered)) == total - rule["exceptions"]


@needs_browser
def test_the_offline_check_catches_a_page_that_makes_a_request(tmp_path: Path):
    page = tmp_path / "canary.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/pixel.png"></body></html>')
    netlog = tmp_path / "net.json"
    _chromium(page.as_uri(), tmp_path, "--dump-dom", f"--log-net-log={netlog}")
    assert "http://127.0.0.1:9/pixel.png" in _page_requests(netlog)


def test_every_summary_row_counts_its_exceptions_inside_its_population(demo_run):
    """By rule, by team and by month: an exception always belongs to its population, so no rate is
    below 0 and no row shows exceptions without a population."""
    out, _db, _summary = demo_run
    with (out / "summary.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["LEVEL"] for r in rows} == {"rule", "team", "month"}
    for r in rows:
        assert int(r["EXCEPTIONS"]) <= int(r["POPULATION"]), r
        if r["RATE"]:
            assert 0 <= float(r["RATE"]) <= 1, r


def test_the_workbook_written_beside_the_other_outputs_is_the_one_written_in_process(tmp_path: Path, cli,
                                                                                      monkeypatch):
    """A night writes the exceptions workbook in a process of its own, from a Parquet copy of the report's
    tables; every part of it is what the night writes in process, the creation time aside."""
    import zipfile

    from careplan_checks.reports import workbook_worker

    def parts(out: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(out / "exceptions.xlsx") as z:
            return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}

    args = ["--as-of", "2025-03-31", "--no-quality"]
    assert cli("run", SAMPLE, *args, "--out", tmp_path / "beside", "--db", tmp_path / "a.duckdb").exit_code in (0, 1)

    class InProcess:
        def start(self) -> None:
            return None

    monkeypatch.setattr(workbook_worker, "WorkbookWorker", InProcess)
    assert cli("run", SAMPLE, *args, "--out", tmp_path / "inline", "--db", tmp_path / "b.duckdb").exit_code in (0, 1)
    beside, inline = parts(tmp_path / "beside"), parts(tmp_path / "inline")
    assert len(beside) > 5 and any(n.startswith("xl/worksheets/") for n in beside)
    assert beside == inline
