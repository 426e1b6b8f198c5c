"""Whether tonight's extract is complete enough to stand for the night.

A night that is not complete must never change the history: an empty folder, a
missing table or a file cut off half way would otherwise "resolve" every
exception it no longer shows. Two kinds of check, both made before the history
or the report folder is touched:

* **file checks** (``check_dates``, at load): a file whose dates are in a format
  the contract does not accept, or in month-first order, is refused whole with
  the format it looks like; it is never read in the wrong order;
* **night checks** (``check_night``, after load): no readable table; a table the
  last successful night had is missing; a table's row count fell by more than a
  set share against that night; more than a set share of a table's rows dropped
  (cells emptied do not count: their rows are kept).

Each failure is a ``Problem`` naming the file or table and the counts, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from .errors import InputError, Problem
from .load import cell, date_part

#: Shares below this many rows are noise, not a sign of a broken file: a table of 8 rows that
#: loses 2 has changed, not been cut off. A table whose every row is rejected is refused whatever its size.
MIN_ROWS = 20


@dataclass(frozen=True)
class NightLimits:
    """What a night may differ from the last good one and still count (all configurable per run)."""

    #: largest fall in a table's rows read against the last successful night (0.2 = 20 %)
    max_row_drop: float = 0.2
    #: largest share of a table's rows that may be dropped (0.1 = 10 %)
    max_rejected: float = 0.1
    #: tables that may be absent tonight though the last good night had them (a deliberately partial run)
    allow_missing: frozenset[str] = field(default_factory=frozenset)


class NightRefused(InputError):
    """Tonight's extract does not stand for a night: exit 2, nothing written."""


# --------------------------------------------------------------- date formats

#: The shape of a date cell, decided in SQL. ``dmy`` and ``iso`` are accepted; ``dmy`` values whose
#: first field is over 12 prove day-first order, those whose second field is over 12 prove month-first.
_SHAPE = r"""CASE
    WHEN regexp_full_match(v, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}') THEN
        CASE WHEN split_part(v, '/', 1)::INTEGER > 12 AND split_part(v, '/', 2)::INTEGER <= 12 THEN 'day first'
             WHEN split_part(v, '/', 2)::INTEGER > 12 AND split_part(v, '/', 1)::INTEGER <= 12 THEN 'month first'
             ELSE 'dmy' END
    WHEN regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN 'iso'
    WHEN regexp_full_match(v, '[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}') THEN 'dd-mm-yyyy'
    WHEN regexp_full_match(v, '[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}') THEN 'dd.mm.yyyy'
    WHEN regexp_full_match(v, '[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}') THEN 'yyyy/mm/dd'
    WHEN regexp_full_match(v, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}') THEN 'dd/mm/yy (a two-digit year)'
    WHEN regexp_full_match(v, '[0-9]{5}(\.[0-9]+)?') THEN 'spreadsheet serial numbers'
    WHEN regexp_full_match(v, '[0-9]{1,2}[ -][A-Za-z]{3,9}[ -][0-9]{2,4}') THEN 'dd mon yyyy (a month name)'
    ELSE 'not a date' END"""

_ACCEPTED = ("dmy", "day first", "month first", "iso")
_ADVICE = "write dates as dd/mm/yyyy or yyyy-mm-dd"


def check_dates(files: list[Any], con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """Problems for the staged files (``raw_<table>``) whose date columns, taken together, are
    in month-first order or mostly in a format the contract does not accept."""
    problems = []
    dated = [(f, [c.name for c in f.table.columns if c.kind == "date" and c.name not in f.missing_optional])
             for f in files]
    dated = [(f, dates) for f, dates in dated if dates]
    if not dated:
        return problems
    # Each distinct cell once, with how many times it occurs and where first: a few thousand dates
    # repeat over millions of cells, and trimming and matching each one is the cost. The first cell of
    # each shape, by line and then column order, is the same every time. Every file in one statement.
    distinct = " UNION ALL ".join(
        f"""SELECT {k} AS F, "{c}" AS RAW, count(*) AS N, min(_LINE::BIGINT * 1000 + {i}) AS FIRST
            FROM "raw_{f.table.name}" WHERE "{c}" IS NOT NULL GROUP BY "{c}" """
        for k, (f, dates) in enumerate(dated) for i, c in enumerate(dates))
    # (in a table of their own: in one query the optimiser moves the matching back below the grouping)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _date_cells AS {distinct}")
    found: dict[int, list[tuple[str, int, int]]] = {}
    for k, shape, n, first in con.execute(f"""SELECT F, SHAPE, sum(N)::BIGINT AS N, min(FIRST) AS FIRST FROM (
            SELECT F, {_SHAPE} AS SHAPE, N, FIRST FROM (
                SELECT F, {date_part(cell('RAW'))} AS v, N, FIRST FROM _date_cells) WHERE v IS NOT NULL)
        GROUP BY F, SHAPE ORDER BY F, N DESC, SHAPE""").fetchall():
        found.setdefault(k, []).append((shape, n, first))
    con.execute("DROP TABLE _date_cells")
    for k, (f, dates) in enumerate(dated):
        shapes = found.get(k, [])
        by_shape = {s: (n, dates[first % 1000], first // 1000) for s, n, first in shapes}
        accepted = sum(n for s, (n, _c, _l) in by_shape.items() if s in _ACCEPTED)
        month_first = by_shape.get("month first", (0, None, None))
        day_first = by_shape.get("day first", (0, None, None))
        if month_first[0] > day_first[0]:
            problems.append(Problem(
                f.name, f"the dates look like mm/dd/yyyy (month first): {month_first[0]} have a second field over "
                f"12 and {day_first[0]} a first field over 12, so they cannot be read as dd/mm/yyyy; {_ADVICE}",
                line=month_first[2], column=month_first[1]))
            continue
        other = [(s, v) for s, v in by_shape.items() if s not in _ACCEPTED]
        if other and sum(n for _s, (n, _c, _l) in other) > accepted:
            shape, (n, col, line) = other[0]
            what = "are not dates" if shape == "not a date" else f"look like {shape}"
            problems.append(Problem(
                f.name, f"{n} of the {accepted + sum(v[0] for _s, v in other)} dates {what}, which is not an "
                f"accepted format; {_ADVICE}", line=line, column=col))
    return problems


# ------------------------------------------------------------------ the night


def check_night(folder: Path, report: Any, baseline: dict[str, Any] | None, limits: NightLimits) -> list[Problem]:
    """Why tonight's loaded extract cannot stand for a night (empty when it can).

    ``report`` is the load report; ``baseline`` the last successful night as
    ``history.last_good_night`` gives it (None without a history, when only the checks that
    need no history apply).
    """
    if not report.files:
        ignored = f" ({len(report.ignored)} file(s) ignored: not tables of the contract)" if report.ignored else ""
        return [Problem(str(folder), f"no readable table in the extract{ignored}; nothing was checked")]
    problems: list[Problem] = []
    present = {f.table: f for f in report.files}
    if baseline:
        since = f"the last successful night (run {baseline['run_id']}, as of {baseline['as_of']})"
        expected = set(baseline["tables"]) | set(baseline["allowed_missing"])
        for table in sorted(expected - set(present) - limits.allow_missing):
            problems.append(Problem(
                table, f"table '{table}' is missing tonight but was in {since}; give --allow-missing {table} "
                "for a deliberately partial run"))
        for table, f in sorted(present.items()):
            before = baseline["tables"].get(table)
            if before is None or before < MIN_ROWS or f.rows_read >= before * (1 - limits.max_row_drop):
                continue
            problems.append(Problem(
                f.file, f"{f.rows_read} rows read, against {before} in {since}: a fall of "
                f"{1 - f.rows_read / before:.0%}, more than the {limits.max_row_drop:.0%} allowed "
                "(--max-row-drop); the file may be cut off"))
    for _table, f in sorted(present.items()):
        if not f.rows_rejected:
            continue
        share = f.rows_rejected / f.rows_read
        if f.rows_loaded == 0 or (f.rows_read >= MIN_ROWS and share > limits.max_rejected):
            problems.append(Problem(
                f.file, f"{f.rows_rejected} of {f.rows_read} rows dropped ({share:.0%}), more than the "
                f"{limits.max_rejected:.0%} allowed (--max-rejected); 'careplan-checks validate' lists them"))
    return problems


def refuse_if_incomplete(folder: Path, report: Any, baseline: dict[str, Any] | None, limits: NightLimits) -> None:
    problems = check_night(folder, report, baseline, limits)
    if problems:
        raise NightRefused(problems)

