"""The files QA officers and auditors open, written from a run's results.

Every file is written into a temporary folder beside the output folder and
moved into place only when all of them are complete, so a crash never leaves a
half-written report, and the manifest last, so it always describes what is there.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .. import __version__
from ..errors import InputError, Problem
from . import due_soon, files, manifest, tables

if TYPE_CHECKING:
    from .workbook_worker import WorkbookWorker

log = logging.getLogger(__name__)

#: Most exceptions shown in the HTML page (the CSV and workbook have them all).
HTML_ROWS = 5_000

OUTPUTS = ("exceptions.csv", "exceptions.json", "exceptions.xlsx", "due_soon.csv", "summary.csv", "summary.xlsx",
           "summary.parquet", "rejected_rows.csv", "report.html", "validation.csv", "validation_summary.csv")


@dataclass
class StagedReport:
    """A complete report written into a temporary folder beside ``out``, waiting to be published."""

    out: Path
    tmp: Path
    names: list[str]
    shared: bool

    def publish(self) -> dict[str, Path]:
        """Move every file into ``out`` (the manifest last, so it always describes what is there)."""
        try:
            for name in self.names:
                if not self.shared:
                    os.chmod(self.tmp / name, 0o600)
                os.replace(self.tmp / name, self.out / name)
        except OSError as e:
            raise InputError(Problem(str(self.out), f"the report could not be moved into place ({e.strerror})")) \
                from None
        finally:
            self.discard()
        return {name: self.out / name for name in self.names}

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def check_writable(out: Path) -> None:
    """Fail early, before any work, when the output folder cannot be made or written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent)).rmdir()
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise InputError(Problem(str(out), f"the output folder cannot be written ({e.strerror})")) from None


def stage_reports(con: duckdb.DuckDBPyConnection, run_id: int, out: Path, suppress_small: int | None = None,
                  targets: dict[str, float] | None = None, shared: bool = False,
                  workbook: WorkbookWorker | None = None,
                  findings: Callable[[], None] | None = None) -> StagedReport:
    """Write every output for ``run_id`` into a temporary folder beside ``out``.

    Nothing in ``out`` changes until ``publish``: the pipeline commits the night to the history
    between the two, so a report that cannot be written leaves no night behind, and a night
    that is not committed leaves the previous report in place. ``workbook``, a started
    ``WorkbookWorker``, writes the exceptions workbook beside the other outputs; ``findings``, when given,
    is called before anything reads ``quality_results`` (the data-quality checks may still be running).
    """
    check_writable(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        tables.build(con, run_id, targets)
        written = _write_all(con, run_id, tmp, suppress_small, workbook, findings)
        man = manifest.build(con, run_id, written)
        (tmp / manifest.MANIFEST).write_text(json.dumps(man, indent=2), encoding="utf-8")
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(Problem(str(out), f"the report could not be written ({e.strerror}); "
                                 "the previous report is unchanged")) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return StagedReport(out, tmp, [*written, manifest.MANIFEST], shared)


def write_reports(con: duckdb.DuckDBPyConnection, run_id: int, out: Path, suppress_small: int | None = None,
                  targets: dict[str, float] | None = None, shared: bool = False) -> dict[str, Path]:
    """Write every output for ``run_id`` into ``out``; return their final paths."""
    return stage_reports(con, run_id, out, suppress_small, targets, shared).publish()


def _write_all(con: duckdb.DuckDBPyConnection, run_id: int, tmp: Path, suppress_small: int | None,
               workbook: WorkbookWorker | None = None, findings: Callable[[], None] | None = None,
               ) -> dict[str, Path]:
    cols = ", ".join(tables.EXCEPTION_COLUMNS)
    review = ", ".join(tables.REVIEW_COLUMNS)
    paths = {name: tmp / name for name in OUTPUTS}
    due_within = due_soon.ensure(con)
    if workbook is not None:
        workbook.submit(con, paths["exceptions.xlsx"])
    else:
        files.exceptions_workbook(con, paths["exceptions.xlsx"])
    files.copy(con, due_soon.DUE_SOON_QUERY, paths["due_soon.csv"], "csv")
    files.copy(con, f"SELECT {cols}, {review} FROM report_exceptions", paths["exceptions.csv"], "csv")
    files.copy(con, f"SELECT {cols}, FIRST_SEEN, {review} FROM report_exceptions", paths["exceptions.json"], "json")
    summary = tables.suppressed_summary(suppress_small) if suppress_small and suppress_small > 1 \
        else "SELECT * FROM report_summary"
    files.copy(con, summary, paths["summary.csv"], "csv")
    files.copy(con, summary, paths["summary.parquet"], "parquet")
    files.summary_workbook(con, summary, paths["summary.xlsx"])
    files.copy(con, "SELECT FILE, LINE, COLUMN_NAME AS COLUMN, REASON, ACTION FROM rejected_rows "
                    "ORDER BY FILE, LINE, COLUMN_NAME, REASON", paths["rejected_rows.csv"], "csv")
    from ..validation_history import LIST_COLUMNS, SUMMARY_COLUMNS

    files.copy(con, f"SELECT {', '.join(LIST_COLUMNS)} FROM report_validation", paths["validation.csv"], "csv")
    files.copy(con, f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM report_validation_summary",
               paths["validation_summary.csv"], "csv")
    if findings is not None:
        findings()
    paths["report.html"].write_text(render_html(con, run_id, due_within), encoding="utf-8")
    if workbook is not None:
        workbook.wait()
    return paths


def _records(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> list[dict]:
    cur = con.execute(query, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def render_html(con: duckdb.DuckDBPyConnection, run_id: int, due_within: int | None = None) -> str:
    """The report page; ``due_within``: the days the due-soon list looked ahead (None: no such list)."""
    import jinja2

    from .trend import trend_svg

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(resources.files(__package__).joinpath("report.html.j2").read_text(encoding="utf-8"))
    run = _records(con, "SELECT RUN_ID AS run_id, AS_OF AS as_of, PERIOD_START AS period_start, "
                        "PERIOD_END AS period_end FROM runs WHERE RUN_ID = ?", [run_id])[0]
    # Furthest from target first: red, amber, green, then rules without a rate; ties by rule id.
    rules = _records(con, "SELECT r.*, rag(r.RATE, r.TARGET) AS RAG FROM report_rules r ORDER BY "
                          "CASE RAG WHEN 'red' THEN 1 WHEN 'amber' THEN 2 WHEN 'green' THEN 3 ELSE 4 END, r.RULE_ID")
    exceptions = _records(con, f"SELECT * FROM report_exceptions LIMIT {HTML_ROWS}")
    total = con.execute("SELECT count(*) FROM report_exceptions").fetchone()[0]
    has_quality = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'quality_results'"
                              ).fetchone()[0]
    findings = _records(con, "SELECT * FROM quality_results WHERE NOT SUCCESS ORDER BY TABLE_NAME, CHECK_NAME") \
        if has_quality else []
    load = con.execute("SELECT coalesce(sum(ROWS_READ), 0), coalesce(sum(ROWS_LOADED), 0), "
                       "coalesce(sum(ROWS_REJECTED), 0), coalesce(sum(CELLS_EMPTIED), 0) FROM load_files").fetchone()

    def distinct(col: str, none: bool = False) -> list[tuple[str, int]]:
        """Each value of ``col`` in the list with its count; with ``none``, a last choice "(none)"
        for the rows without a value, when there are any (the page's filter matches it)."""
        values = con.execute(f"SELECT {col}, count(*) FROM report_exceptions WHERE nullif(trim({col}), '') IS NOT "
                             f"NULL GROUP BY 1 ORDER BY 1").fetchall()
        missing = con.execute(f"SELECT count(*) FROM report_exceptions WHERE nullif(trim({col}), '') IS NULL"
                              ).fetchone()[0]
        return [*values, *([("(none)", missing)] if none and missing else [])]

    closed = _records(con, f"SELECT * FROM report_closed LIMIT {HTML_ROWS}")
    counts = dict(con.execute("SELECT STATUS, count(*) FROM report_closed GROUP BY STATUS").fetchall())
    unchecked = con.execute("SELECT count(*) FROM report_exceptions WHERE NOT CHECKED").fetchone()[0]
    statuses = dict(con.execute("SELECT STATUS, count(*) FROM report_exceptions GROUP BY STATUS").fetchall())
    due = _records(con, f"{due_soon.DUE_SOON_QUERY} LIMIT {HTML_ROWS}")
    codes = _records(con, "SELECT * FROM report_validation_summary")
    validation = _records(con, f"SELECT * FROM report_validation WHERE STATUS <> 'resolved' LIMIT {HTML_ROWS}")
    validation_total = con.execute("SELECT count(*) FROM report_validation WHERE STATUS <> 'resolved'").fetchone()[0]
    year = con.execute("SELECT max(COLLECTION_YEAR) FROM validation_results WHERE RUN_ID = ?", [run_id]).fetchone()[0]
    due_total = con.execute("SELECT count(*) FROM report_due_soon").fetchone()[0]
    return template.render(
        due=due, due_total=due_total, due_within=due_within,
        codes=codes, validation=validation, validation_total=validation_total, validation_year=year,
        validation_counts={"ran": sum(c["STATUS"] == "ran" for c in codes),
                           "failing": sum(c["STATUS"] == "ran" and c["ERRORS"] > 0 for c in codes),
                           "not_run": sum(c["STATUS"] != "ran" for c in codes),
                           "resolved": sum(c["RESOLVED"] for c in codes)},
        closed=closed, closed_truncated=sum(counts.values()) > len(closed), unchecked=unchecked,
        closed_counts={"resolved": counts.get("resolved", 0), "closed": counts.get("closed", 0)},
        run=run, version=__version__, rules=rules, not_run=[r for r in rules if r["STATUS"] != "ran"],
        totals={"exceptions": total - unchecked, "listed": total, "ran": sum(r["STATUS"] == "ran" for r in rules),
                "not_run": sum(r["STATUS"] == "not run" for r in rules),
                "errored": sum(r["STATUS"] == "errored" for r in rules)},
        findings=findings, load={"read": load[0], "loaded": load[1], "rejected": load[2], "emptied": load[3]},
        exceptions=exceptions, shown=len(exceptions), truncated=total > len(exceptions),
        filters=[("rule", "Rule", distinct("RULE_ID")), ("team", "Team", distinct("TEAM", none=True)),
                 ("worker", "Worker", distinct("WORKER_ID", none=True)), ("status", "Status", distinct("STATUS")),
                 ("severity", "Severity", distinct("SEVERITY"))],
        columns=[("RULE_ID", "Rule", False), ("SEVERITY", "Severity", False), ("CHILD", "Child", False),
                 ("EVENT_DATE", "Event date", False), ("DUE_DATE", "Due date", False),
                 ("DAYS_OVERDUE", "Days overdue", True), ("DETAIL", "Detail", False), ("TEAM", "Team", False),
                 ("WORKER_ID", "Worker", False), ("STATUS", "Status", False), ("REVIEW", "QA review", False)],
        reviewed={"disputed": statuses.get("disputed", 0), "accepted": statuses.get("accepted", 0)},
        trend=trend_svg(con, run_id, {r["RULE_ID"]: r["TARGET"] for r in rules}),
    )
