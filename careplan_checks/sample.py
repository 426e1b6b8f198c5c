"""A realistic, contract-valid sample extract, deterministic for a seed.

Proportions follow the DfE children-looked-after statistics
(``shared/reference/national_statistics.md``): sex, ethnicity, legal status,
placement type, number of placements in the year, category of need. Practice
is mostly on time, with a realistic minority of lapses (late reviews, missed
visits, overdue health assessments), so every check has something to find.

The generator is a simulation of each child's history, so it walks children
in Python; the pipeline itself never does.
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

DEFAULT_AS_OF = D(2025, 3, 31)
TEAMS = ("North", "South", "East", "West", "Disabled Children", "Leaving Care")
ETHNIC_WEIGHTS = {"WBRI": 62, "WOTH": 7, "WIRT": 1, "WROM": 1, "MWBC": 4, "MWBA": 2, "MWAS": 2, "MOTH": 3,
                  "APKN": 2, "ABAN": 1, "AOTH": 2, "BAFR": 4, "BCRB": 2, "BOTH": 1, "CHNE": 1, "OOTH": 4,
                  "REFU": 0.5, "NOBT": 0.5}
LS_WEIGHTS = {"C2": 68, "C1": 9, "V2": 17, "E1": 5, "L1": 0.3, "L2": 0.2, "J1": 0.3, "V3": 0.7}
CIN_WEIGHTS = {"N1": 62, "N2": 5, "N3": 3, "N4": 7, "N5": 15, "N6": 2, "N7": 0.5, "N8": 5.5}
PLACE_WEIGHTS = {"U4": 20, "U6": 34, "U1": 8, "U3": 10, "U5": 2, "U2": 1, "K2": 9, "R1": 1, "P1": 5,
                 "A5": 3, "A6": 2, "K1": 0.5, "S1": 0.5, "K3": 3, "Z11": 1}
REASONS = {"CARPL": 40, "CREQB": 15, "CREQO": 10, "CHILD": 8, "LAREQ": 7, "CLOSE": 5, "STAND": 3,
           "ALLEG": 2, "APPRR": 2, "OTHER": 8}
OWN_PROVIDER = {"U1": "PR1", "U2": "PR1", "U3": "PR1", "U4": "PR1", "U5": "PR1", "U6": "PR4", "K2": "PR4",
                "K1": "PR1", "K3": "PR4", "R1": "PR3", "P1": "PR0", "A5": "PR1", "A6": "PR5", "S1": "PR5",
                "Z11": "PR4"}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _add_months(d: dt.date, n: int) -> dt.date:
    """Calendar months clamped to the month's end, as the SQL macro ``add_months``."""
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    last = (D(y + (m == 12), m % 12 + 1, 1) - DAY).day
    return D(y, m, min(d.day, last))


@dataclass
class Writer:
    """Collects rows per table; writes 903 tables with DfE dates, the supplement with ISO dates."""

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
class Episode:
    start: dt.date
    end: dt.date | None
    ls: str
    place: str
    rne: str
    reason_change: str | None = None
    rec: str | None = None


def generate(out: Path, children: int = 200, seed: int = 1, as_of: dt.date = DEFAULT_AS_OF,
             years: int = 5) -> dict[str, int]:
    """Write a sample extract of about ``children`` children to ``out``; return rows per table."""
    rng = random.Random(seed)
    w = Writer()
    workers = [f"W{i:04d}" for i in range(1, max(8, children // 15) + 2)]
    worker_team = {wk: TEAMS[i % 5] for i, wk in enumerate(workers)}
    for i in range(1, children + 1):
        _child(w, rng, f"C{seed % 100:02d}{i:06d}", as_of, years, workers, worker_team)
    return w.write(out)


def _late(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def _child(w: Writer, rng: random.Random, child: str, as_of: dt.date, years: int,
           workers: list[str], worker_team: dict[str, str]) -> None:
    age_years = min(17.9, max(0.05, rng.triangular(0, 18, 13)))
    dob = as_of - dt.timedelta(days=int(age_years * 365.25))
    earliest = max(dob, as_of - dt.timedelta(days=int(years * 365.25)))
    span = (as_of - earliest).days
    start = earliest + dt.timedelta(days=int(rng.random() ** 1.3 * max(span - 1, 1)))
    sex = rng.choices(["M", "F", "1", "2"], weights=[52, 38, 6, 4])[0]
    w.add("header", CHILD=child, SEX=sex, DOB=dob, ETHNIC=_pick(rng, ETHNIC_WEIGHTS),
          UPN="UN1" if age_years < 4 else rng.choices(["KNOWN", "UN2", "UN3", "UN4", "UN5"], [90, 3, 3, 3, 1])[0],
          MOTHER=(rng.choice(["0", "0", "0", "1"]) if sex in ("F", "2") and age_years > 14 else None))

    # --- episodes: a first placement, then moves and legal-status changes ---
    ls = _pick(rng, LS_WEIGHTS)
    cin = _pick(rng, CIN_WEIGHTS)
    moves = rng.choices([0, 1, 2, 3, 4], weights=[60, 22, 10, 5, 3])[0]
    eps = [Episode(start, None, ls, _pick(rng, PLACE_WEIGHTS), "S")]
    cursor = start
    for _ in range(moves):
        gap = (as_of - cursor).days
        if gap < 30:
            break
        cursor = cursor + dt.timedelta(days=rng.randint(14, min(gap - 1, 700)))
        kind = rng.choices(["P", "L", "T"], weights=[70, 20, 10])[0]
        prev = eps[-1]
        new_ls = _pick(rng, {"C2": 80, "E1": 20}) if kind == "L" else prev.ls
        new_place = prev.place if kind == "L" else _pick(rng, PLACE_WEIGHTS)
        prev.end, prev.rec = cursor, "X1"
        prev.reason_change = "PLACE" if kind == "L" else _pick(rng, REASONS)
        eps.append(Episode(cursor, None, new_ls, new_place, kind))
    ceased = rng.random() < 0.3 and (as_of - eps[-1].start).days > 30
    if age_years >= 17.5 and rng.random() < 0.5:
        ceased = True
    if ceased:
        last = eps[-1]
        last.end = last.start + dt.timedelta(days=rng.randint(10, (as_of - last.start).days - 1))
        last.rec = "E17" if age_years >= 17.5 else _pick(rng, {"E4A": 40, "E13": 10, "E41": 10, "E45": 10,
                                                               "E11": 10, "E8": 10, "E5": 10})
    home = f"EG{rng.randint(1, 30)}"
    for e in eps:
        provider = None if e.place in ("T0", "T1", "T2", "T3", "Z11") else OWN_PROVIDER.get(e.place, "PR1")
        w.add("episodes", CHILD=child, DECOM=e.start, RNE=e.rne, LS=e.ls, CIN=cin, PLACE=e.place,
              PLACE_PROVIDER=provider, DEC=e.end, REC=e.rec, REASON_PLACE_CHANGE=e.reason_change,
              HOME_POST=home, PL_POST=f"EG{rng.randint(1, 40)} {rng.randint(1, 9)}")
    left = eps[-1].end
    in_care_until = left or as_of

    # --- allocations: social worker, IRO; personal adviser from 16 ---
    sw = rng.choice(workers)
    sw_start = start if rng.random() > 0.1 else start + dt.timedelta(days=rng.randint(1, 10))
    sw_change = in_care_until - dt.timedelta(days=rng.randint(30, 300)) if rng.random() < 0.3 else None
    if sw_change and sw_change > sw_start + dt.timedelta(days=30):
        sw2 = rng.choice(workers)
        w.add("allocations", CHILD=child, ROLE="SW", WORKER_ID=sw, TEAM=worker_team[sw], START_DATE=sw_start,
              END_DATE=sw_change)
        w.add("sw_episodes", CHILD=child, SW_ID=sw, SW_DECOM=sw_start, SW_DEC=sw_change, SW_REASON="MANAGE")
        allocations = [(sw, sw_start, sw_change), (sw2, sw_change, left)]
    else:
        allocations = [(sw, sw_start, left)]
    last_sw, last_start, _ = allocations[-1]
    w.add("allocations", CHILD=child, ROLE="SW", WORKER_ID=last_sw, TEAM=worker_team[last_sw],
          START_DATE=last_start, END_DATE=left)
    w.add("sw_episodes", CHILD=child, SW_ID=last_sw, SW_DECOM=last_start, SW_DEC=left)
    iro = f"I{rng.randint(1, 12):03d}"
    w.add("allocations", CHILD=child, ROLE="IRO", WORKER_ID=iro, TEAM="IRO Service",
          START_DATE=start + dt.timedelta(days=rng.randint(0, 6)), END_DATE=left)

    # --- health-record access for each social worker allocation ---
    for worker, a_start, a_end in allocations:
        if rng.random() < 0.05:
            continue  # never requested: a lapse for HLTH-05
        req = a_start + dt.timedelta(days=rng.randint(0, 5))
        if req > as_of:
            continue
        granted = req + dt.timedelta(days=rng.randint(1, 7) if not _late(rng, 0.08) else rng.randint(20, 60))
        if granted > as_of or (a_end and granted > a_end):
            granted = None  # still outstanding, or never granted before the allocation ended
        w.add("health_record_access", CHILD=child, WORKER_ID=worker, REQUESTED_DATE=req,
              GRANTED_DATE=granted, ENDED_DATE=a_end if granted else None,
              CONSENT_BASIS=_pick(rng, {"PARENT": 50, "COURT": 35, "CHILD": 10, "OTHER": 5}))

    # --- care plan, reviews, visits, health, education ---
    plan = add_working_days(start, rng.randint(1, 8) if not _late(rng, 0.08) else rng.randint(11, 25))
    if plan <= as_of:
        complete = not _late(rng, 0.1)
        w.add("care_plans", CHILD=child, PLAN_DATE=plan, PERMANENCE_PLAN="Y" if complete or rng.random() < .5 else "N",
              HEALTH_PLAN="Y" if complete or rng.random() < .5 else "N", PEP="Y" if age_years >= 3 else "N",
              PLACEMENT_PLAN="Y", CHILD_WISHES_RECORDED="Y" if complete else "N",
              COORDINATOR_ROLE="SW" if rng.random() > 0.03 else "TM")
    short_break = ls == "V3"
    if not short_break:
        _reviews(w, rng, child, dob, start, in_care_until)
        _health(w, rng, child, dob, start, in_care_until)
    for e in eps:
        if e.rne in ("S", "P", "T") and not short_break:
            _visits(w, rng, child, e.start, e.end or in_care_until)
    for e in eps[1:]:
        if e.rne in ("P", "T"):
            age_at_move = (e.start - dob).days / 365.25
            if age_at_move < 4:
                view, audit = "UNABLE", None
            else:
                view = _pick(rng, {"AGREED": 74, "DISAGREED": 18, "NOT_ASKED": 3, "UNABLE": 5})
                audit = None
                if view == "DISAGREED" and not _late(rng, 0.25):
                    audit = add_working_days(e.start, rng.randint(2, 18))
                    audit = audit if audit <= as_of else None
            w.add("placement_views", CHILD=child, MOVE_DATE=e.start, CHILD_VIEW=view, AUDIT_DATE=audit)
    if age_years >= 3.5 and not short_break:
        pep = add_working_days(start, rng.randint(2, 9) if not _late(rng, 0.1) else rng.randint(12, 30))
        kind = "INITIAL"
        while pep <= in_care_until:
            w.add("peps", CHILD=child, PEP_DATE=pep, PEP_TYPE=kind)
            kind = "REVIEW"
            pep = pep + dt.timedelta(days=rng.randint(90, 125) if not _late(rng, 0.1) else rng.randint(130, 200))
    if age_years >= 11 and rng.random() < 0.12:
        _missing(w, rng, child, dob, start, in_care_until)
    if rng.random() < 0.05 and (in_care_until - start).days > 60:
        req = start + dt.timedelta(days=rng.randint(30, (in_care_until - start).days - 1))
        outcome = add_working_days(req, rng.randint(3, 18)) if not _late(rng, 0.2) else None
        w.add("care_plan_review_requests", CHILD=child, REQUEST_DATE=req,
              OUTCOME_DATE=outcome if outcome and outcome <= as_of else None)
    _leaving_care(w, rng, child, dob, start, left, as_of, eps)
    _returns(w, rng, child, dob, start, in_care_until, as_of, ls, cin, sex)


def _reviews(w: Writer, rng: random.Random, child: str, dob: dt.date, start: dt.date, until: dt.date) -> None:
    due = add_working_days(start, 20)
    review = add_working_days(start, rng.randint(8, 19)) if not _late(rng, 0.07) else due + dt.timedelta(days=12)
    n = 0
    while review <= until:
        age = (review - dob).days / 365.25
        code = "PN0" if age < 4 else _pick(rng, {"PN1": 55, "PN2": 5, "PN3": 3, "PN4": 5, "PN5": 8,
                                                 "PN6": 12, "PN7": 12})
        w.add("reviews", CHILD=child, DOB=dob, REVIEW=review, REVIEW_CODE=code)
        n += 1
        limit = _add_months(review, 3 if n == 1 else 6)
        review = (limit - dt.timedelta(days=rng.randint(3, 40))) if not _late(rng, 0.08) \
            else limit + dt.timedelta(days=rng.randint(5, 40))


def _visits(w: Writer, rng: random.Random, child: str, start: dt.date, until: dt.date) -> None:
    visit = start + dt.timedelta(days=rng.randint(1, 6) if not _late(rng, 0.05) else rng.randint(9, 20))
    while visit <= until:
        w.add("visits", CHILD=child, VISIT_DATE=visit, SEEN="Y" if rng.random() > 0.03 else "N",
              SEEN_ALONE="Y" if rng.random() > 0.3 else "N")
        visit += dt.timedelta(days=rng.randint(21, 41) if not _late(rng, 0.06) else rng.randint(44, 70))


def _health(w: Writer, rng: random.Random, child: str, dob: dt.date, start: dt.date, until: dt.date) -> None:
    iha = add_working_days(start, rng.randint(5, 19)) if not _late(rng, 0.12) else add_working_days(start, 30)
    if iha <= until:
        w.add("health_checks", CHILD=child, CHECK_TYPE="IHA", CHECK_DATE=iha, STATUS="COMPLETED")
    last = iha
    while True:
        under5 = (last - dob).days < 5 * 365.25
        limit = _add_months(last, 6 if under5 else 12)
        nxt = limit - dt.timedelta(days=rng.randint(5, 40)) if not _late(rng, 0.1) \
            else limit + dt.timedelta(days=rng.randint(10, 60))
        if nxt > until:
            break
        status = "COMPLETED" if rng.random() > 0.04 else "REFUSED"
        w.add("health_checks", CHILD=child, CHECK_TYPE="RHA", CHECK_DATE=nxt, STATUS=status)
        if (nxt - dob).days > 365 and rng.random() > 0.15:
            w.add("health_checks", CHILD=child, CHECK_TYPE="DENTAL", CHECK_DATE=nxt + dt.timedelta(days=14),
                  STATUS="COMPLETED") if nxt + dt.timedelta(days=14) <= until else None
        last = nxt


def _missing(w: Writer, rng: random.Random, child: str, dob: dt.date, start: dt.date, until: dt.date) -> None:
    days = (until - start).days
    if days < 10:
        return
    starts = sorted({start + dt.timedelta(days=rng.randint(1, days - 1)) for _ in range(rng.randint(1, 3))})
    for s in starts:
        end = s + dt.timedelta(days=rng.randint(0, 3))
        end = end if end <= until else None
        w.add("missing", CHILD=child, DOB=dob, MISSING=rng.choice(["M", "M", "M", "A"]), MIS_START=s, MIS_END=end)
        if end:
            offered = end + dt.timedelta(days=rng.randint(0, 2) if not _late(rng, 0.15) else rng.randint(4, 10))
            if offered <= until:
                held = offered + dt.timedelta(days=rng.randint(0, 5)) if rng.random() < 0.7 else None
                w.add("return_interviews", CHILD=child, MIS_START=s, OFFERED_DATE=offered,
                      HELD_DATE=held if held and held <= until else None)


def _leaving_care(w: Writer, rng: random.Random, child: str, dob: dt.date, start: dt.date,
                  left: dt.date | None, as_of: dt.date, eps: list[Episode]) -> None:
    sixteen = _add_months(dob, 16 * 12)
    until = left or as_of
    if until < sixteen or (until - max(start, _add_months(dob, 14 * 12))).days < 91:
        return
    eligible_from = max(sixteen, start + dt.timedelta(days=91))
    na = eligible_from + dt.timedelta(days=rng.randint(10, 80) if not _late(rng, 0.1) else rng.randint(100, 160))
    if na <= until:
        w.add("leaving_care", CHILD=child, EVENT="NEEDS_ASSESSMENT", EVENT_DATE=na)
        plan = na + dt.timedelta(days=rng.randint(5, 40))
        while plan <= until:
            w.add("leaving_care", CHILD=child, EVENT="PATHWAY_PLAN" if plan <= na + dt.timedelta(days=40)
                  else "PATHWAY_REVIEW", EVENT_DATE=plan)
            plan = _add_months(plan, 6) - dt.timedelta(days=rng.randint(2, 30)) if not _late(rng, 0.1) \
                else _add_months(plan, 6) + dt.timedelta(days=rng.randint(5, 40))
    pa = eligible_from + dt.timedelta(days=rng.randint(5, 60))
    if pa <= until and rng.random() > 0.08:
        w.add("leaving_care", CHILD=child, EVENT="PA_ALLOCATED", EVENT_DATE=pa)
        w.add("allocations", CHILD=child, ROLE="PA", WORKER_ID=f"P{rng.randint(1, 20):03d}", TEAM="Leaving Care",
              START_DATE=pa, END_DATE=None)
    if left and left < _add_months(dob, 18 * 12):
        if rng.random() > 0.15:
            w.add("leaving_care", CHILD=child, EVENT="READINESS_ASSESSMENT",
                  EVENT_DATE=left - dt.timedelta(days=rng.randint(10, 60)))
        if rng.random() > 0.1:
            w.add("leaving_care", CHILD=child, EVENT="CEASE_APPROVAL",
                  EVENT_DATE=left - dt.timedelta(days=rng.randint(1, 9)))
    seventeen_half = _add_months(dob, 17 * 12 + 6)
    fostered = eps[-1].place.startswith("U")
    if fostered and seventeen_half <= until and rng.random() > 0.2:
        w.add("leaving_care", CHILD=child, EVENT="STAYING_PUT_OFFERED",
              EVENT_DATE=seventeen_half + dt.timedelta(days=rng.randint(0, 60)) if seventeen_half
              + dt.timedelta(days=60) <= until else seventeen_half)


def _returns(w: Writer, rng: random.Random, child: str, dob: dt.date, start: dt.date, until: dt.date,
             as_of: dt.date, ls: str, cin: str, sex: str) -> None:
    """The 903 outcome tables: OC2 (12 months in care at 31 March), OC3, UASC, adoption tables."""
    year_end = D(as_of.year if as_of >= D(as_of.year, 3, 31) else as_of.year - 1, 3, 31)
    if start <= year_end - dt.timedelta(days=365) and until >= year_end:
        age = (year_end - dob).days / 365.25
        sdq = str(rng.randint(3, 30)) if 4 <= age < 17 and rng.random() > 0.15 else None
        w.add("oc2", CHILD=child, DOB=dob, SDQ_SCORE=sdq,
              SDQ_REASON=None if sdq or not (4 <= age < 17) else _pick(rng, {"SDQ2": 1, "SDQ4": 2, "SDQ5": 2}),
              CONVICTED="1" if age > 10 and rng.random() < 0.03 else "0",
              HEALTH_CHECK="1" if rng.random() > 0.1 else "0", IMMUNISATIONS="1" if rng.random() > 0.15 else "0",
              TEETH_CHECK="1" if rng.random() > 0.2 else "0", HEALTH_ASSESSMENT="1" if rng.random() > 0.1 else "0",
              SUBSTANCE_MISUSE="1" if age > 12 and rng.random() < 0.04 else "0",
              INTERVENTION_RECEIVED="0", INTERVENTION_OFFERED="0")
    age_now = (as_of - dob).days / 365.25
    if age_now >= 17 and until < as_of:
        w.add("oc3", CHILD=child, DOB=dob, IN_TOUCH=_pick(rng, {"YES": 90, "NO": 5, "REFU": 5}),
              ACTIV=_pick(rng, {"F2": 40, "F5": 20, "G5": 30, "F4": 10}), ACCOM=_pick(rng, {"Z1": 30, "D1": 30,
                                                                                          "B1": 20, "U1": 20}))
    if cin == "N8" and age_now > 14 and rng.random() < 0.5:
        w.add("uasc", CHILD=child, SEX=sex if sex in ("M", "F") else "M", DOB=dob, DUC=None)
    if ls == "E1" or rng.random() < 0.02:
        placed = start + dt.timedelta(days=rng.randint(30, 200))
        if placed <= until:
            w.add("placed_for_adoption", CHILD=child, DOB=dob, DATE_PLACED=placed)
            w.add("ad1", CHILD=child, DOB=dob, DATE_INT=placed, DATE_MATCH=placed + dt.timedelta(days=60)
                  if placed + dt.timedelta(days=60) <= until else None, FOSTER_CARE="0", NB_ADOPTR="2",
                  SEX_ADOPTR="MF", LS_ADOPTR="L0")
    if rng.random() < 0.05:
        w.add("previous_permanence", CHILD=child, DOB=dob, PREV_PERM=rng.choice(["P1", "P2", "P3"]),
              LA_PERM="NA", DATE_PERM="zz/zz/2019")
