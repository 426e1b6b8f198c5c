"""Health assessments and checks, personal education plans and missing episodes."""

from __future__ import annotations

from ..calendar import add_working_days
from .base import ChildBase
from .common import DAY, FAR, add_months, age_at, birthday, days


class HealthAndEducation(ChildBase):
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
            nxt = L.done("HLTH-02", last, due, last + days(60), lapses=end)
            if nxt is None or nxt >= end or nxt > self.as_of:
                break
            self.w.add("health_checks", CHILD=self.id, CHECK_TYPE="RHA", CHECK_DATE=nxt,
                       STATUS="COMPLETED" if self.rng.random() > 0.04 else "REFUSED")
            if self.rng.random() > 0.2 and nxt + days(14) < min(end, self.as_of):
                self.w.add("health_checks", CHILD=self.id, CHECK_TYPE="DENTAL", CHECK_DATE=nxt + days(14),
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
            pep = L.done("EDU-01", pep, due, pep + days(30), lapses=self.end or FAR, key="REVIEW")

    def _missing(self) -> None:
        L, rng = self.lapse, self.rng
        if age_at(self.dob, self.until) < 11 or (rng.random() > 0.12 and not L.wants("MISS-01")):
            return
        lo = max(self.start + days(10), self.ps - days(200) if L.wants("MISS-01") else self.start)
        hi = self.until - days(8)
        if hi <= lo:
            return
        for s in sorted({lo + days(rng.randint(0, (hi - lo).days)) for _ in range(rng.randint(1, 3))}):
            back = s + days(rng.randint(0, 3))
            kind = "M" if rng.random() < 0.8 or L.wants("MISS-01") else "A"
            self.w.add("missing", CHILD=self.id, DOB=self.dob, MISSING=kind, MIS_START=s, MIS_END=back)
            if kind == "A" and rng.random() < 0.5:
                continue  # local policy: away-without-authorisation episodes need no interview
            offered = L.done("MISS-01", s, back + days(3), back, lapses=FAR) if kind == "M" else back + DAY
            if offered is None or offered > self.as_of:
                continue
            held = offered + days(rng.randint(0, 5))
            self.w.add("return_interviews", CHILD=self.id, MIS_START=s, OFFERED_DATE=offered,
                       HELD_DATE=held if rng.random() < 0.7 and held <= self.as_of else None)

