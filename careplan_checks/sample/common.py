"""What every part of the sample generator shares: dates, weights, the row writer and the lapse seeder."""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..contract import TABLES_BY_NAME

D = dt.date
DAY = dt.timedelta(days=1)
FAR = D(9999, 12, 31)

DEFAULT_AS_OF = D(2025, 3, 31)
ANSWER_KEY = "answer_key.csv"

#: Rules a lapse can be seeded for (every rule of the pack).
LAPSE_RULES = (
    "CP-01", "CP-02", "CP-05", "CP-06", "REV-01", "REV-02", "REV-03", "REV-04", "VIS-01", "VIS-02", "VIS-03",
    "PLACE-01", "PLACE-03", "PLACE-05", "HLTH-01", "HLTH-02", "HLTH-03", "HLTH-04", "HLTH-05", "EDU-01",
    "MISS-01", "LEAVE-01", "LEAVE-02", "LEAVE-03", "LEAVE-04", "LEAVE-05", "LEAVE-06", "LEAVE-07", "QI-02",
    "DQ-01", "DQ-02", "DQ-03",
    # the statutory duties added with the placement decisions, notices, voice and family tables
    "CP-03", "CP-04", "CP-07", "CP-08", "CP-09", "PLACE-02", "PLACE-04", "PLACE-07", "PLACE-08", "PLACE-09",
    "PLACE-10", "PLACE-11", "VIS-04", "VIS-05", "VIS-06", "REV-05", "REV-06", "HLTH-06", "HLTH-07", "HLTH-08",
)
LAPSE_SHARE = 0.3

TEAMS = ("North", "South", "East", "West", "Disabled Children")
ETHNIC_WEIGHTS = {"WBRI": 62, "WOTH": 7, "WIRT": 1, "WROM": 1, "MWBC": 4, "MWBA": 2, "MWAS": 2, "MOTH": 3,
                  "APKN": 2, "ABAN": 1, "AOTH": 2, "BAFR": 4, "BCRB": 2, "BOTH": 1, "CHNE": 1, "OOTH": 4,
                  "REFU": 0.5, "NOBT": 0.5}
LS_WEIGHTS = {"C2": 68, "C1": 9, "V2": 17, "E1": 5, "V3": 1}
CIN_WEIGHTS = {"N1": 62, "N2": 5, "N3": 3, "N4": 7, "N5": 15, "N6": 2, "N7": 0.5, "N8": 5.5}
PLACE_WEIGHTS = {"U4": 20, "U6": 34, "U1": 8, "U3": 10, "U5": 2, "U2": 1, "K2": 9, "R1": 1, "P1": 5,
                 "K1": 0.5, "S1": 0.5, "K3": 3, "Z11": 1}
REASONS = {"CARPL": 40, "CREQB": 15, "CREQO": 10, "CHILD": 8, "LAREQ": 7, "CLOSE": 5, "STAND": 3,
           "ALLEG": 2, "APPRR": 2, "OTHER": 8}
PROVIDER = {"U1": "PR1", "U2": "PR1", "U3": "PR1", "U4": "PR1", "U5": "PR1", "U6": "PR4", "K2": "PR4",
            "K1": "PR1", "K3": "PR4", "R1": "PR3", "P1": "PR0", "A5": "PR1", "A6": "PR5", "S1": "PR5"}
FOSTER = ("U1", "U2", "U3", "U4", "U5", "U6")


def add_months(d: dt.date, n: int) -> dt.date:
    """Calendar months clamped to the month's end, as the SQL macro ``add_months``."""
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    last = (D(y + (m == 12), m % 12 + 1, 1) - DAY).day
    return D(y, m, min(d.day, last))


def age_at(dob: dt.date, d: dt.date) -> int:
    """Whole years, as the SQL macro ``age_at``."""
    return d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))


def birthday(dob: dt.date, years: int) -> dt.date:
    return D(dob.year + years, dob.month, dob.day)


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


#: Tables of last year's return written from the children's histories (the others: ``previous.py``).
PREVIOUS_ROWS = ("oc3",)


@dataclass
class Writer:
    """Rows per table; 903 tables are written with DfE dates, the supplement with ISO dates."""

    rows: dict[str, list[list[str]]] = field(default_factory=dict)
    #: What one child's history leaves for a later child's (brothers and sisters), by the part that uses it.
    shared: dict[str, list] = field(default_factory=dict)

    def add(self, table: str, **values: object) -> None:
        cols = TABLES_BY_NAME[table].column_names
        iso = TABLES_BY_NAME[table].group == "supplement"
        self.rows.setdefault(table, []).append([cell(values.get(c), iso) for c in cols])

    def add_previous(self, table: str, **values: object) -> None:
        """A row of last year's return that its other tables cannot give (``previous.write_previous`` works
        the rest out from this year's files): written to ``prev/``."""
        cols = TABLES_BY_NAME[table].column_names
        self.rows.setdefault(f"prev/{table}", []).append([cell(values.get(c), False) for c in cols])

    def write(self, out: Path) -> dict[str, int]:
        out.mkdir(parents=True, exist_ok=True)
        counts = {}
        for name, table in TABLES_BY_NAME.items():
            rows = self.rows.get(name, [])
            with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(table.column_names)
                w.writerows(rows)
            counts[name] = len(rows)
        for name in PREVIOUS_ROWS:
            (out / "prev").mkdir(exist_ok=True)
            with (out / "prev" / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(TABLES_BY_NAME[name].column_names)
                w.writerows(self.rows.get(f"prev/{name}", []))
        return counts


def cell(v: object, iso: bool) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return v.isoformat() if iso else v.strftime("%d/%m/%Y")
    return str(v)


@dataclass
class Lapses:
    """Decides, obligation by obligation, whether this child's one seeded lapse happens here.

    ``done`` is asked for every obligation the generator fulfils: it returns the date the
    action happens (on time, on the due date for a near miss, late, or never) and records
    what the rules must report for a lapse.
    """

    rng: random.Random
    child: str
    rule: str | None
    as_of: dt.date
    period_start: dt.date
    key: list[tuple[str, str, dt.date, str | None]]
    used: bool = False

    def wants(self, rule: str) -> bool:
        return self.rule == rule and not self.used

    def record(self, rule: str, event: dt.date, key: str | None = None) -> None:
        self.key.append((rule, self.child, event, key))
        self.used = True

    def also_903(self, code: str, event: dt.date) -> None:
        """The lapse is a DfE 903 validation error too (a wrong participation code, no SDQ): the answer key
        says so, as ``903-<code>``, so the clean sample's 903 errors are exactly those expected."""
        self.key.append((f"903-{code}", self.child, event, None))

    def done(self, rule: str, event: dt.date, due: dt.date, earliest: dt.date, lapses: dt.date = FAR,
             key: str | None = None, can_skip: bool = True, max_late: int = 30) -> dt.date | None:
        """The date an obligation due on ``due`` is met (None: never)."""
        if self.wants(rule):
            late_ok = self.period_start <= due < self.as_of
            never_ok = (can_skip and self.period_start - days(180) <= due <= self.as_of
                        and (lapses > self.as_of or due >= self.period_start))
            if late_ok and (not never_ok or self.rng.random() < 0.6):
                late = due + days(self.rng.randint(1, min(max_late, (self.as_of - due).days)))
                if late < lapses:
                    self.record(rule, event, key)
                    return late
            if never_ok:
                self.record(rule, event, key)
                return None
        if self.rng.random() < 0.12 or due <= earliest:
            return max(due, earliest)  # a near miss: on the very day it falls due
        return due - days(self.rng.randint(0, min(40, (due - earliest).days)))
