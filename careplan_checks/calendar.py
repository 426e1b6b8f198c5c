"""England and Wales working days, as a DuckDB table and SQL macros.

A working day is any day other than a Saturday, a Sunday, Christmas Day, Good
Friday or a bank holiday in England and Wales (the standard legislative
definition). The holidays come from the ``holidays`` package
(``holidays.UK(subdiv='ENG')``), which also lists a holiday that falls at a
weekend beside its weekday substitute: weekends are dropped here, and the
substitute day is what makes the difference. It cannot know proclamations made
after its release, so a local file can add (or remove) days.

Counting convention (README, "The rule pack"): the trigger date is day 0, and
"within N working days" means on or before the N-th working day after it. A
trigger on a non-working day counts from the next working day: the first working
day after a Saturday is the Monday.

School terms (for the termly personal education plan, EDU-01) are a table,
``school_terms(TERM_START, TERM_END, NAME)``, installed beside the calendar. The
default is three terms a school year, read from ``term_dates.csv`` beside this
module: autumn 1 September - 31 December, spring 1 January - 31 March, summer
1 April - 31 July (August is holiday). Term dates differ between authorities and
years (Easter moves, half terms, INSET days), so an authority can give its own
terms in a CSV file (TERM_START, TERM_END as yyyy-mm-dd, NAME): each term given
replaces every default term it overlaps; the default stays for other years.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import duckdb

from . import local_files
from .errors import InputError, Problem

FIRST_YEAR, LAST_YEAR = 1990, 2050
TERM_DEFAULTS = Path(__file__).with_name("term_dates.csv")

Term = tuple[dt.date, dt.date, str]


@lru_cache(maxsize=8)
def _package_holidays() -> dict[dt.date, str]:
    import holidays

    days = holidays.UK(subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    return {d: name for d, name in days.items() if d.weekday() < 5}


def read_overrides(path: Path | None) -> tuple[dict[dt.date, str], set[dt.date]]:
    """A local override file: CSV with DATE (yyyy-mm-dd), ACTION (add|remove), NAME."""
    if path is None:
        return {}, set()
    add: dict[dt.date, str] = {}
    remove: set[dt.date] = set()
    for i, row in local_files.rows(path, "holiday override"):
        day = local_files.iso_date(path, row, "DATE", i)
        action = row.get("ACTION", "add").lower() or "add"
        if action == "add":
            add[day] = row.get("NAME") or "local holiday"
        elif action == "remove":
            remove.add(day)
        else:
            raise InputError(Problem(path.name, "ACTION must be add or remove", line=i, column="ACTION"))
    return add, remove


def bank_holidays(overrides: Path | None = None) -> dict[dt.date, str]:
    """Weekday holidays in England and Wales, with local overrides applied."""
    days = dict(_package_holidays())
    add, remove = read_overrides(overrides)
    days.update({d: n for d, n in add.items() if d.weekday() < 5})
    for d in remove:
        days.pop(d, None)
    return days


def is_working_day(day: dt.date, holidays: dict[dt.date, str] | None = None) -> bool:
    holidays = _package_holidays() if holidays is None else holidays
    return day.weekday() < 5 and day not in holidays


def add_working_days(day: dt.date, n: int, holidays: dict[dt.date, str] | None = None) -> dt.date:
    """The n-th working day after ``day`` (Python twin of the SQL macro, for the sample generator)."""
    d = day
    while n > 0:
        d += dt.timedelta(days=1)
        if is_working_day(d, holidays):
            n -= 1
    return d


@lru_cache(maxsize=1)
def default_terms() -> tuple[Term, ...]:
    """The shipped default terms for every school year from September FIRST_YEAR to July LAST_YEAR.

    ``term_dates.csv`` gives each term as NAME, FIRST_DAY, LAST_DAY (mm-dd); a term starting in
    September to December is in the calendar year the school year starts, any other in the next."""
    with TERM_DEFAULTS.open(newline="", encoding="utf-8") as f:
        pattern = [(r["NAME"], r["FIRST_DAY"], r["LAST_DAY"]) for r in csv.DictReader(f)]
    terms: list[Term] = []
    for year in range(FIRST_YEAR, LAST_YEAR):
        for name, first, last in pattern:
            fm, fd = (int(x) for x in first.split("-"))
            lm, ld = (int(x) for x in last.split("-"))
            y = year if fm >= 9 else year + 1
            start, end = dt.date(y, fm, fd), dt.date(y if lm >= fm else y + 1, lm, ld)
            terms.append((start, end, f"{name} {start.year}"))
    return tuple(sorted(terms))


def read_term_overrides(path: Path | None) -> list[Term]:
    """A local term-dates file: CSV with TERM_START, TERM_END (yyyy-mm-dd) and NAME, one row a term."""
    if path is None:
        return []
    terms: list[Term] = []
    for i, row in local_files.rows(path, "term-dates"):
        start, end = (local_files.iso_date(path, row, col, i) for col in ("TERM_START", "TERM_END"))
        if end < start:
            raise InputError(Problem(path.name, "TERM_END is before TERM_START", line=i, column="TERM_END"))
        terms.append((start, end, row.get("NAME") or "term"))
    terms.sort()
    for (_, e1, n1), (s2, _, n2) in pairwise(terms):
        if s2 <= e1:
            raise InputError(Problem(path.name, f"terms '{n1}' and '{n2}' overlap ({s2.isoformat()})"))
    return terms


def school_terms(overrides: Path | None = None) -> list[Term]:
    """The school terms: the default terms, each replaced where a local term overlaps it."""
    local = read_term_overrides(overrides)
    kept = [t for t in default_terms() if not any(s <= t[1] and t[0] <= e for s, e, _ in local)]
    return sorted(kept + local)


def install(con: duckdb.DuckDBPyConnection, overrides: Path | None = None, terms: Path | None = None) -> None:
    """Create ``calendar`` (one row per day, 1990-2050) and the working-day macros, and the
    ``school_terms`` table (``terms``: a local term-dates file, see ``school_terms``).

    ``calendar.WD_INDEX`` counts working days up to and including each date, so
    "n working days after d" and "working days between a and b" are lookups.
    """
    holidays = bank_holidays(overrides)
    days, names = zip(*sorted(holidays.items()), strict=True) if holidays else ((), ())
    # one statement with list parameters: executemany costs a round trip a row, on every connection
    con.execute("""CREATE OR REPLACE TEMP TABLE _holidays AS
        SELECT unnest($days::DATE[]) AS D, unnest($names::VARCHAR[]) AS NAME""",
                {"days": list(days), "names": list(names)})
    con.execute(f"""CREATE OR REPLACE TABLE calendar AS
        WITH days AS (
            SELECT range::DATE AS D FROM range(DATE '{FIRST_YEAR}-01-01', DATE '{LAST_YEAR}-12-31',
                                              INTERVAL 1 DAY)
        )
        SELECT d.D, h.NAME AS HOLIDAY,
               (isodow(d.D) < 6 AND h.D IS NULL) AS IS_WORKING_DAY,
               sum(CASE WHEN isodow(d.D) < 6 AND h.D IS NULL THEN 1 ELSE 0 END)
                   OVER (ORDER BY d.D)::INTEGER AS WD_INDEX
        FROM days d LEFT JOIN _holidays h USING (D)
        ORDER BY d.D""")
    con.execute("""CREATE OR REPLACE TABLE working_days AS
        SELECT WD_INDEX, D FROM calendar WHERE IS_WORKING_DAY""")
    con.execute("DROP TABLE _holidays")
    # n working days after d (d is day 0). One subquery with a join: DuckDB decorrelates it
    # into a hash join, where nested scalar subqueries ran a thousand times slower.
    con.execute("""CREATE OR REPLACE MACRO add_working_days(d, n) AS
        (SELECT w.D FROM calendar c JOIN working_days w ON w.WD_INDEX = c.WD_INDEX + n
         WHERE c.D = d::DATE)""")
    # working days after a, up to and including b (0 when b <= a)
    con.execute("""CREATE OR REPLACE MACRO working_days_between(a, b) AS
        (SELECT greatest(0, cb.WD_INDEX - ca.WD_INDEX) FROM calendar ca JOIN calendar cb ON true
         WHERE ca.D = a::DATE AND cb.D = b::DATE)""")
    # calendar months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)
    con.execute("CREATE OR REPLACE MACRO add_months(d, n) AS (d::DATE + to_months(n::INTEGER))::DATE")
    con.execute("CREATE OR REPLACE MACRO age_at(dob, d) AS date_sub('year', dob::DATE, d::DATE)")
    starts, ends, names = zip(*school_terms(terms), strict=True)
    con.execute("""CREATE OR REPLACE TABLE school_terms AS
        SELECT unnest($s::DATE[]) AS TERM_START, unnest($e::DATE[]) AS TERM_END, unnest($n::VARCHAR[]) AS NAME""",
                {"s": list(starts), "e": list(ends), "n": list(names)})
