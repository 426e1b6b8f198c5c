"""The ``careplan-checks`` command line: parse, call, print.

Exit status: 0 ran (and nothing at or above ``--fail-on``); 1 exceptions at or
above ``--fail-on``; 2 bad input, an incomplete night, a bad rule file or bad
usage; 3 a rule errored or an internal error; 130 stopped by Ctrl-C, 143 by
SIGTERM. Results go to stdout, logs and
errors to stderr. Heavy libraries (Great Expectations) are imported inside the
commands that need them, so ``--help`` answers at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import InputError, Problem, safe_message

log = logging.getLogger("careplan_checks")

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn InputError into a clear message and exit 2, and a signal into 130/143: never a traceback."""
    from .interrupt import Interrupted

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as e:
            for p in e.problems:
                click.echo(f"error: {p}", err=True)
            sys.exit(2)
        except (Interrupted, KeyboardInterrupt) as e:
            code = e.exit_code if isinstance(e, Interrupted) else 130
            click.echo("interrupted: nothing was changed (the history and the previous report are as they were)",
                       err=True)
            sys.exit(code)
        except click.ClickException:
            raise
        except BrokenPipeError:  # the reader went away (| head): not an error of ours or of the input
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as e:  # a fault of ours, not of the input: say so, briefly, and exit 3
            log.debug("internal error", exc_info=True)
            import duckdb  # here, on the way out, so that the command line starts without it

            if isinstance(e, duckdb.OutOfMemoryException):  # the machine's limit, not a fault
                click.echo("error: the run needed more memory than this machine has, even writing to disk in a "
                           "private temporary folder: free memory or disk space, or run it on a larger machine "
                           "(nothing was changed)", err=True)
                sys.exit(3)
            click.echo(f"internal error: {type(e).__name__}: {safe_message(str(e))} (nothing was changed; "
                       "run with -vv for the details)", err=True)
            sys.exit(3)

    return wrapper


def _date(_ctx: Any, _param: Any, value: str | None) -> dt.date | None:
    if value is None:
        return None
    import re

    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if not m:
        raise click.BadParameter("give a date as YYYY-MM-DD")
    try:
        return dt.date(*(int(g) for g in m.groups()))
    except ValueError:
        raise click.BadParameter(f"{value.strip()} is not a date: there is no such day") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="careplan-checks")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv for debugging).")
def main(verbose: int) -> None:
    """Check looked-after children's care plans against NICE/SCIE guidance and the
    statutory timescales, and list exactly which children's plans fall short."""
    level = logging.WARNING - 10 * verbose
    # -v and -vv are for this tool's own lines; other libraries (Great Expectations above all) keep to
    # warnings, so that their internal bookkeeping does not bury ours.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("careplan_checks").setLevel(max(level, logging.DEBUG))


# ------------------------------------------------------------------ extract


@main.command()
@click.argument("extract_dir", type=click.Path(path_type=Path))
@click.option("--db", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Load into this DuckDB file (default: in memory only).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def validate(extract_dir: Path, db: Path | None, fmt: str) -> None:
    """Read, guard, load and quality-check an extract; print the load summary and findings.

    Exit 0 when the extract loads (rejected rows are listed), 2 when a file cannot be
    read or the extract carries direct identifiers.
    """
    from .load import load_extract
    from .quality import validate as run_quality

    con, report = load_extract(extract_dir, db)
    findings = run_quality(con, {f.table for f in report.files})
    rejected = con.execute("SELECT FILE, LINE, COLUMN_NAME, REASON, ACTION FROM rejected_rows "
                           "ORDER BY FILE, LINE, COLUMN_NAME, REASON LIMIT 50").fetchall()
    if fmt == "json":
        click.echo(json.dumps({
            "files": [vars(f) for f in report.files],
            "ignored": [{"file": n, "reason": r} for n, r in report.ignored],
            "absent_tables": report.absent_tables,
            "quality": [dict(zip(("table", "check", "column", "description", "success", "rows", "unexpected",
                                  "error"), r, strict=True)) for r in findings],
        }, indent=2, default=str))
        return
    click.echo(format_load_summary(report))
    if rejected:
        click.echo("\nRows dropped and cells emptied (first 50; all are in the rejected_rows table):")
        for file, line, column, reason, action in rejected:
            click.echo(f"  {file}, line {line}" + (f", column {column}" if column else "") + f": {reason} ({action})")
    bad = [r for r in findings if not r[4]]
    click.echo(f"\nData quality: {len(findings)} checks, {len(bad)} findings")
    for table, _check, column, description, _ok, _n, unexpected, error in bad:
        what = error or f"{unexpected} row(s) do not meet it"
        click.echo(f"  {table}.{column or '*'}: {description}: {what}")


def format_load_summary(report: Any) -> str:
    lines = [f"{'file':<32} {'table':<26} {'read':>9} {'loaded':>9} {'dropped':>9} {'emptied':>9}"]
    for f in report.files:
        lines.append(f"{f.file:<32} {f.table:<26} {f.rows_read:>9} {f.rows_loaded:>9} {f.rows_rejected:>9} "
                     f"{f.cells_emptied:>9}")
    lines.append(f"{'total':<59} {report.rows_read:>9} {report.rows_read - report.rows_rejected:>9} "
                 f"{report.rows_rejected:>9} {report.cells_emptied:>9}")
    for name, reason in report.ignored:
        lines.append(f"ignored {name}: {reason}")
    if report.absent_tables:
        lines.append(f"absent tables: {', '.join(report.absent_tables)}")
    return "\n".join(lines)


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--children", type=click.IntRange(1), default=200, show_default=True, metavar="N")
@click.option("--seed", type=int, default=1, show_default=True, metavar="N")
@click.option("--as-of", callback=_date, default="2025-03-31", show_default=True, metavar="DATE",
              help="The date the extract is taken (YYYY-MM-DD).")
@click.option("--years", type=click.IntRange(1, 20), default=5, show_default=True, help="Years of history.")
@click.option("--ssd", "ssd_dir", type=click.Path(path_type=Path, file_okay=False), default=None, metavar="DIR",
              help="Also write the same children as Standard Safeguarding Dataset tables (ssd_*.csv) to DIR.")
@click.option("--seed-903", "seed_903", is_flag=True,
              help="Seed one violation of each DfE 903 validation code of the as-of date's collection year into "
                   "the sample, each in its own child; seeded_903.csv says which.")
@handle_errors
def sample(out_dir: Path, children: int, seed: int, as_of: dt.date, years: int, ssd_dir: Path | None,
           seed_903: bool) -> None:
    """Write a realistic, contract-valid sample extract (deterministic for a seed), with last year's 903
    return in its prev/ folder."""
    from .sample import generate

    counts = generate(out_dir, children=children, seed=seed, as_of=as_of, years=years, ssd=ssd_dir)
    click.echo(f"wrote {sum(counts.values())} rows in {len(counts)} tables to {out_dir}")
    if seed_903:
        from .sample.seeded import SEEDED_KEY, SeedError, seed_violations
        from .validation_rules import current_year

        try:
            given = seed_violations(out_dir, current_year(as_of))
        except SeedError as e:
            raise InputError(Problem("--seed-903", str(e))) from None
        click.echo(f"seeded one violation of each of {len(given)} DfE codes ({current_year(as_of)}); "
                   f"{out_dir / SEEDED_KEY} lists them")
    if ssd_dir is not None:
        click.echo(f"wrote the same children as SSD tables to {ssd_dir}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("docs"), show_default=True, metavar="DIR")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Rules folder.")
@handle_errors
def docs(out: Path, rules_dir: Path | None) -> None:
    """Write the reference documents generated from the code (contract.md, rules.md, dfe903.md)."""
    from .docs import contract_markdown, rules_reference, validation_reference
    from .rules import DEFAULT_RULES_DIR
    from .validation_rules import DEFAULT_PACK_DIR

    out.mkdir(parents=True, exist_ok=True)
    (out / "contract.md").write_text(contract_markdown(), encoding="utf-8")
    (out / "rules.md").write_text(rules_reference(rules_dir or DEFAULT_RULES_DIR), encoding="utf-8")
    (out / "dfe903.md").write_text(validation_reference(DEFAULT_PACK_DIR), encoding="utf-8")
    click.echo(f"wrote {out / 'contract.md'}, {out / 'rules.md'} and {out / 'dfe903.md'}")


# -------------------------------------------------------------------- rules

_rules_option = click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
                             help="Folder of rule files (default: the built-in rule pack).")


@main.group()
def rules() -> None:
    """The rule pack: list, show, test and document the rules."""


_pack_option = click.option("--pack", type=click.Choice(["compliance", "dfe903"]), default="compliance",
                            show_default=True, help="The compliance rules, or the DfE SSDA903 validation rules.")
_pack_dir_option = click.option("--903-rules", "pack_dir", type=click.Path(path_type=Path), default=None,
                                metavar="DIR", help="Folder of 903 validation rules (default: the built-in pack).")


@rules.command("list")
@_rules_option
@_pack_option
@_pack_dir_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@handle_errors
def rules_list(rules_dir: Path | None, pack: str, pack_dir: Path | None, fmt: str) -> None:
    """Id, severity, area and title of every rule; with --pack dfe903, each DfE code, its years and message."""
    if pack == "dfe903":
        from .validation_rules import DEFAULT_PACK_DIR, load_pack

        codes = load_pack(pack_dir or DEFAULT_PACK_DIR)
        if fmt == "json":
            click.echo(json.dumps([{"code": r.code, "applies_from": r.applies_from, "applies_until": r.applies_until,
                                    "tables": r.tables, "fields": r.fields, "message": r.message}
                                   for r in codes], indent=2))
        elif fmt == "markdown":
            click.echo("| code | years | tables | fields | message |\n|---|---|---|---|---|")
            for r in codes:
                click.echo(f"| {r.code} | {r.years} | {', '.join(r.tables)} | {', '.join(r.fields)} | {r.message} |")
        else:
            for r in codes:
                click.echo(f"{r.code:<10} {r.years:<20} {r.message}")
        return
    from .rules import DEFAULT_RULES_DIR, load_rules

    pack = load_rules(rules_dir or DEFAULT_RULES_DIR)
    if fmt == "json":
        click.echo(json.dumps([{"id": r.id, "severity": r.severity, "area": r.area, "title": r.title}
                               for r in pack], indent=2))
    elif fmt == "markdown":
        click.echo("| rule | severity | area | title |\n|---|---|---|---|")
        for r in pack:
            click.echo(f"| {r.id} | {r.severity} | {r.area} | {r.title} |")
    else:
        for r in pack:
            click.echo(f"{r.id:<10} {r.severity:<9} {r.area:<14} {r.title}")


@rules.command("show")
@click.argument("rule_id")
@_rules_option
@_pack_dir_option
@handle_errors
def rules_show(rule_id: str, rules_dir: Path | None, pack_dir: Path | None) -> None:
    """The rule's file, as written (a DfE code as 903-<code>)."""
    from .rules import DEFAULT_RULES_DIR, load_rules

    if rule_id.startswith("903-"):
        from .validation_rules import DEFAULT_PACK_DIR, load_pack

        rule = load_pack(pack_dir or DEFAULT_PACK_DIR, [rule_id])[0]
    else:
        rule = load_rules(rules_dir or DEFAULT_RULES_DIR, [rule_id])[0]
    click.echo(rule.path.read_text(encoding="utf-8") if rule.path else rule.model_dump_json(indent=2))


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@_rules_option
@_pack_dir_option
@click.option("--pack", type=click.Choice(["compliance", "dfe903", "all"]), default="all", show_default=True,
              help="Which pack's cases to run.")
@handle_errors
def rules_test(rule_ids: tuple[str, ...], rules_dir: Path | None, pack_dir: Path | None, pack: str) -> None:
    """Run the rules' inline test cases with pytest; the exit status is pytest's. RULE_IDS may name
    compliance rules and DfE codes (903-<code>)."""
    import os

    import pytest

    from .rules import DEFAULT_RULES_DIR, load_rules
    from .validation_rules import DEFAULT_PACK_DIR, load_pack

    codes = [r for r in rule_ids if r.startswith("903-")]
    ids = [r for r in rule_ids if not r.startswith("903-")]
    if rule_ids and not ids:
        pack = "dfe903"
    elif rule_ids and not codes:
        pack = "compliance"
    folder = (rules_dir or DEFAULT_RULES_DIR).resolve()
    codes_folder = (pack_dir or DEFAULT_PACK_DIR).resolve()
    if pack != "dfe903":
        load_rules(folder, ids or None)  # report bad files and unknown ids as usual
    if pack != "compliance":
        load_pack(codes_folder, codes or None)
    os.environ["CAREPLAN_RULES_DIR"] = str(folder) if pack != "dfe903" else "off"
    os.environ["CAREPLAN_RULES_SELECT"] = ",".join(ids)
    os.environ["CAREPLAN_903_DIR"] = str(codes_folder) if pack != "compliance" else "off"
    os.environ["CAREPLAN_903_SELECT"] = ",".join(codes)
    tests = Path(__file__).with_name("rule_tests.py")  # the cases are collected, with these settings, by pytest
    target = {"all": str(tests), "compliance": f"{tests}::test_rule_case", "dfe903": f"{tests}::test_validation_case"}
    sys.exit(int(pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", str(folder), target[pack]])))


@rules.command("docs")
@_rules_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("docs/rules.md"), show_default=True,
              metavar="FILE")
@handle_errors
def rules_docs(rules_dir: Path | None, out: Path) -> None:
    """Write the rule reference (docs/rules.md) from the rule files."""
    from .docs import rules_reference
    from .rules import DEFAULT_RULES_DIR

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(rules_reference(rules_dir or DEFAULT_RULES_DIR), encoding="utf-8")
    click.echo(f"wrote {out}")


# ---------------------------------------------------------------------- run

SEVERITIES = ("critical", "high", "medium", "low")


def _params(values: tuple[str, ...]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for v in values:
        key, sep, value = v.partition("=")
        rule, dot, name = key.partition(".")
        if not (sep and dot and rule and name):
            raise click.BadParameter(f"'{v}' should be RULE.NAME=VALUE", param_hint="--param")
        out.setdefault(rule, {})[name] = value
    return out


def _progress(message: str) -> None:
    """Progress for a person at a terminal; nothing in a pipe or a scheduler's log."""
    if sys.stderr.isatty():
        click.echo(message, err=True)


def _tables(value: str | None) -> frozenset[str]:
    from .contract import TABLES

    names = frozenset(t.strip().lower() for t in (value or "").split(",") if t.strip())
    unknown = sorted(names - {t.name for t in TABLES})
    if unknown:
        raise click.BadParameter(f"no table called {', '.join(unknown)}", param_hint="--allow-missing")
    return names


def _run(extract_dir: Path, as_of: dt.date, db: Path | None, rules_dir: Path | None, select: str | None,
         params: tuple[str, ...], period: str | None, fail_on: str | None, fmt: str, holidays: Path | None,
         term_dates: Path | None = None, quality: bool = True, out: Path | None = None,
         suppress_small: int | None = None,
         targets: Path | None = None, shared_output: bool = False, wait: float = 300,
         allow_missing: str | None = None, max_row_drop: float = 20, max_rejected: float = 10,
         due_within: int = 28, pack: str = "all", pack_dir: Path | None = None, previous: Path | None = None) -> None:
    from .completeness import NightLimits
    from .pipeline import NightOptions, run_night
    from .rules import SEVERITY_ORDER

    opts = NightOptions(
        extract_dir=extract_dir, as_of=as_of, db=db, rules_dir=rules_dir,
        select=select.split(",") if select else None, params=_params(params), period=period, holidays=holidays,
        term_dates=term_dates, quality=quality, out=out, suppress_small=suppress_small, targets=targets,
        shared_output=shared_output,
        wait=wait, limits=NightLimits(max_row_drop=max_row_drop / 100, max_rejected=max_rejected / 100,
                                      allow_missing=_tables(allow_missing)),
        due_within=due_within, pack=pack, pack_dir=pack_dir, previous=previous)
    night = run_night(opts, _progress)
    report, results, findings, written = night.load, night.results, night.findings, night.written
    if fmt == "json":
        click.echo(json.dumps({
            "run_id": night.run_id, "as_of": as_of.isoformat(),
            "rows_read": report.rows_read, "rows_dropped": report.rows_rejected, "cells_emptied": report.cells_emptied,
            "quality_findings": len(findings), "due_within_days": due_within, "due_soon": len(night.due_soon),
            "rules": [{"id": r.rule.id, "severity": r.rule.severity, "status": r.status, "message": r.message,
                       "population": r.population, "exceptions": r.exceptions, "rate": r.rate} for r in results],
            "validation_year": night.validation_year,
            "validation": [{"code": v.rule.code, "status": v.status, "message": v.message, "errors": v.errors}
                           for v in night.validation],
            "outputs": {name: str(path) for name, path in written.items()},
        }, indent=2))
    else:
        click.echo(f"as of {as_of}: {plural(report.rows_read, 'row')} read, {report.rows_rejected} dropped, "
                   f"{plural(report.cells_emptied, 'cell')} emptied, "
                   f"{plural(len(findings), 'data-quality finding')}")
        for name, reason in report.ignored:
            click.echo(f"ignored {name}: {reason}")
        if results or not night.validation:  # a night of the 903 pack alone has no compliance lines
            click.echo(f"{'rule':<10} {'severity':<9} {'population':>10} {'exceptions':>10} {'rate':>7}  title")
            for r in results:
                if r.status == "ran":
                    click.echo(f"{r.rule.id:<10} {r.rule.severity:<9} {r.population:>10} {r.exceptions:>10} "
                               f"{format_rate(r.rate, r.exceptions):>7}  {r.rule.title}")
                else:
                    click.echo(f"{r.rule.id:<10} {r.rule.severity:<9} {r.status}: {r.message}")
            total = sum(r.exceptions for r in results)
            click.echo(f"{plural(total, 'exception')} in {plural(sum(r.status == 'ran' for r in results), 'rule')} "
                       f"({sum(r.status == 'not run' for r in results)} not run, "
                       f"{sum(r.status == 'errored' for r in results)} errored)")
            click.echo(f"{plural(len(night.due_soon), 'item')} due in the next {plural(due_within, 'day')} "
                       "(not yet done)")
        if night.validation:
            v = night.validation
            failing = [x for x in v if x.status == "ran" and x.errors]
            click.echo(f"903 validation ({night.validation_year}): {plural(sum(x.errors for x in v), 'error')} under "
                       f"{plural(len(failing), 'code')} of {sum(x.status == 'ran' for x in v)} run "
                       f"({sum(x.status == 'not run' for x in v)} not run, "
                       f"{sum(x.status == 'errored' for x in v)} errored)")
        if out is not None:
            click.echo(f"report written to {out}/report.html ({len(written)} files)")
    errored = [r.rule.id for r in results if r.status == "errored"]
    errored += [v.rule.id for v in night.validation if v.status == "errored"]
    if errored:
        click.echo(f"error: {plural(len(errored), 'rule')} errored: {', '.join(errored)}; the other rules ran and are "
                   "reported", err=True)
        sys.exit(3)  # never hidden behind 0 or 1
    if fail_on:
        limit = SEVERITY_ORDER[fail_on]
        if any(r.exceptions and SEVERITY_ORDER[r.rule.severity] >= limit for r in results):
            sys.exit(1)


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 exception', '2 exceptions': a count with its noun."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


def format_rate(rate: float | None, exceptions: int = 0) -> str:
    """A compliance rate to one decimal, never rounded to 100.0 % while there are exceptions
    (or to 0.0 % while some items comply)."""
    if rate is None:
        return "—"
    text = f"{rate:.1%}"
    if exceptions and text == "100.0%":
        return ">99.9%"
    if rate > 0 and text == "0.0%":
        return "<0.1%"
    return text


def _run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--db", type=click.Path(path_type=Path), default=None, metavar="FILE",
                     help="History database: runs, exceptions and reviews across nights (default: none, in memory)."),
        click.option("--wait", type=click.FloatRange(0), default=300, show_default=True, metavar="SECONDS",
                     help="Seconds to wait while another run is writing to the history database."),
        _rules_option,
        click.option("--select", default=None, metavar="ID,...", help="Only these rules: ID,ID,..."),
        click.option("--param", "params", multiple=True, metavar="RULE.NAME=VALUE",
                     help="Override a rule parameter: RULE.NAME=VALUE."),
        click.option("--period", default=None, metavar="YEAR", help="A DfE collection year such as 2024-25 "
                     "(default: the 12 months ending on the as-of date)."),
        click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
                     help="Exit 1 if a rule at or above this severity has exceptions."),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True),
        click.option("--holidays", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
                     help="CSV of local bank-holiday changes: DATE,ACTION(add|remove),NAME."),
        click.option("--term-dates", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
                     help="CSV of local school terms: TERM_START,TERM_END,NAME (each replaces the default terms "
                          "it overlaps; EDU-01 checks a PEP each term)."),
        click.option("--no-quality", is_flag=True, help="Skip the data-quality checks."),
        click.option("--out", type=click.Path(path_type=Path), default=Path("careplan-report"), show_default=True,
                     metavar="DIR",
                     help="Folder for the exception lists, summaries, HTML report and manifest."),
        click.option("--no-report", is_flag=True, help="Print the summary only; write no files."),
        click.option("--suppress-small", type=click.IntRange(2), default=None, metavar="N",
                     help="Show counts from 1 to N-1 in the summary tables as [c] (for tables that leave the "
                          "authority)."),
        click.option("--targets", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
                     help="CSV of local compliance targets: RULE_ID,TARGET."),
        click.option("--shared-output", is_flag=True,
                     help="Make output files readable by others (default: owner only)."),
        click.option("--allow-missing", default=None, metavar="TABLE,...",
                     help="Tables the last successful night had that may be absent tonight (a deliberately "
                          "partial run); their rules are not run and their exceptions stay as they were."),
        click.option("--max-row-drop", type=click.FloatRange(0, 100), default=20, show_default=True,
                     metavar="PERCENT", help="Refuse the night if a table has this much fewer rows than on the "
                                             "last successful night."),
        click.option("--max-rejected", type=click.FloatRange(0, 100), default=10, show_default=True,
                     metavar="PERCENT", help="Refuse the night if more than this share of a table's rows is "
                                             "rejected."),
        click.option("--due-within", type=click.IntRange(0, 366), default=28, show_default=True, metavar="DAYS",
                     help="List the obligations not yet done that fall due in the next DAYS days (due soon)."),
        click.option("--pack", type=click.Choice(["all", "compliance", "dfe903"]), default="all", show_default=True,
                     help="Which rules to run: the compliance rules, the DfE SSDA903 validation rules, or both."),
        click.option("--previous", type=click.Path(path_type=Path, file_okay=False), default=None, metavar="DIR",
                     help="Last year's 903 return, for the validation rules that compare with it (default: the "
                          "extract's prev/ folder, when it has one; without either those rules are not run)."),
        _pack_dir_option,
    ]):
        fn = option(fn)
    return fn


@main.command()
@click.argument("extract_dir", type=click.Path(path_type=Path))
@click.option("--as-of", callback=_date, default=None, metavar="DATE",
              help="The date checked at (YYYY-MM-DD; default today).")
@click.option("--allow-future", is_flag=True, help="Allow an as-of date after today (a rehearsal of a later night).")
@_run_options
@handle_errors
def run(extract_dir: Path, as_of: dt.date | None, allow_future: bool, db: Path | None, rules_dir: Path | None,
        select: str | None,
        params: tuple[str, ...], period: str | None, fail_on: str | None, fmt: str, holidays: Path | None,
        term_dates: Path | None, no_quality: bool, out: Path, no_report: bool, suppress_small: int | None,
        targets: Path | None,
        shared_output: bool, wait: float, allow_missing: str | None, max_row_drop: float,
        max_rejected: float, due_within: int, pack: str, previous: Path | None, pack_dir: Path | None) -> None:
    """Load an extract, run the rules, record the night in the history, write the report; print a summary.

    A night that is not complete (no readable table, a table the last good night had is missing,
    a table cut short, too many rejected rows, dates in a wrong format) is refused with exit 2
    before the history or the report is touched.
    """
    if as_of is not None and as_of > dt.date.today() and not allow_future:
        raise click.BadParameter(f"{as_of} is after today: a night is checked at a date that has come "
                                 "(give --allow-future to rehearse a later one)", param_hint="--as-of")
    _run(extract_dir, as_of or dt.date.today(), db, rules_dir, select, params, period, fail_on, fmt, holidays,
         term_dates, not no_quality, None if no_report else out, suppress_small, targets, shared_output, wait,
         allow_missing, max_row_drop, max_rejected, due_within, pack, pack_dir, previous)


@main.command()
@_run_options
@handle_errors
def demo(db: Path | None, rules_dir: Path | None, select: str | None, params: tuple[str, ...], period: str | None,
         fail_on: str | None, fmt: str, holidays: Path | None, term_dates: Path | None, no_quality: bool, out: Path,
         no_report: bool,
         suppress_small: int | None, targets: Path | None, shared_output: bool, wait: float,
         allow_missing: str | None, max_row_drop: float, max_rejected: float, due_within: int, pack: str,
         previous: Path | None, pack_dir: Path | None) -> None:
    """Run the whole job on the built-in sample extract (as of 31 March 2025) and write the report."""
    from .sample import DEFAULT_AS_OF

    _run(SAMPLE_DIR, DEFAULT_AS_OF, db, rules_dir, select, params, period, fail_on, fmt, holidays, term_dates,
         not no_quality, None if no_report else out, suppress_small, targets, shared_output, wait, allow_missing,
         max_row_drop, max_rejected, due_within, pack, pack_dir, previous)


@main.command()
@click.argument("raw_dir", type=click.Path(path_type=Path))
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The authority's secret key (hex). Created, readable by you only, if it does not exist.")
@handle_errors
def anonymise(raw_dir: Path, out_dir: Path, key_file: Path) -> None:
    """Turn a raw 903 export into an extract the anonymisation guard accepts.

    CHILD and worker identifiers become keyed pseudonyms (the same every night with the same key),
    UPNs become UN1-UN5 or KNOWN, postcodes are cut to the district, and columns the contract does
    not know (names, addresses, notes) are dropped.
    """
    from .anonymise import anonymise as run_anonymise

    for name, rows, dropped in run_anonymise(raw_dir, out_dir, key_file):
        click.echo(f"{name}: {rows} rows" + (f"; dropped {', '.join(dropped)}" if dropped else ""))
    click.echo(f"anonymised extract written to {out_dir}")


@main.command("from-ssd")
@click.argument("source", metavar="SOURCE")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The authority's secret key (hex), the same as for anonymise. Created if it does not exist.")
@click.option("--lookups", "lookup_file", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              metavar="FILE", help="The authority's own descriptions-to-codes (YAML), added to the shipped ones.")
@click.option("--as-of", callback=_date, default=None, metavar="DATE",
              help="Keep children looked after on or before this date (YYYY-MM-DD; default today).")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Rule folder the report says can or cannot run (default: the built-in rules).")
@handle_errors
def from_ssd(source: str, out_dir: Path, key_file: Path, lookup_file: Path | None, as_of: dt.date | None,
             rules_dir: Path | None) -> None:
    """Turn the Standard Safeguarding Dataset into an extract: SOURCE is a folder of ssd_*.csv or
    ssd_*.parquet files, or a database URL (postgresql://..., mssql+pyodbc://...).

    Pseudonymised on the way with the key; the report in OUT_DIR/mapping_report says which values had
    no code, what SSD cannot supply and which rules will therefore not run.
    """
    from .ssd import REPORT_DIR
    from .ssd import from_ssd as run_from_ssd

    result = run_from_ssd(source, out_dir, key_file, lookup_file, as_of, rules_dir)
    for table, rows in result.rows.items():
        click.echo(f"{table}: {rows} rows")
    click.echo(f"kept {plural(result.cohort, 'child', 'children')} of {plural(result.people, 'person', 'people')} "
               "(looked after, or care leavers)")
    if result.unmapped:
        click.echo(f"{plural(result.unmapped, 'value')} had no code and were left empty: see "
                   f"{out_dir / REPORT_DIR / 'unmapped_values.csv'}")
    click.echo(f"extract written to {out_dir}; mapping report in {out_dir / REPORT_DIR}")


# ------------------------------------------------------------------ history

_db_required = click.option("--db", type=click.Path(path_type=Path, exists=True, dir_okay=False),
                            default=Path("careplan.duckdb"), show_default=True, metavar="FILE",
                            help="The history database.")


def _history(db: Path, wait: float = 60) -> Any:
    from . import history, spill

    con = spill.connect()
    history.attach(con, db, wait)
    return con


STATUS_LABELS = {"closed": "closed (out of period)"}


@main.command("exceptions")
@_db_required
@click.option("--status", type=click.Choice(["new", "open", "accepted", "disputed", "resolved", "closed"]),
              default=None,
              help="Only this status; 'disputed' is disputed by a QA officer (still listed); 'closed' is closed "
                   "(out of period): no longer in the reporting period, which is not the same as resolved.")
@click.option("--rule", "rule_id", default=None, metavar="ID", help="Only this rule (an unknown rule is an error).")
@click.option("--team", default=None, metavar="NAME",
              help="Only this team, in any case; '(none)' for items with no team (an unknown team is an error).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@handle_errors
def exceptions_command(db: Path, status: str | None, rule_id: str | None, team: str | None, fmt: str) -> None:
    """List the latest night's exceptions (and those it resolved or closed) with their status and
    the QA review that stands: its action, reason, reviewer and the date it was recorded.

    An exception of a rule that did not run that night keeps its status and shows the date it
    was last checked (CHECKED false).
    """

    from . import history

    con = _history(db)
    try:
        run_id = history.latest_run(con)
        names, rows = history.exception_list(con, run_id, status, rule_id, team, spreadsheet_safe=fmt == "csv")
        if not _echo_rows(names, rows, fmt):
            for r in rows:
                label = STATUS_LABELS.get(r[0], r[0]) + ("" if r[12] else f" (not checked since {r[13]})")
                click.echo(f"{label:<9} {r[1]:<9} {r[2]:<11} due {r[4]}  {r[9]}  {r[6] or '':<18} {r[10]}")
                if r[14]:
                    until = f" until {r[17]}" if r[17] else ""
                    click.echo(f"{'':<9} {r[14]} by {r[15]} on {r[16]}{until}: {r[11]}")
            click.echo(plural(len(rows), "exception"))
    finally:
        con.close()  # also on an error: the history file must not stay attached in this process


def _echo_rows(names: list[str] | tuple[str, ...], rows: list[tuple], fmt: str) -> bool:
    """Print a listing's rows as JSON or CSV; False for ``text``, which each listing lays out itself."""
    import csv

    if fmt == "json":
        click.echo(json.dumps([dict(zip(names, r, strict=True)) for r in rows], default=str, indent=2))
    elif fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(names)
        w.writerows(rows)
    else:
        return False
    return True


@main.command("validation")
@_db_required
@click.option("--status", type=click.Choice(["new", "open", "resolved"]), default=None, help="Only this status.")
@click.option("--code", default=None, metavar="CODE", help="Only this DfE code (103 or 903-103).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@handle_errors
def validation_command(db: Path, status: str | None, code: str | None, fmt: str) -> None:
    """List the latest night's DfE 903 validation errors (and those it resolved) with their status,
    table, line and fields, and the child's team and worker. An error of a code that did not run that
    night keeps its status and shows the date it was last checked (CHECKED false)."""

    from . import history
    from .validation_history import LIST_COLUMNS, build_report_tables

    con = _history(db)
    try:
        run_id = history.latest_run(con)
        build_report_tables(con, run_id)
        wanted = code.removeprefix("903-") if code else None
        if wanted is not None and not con.execute("SELECT count(*) FROM validation_results WHERE CODE = ?",
                                                  [wanted]).fetchone()[0]:
            raise InputError(Problem("--code", f"no DfE code {code!r} in the history"))
        rows = con.execute(f"""SELECT {', '.join(LIST_COLUMNS)} FROM report_validation
            WHERE (? IS NULL OR STATUS = ?) AND (? IS NULL OR CODE = ?)""", [status, status, wanted, wanted]).fetchall()
        if not _echo_rows(LIST_COLUMNS, rows, fmt):
            for r in rows:
                label = r[0] + ("" if r[10] else f" (not checked since {r[11]})")
                click.echo(f"{label:<9} {r[1]:<10} {r[4]:<11} {r[3]} line {r[5] if r[5] is not None else '-'}"
                           f" ({r[6]})  {r[7] or '':<18} {r[2]}")
            click.echo(plural(len(rows), "validation error"))
    finally:
        con.close()


@main.command()
@click.argument("fingerprint", required=False)
@_db_required
@click.option("--action", type=click.Choice(["accepted", "disputed", "note"]), default=None)
@click.option("--reason", default=None, metavar="TEXT", help="Why: kept with the review.")
@click.option("--by", "reviewer", required=True, metavar="NAME", help="Who is reviewing.")
@click.option("--until", callback=_date, default=None, metavar="DATE",
              help="An accepted review stands until this date.")
@click.option("--from-xlsx", "workbook", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Import the REVIEW_ACTION and REVIEW_REASON columns a QA officer filled in exceptions.xlsx.")
@handle_errors
def review(fingerprint: str | None, db: Path, action: str | None, reason: str | None, reviewer: str,
           until: dt.date | None, workbook: Path | None) -> None:
    """Record a QA review of an exception (append-only: every review is kept with who and when).

    An accepted exception is shown as accepted, not hidden, until the --until date passes or
    its facts (due date, detail) change.
    """
    from . import history

    items: list[tuple[str, str, str]] = []
    if workbook is not None:
        items = _reviews_from_workbook(workbook)
    elif fingerprint and action and reason:
        items = [(fingerprint, action, reason)]
    else:
        raise click.UsageError("give FINGERPRINT --action --reason, or --from-xlsx FILE")
    con = _history(db)
    con.execute("BEGIN")
    try:
        recorded = sum(history.add_review(con, fp, act, why, reviewer, until, same_until=workbook is None)
                       for fp, act, why in items)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    unchanged = len(items) - recorded
    click.echo(f"recorded {recorded} review(s)" + (f"; {unchanged} already recorded, unchanged" if unchanged else ""))


def _reviews_from_workbook(path: Path) -> list[tuple[str, str, str]]:
    import openpyxl

    from .history import ACTIONS

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise InputError(Problem(path.name, "is not a readable XLSX workbook")) from None
    items = []
    for ws in wb.worksheets[1:]:
        rows = ws.iter_rows(values_only=True)
        header = [str(h or "") for h in next(rows, ())]
        if not {"FINGERPRINT", "REVIEW_ACTION", "REVIEW_REASON"} <= set(header):
            continue
        fp, act, why = (header.index(c) for c in ("FINGERPRINT", "REVIEW_ACTION", "REVIEW_REASON"))
        for line, row in enumerate(rows, start=2):
            action = str(row[act] or "").strip().lower() if act < len(row) else ""
            if not action:
                continue
            if action not in ACTIONS:
                raise InputError(Problem(path.name, f"sheet {ws.title}: REVIEW_ACTION must be one of "
                                         f"{', '.join(ACTIONS)}", line=line, column="REVIEW_ACTION"))
            reason = str(row[why] or "").strip() if why < len(row) else ""
            if not reason:
                raise InputError(Problem(path.name, f"sheet {ws.title}: a review needs a REVIEW_REASON",
                                         line=line, column="REVIEW_REASON"))
            if len(reason) > 1 and reason[0] == "'" and reason[1] in "=+-@":
                reason = reason[1:]  # the quote the workbook put before a formula-like reason
            items.append((str(row[fp]), action, reason))
    wb.close()
    return items


@main.command("history")
@_db_required
@click.option("--rule", "rule_id", default=None, metavar="ID", help="Only this rule.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def history_command(db: Path, rule_id: str | None, fmt: str) -> None:
    """Runs recorded in the history, and each rule's compliance across the nights with run-chart signals.

    Every started run is listed (succeeded, partial, refused, failed, interrupted, superseded);
    a rule's rate is shown to one decimal, with a gap (—) on a night the rule did not run.
    """
    from . import history
    from .reports.trend import series, signals

    con = _history(db)
    runs = con.execute("""SELECT r.RUN_ID, r.AS_OF, r.STATUS, r.STARTED, r.EXCEPTIONS, r.MESSAGE,
            count(rr.RULE_ID) FILTER (WHERE rr.STATUS <> 'ran') AS NOT_RUN, count(rr.RULE_ID) AS RULES
        FROM runs r LEFT JOIN rule_results rr USING (RUN_ID) GROUP BY ALL ORDER BY r.RUN_ID""").fetchall()
    trend = series(con, history.latest_run(con)) if any(r[2] == "succeeded" for r in runs) else {}
    if rule_id:
        trend = {k: v for k, v in trend.items() if k == rule_id}
    if fmt == "json":
        click.echo(json.dumps({"runs": [dict(zip(("run_id", "as_of", "status", "started", "exceptions", "message",
                                                  "rules_not_run", "rules"), r, strict=True)) for r in runs],
                               "trend": {k: [{"as_of": p.as_of, "rate": p.rate, "ran": p.ran} for p in pts]
                                         for k, pts in trend.items()},
                               "signals": {k: signals([p.rate for p in pts if p.rate is not None])
                                           for k, pts in trend.items()}},
                              default=str, indent=2))
        return
    for r in runs:
        status = f"partial ({r[6]} of {r[7]} rules not run)" if r[2] == "succeeded" and r[6] else r[2]
        counted = f"{r[4]:>6} exceptions" if r[4] is not None else ""
        click.echo(f"run {r[0]:>4}  as of {r[1]}  {status:<11} {counted}" + (f"  ({r[5]})" if r[5] else ""))
    for rule, points in trend.items():
        rates = " ".join(f"{format_rate(p.rate, p.exceptions) if p.ran else '—':>6}" for p in points)
        found = ", ".join(signals([p.rate for p in points if p.rate is not None])) or "no signal"
        click.echo(f"{rule:<10} {rates}  [{found}]")


@main.command("verify-manifest")
@click.argument("report_dir", type=click.Path(path_type=Path))
@handle_errors
def verify_manifest(report_dir: Path) -> None:
    """Recompute the SHA-256 of every output in a report folder and compare with its manifest.

    Exit 0 when every file is as the run wrote it, 1 when any differs or is missing.
    """
    from .reports.manifest import verify

    bad = verify(report_dir)
    for line in bad:
        click.echo(f"changed: {line}")
    if bad:
        sys.exit(1)
    click.echo(f"all outputs in {report_dir} match {report_dir / 'manifest.json'}")


def entry_point() -> None:
    """Console entry point: the command's exit status, after every connection is closed and the
    output flushed by the ordinary interpreter exit."""
    main(standalone_mode=True)


if __name__ == "__main__":
    entry_point()
