"""Turn the Standard Safeguarding Dataset (SSD) into a careplan-checks extract.

Data to Insight's SSD is a script an authority runs in its own reporting database (SystemC/Liquidlogic
and Mosaic on SQL Server, OLM Eclipse on PostgreSQL); it builds ``ssd_*`` tables holding what the
case-management system records. ``from_ssd`` reads them (``source``), maps them to the contract in
DuckDB SQL (``mapping.sql``, one mapping whatever the source), pseudonymises on the way with the
authority's key (as ``anonymise`` does), and writes an extract ``run`` reads as usual, with a mapping
report beside it (``mapping_report/``): the descriptions with no code, what SSD could not supply, and
which rules will therefore not run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .. import spill
from ..anonymise import install_pseudonym, read_key
from ..contract import TABLES_BY_NAME
from ..errors import InputError, Problem, literal
from . import coverage, lookups, report
from .source import Staged, stage

log = logging.getLogger(__name__)

MAPPING_SQL = Path(__file__).with_name("mapping.sql")
REPORT_DIR = "mapping_report"
WRITTEN = "written.txt"  # in REPORT_DIR: the files from-ssd wrote, the only ones it replaces next time
#: Columns written only when the source holds a real value in some row (SystemC's SDQ reason is
#: always the placeholder SSD_PH: an empty column would make every child without a score look late).
ONLY_WHEN_SUPPLIED = {("oc2", "SDQ_REASON")}


@dataclass
class SsdResult:
    """What ``from_ssd`` wrote: rows per contract table, and what the report found."""

    out: Path
    staged: Staged
    rows: dict[str, int] = field(default_factory=dict)
    columns_absent: dict[str, list[str]] = field(default_factory=dict)
    unmapped: int = 0  # distinct (table, column, value) with no code
    people: int = 0
    cohort: int = 0


def from_ssd(source: str | Path, out: Path, key_file: Path, lookup_file: Path | None = None,
             as_of: dt.date | None = None, rules_dir: Path | None = None) -> SsdResult:
    """Read SSD from ``source`` (a folder or a database URL) and write the extract to ``out``.

    Nothing is written until the whole mapping has worked: the files are made in a temporary folder
    beside ``out`` and moved into place at the end, so a failure leaves ``out`` as it was.
    """
    as_of = as_of or dt.date.today()
    _check_out(out, source)
    key = read_key(key_file)
    con = spill.connect()  # the source's rows are not yet pseudonymised: spill only to a private folder
    try:
        staged = stage(con, source)
        lookups.install(con, lookup_file)
        install_pseudonym(con, key)
        _run_mapping(con, as_of)
        clash = con.execute("SELECT count(*) - count(DISTINCT CHILD) FROM ssd_people").fetchone()[0]
        if clash:
            raise InputError(Problem("ssd_person", "two people received the same pseudonym: use a new key"))
        result = SsdResult(out, staged)
        result.people = staged.rows.get("ssd_person", 0)
        result.cohort = con.execute("SELECT count(*) FROM ssd_people").fetchone()[0]
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".from-ssd-", dir=out.parent))
        try:
            _write_tables(con, work, result)
            result.unmapped = report.write(con, work / REPORT_DIR, result, rules_dir)
            (work / REPORT_DIR / WRITTEN).write_text(
                "".join(f"{name}.csv\n" for name in result.rows), encoding="utf-8")
            _replace(work, out)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        con.close()
    return result


def _check_out(out: Path, source: str | Path) -> None:
    """``out`` must be new, empty, or an extract this command wrote before (it has a mapping report)."""
    if not isinstance(source, str) or "://" not in source:
        src, dst = Path(source).resolve(), out.resolve()
        if dst == src or src in dst.parents:
            raise InputError(Problem(str(out), "refusing to write into the SSD folder: choose another"))
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / REPORT_DIR).is_dir())):
        raise InputError(Problem(str(out), "exists and was not written by from-ssd: give a new or empty folder"))


def _run_mapping(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    sql = MAPPING_SQL.read_text(encoding="utf-8").replace("$as_of", f"DATE {literal(as_of.isoformat())}")
    try:
        con.execute(sql)
    except duckdb.Error as e:  # a fault in the mapping, not in the data: say where, not the cell
        raise RuntimeError(f"the SSD mapping failed: {type(e).__name__}") from e


def _write_tables(con: duckdb.DuckDBPyConnection, folder: Path, result: SsdResult) -> None:
    for name in coverage.WRITTEN_TABLES:
        table = TABLES_BY_NAME[name]
        have = {d[0] for d in con.execute(f"SELECT * FROM ssd_out_{name} LIMIT 0").description}
        cols = [c.name for c in table.columns if c.name in have and coverage.source_of(name, c.name)]
        for t, c in ONLY_WHEN_SUPPLIED:
            if t == name and c in cols and not con.execute(
                    f'SELECT count("{c}") FROM ssd_out_{name}').fetchone()[0]:
                cols.remove(c)
        target = folder / f"{name}.csv"
        select = ", ".join(f'"{c}"' for c in cols)
        con.execute(f"COPY (SELECT {select} FROM ssd_out_{name}) TO {literal(str(target))} (FORMAT csv, HEADER)")
        os.chmod(target, 0o600)
        result.rows[name] = con.execute(f"SELECT count(*) FROM ssd_out_{name}").fetchone()[0]
        absent = [c.name for c in table.columns if c.name not in cols]
        if absent:
            result.columns_absent[name] = absent


def _replace(work: Path, out: Path) -> None:
    """Move the new extract into ``out``. Only the files from-ssd wrote last time are replaced: a supplement
    table the authority put beside them (``peps.csv``, say, for what SSD cannot supply) is kept."""
    out.mkdir(parents=True, exist_ok=True)
    previous = out / REPORT_DIR / WRITTEN
    if previous.exists():
        for name in previous.read_text(encoding="utf-8").split():
            if (out / name).is_file() and name not in {p.name for p in work.iterdir()}:
                (out / name).unlink()
    if (out / REPORT_DIR).exists():
        shutil.rmtree(out / REPORT_DIR)
    for new in work.iterdir():
        os.replace(new, out / new.name)


__all__ = ["REPORT_DIR", "SsdResult", "from_ssd"]
