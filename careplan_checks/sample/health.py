"""Health assessments and checks, personal education plans and missing episodes."""

from __future__ import annotations

import datetime as dt

from ..calendar import add_working_days, default_terms
from .base import ChildBase
from .common import DAY, FAR, add_months, age_at, birthday, days

PEP_FROM_AGE = 3  # EDU-01's from_age
EMOTIONAL_UNDER_AGE = 5  # HLTH-07's under_age
EMOTIONAL_WITHIN_MONTHS = 12  # HLTH-07's within_months
DRUG_FROM_AGE = 10  # HLTH-08's from_age
EXEMPT_MONTHS = 3  # HLTH-01 and HLTH-02's exempt_within_months (CPPCR reg 7(2))
INTERVIEW_DAYS = 3  # MISS-01: 72 hours, counted as whole days after the day of return


class HealthAndEducation(ChildBase):
    def _health(self) -> None:
        iha, first_rha = self._assessments()
        self._emotional_health(iha, first_rha)

    def _assessments(self) -> tuple[dt.date | None, dt.date | None]:
        """The initial and review health assessments (and dental checks after them): the date of the initial
        assessment and of the first completed review in the period of care, when there are any."""
        L, s, rng = self.lapse, self.start, self.rng
        end = self.end or FAR
        # The initial assessment is due before the first review, and within 20 working days at the latest.
        due = add_working_days(s, 20)
        if self.reviews and self.reviews[0] < due:
            due = self.reviews[0]
        if end <= due:
            return None, None
        # Some children were assessed in the 3 months before care began: no new assessment is owed (reg 7(2)).
        window = add_months(s, -EXEMPT_MONTHS)
        last: dt.date | None
        iha = first_rha = None
        if not L.wants("HLTH-01") and rng.random() < 0.08 and window > self.dob:
            last = window if rng.random() < 0.15 else s - days(rng.randint(1, (s - window).days))  # edge: day one
            self.w.add("health_checks", CHILD=self.id, CHECK_TYPE=rng.choice(["IHA", "RHA"]), CHECK_DATE=last,
                       STATUS="COMPLETED", DRUG_MISUSE_ASSESSED=self._drug_misuse(last))
        else:
            last = L.done("HLTH-01", s, due, s + DAY, lapses=end)
            if last is None or last > self.as_of:
                return None, None
            iha = last
            self.w.add("health_checks", CHILD=self.id, CHECK_TYPE="IHA", CHECK_DATE=last, STATUS="COMPLETED",
                       DRUG_MISUSE_ASSESSED=self._drug_misuse(last))
        while True:
            due = add_months(last, 6 if age_at(self.dob, last) < 5 else 12)
            if end <= due:
                break
            nxt = L.done("HLTH-02", last, due, max(last + days(60), s), lapses=end)
            if nxt is None or nxt >= end or nxt > self.as_of:
                break
            status = "COMPLETED" if rng.random() > 0.04 else "REFUSED"
            assessed = None
            if status == "COMPLETED":
                first_rha = first_rha or nxt
                assessed = self._drug_misuse(nxt)
                if age_at(self.dob, nxt) >= DRUG_FROM_AGE and L.wants("HLTH-08") and self.ps <= nxt <= self.as_of \
                        and rng.random() < 0.85:
                    L.record("HLTH-08", nxt)  # QS165 statement 1: not assessed, or not recorded
                    assessed = rng.choice(["N", None])
            self.w.add("health_checks", CHILD=self.id, CHECK_TYPE="RHA", CHECK_DATE=nxt, STATUS=status,
                       DRUG_MISUSE_ASSESSED=assessed)
            if rng.random() > 0.2 and nxt + days(14) < min(end, self.as_of):
                self.w.add("health_checks", CHILD=self.id, CHECK_TYPE="DENTAL", CHECK_DATE=nxt + days(14),
                           STATUS="COMPLETED")
            last = nxt
        return iha, first_rha

    def _drug_misuse(self, d: dt.date) -> str | None:
        """DRUG_MISUSE_ASSESSED at a health assessment on ``d`` (HLTH-08, NICE QS165): assessed from the local
        age; for younger children mostly left blank, sometimes recorded either way."""
        if age_at(self.dob, d) >= DRUG_FROM_AGE:
            return "Y"
        if age_at(self.dob, d) < 5:
            return None
        return {0: "Y", 1: "N"}.get(self.rng.choices([0, 1, 2], weights=[15, 25, 60])[0])

    def _emotional_health(self, iha: dt.date | None, first_rha: dt.date | None) -> None:
        """Whether a specialist mental and emotional health assessment was needed, considered for a child under
        5 when care began (HLTH-07, NICE NG205 1.5.12): by the first review health assessment or within 12
        months, whichever is first; assessed for some, judged not needed for others."""
        s, rng = self.start, self.rng
        end = self.end or FAR
        if age_at(self.dob, s) >= EMOTIONAL_UNDER_AGE:
            return
        due = min(add_months(s, EMOTIONAL_WITHIN_MONTHS), first_rha or FAR)
        if end <= due:
            return
        earliest = min(max(s, iha + days(30)) if iha else s, due)  # once the child has begun to settle
        done = self.lapse.done("HLTH-07", s, due, earliest, lapses=end)
        if done is None or done > self.as_of or done >= end:
            return
        self.w.add("emotional_health", CHILD=self.id, CONSIDERED_DATE=done,
                   OUTCOME=rng.choices(["ASSESSED", "NOT_NEEDED", "REFUSED"], weights=[45, 50, 5])[0])

    def _peps(self) -> None:
        """An initial PEP for a child of PEP age when care begins, then one in every school term (the
        default terms) the child is looked after for the whole of, of PEP age and under 18."""
        L, s, rng = self.lapse, self.start, self.rng
        end = self.end or FAR
        adult = birthday(self.dob, 18)
        initial = None
        if age_at(self.dob, s) >= PEP_FROM_AGE:
            due = add_working_days(s, 10)
            if end > due and adult > due:
                # late, never skipped: any later PEP would count as the initial one, done late
                initial = L.done("EDU-01", s, due, s, lapses=end, key="INITIAL", can_skip=False)
                if initial >= end or initial > self.as_of:
                    initial = None
                else:
                    self.w.add("peps", CHILD=self.id, PEP_DATE=initial, PEP_TYPE="INITIAL")
        kind = "REVIEW" if initial else "INITIAL"
        for start, last, _ in default_terms():
            if start < s or last >= end or start > self.as_of:
                continue
            if age_at(self.dob, start) < PEP_FROM_AGE or age_at(self.dob, last) >= 18:
                continue
            if initial is not None and start <= initial <= last:
                continue  # the initial PEP is this term's
            if L.wants("EDU-01") and self.ps <= last <= self.as_of:
                L.record("EDU-01", start, "TERM")
                continue
            r = rng.random()
            pep = last if r < 0.1 else start if r < 0.15 else start + days(rng.randint(0, (last - start).days))
            if pep <= self.as_of:
                self.w.add("peps", CHILD=self.id, PEP_DATE=pep, PEP_TYPE=kind)
                kind = "REVIEW"

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
            offered: dt.date | None
            held: dt.date | None
            if kind == "A":
                if rng.random() < 0.5:
                    continue  # local policy: away-without-authorisation episodes need no interview
                offered = back + DAY
                held = offered + days(rng.randint(0, 5)) if rng.random() < 0.7 else None
            else:
                due = back + days(INTERVIEW_DAYS)
                seeded = len(L.key)
                held = L.done("MISS-01", s, due, back, lapses=FAR, key="HELD")
                if len(L.key) > seeded and rng.random() < 0.5:
                    offered = held  # not offered in time either: offered (late) when held, or never
                    L.record("MISS-01", s, "OFFERED")
                elif len(L.key) > seeded:
                    offered = back + days(rng.randint(0, INTERVIEW_DAYS))  # offered in time, not held in time
                else:
                    offered = held - days(rng.randint(0, (held - back).days))
            offered = offered if offered is not None and offered <= self.as_of else None
            held = held if held is not None and held <= self.as_of else None
            if offered is None and held is None:
                continue
            self.w.add("return_interviews", CHILD=self.id, MIS_START=s, OFFERED_DATE=offered, HELD_DATE=held)
