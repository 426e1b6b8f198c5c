"""Time each stage of a full run on one extract, in this (fresh) process; print JSON.

Used by benchmarks/run.py; each stage is what ``careplan-checks run`` does, in order.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(extract: Path, mode: str) -> None:
    t0 = time.perf_counter()
    times: dict[str, float] = {}

    def lap(name: str, start: float) -> float:
        now = time.perf_counter()
        times[name] = round(now - start, 3)
        return now

    if mode == "night":
        # The real night, as `careplan-checks run` does it: data quality in its worker process beside the
        # rules. Peak memory is this process's and, separately, the largest of its helper processes' (the quality
        # worker and the workbook's).
        from careplan_checks.pipeline import NightOptions, run_night
        from careplan_checks.sample import DEFAULT_AS_OF

        start = lap("import", t0)
        tmp = Path(tempfile.mkdtemp())
        night = run_night(NightOptions(extract_dir=extract, as_of=DEFAULT_AS_OF, db=tmp / "history.duckdb",
                                       out=tmp / "report"))
        lap("night", start)
        times["total"] = round(time.perf_counter() - t0, 3)
        print(json.dumps({"times": times, "rows": night.load.rows_read,
                          "exceptions": sum(r.exceptions for r in night.results), "peak_rss_mb": _peak(),
                          "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}))
        return
    if mode == "startup":
        # Everything before the first byte of data is read, GX aside: the imports and the rule pack.
        from careplan_checks.rules import load_rules

        start = lap("import", t0)
        rules = load_rules(extract)  # here the argument is a folder of rules
        lap("read_rules", start)
        times["total"] = round(time.perf_counter() - t0, 3)
        print(json.dumps({"times": times, "rules": len(rules), "peak_rss_mb": _peak()}))
        return
    if mode == "dfe903":
        # The DfE 903 validation pack alone, as `careplan-checks run --pack dfe903` runs it: the year's
        # return cut from the extract, last year's from prev/, every code of the year.
        from careplan_checks.engine import evaluate, prepare_database
        from careplan_checks.load import load_extract
        from careplan_checks.sample import DEFAULT_AS_OF
        from careplan_checks.validation import add_validation_tables, evaluate_validation, load_previous
        from careplan_checks.validation_rules import current_year, load_pack

        start = lap("import", t0)
        pack = load_pack()
        start = lap("read_pack", start)
        con, report = load_extract(extract)
        present = {f.table for f in report.files}
        if (extract / "prev").is_dir():
            present |= set(load_previous(con, extract / "prev"))
        start = lap("load", start)
        prepare_database(con)
        add_validation_tables(con)
        evaluate(con, [], DEFAULT_AS_OF, present=present)  # the records after the as-of date set aside
        start = lap("prepare", start)
        results = evaluate_validation(con, pack, current_year(DEFAULT_AS_OF), present, DEFAULT_AS_OF)
        lap("rules", start)
        times["total"] = round(time.perf_counter() - t0, 3)
        print(json.dumps({"times": times, "rows": report.rows_read, "codes": sum(r.status == "ran" for r in results),
                          "errors": sum(r.errors for r in results), "peak_rss_mb": _peak()}))
        return
    if mode == "plain":
        import duckdb

        con = duckdb.connect(":memory:")
        start = time.perf_counter()
        rows = 0
        for f in sorted(extract.glob("*.csv")):
            if f.name == "answer_key.csv":
                continue
            con.execute(f"CREATE TABLE \"{f.stem}\" AS SELECT * FROM read_csv('{f}', header=true, all_varchar=true)")
            rows += con.execute(f'SELECT count(*) FROM "{f.stem}"').fetchone()[0]
        lap("plain_read_csv", start)
        print(json.dumps({"times": times, "rows": rows, "peak_rss_mb": _peak()}))
        return

    from careplan_checks import history
    from careplan_checks.engine import default_period, evaluate, prepare_database
    from careplan_checks.extract import read_extract
    from careplan_checks.load import _type_table, _write
    from careplan_checks.rules import load_rules
    from careplan_checks.sample import DEFAULT_AS_OF

    start = lap("import", t0)
    rules = load_rules()
    start = lap("read_rules", start)
    con, found = read_extract(extract)
    start = lap("read_and_guard", start)
    for f in found.files:
        _type_table(f, con)
    con.execute("BEGIN")
    _write(con, found, "main")
    con.execute("COMMIT")
    start = lap("load", start)
    present = {f.table.name for f in found.files}
    if mode == "full":  # the checks in this process, to see their cost; a night runs them beside the rules
        # GX's import apart from its checks: the targets count the checks alone, and the import is the same
        # few seconds whatever the extract (a night does it in the quality worker while the extract loads)
        import great_expectations  # noqa: F401  (as the quality worker imports it)

        from careplan_checks import gx_compat  # noqa: F401

        start = lap("gx_import", start)
        from careplan_checks.quality import validate

        validate(con, present)
        start = lap("quality", start)
    prepare_database(con)
    start = lap("views_and_calendar", start)
    results = evaluate(con, rules, DEFAULT_AS_OF, present=present)
    start = lap("rules", start)
    from careplan_checks.engine import results_connection

    con = results_connection(con)
    tmp = Path(tempfile.mkdtemp())
    history.attach(con, tmp / "history.duckdb")
    run_id = history.record_run(con, results, DEFAULT_AS_OF, default_period(DEFAULT_AS_OF), dt.datetime.now())
    start = lap("history", start)
    from careplan_checks.reports import write_reports

    write_reports(con, run_id, tmp / "report")
    lap("reports", start)
    times["total"] = round(time.perf_counter() - t0, 3)
    rows = sum(f.rows_read for f in found.files)
    print(json.dumps({"times": times, "rows": rows, "exceptions": sum(r.exceptions for r in results),
                      "peak_rss_mb": _peak()}))


def _peak() -> int:
    """This process's peak resident set in MB: VmHWM, which starts afresh with the process's program.
    (``getrusage``'s ru_maxrss is kept across exec, so it would report the parent's peak at the fork:
    the benchmark driver's, after it generated a large extract.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "full")
    sys.stdout.flush()
    os._exit(0)  # skip teardown: see careplan_checks.cli.entry_point
