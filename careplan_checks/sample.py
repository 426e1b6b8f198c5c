"""A realistic, contract-valid sample extract with an answer key, deterministic for a seed.

Proportions follow the DfE children-looked-after statistics
(``shared/reference/national_statistics.md``): sex, ethnicity, legal status,
placement type, placements in the year, category of need.

Every child's history is built to meet every rule of the pack, with a share of
"near misses" (an action on the very day it falls due, a review on a clamped
month end, a visit on day 7). A minority of children then carry one seeded
lapse: a review held late, a visit missed, a plan without the child's wishes.
Lapses are spread round-robin over the rules, so each rule gets some, and the
generator writes what each lapse must produce to ``answer_key.csv``: rule,
CHILD, EVENT_DATE and EVENT_KEY. A lapse is only seeded where the rules would
report it (overdue at the as-of date, or late with its due date in the period).

The generator simulates each child's history, so it walks children in Python;
the pipeline itself never does.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from .calendar import add_working_days
from .contract import TABLES_BY_NAME

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


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@dataclass
class Writer:
    """Rows per table; 903 tables are written with DfE dates, the supplement with ISO dates."""

    rows: dict[str, list[list[str]]] = field(default_factory=dict)

    def add(self, table: str, **values: object) -> None:
        cols = TABLES_BY_NAME[table].column_names
        iso = TABLES_BY_NAME[table].group == "supplement"
        self.rows.setdefault(table, []).append([_cell(values.get(c), iso) for c in cols])

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
        return counts


def _cell(v: object, iso: bool) -> str:
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

    def done(self, rule: str, event: dt.date, due: dt.date, earliest: dt.date, lapses: dt.date = FAR,
             key: str | None = None, can_skip: bool = True, max_late: int = 30) -> dt.date | None:
        """The date an obligation due on ``due`` is met (None: never)."""
        if self.wants(rule):
            late_ok = self.period_start <= due < self.as_of
            never_ok = (can_skip and self.period_start - _days(180) <= due <= self.as_of
                        and (lapses > self.as_of or due >= self.period_start))
            if late_ok and (not never_ok or self.rng.random() < 0.6):
                late = due + _days(self.rng.randint(1, min(max_late, (self.as_of - due).days)))
                if late < lapses:
                    self.record(rule, event, key)
                    return late
            if never_ok:
                self.record(rule, event, key)
                return None
        if self.rng.random() < 0.12 or due <= earliest:
            return max(due, earliest)  # a near miss: on the very day it falls due
        return due - _days(self.rng.randint(0, min(40, (due - earliest).days)))


def generate(out: Path, children: int = 200, seed: int = 1, as_of: dt.date = DEFAULT_AS_OF,
             years: int = 5) -> dict[str, int]:
    """Write a sample extract of ``children`` children and its answer key to ``out``."""
    rng = random.Random(seed)
    period_start = add_months(as_of, -12) + DAY
    w = Writer()
    key: list[tuple[str, str, dt.date, str | None]] = []
    workers = [f"W{i:04d}" for i in range(1, max(8, children // 15) + 2)]
    order = list(LAPSE_RULES)
    rng.shuffle(order)
    n_lapses = 0
    for i in range(1, children + 1):
        rule = None
        if rng.random() < LAPSE_SHARE:
            rule = order[n_lapses % len(order)]
            n_lapses += 1
        lapses = Lapses(random.Random(rng.random()), f"C{seed % 100:02d}{i:06d}", rule, as_of, period_start, key)
        Child(w, random.Random(rng.random()), lapses, as_of, period_start, years, workers).build()
    counts = w.write(out)
    with (out / ANSWER_KEY).open("w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["RULE_ID", "CHILD", "EVENT_DATE", "EVENT_KEY"])
        cw.writerows([r, c, d.isoformat(), k or ""] for r, c, d, k in sorted(key, key=lambda x: (x[0], x[1], x[2])))
    return counts


def read_answer_key(folder: Path) -> set[tuple[str, str, dt.date, str | None]]:
    with (folder / ANSWER_KEY).open(encoding="utf-8") as f:
        return {(r["RULE_ID"], r["CHILD"], D.fromisoformat(r["EVENT_DATE"]), r["EVENT_KEY"] or None)
                for r in csv.DictReader(f)}


@dataclass
class Placement:
    start: dt.date
    place: str
    ls: str
    rne: str
    reason_in: str | None = None  # why the previous placement ended
    end: dt.date | None = None


class Child:
    """One child's history, built to meet every rule except where a lapse is seeded."""

    def __init__(self, w: Writer, rng: random.Random, lapses: Lapses, as_of: dt.date, period_start: dt.date,
                 years: int, workers: list[str]) -> None:
        self.w, self.rng, self.lapse, self.as_of, self.ps = w, rng, lapses, as_of, period_start
        self.years, self.workers, self.id = years, workers, lapses.child

    # ------------------------------------------------------------------ structure

    def build(self) -> None:
        rule = self.lapse.rule
        if rule == "DQ-01":
            return self._overlapping_history()
        self._profile(rule)
        self._placements(rule)
        self._write_header_and_episodes()
        if self.short_break:
            self.w.add("allocations", CHILD=self.id, ROLE="SW", WORKER_ID=self.rng.choice(self.workers),
                       TEAM="Disabled Children", START_DATE=self.start, END_DATE=self.end)
            return
        self.until = min(self.end or FAR, self.as_of)  # last day events can be recorded
        self._allocations()
        self.reviews = self._reviews()
        self._care_plans()
        self._visits()
        self._health()
        self._peps()
        self._placement_views()
        self._missing()
        self._review_requests()
        self._leaving_care()
        self._returns()
        if rule == "QI-02" and self.reviews:
            self.lapse.record("QI-02", self.dob, "DOB:reviews")
        if rule == "PLACE-03" and not self.lapse.used and self.structural:
            self.lapse.record("PLACE-03", *self.structural)

    def _profile(self, rule: str | None) -> None:
        rng, a = self.rng, self.as_of
        age = min(17.6, max(0.1, rng.triangular(0, 18, 13)))
        if rule == "LEAVE-01":
            age = rng.uniform(16.15, 16.85)  # the 16th birthday falls in the period
        elif rule in ("LEAVE-02", "LEAVE-03", "LEAVE-04"):
            age = rng.uniform(16.4, 17.9)
        elif rule in ("LEAVE-06", "LEAVE-07"):
            age = rng.uniform(17.8, 17.97)  # Staying Put due at 17 years 9 months, referral at 17 and a half
        elif rule == "LEAVE-05":
            age = rng.uniform(17.0, 17.9)
        elif rule == "DQ-03":
            age = rng.uniform(18.05, 18.3)
        elif rule in ("PLACE-05", "VIS-03") or (rule == "REV-04" and rng.random() < 0.5):
            age = rng.uniform(1.6, 3.4)
        elif rule in ("HLTH-03", "HLTH-04", "PLACE-03", "PLACE-01"):
            age = rng.uniform(6, 14)
        elif rule == "MISS-01":
            age = rng.uniform(12, 16)
        self.dob = a - _days(int(age * 365.25))
        if self.dob.month == 2 and self.dob.day == 29:
            self.dob -= DAY
        earliest = max(self.dob, a - _days(int(self.years * 365.25)))
        span = max((a - earliest).days - 1, 1)
        self.start = earliest + _days(int(rng.random() ** 1.3 * span))
        # Profiles a lapse needs: enough history, in care at the right time.
        if rule in ("LEAVE-01", "LEAVE-02", "LEAVE-03", "LEAVE-04", "LEAVE-06", "LEAVE-07", "LEAVE-05", "DQ-03"):
            self.start = min(self.start, birthday(self.dob, 14) + _days(rng.randint(0, 500)))
        if rule in ("HLTH-03", "HLTH-04"):
            self.start = min(self.start, a - _days(rng.randint(400, 1200)))
        if rule == "PLACE-03":
            self.start = a - _days(rng.randint(950, 1400)) if rng.random() < 0.5 else a - _days(rng.randint(420, 850))
        if rule in ("REV-01", "CP-01", "HLTH-01", "REV-03", "VIS-03"):
            self.start = self.ps + _days(rng.randint(0, 250))
        if rule == "PLACE-05":
            self.start = max(self.start, add_months(a, -29))
        if rule == "PLACE-01":
            self.start = a - _days(rng.randint(430, 850))
        self.start = max(self.start, self.dob)
        self.ls = _pick(rng, LS_WEIGHTS)
        if rule is not None and self.ls == "V3":
            self.ls = "C2"
        self.short_break = self.ls == "V3"
        self.cin = _pick(rng, CIN_WEIGHTS)
        if rule == "LEAVE-07" or (self.short_break and rng.random() < 0.8):
            self.cin = "N2"
        self.sex = rng.choices(["M", "F", "1", "2"], weights=[52, 38, 6, 4])[0]
        # When care ends: open for most; at 18 at the latest (not for the DQ-03 lapse).
        self.end: dt.date | None = None
        if rng.random() < 0.25 and (a - self.start).days > 60:
            self.end = self.start + _days(rng.randint(30, (a - self.start).days - 1))
        if rule in ("LEAVE-01", "LEAVE-02", "LEAVE-03", "LEAVE-04", "LEAVE-06", "LEAVE-07", "DQ-03", "VIS-03",
                    "PLACE-01", "PLACE-03", "PLACE-05"):
            self.end = None
        if rule == "LEAVE-05":
            lo = max(self.ps, birthday(self.dob, 16), add_working_days(self.start, 25))
            if lo < a:
                self.end = lo + _days(rng.randint(0, (a - lo).days - 1))
        eighteen = birthday(self.dob, 18)
        if eighteen <= a and rule != "DQ-03" and (self.end is None or self.end > eighteen):
            self.end = eighteen
        if rule == "DQ-03":
            self.lapse.record("DQ-03", eighteen)

    def _placements(self, rule: str | None) -> None:
        rng, a = self.rng, self.as_of
        last = min(self.end or a, a)
        first = _pick(rng, PLACE_WEIGHTS)
        ls = self.ls
        if rule == "LEAVE-06":
            first = "U4"
        if rule == "VIS-03" or (not self.short_break and first == "P1" and rng.random() < 0.4):
            first, ls = "P1", "C1"
        if self.short_break:
            first = "U4"
        self.placements = [Placement(self.start, first, ls, "S")]
        self.structural: tuple[dt.date, str] | None = None
        if self.short_break or rule in ("VIS-03", "LEAVE-06"):
            self._finish()
            return
        if rule == "PLACE-05":
            m1 = max(self.ps, self.start + _days(60)) + _days(rng.randint(1, 60))
            m2 = m1 + _days(rng.randint(60, 150))
            if m2 < a and age_at(self.dob, m2) < 5:
                self._move(m1)
                self._move(m2)
                self.lapse.record("PLACE-05", m2)
                # three placements in the year: measure (a) of PLACE-03 reports it too
                self.lapse.key.append(("PLACE-03", self.id, m2, "A"))
            self._finish()
            return
        if rule == "PLACE-01":
            self._move(self.ps + _days(rng.randint(0, 200)))
            self._finish()
            return
        if rule == "PLACE-03":
            if self.start <= add_months(a, -31) and age_at(self.dob, a) < 16:
                mv = add_months(a, -24) + _days(rng.randint(10, 200))
                mv = min(mv, self.ps - _days(1))
                self._move(mv)
                self.structural = (self.start, "C")
            elif self.start < self.ps - _days(30) and self.start > add_months(a, -29) \
                    and age_at(self.dob, self.start) >= 5:
                m1 = self.ps + _days(rng.randint(1, 120))
                m2 = m1 + _days(rng.randint(60, 150))
                if m2 < a:
                    self._move(m1)
                    self._move(m2)
                    self.structural = (m2, "A")
            self._finish()
            return
        # Ordinary moves, then dropped from the end until the stability measures are met.
        cursor = self.start
        for _ in range(rng.choices([0, 1, 2, 3], weights=[62, 24, 10, 4])[0]):
            gap = (last - cursor).days
            if gap < 130:
                break
            cursor = cursor + _days(rng.randint(60, min(gap - 60, 700)))
            if age_at(self.dob, cursor) < 5 and (cursor - self.placements[-1].start).days < 366:
                break
            self._move(cursor)
        while not self._stable():
            self.placements.pop()
        self._finish()

    def _finish(self) -> None:
        """The last placement lasts as long as the period of care (as the ``placements`` view has it)."""
        self.placements[-1].end = self.end

    def _move(self, when: dt.date) -> None:
        prev = self.placements[-1]
        prev.end = when
        place = _pick(self.rng, PLACE_WEIGHTS)
        if place == "P1":
            place = "U6"
        self.placements.append(Placement(when, place, prev.ls if prev.ls != "C1" else "C2", "P",
                                         _pick(self.rng, REASONS)))

    def _stable(self) -> bool:
        a = self.as_of
        if self.end is not None and self.end <= a:
            return True
        overlapping = [p for p in self.placements if p.start <= a and (p.end or FAR) > self.ps]
        if len(overlapping) >= 3:
            return False
        last = self.placements[-1]
        if age_at(self.dob, a) < 16 and self.start <= add_months(a, -30):
            return last.start <= add_months(a, -24) or last.place in ("A3", "A4", "A5", "A6")
        return True

    def _write_header_and_episodes(self) -> None:
        rng = self.rng
        sex = self.sex
        self.w.add("header", CHILD=self.id, SEX=sex, DOB=self.dob, ETHNIC=_pick(rng, ETHNIC_WEIGHTS),
                   UPN="UN1" if age_at(self.dob, self.as_of) < 4 else rng.choices(
                       ["KNOWN", "UN2", "UN3", "UN4", "UN5"], [90, 3, 3, 3, 1])[0],
                   MOTHER=(rng.choice("0001") if sex in ("F", "2") and age_at(self.dob, self.as_of) > 14 else None))
        home = f"EG{rng.randint(1, 30)}"
        eps = []
        for i, p in enumerate(self.placements):
            nxt = self.placements[i + 1] if i + 1 < len(self.placements) else None
            end = nxt.start if nxt else self.end
            eps.append([p.start, p.rne, p.ls, p.place, end, ("X1" if nxt else self._rec()) if end else None,
                        nxt.reason_in if nxt else None])
        # A change of legal status only (RNE L) inside a long placement, for realism.
        if not self.short_break and len(eps) == 1 and eps[0][2] == "C1" and eps[0][3] != "P1" \
                and ((eps[0][4] or self.as_of) - eps[0][0]).days > 200:
            split = eps[0][0] + _days(rng.randint(60, ((eps[0][4] or self.as_of) - eps[0][0]).days - 60))
            eps = [[eps[0][0], "S", "C1", eps[0][3], split, "X1", None],
                   [split, "L", "C2", eps[0][3], eps[0][4], eps[0][5], None]]
        for start, rne, ls, place, end, rec, reason in eps:
            self.w.add("episodes", CHILD=self.id, DECOM=start, RNE=rne, LS=ls, CIN=self.cin, PLACE=place,
                       PLACE_PROVIDER=PROVIDER.get(place), DEC=end, REC=rec, REASON_PLACE_CHANGE=reason,
                       HOME_POST=home, PL_POST=f"EG{rng.randint(1, 40)} {rng.randint(1, 9)}")

    def _rec(self) -> str:
        if self.end == birthday(self.dob, 18):
            return _pick(self.rng, {"E17": 40, "E5": 30, "E6": 20, "E8": 10})
        if age_at(self.dob, self.end) >= 16:
            return _pick(self.rng, {"E5": 40, "E6": 20, "E4A": 20, "E13": 20})
        return _pick(self.rng, {"E4A": 45, "E13": 10, "E41": 10, "E45": 10, "E11": 10, "E8": 10, "E4B": 5})

    def _overlapping_history(self) -> None:
        """A recording error long before the period (DQ-01): nothing else is reportable for it."""
        rng, a = self.rng, self.as_of
        self.dob = a - _days(rng.randint(9 * 365, 14 * 365))
        start = a - _days(rng.randint(3 * 365, 4 * 365))
        second = start + _days(rng.randint(40, 100))
        self.w.add("header", CHILD=self.id, SEX="F", DOB=self.dob, ETHNIC="WBRI", UPN="KNOWN")
        self.w.add("episodes", CHILD=self.id, DECOM=start, RNE="S", LS="V2", CIN="N4", PLACE="U6",
                   PLACE_PROVIDER="PR4", DEC=second + _days(30), REC="X1", REASON_PLACE_CHANGE="CARPL")
        self.w.add("episodes", CHILD=self.id, DECOM=second, RNE="P", LS="V2", CIN="N4", PLACE="U4",
                   PLACE_PROVIDER="PR1", DEC=second + _days(120), REC="E4A")
        self.lapse.record("DQ-01", second)

    # ------------------------------------------------------------------ events

    def _allocations(self) -> None:
        rng, L = self.rng, self.lapse
        sw = rng.choice(self.workers)
        allocs = [(sw, self.start, self.end)]
        if rng.random() < 0.3 and (self.until - self.start).days > 150:
            change = self.start + _days(rng.randint(90, (self.until - self.start).days - 30))
            sw2 = rng.choice([w for w in self.workers if w != sw])
            allocs = [(sw, self.start, change), (sw2, change, self.end)]
        self.sw_change = allocs[-1][1] if len(allocs) > 1 else None
        for worker, s, e in allocs:
            self.w.add("allocations", CHILD=self.id, ROLE="SW", WORKER_ID=worker,
                       TEAM=TEAMS[self.workers.index(worker) % len(TEAMS)], START_DATE=s, END_DATE=e)
            self.w.add("sw_episodes", CHILD=self.id, SW_ID=worker, SW_DECOM=s, SW_DEC=e,
                       SW_REASON="MANAGE" if e and e != self.end else None)
            due = add_working_days(s, 10)
            if (e or FAR) <= due or s > self.as_of:
                continue
            granted = L.done("HLTH-05", s, due, s + DAY, lapses=e or FAR, key=worker)
            if granted is not None and granted > self.as_of:
                granted = None
            if granted is None and rng.random() < 0.4:
                continue  # never even requested
            requested = s + _days(rng.randint(0, 1))
            if L.wants("DQ-02") and granted is not None and granted > requested + DAY:
                requested, granted = granted + DAY, requested  # recorded the wrong way round
                L.record("DQ-02", requested, "health_record_access")
            self.w.add("health_record_access", CHILD=self.id, WORKER_ID=worker, REQUESTED_DATE=requested,
                       GRANTED_DATE=granted, ENDED_DATE=e if granted else None,
                       CONSENT_BASIS=_pick(rng, {"PARENT": 50, "COURT": 35, "CHILD": 10, "OTHER": 5}))

    def _reviews(self) -> list[dt.date]:
        L, s = self.lapse, self.start
        end = self.end or FAR
        due = add_working_days(s, 20)
        reviews: list[dt.date] = []
        if end <= due:
            return reviews
        first = L.done("REV-01", s, due, s + DAY, lapses=end)
        # The IRO is appointed when care starts, or (a seeded lapse) after the first review.
        iro: dt.date | None = s
        if L.wants("REV-03"):
            iro = L.done("REV-03", s, first or due, s, lapses=end)  # before the first review, held or due
        if iro is not None and iro <= self.as_of and iro < end:
            self.w.add("allocations", CHILD=self.id, ROLE="IRO", WORKER_ID=f"I{self.rng.randint(1, 12):03d}",
                       TEAM="IRO Service", START_DATE=iro, END_DATE=self.end)
        r = first
        n = 1
        while r is not None and r < end and r <= self.as_of:
            reviews.append(r)
            due = add_months(r, 3 if n == 1 else 6)
            if end <= due:
                break
            r = L.done("REV-02", r, due, r + _days(20), lapses=end)
            n += 1
        for r in reviews:
            age = age_at(self.dob, r)
            code = "PN0" if age < 4 else _pick(self.rng, {"PN1": 55, "PN2": 5, "PN3": 3, "PN4": 5, "PN5": 8,
                                                            "PN6": 12, "PN7": 12})
            if L.wants("REV-04") and self.ps <= r <= self.as_of:
                code = "PN1" if age < 4 else self.rng.choice(["PN0", None])
                L.record("REV-04", r)
            dob = self.dob + DAY if (L.wants("QI-02") and r == reviews[-1]) else self.dob
            self.w.add("reviews", CHILD=self.id, DOB=dob, REVIEW=r, REVIEW_CODE=code)
        return reviews

    def _care_plans(self) -> None:
        L, s = self.lapse, self.start
        end = self.end or FAR
        due = add_working_days(s, 10)
        if end <= due:
            return
        first = L.done("CP-01", s, due, s, lapses=end)
        if first is None or first > self.as_of:
            return
        for d in [first] + [r for r in self.reviews if r > first]:
            if d >= end:
                break
            parts = {"PERMANENCE_PLAN": "Y", "HEALTH_PLAN": "Y", "PLACEMENT_PLAN": "Y", "CHILD_WISHES_RECORDED": "Y"}
            role = "SW"
            in_period = self.ps <= d <= self.as_of
            if L.wants("CP-02") and in_period:
                parts[self.rng.choice(list(parts))] = "N"
                L.record("CP-02", d)
            elif L.wants("CP-05") and in_period and (self.sw_change is None or d != self.sw_change):
                role = "TM"
                L.record("CP-05", d)
            self.w.add("care_plans", CHILD=self.id, PLAN_DATE=d, PEP="Y" if age_at(self.dob, d) >= 3 else "N",
                       COORDINATOR_ROLE=role, **parts)

    def _visits(self) -> None:
        L = self.lapse
        for p in self.placements:
            end = p.end or FAR
            if p.place.startswith("T"):
                continue
            home = p.place == "P1" and p.ls == "C1"
            first_review = next((r for r in self.reviews if r >= p.start), None)
            due = p.start + _days(7)
            if end <= due:
                continue
            v = L.done("VIS-01", p.start, due, p.start, lapses=end)
            while v is not None and v < end and v <= self.as_of:
                self.w.add("visits", CHILD=self.id, VISIT_DATE=v, SEEN="Y",
                           SEEN_ALONE="Y" if self.rng.random() > 0.3 else "N")
                if home:
                    weekly = first_review is None or v < first_review
                    due = v + _days(7 if weekly else 28)
                    if end <= due:
                        break
                    # a late visit here stays within VIS-02's six weeks, so only VIS-03 reports it
                    nxt = L.done("VIS-03", v, due, v + DAY, lapses=end, can_skip=False, max_late=12)
                else:
                    long_term = p.place in ("U1", "U4") and v >= add_months(p.start, 12)
                    due = add_months(v, 3) if long_term else v + _days(42)
                    if end <= due:
                        break
                    nxt = L.done("VIS-02", v, due, v + _days(14), lapses=end)
                if nxt is not None and self.rng.random() < 0.05 and (nxt - v).days > 3:
                    self.w.add("visits", CHILD=self.id, VISIT_DATE=v + _days(1), SEEN="N", SEEN_ALONE="N")
                v = nxt

    def _health(self) -> None:
        L, s = self.lapse, self.start
        end = self.end or FAR
        due = add_working_days(s, 20)
        if end <= due:
            return
        last = L.done("HLTH-01", s, due, s + DAY, lapses=end)
        if last is None or last > self.as_of:
            return
        self.w.add("health_checks", CHILD=self.id, CHECK_TYPE="IHA", CHECK_DATE=last, STATUS="COMPLETED")
        while True:
            due = add_months(last, 6 if age_at(self.dob, last) < 5 else 12)
            if end <= due:
                break
            nxt = L.done("HLTH-02", last, due, last + _days(60), lapses=end)
            if nxt is None or nxt >= end or nxt > self.as_of:
                break
            self.w.add("health_checks", CHILD=self.id, CHECK_TYPE="RHA", CHECK_DATE=nxt,
                       STATUS="COMPLETED" if self.rng.random() > 0.04 else "REFUSED")
            if self.rng.random() > 0.2 and nxt + _days(14) < min(end, self.as_of):
                self.w.add("health_checks", CHILD=self.id, CHECK_TYPE="DENTAL", CHECK_DATE=nxt + _days(14),
                           STATUS="COMPLETED")
            last = nxt

    def _peps(self) -> None:
        L, s = self.lapse, self.start
        if age_at(self.dob, s) < 3:
            return
        end = min(self.end or FAR, birthday(self.dob, 18))
        due = add_working_days(s, 10)
        if end <= due:
            return
        pep = L.done("EDU-01", s, due, s, lapses=min(self.end or FAR, FAR), key="INITIAL")
        kind = "INITIAL"
        while pep is not None and pep < (self.end or FAR) and pep <= self.as_of:
            self.w.add("peps", CHILD=self.id, PEP_DATE=pep, PEP_TYPE=kind)
            kind = "REVIEW"
            due = add_months(pep, 4)
            if end <= due:
                break
            pep = L.done("EDU-01", pep, due, pep + _days(30), lapses=self.end or FAR, key="REVIEW")

    def _placement_views(self) -> None:
        L = self.lapse
        for p in self.placements[1:]:
            if age_at(self.dob, p.start) < 4:
                self.w.add("placement_views", CHILD=self.id, MOVE_DATE=p.start, CHILD_VIEW="UNABLE")
                continue
            in_period = self.ps <= p.start <= self.as_of
            if L.wants("PLACE-01") and in_period and self.rng.random() < 0.5:
                L.record("PLACE-01", p.start, "VIEW")
                if self.rng.random() < 0.5:
                    self.w.add("placement_views", CHILD=self.id, MOVE_DATE=p.start, CHILD_VIEW="NOT_ASKED")
                continue
            view = _pick(self.rng, {"AGREED": 70, "DISAGREED": 20, "UNABLE": 10})
            if L.wants("PLACE-01") and p.reason_in != "CHILD" and self.ps <= add_working_days(p.start, 20) < self.as_of:
                view = "DISAGREED"
            audit = None
            if view == "DISAGREED" and p.reason_in != "CHILD":
                audit = L.done("PLACE-01", p.start, add_working_days(p.start, 20), p.start, key="AUDIT",
                               lapses=self.end or FAR)
                if audit is not None and audit > self.as_of:
                    audit = None
            self.w.add("placement_views", CHILD=self.id, MOVE_DATE=p.start, CHILD_VIEW=view, AUDIT_DATE=audit)

    def _missing(self) -> None:
        L, rng = self.lapse, self.rng
        if age_at(self.dob, self.until) < 11 or (rng.random() > 0.12 and not L.wants("MISS-01")):
            return
        lo = max(self.start + _days(10), self.ps - _days(200) if L.wants("MISS-01") else self.start)
        hi = self.until - _days(8)
        if hi <= lo:
            return
        for s in sorted({lo + _days(rng.randint(0, (hi - lo).days)) for _ in range(rng.randint(1, 3))}):
            back = s + _days(rng.randint(0, 3))
            kind = "M" if rng.random() < 0.8 or L.wants("MISS-01") else "A"
            self.w.add("missing", CHILD=self.id, DOB=self.dob, MISSING=kind, MIS_START=s, MIS_END=back)
            if kind == "A" and rng.random() < 0.5:
                continue  # local policy: away-without-authorisation episodes need no interview
            offered = L.done("MISS-01", s, back + _days(3), back, lapses=FAR) if kind == "M" else back + DAY
            if offered is None or offered > self.as_of:
                continue
            held = offered + _days(rng.randint(0, 5))
            self.w.add("return_interviews", CHILD=self.id, MIS_START=s, OFFERED_DATE=offered,
                       HELD_DATE=held if rng.random() < 0.7 and held <= self.as_of else None)

    def _review_requests(self) -> None:
        L, rng = self.lapse, self.rng
        if rng.random() > 0.06 and not L.wants("CP-06"):
            return
        lo = max(self.start + _days(30), self.ps - _days(20) if L.wants("CP-06") else self.start)
        if self.until - _days(40) <= lo:
            return
        req = lo + _days(rng.randint(0, (self.until - _days(40) - lo).days))
        outcome = L.done("CP-06", req, add_working_days(req, 20), req, lapses=FAR)
        self.w.add("care_plan_review_requests", CHILD=self.id, REQUEST_DATE=req,
                   OUTCOME_DATE=outcome if outcome and outcome <= self.as_of else None)

    # ------------------------------------------------------------------ leaving care

    def eligible_from(self) -> dt.date | None:
        """The 19B eligibility date, exactly as the ``eligibility`` view computes it."""
        end = self.end or FAR
        if self.short_break or end <= birthday(self.dob, 14):
            return None
        s = max(self.start, birthday(self.dob, 14))
        ef = max(s + _days(91), birthday(self.dob, 16))
        return ef if ef < end and ef < birthday(self.dob, 18) else None

    def _leaving_care(self) -> None:
        L, rng, a = self.lapse, self.rng, self.as_of
        ef = self.eligible_from()
        end = self.end or FAR
        if self.end and self.end <= a and 16 <= age_at(self.dob, self.end) <= 17 and \
                add_working_days(self.start, 20) <= self.end:
            self._ceasing()
        if ef is None or ef > a:
            return
        events: list[tuple[str, dt.date]] = []
        due01 = add_working_days(ef, 20)  # LEAVE-01: some leaving-care record by then
        due3 = add_months(ef, 3)          # LEAVE-02, -03 (plan) and -04 (adviser)
        early = add_working_days(ef, rng.randint(1, 20))
        if L.wants("LEAVE-01") and self.ps <= due01 and due01 + _days(10) < min(a, due3) and end > due3:
            first = due01 + _days(rng.randint(1, 10))
            L.record("LEAVE-01", ef)
            pa = na = plan = first
        else:
            # the adviser is allocated early, which also meets LEAVE-01 ...
            pa = L.done("LEAVE-04", ef, due3, ef, lapses=end) if L.wants("LEAVE-04") else early
            na = L.done("LEAVE-02", ef, due3, ef, lapses=end)
            plan = L.done("LEAVE-03", ef, due3, ef, lapses=min(end, birthday(self.dob, 18)), key="PLAN")
            if pa != early and na is not None:
                na = min(na, early)  # ... or, when the adviser is the lapse, the needs assessment does
        if pa is not None and pa < end and pa <= a:
            self.w.add("allocations", CHILD=self.id, ROLE="PA", WORKER_ID=f"P{rng.randint(1, 20):03d}",
                       TEAM="Leaving Care", START_DATE=pa, END_DATE=None)
            events.append(("PA_ALLOCATED", pa))
        if na is not None:
            events.append(("NEEDS_ASSESSMENT", na))
        cutoff = min(end, birthday(self.dob, 18))
        while plan is not None and plan < end:
            events.append(("PATHWAY_PLAN" if not any(e == "PATHWAY_PLAN" for e, _ in events) else "PATHWAY_REVIEW",
                           plan))
            due = add_months(plan, 6)
            if cutoff <= due:
                break
            plan = L.done("LEAVE-03", plan, due, plan + _days(30), lapses=cutoff, key="REVIEW")
        # LEAVE-06: Staying Put for a young person in foster care 3 months before 18.
        d6 = add_months(birthday(self.dob, 18), -3)
        fostered = next((p for p in self.placements if p.start <= d6 < (p.end or FAR)), None)
        if fostered and fostered.place in FOSTER and ef <= d6 and end > d6:
            offered = L.done("LEAVE-06", birthday(self.dob, 18), d6, max(ef, d6 - _days(90)), lapses=end)
            if offered is not None:
                events.append(("STAYING_PUT_OFFERED", offered))
        # LEAVE-07: a disabled young person referred to adult services by 17 and a half.
        seventeen = birthday(self.dob, 17)
        if self.cin == "N2" and self.start <= seventeen < end and end > add_months(seventeen, 6):
            referral = L.done("LEAVE-07", seventeen, add_months(seventeen, 6), max(ef, seventeen - _days(60)),
                              lapses=end)
            if referral is not None:
                events.append(("ADULT_SERVICES_REFERRAL", referral))
        for event, when in events:
            if when <= a and when <= end:
                self.w.add("leaving_care", CHILD=self.id, EVENT=event, EVENT_DATE=when)

    def _ceasing(self) -> None:
        """LEAVE-05: readiness assessed and the decision approved before care ends at 16 or 17."""
        L, rng, end = self.lapse, self.rng, self.end
        assert end is not None
        missing = None
        if L.wants("LEAVE-05") and self.ps <= end <= self.as_of:
            missing = rng.choice(["READINESS", "APPROVAL"])
            L.record("LEAVE-05", end, missing)
            if rng.random() < 0.3:
                other = "APPROVAL" if missing == "READINESS" else "READINESS"
                L.key.append(("LEAVE-05", self.id, end, other))
                missing = "BOTH"
        if missing not in ("READINESS", "BOTH"):
            self.w.add("leaving_care", CHILD=self.id, EVENT="READINESS_ASSESSMENT",
                       EVENT_DATE=max(self.start, end - _days(rng.randint(0, 60))))
        if missing not in ("APPROVAL", "BOTH"):
            self.w.add("leaving_care", CHILD=self.id, EVENT="CEASE_APPROVAL",
                       EVENT_DATE=max(self.start, end - _days(rng.randint(0, 9))))

    # ------------------------------------------------------------------ 903 returns

    def _returns(self) -> None:
        """OC2 (12 months in care at 31 March), OC3, UASC and the adoption tables."""
        rng, L, a = self.rng, self.lapse, self.as_of
        year_end = D(a.year if a >= D(a.year, 3, 31) else a.year - 1, 3, 31)
        if self.start <= year_end - _days(365) and (self.end or FAR) > year_end:
            age = age_at(self.dob, year_end)
            sdq, reason = None, None
            if 4 <= age <= 16:
                if L.wants("HLTH-03"):
                    L.record("HLTH-03", year_end)
                elif rng.random() < 0.85:
                    sdq = str(rng.randint(0, 40))
                else:
                    reason = _pick(rng, {"SDQ2": 1, "SDQ3": 1, "SDQ4": 2, "SDQ5": 2})
            elif rng.random() < 0.5:
                reason = "SDQ1"
            flags = {"TEETH_CHECK": "1", "IMMUNISATIONS": "1", "HEALTH_CHECK": "1"}
            if L.wants("HLTH-04"):
                miss = rng.choice(list(flags))
                flags[miss] = "0"
                L.record("HLTH-04", year_end, {"TEETH_CHECK": "DENTAL"}.get(miss, miss))
            self.w.add("oc2", CHILD=self.id, DOB=self.dob, SDQ_SCORE=sdq, SDQ_REASON=reason,
                       CONVICTED="1" if age > 10 and rng.random() < 0.03 else "0", HEALTH_ASSESSMENT="1",
                       SUBSTANCE_MISUSE="1" if age > 12 and rng.random() < 0.04 else "0",
                       INTERVENTION_RECEIVED="0", INTERVENTION_OFFERED="0", **flags)
        if self.end and self.end <= a and age_at(self.dob, a) >= 17:
            self.w.add("oc3", CHILD=self.id, DOB=self.dob, IN_TOUCH=_pick(rng, {"YES": 90, "NO": 5, "REFU": 5}),
                       ACTIV=_pick(rng, {"F2": 40, "F5": 20, "G5": 30, "F4": 10}),
                       ACCOM=_pick(rng, {"Z1": 30, "D1": 30, "B1": 20, "U1": 20}))
        if self.cin == "N8" and age_at(self.dob, a) > 14 and rng.random() < 0.5:
            self.w.add("uasc", CHILD=self.id, SEX=self.sex if self.sex in ("M", "F") else "M", DOB=self.dob)
        if self.ls == "E1" or rng.random() < 0.02:
            placed = self.start + _days(rng.randint(30, 200))
            if placed <= self.until:
                self.w.add("placed_for_adoption", CHILD=self.id, DOB=self.dob, DATE_PLACED=placed)
                self.w.add("ad1", CHILD=self.id, DOB=self.dob, DATE_INT=placed, FOSTER_CARE="0", NB_ADOPTR="2",
                           SEX_ADOPTR="MF", LS_ADOPTR="L0")
        if rng.random() < 0.05:
            self.w.add("previous_permanence", CHILD=self.id, DOB=self.dob, PREV_PERM=rng.choice(["P1", "P2", "P3"]),
                       LA_PERM="NA", DATE_PERM="zz/zz/2019")
