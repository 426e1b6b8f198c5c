"""One night as a function: read → load → check completeness → validate → evaluate → report → history.

The order is what makes a night trustworthy. Everything that can refuse the night
(unreadable files, dates in the wrong format, a missing or cut-off table, too
many rejected rows) is decided before the history or the report folder is
touched. The night's results and its report are then written together: the
report into a temporary folder, inside the history's transaction, which commits
only once the report is complete; the report is moved into place after. So a
night that is refused, fails or is interrupted leaves the history's exceptions
and the previous report exactly as they were, and is itself recorded as
refused, failed or interrupted.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from . import interrupt, local_files
from .completeness import NightLimits, refuse_if_incomplete
from .errors import InputError, Problem
from .rules import DUE_WITHIN_DAYS

log = logging.getLogger(__name__)


@dataclass
class NightOptions:
    """Everything a night's run can be told; the command line builds one of these."""

    extract_dir: Path
    as_of: dt.date
    db: Path | None = None
    rules_dir: Path | None = None
    select: list[str] | None = None
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    period: str | None = None
    holidays: Path | None = None
    term_dates: Path | None = None  # local school terms (EDU-01), CSV TERM_START,TERM_END,NAME
    quality: bool = True
    out: Path | None = None
    suppress_small: int | None = None
    targets: Path | None = None
    shared_output: bool = False
    wait: float = 300
    limits: NightLimits = field(default_factory=NightLimits)
    due_within: int = DUE_WITHIN_DAYS  # days ahead the due-soon list looks
    pack: str = "all"  # compliance | dfe903 | all
    pack_dir: Path | None = None  # the DfE 903 validation rules (default: rules/dfe903)
    previous: Path | None = None  # last year's 903 return (default: the extract's prev/ folder, if it has one)


class ExceptionItem(NamedTuple):
    """One exception found tonight, with the child's team and social worker at the as-of date."""

    rule_id: str
    child: str
    event_date: dt.date
    event_key: str | None
    due_date: dt.date | None
    done_date: dt.date | None
    days_overdue: int
    detail: str
    team: str | None
    worker_id: str | None
    fingerprint: str


@dataclass
class Night:
    """What a night produced, for the command line (or any caller) to print."""

    run_id: int
    as_of: dt.date
    load: Any  # load.LoadReport
    findings: list[tuple]
    results: list[Any]  # engine.RuleResult
    written: dict[str, Path]
    due_soon: list[Any] = field(default_factory=list)  # reports.due_soon.DueItem, sorted by due date
    exceptions: list[ExceptionItem] = field(default_factory=list)  # tonight's, by rule, child and date
    validation: list[Any] = field(default_factory=list)  # validation.ValidationResult, one per DfE code
    validation_year: str | None = None  # the collection year the 903 pack checked
    validation_errors: list[tuple] = field(default_factory=list)  # tonight's (CODE, CHILD, TABLE_NAME, LINE)


def read_targets(path: Path | None) -> dict[str, float]:
    """A local targets file: CSV with RULE_ID,TARGET (0-1, or a percentage)."""
    if path is None:
        return {}
    out = {}
    for i, row in local_files.rows(path, "targets"):
        try:
            value = float(row.get("TARGET", "").rstrip("%"))
        except ValueError:
            raise InputError(Problem(path.name, "TARGET is not a number", line=i, column="TARGET")) from None
        out[row.get("RULE_ID", "")] = value / 100 if value > 1 else value
    return out


def code_year(period: tuple[dt.date, dt.date]) -> str:
    """The collection year whose DfE code lists a run's period is checked against: the year its end
    falls in, or the nearest supported year for a period before or after them."""
    from .codes import SUPPORTED_YEARS, collection_year_of

    year = collection_year_of(period[1])
    return min(max(year, SUPPORTED_YEARS[0]), SUPPORTED_YEARS[-1])  # labels sort as years do


def run_night(opts: NightOptions, progress: Callable[[str], None] = lambda _m: None) -> Night:
    """Run one night: the function the command line calls, and the one to call from a scheduler
    (Airflow, Dagster) or a notebook.

    ``opts`` says where the extract is, the as-of date and everything else the command line can set
    (``NightOptions``). The result is a ``Night``: per-rule results (``engine.RuleResult``: status,
    population, exceptions, rate), tonight's exceptions and the items due soon (typed rows with the
    child's team and worker), the data-quality findings, the load report and the output files written.
    Raises ``InputError`` (the night refused: exit 2), ``interrupt.Interrupted`` (130/143) or any other
    exception (failed); each is recorded in the history when it has one. Signals are handled only when
    called from the main thread. ``progress`` receives one line per stage."""
    from . import history

    started = dt.datetime.now()
    phase = ["input"]  # bad input up to the completeness checks refuses the night; later, it fails
    with interrupt.handled():
        try:
            return _run(opts, started, progress, phase)
        except BaseException as e:
            stopped = interrupt.as_interrupted(e)
            if stopped is not None:
                history.record_outcome(opts.db, "interrupted", opts.as_of, started, f"stopped by {stopped}")
                raise stopped from None
            if isinstance(e, InputError):
                history.record_outcome(opts.db, "refused" if phase[0] == "input" else "failed", opts.as_of, started,
                                       "; ".join(str(p) for p in e.problems))
            else:
                history.record_outcome(opts.db, "failed", opts.as_of, started,
                                       f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}")
            raise


def _run(opts: NightOptions, started: dt.datetime, progress: Callable[[str], None], phase: list[str]) -> Night:
    worker = None
    if opts.quality and "great_expectations" not in sys.modules:
        # Importing Great Expectations takes seconds of Python work: in a process of its own, started now,
        # it imports beside the load and checks beside the rules (``quality_worker``). A process that has
        # imported it already (a scheduler's, a notebook's) checks in process, before the rules: quicker
        # than copying the tables, and the same findings.
        from .quality_worker import QualityWorker

        worker = QualityWorker().start()
    workbook = None
    if opts.out is not None:  # xlsxwriter's cell-by-cell Python, beside the other outputs (``workbook_worker``)
        from .reports.workbook_worker import WorkbookWorker

        workbook = WorkbookWorker().start()
    try:
        return _run_with(opts, started, progress, phase, worker, workbook)
    finally:
        for helper in (worker, workbook):
            if helper is not None:
                helper.close()


def _run_with(opts: NightOptions, started: dt.datetime, progress: Callable[[str], None], phase: list[str],
              worker: Any, workbook: Any) -> Night:
    from . import history
    from .engine import collection_year, default_period, evaluate, future_findings, prepare_database, results_connection
    from .load import load_extract
    from .reports import due_soon
    from .rules import DEFAULT_RULES_DIR, load_rules, select_rules
    from .validation_rules import DEFAULT_PACK_DIR, current_year, load_pack, select_codes

    if opts.pack not in ("compliance", "dfe903", "all"):
        raise InputError(Problem("--pack", "must be compliance, dfe903 or all"))
    targets = read_targets(opts.targets)
    pack = load_rules(opts.rules_dir or DEFAULT_RULES_DIR) if opts.pack != "dfe903" else []
    unknown = sorted(set(targets) - {r.id for r in pack})
    if unknown:
        raise InputError(Problem(opts.targets.name if opts.targets else "--targets",
                                 f"names no rule of the pack: {', '.join(unknown)}"))
    codes = load_pack(opts.pack_dir or DEFAULT_PACK_DIR) if opts.pack != "compliance" else []
    compliance_ids = [s for s in opts.select or [] if not s.startswith("903-")]
    code_ids = [s for s in opts.select or [] if s.startswith("903-")]
    if opts.select:  # --select names rules of either pack; a pack none of them is in runs nothing
        pack = select_rules(pack, compliance_ids) if compliance_ids else []
        codes = select_codes(codes, code_ids) if code_ids else []
    window = collection_year(opts.period) if opts.period else default_period(opts.as_of)
    year = opts.period or current_year(opts.as_of)
    previous = opts.previous if opts.previous is not None else opts.extract_dir / "prev"
    if opts.previous is not None and not opts.previous.is_dir():
        raise InputError(Problem(str(opts.previous), "is not a folder (last year's 903 return, for --previous)"))
    if opts.out is not None:
        from .reports import check_writable

        check_writable(opts.out)
    progress(f"loading {opts.extract_dir}")
    con, report = load_extract(opts.extract_dir, None)  # the extract stays in memory; --db is the history
    interrupt.watch(con)
    last_year: list[str] = []
    if codes and previous.is_dir():
        from .validation import load_previous

        progress(f"loading last year's return from {previous}")
        last_year = load_previous(con, previous)
    try:
        refuse_if_incomplete(opts.extract_dir, report, history.last_good_night(opts.db, opts.wait), opts.limits)
        phase[0] = "run"
        present = {f.table for f in report.files} | set(last_year)
        findings: list[tuple] = []
        if worker is not None:
            progress("checking data quality (beside the rules)")
            worker.submit(con, present, code_year(window))
        elif opts.quality:
            from .quality import validate as run_quality

            progress("checking data quality")
            findings = [r for r in run_quality(con, present, year=code_year(window)) if not r[4]]
        prepare_database(con, opts.holidays, opts.term_dates)
        from .validation import add_validation_tables, evaluate_validation

        add_validation_tables(con)
        progress(f"running {len(pack)} rules")
        absent_columns = {f.table: f.columns_absent for f in report.files if f.columns_absent}
        results = evaluate(con, pack, opts.as_of, window, present, opts.params,  # external access off from here
                           due_within=opts.due_within, absent_columns=absent_columns)
        checked_codes = []
        if codes:
            progress(f"running {len(codes)} DfE 903 validation rules for {year}")
            checked_codes = evaluate_validation(con, codes, year, present, opts.as_of)
        from .quality import store_findings

        future = future_findings(con)
        if future:
            store_findings(con, future)
            findings += future
        locked, con = con, results_connection(con)  # the history and the report are written from a fresh one
        locked.close()
        interrupt.watch(con)
        if worker is not None:  # the checks' findings are added inside the history's transaction
            from .quality import results_table

            results_table(con, temporary=True)
        history.attach(con, opts.db, opts.wait)
        staged = None
        try:
            con.execute("BEGIN")
            run_id = history.record_run(con, results, opts.as_of, window, started, sorted(opts.limits.allow_missing))
            from .validation_history import record_validation

            record_validation(con, run_id, checked_codes, opts.as_of, year if codes else None)
            errors = con.execute(f"""SELECT CODE, CHILD, TABLE_NAME, LINE FROM {history.STORE}.validation_errors
                WHERE RUN_ID = ? AND CHECKED ORDER BY CODE, CHILD, TABLE_NAME, LINE NULLS FIRST""", [run_id]).fetchall()
            due_soon.build(con, run_id, opts.due_within)
            due_items = due_soon.items(con)
            found = [ExceptionItem(*row) for row in con.execute(f"""  -- as recorded, with team and worker
                SELECT RULE_ID, CHILD, EVENT_DATE, EVENT_KEY, DUE_DATE, DONE_DATE, DAYS_OVERDUE, DETAIL, TEAM,
                       WORKER_ID, FINGERPRINT
                FROM {history.STORE}.exceptions WHERE RUN_ID = ? AND CHECKED
                ORDER BY RULE_ID, CHILD, EVENT_DATE, EVENT_KEY NULLS FIRST""", [run_id]).fetchall()]
            def collect_findings() -> None:
                """Only the report's page needs the checks' findings: the history and the report's other files
                are written while the worker finishes."""
                if worker is None:
                    return
                progress("waiting for the data-quality checks")
                checked = worker.result()
                store_findings(con, checked)  # beside the findings on future dates the rules' connection handed over
                findings[:0] = [r for r in checked if not r[4]]

            if opts.out is not None:
                from .reports import stage_reports

                progress(f"writing the report to {opts.out}")
                staged = stage_reports(con, run_id, opts.out, opts.suppress_small, targets, opts.shared_output,
                                       workbook, collect_findings)  # which calls collect_findings before the page
            else:
                collect_findings()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            if staged is not None:
                staged.discard()
            raise
        finally:
            history.detach(con)
        written = staged.publish() if staged is not None else {}
    finally:
        con.close()
    return Night(run_id, opts.as_of, report, findings, results, written, due_items, found, checked_codes,
                 year if codes else None, errors)
