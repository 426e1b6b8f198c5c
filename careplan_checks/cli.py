"""The ``careplan-checks`` command line: parse, call, print.

Exit status: 0 ran (and nothing at or above ``--fail-on``); 1 exceptions at or
above ``--fail-on``; 2 bad input, a bad rule file or bad usage. Results go to
stdout, logs and errors to stderr. Heavy libraries (Great Expectations) are
imported inside the commands that need them, so ``--help`` answers at once.
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
from .errors import InputError

log = logging.getLogger("careplan_checks")

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn InputError into a clear message and exit 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as e:
            for p in e.problems:
                click.echo(f"error: {p}", err=True)
            sys.exit(2)

    return wrapper


def _date(_ctx: Any, _param: Any, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("give a date as YYYY-MM-DD") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="careplan-checks")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv for debugging).")
def main(verbose: int) -> None:
    """Check looked-after children's care plans against NICE/SCIE guidance and the
    statutory timescales, and list exactly which children's plans fall short."""
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("careplan_checks").setLevel(max(level, logging.DEBUG))


# ------------------------------------------------------------------ extract


@main.command()
@click.argument("extract_dir", type=click.Path(path_type=Path))
@click.option("--db", type=click.Path(path_type=Path), default=None,
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
    rejected = con.execute("SELECT FILE, LINE, COLUMN_NAME, REASON FROM rejected_rows ORDER BY FILE, LINE "
                           "LIMIT 50").fetchall()
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
        click.echo("\nRejected rows (first 50; all are in the rejected_rows table):")
        for file, line, column, reason in rejected:
            click.echo(f"  {file}, line {line}, column {column}: {reason}")
    bad = [r for r in findings if not r[4]]
    click.echo(f"\nData quality: {len(findings)} checks, {len(bad)} findings")
    for table, _check, column, description, _ok, _n, unexpected, error in bad:
        what = error or f"{unexpected} row(s) do not meet it"
        click.echo(f"  {table}.{column or '*'}: {description}: {what}")


def format_load_summary(report: Any) -> str:
    lines = [f"{'file':<32} {'table':<26} {'read':>9} {'loaded':>9} {'rejected':>9}"]
    for f in report.files:
        lines.append(f"{f.file:<32} {f.table:<26} {f.rows_read:>9} {f.rows_loaded:>9} {f.rows_rejected:>9}")
    lines.append(f"{'total':<59} {report.rows_read:>9} {report.rows_read - report.rows_rejected:>9} "
                 f"{report.rows_rejected:>9}")
    for name, reason in report.ignored:
        lines.append(f"ignored {name}: {reason}")
    if report.absent_tables:
        lines.append(f"absent tables: {', '.join(report.absent_tables)}")
    return "\n".join(lines)


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--children", type=click.IntRange(1), default=200, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--as-of", callback=_date, default="2025-03-31", show_default=True,
              help="The date the extract is taken (YYYY-MM-DD).")
@click.option("--years", type=click.IntRange(1, 20), default=5, show_default=True, help="Years of history.")
@handle_errors
def sample(out_dir: Path, children: int, seed: int, as_of: dt.date, years: int) -> None:
    """Write a realistic, contract-valid sample extract (deterministic for a seed)."""
    from .sample import generate

    counts = generate(out_dir, children=children, seed=seed, as_of=as_of, years=years)
    click.echo(f"wrote {sum(counts.values())} rows in {len(counts)} tables to {out_dir}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("docs"), show_default=True)
def docs(out: Path) -> None:
    """Write the reference documents generated from the code (contract.md)."""
    from .docs import contract_markdown

    out.mkdir(parents=True, exist_ok=True)
    (out / "contract.md").write_text(contract_markdown(), encoding="utf-8")
    click.echo(f"wrote {out / 'contract.md'}")


def run() -> None:
    """Console entry point.

    Once Great Expectations has been imported, SQLAlchemy's type caches keep DuckDB
    objects alive to the end, and DuckDB's bindings then print a "leaked instances"
    report at interpreter exit: harmless, but alarming in a nightly log. All
    connections are closed and all output flushed by then, so we leave at once.
    """
    import os

    try:
        main(standalone_mode=True)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    if "great_expectations" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)
