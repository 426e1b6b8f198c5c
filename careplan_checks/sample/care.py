"""Allocations, reviews, care plans and review requests."""

from __future__ import annotations

import datetime as dt
import random

from ..calendar import add_working_days
from .base import ChildBase
from .common import DAY, FAR, TEAMS, D, add_months, age_at, days, pick


class CarePlanning(ChildBase):
    def _allocations(self) -> None:
        rng, L = self.rng, self.lapse
        sw = rng.choice(self.workers)
        allocs = [(sw, self.start, self.end)]
        if rng.random() < 0.3 and (self.until - self.start).days > 150:
            change = self.start + days(rng.randint(90, (self.until - self.start).days - 30))
            sw2 = rng.choice([w for w in self.workers if w != sw])
            allocs = [(sw, self.start, change), (sw2, change, self.end)]
        self.sw_change = allocs[-1][1] if len(allocs) > 1 else None
        # The first social worker was allocated before care began, at the child-in-need stage, and stays on:
        # the DfE's return holds every social worker episode of the year for a child looked after on 31 March,
        # "even those whilst they were not looked after" (SW12STG2), so the worker is there from 1 April of the
        # year care began at the latest (or from birth). Each episode gives the reason that worker was assigned
        # (SW_REASON, the DfE's "reason for social worker change"): the first is a first contact or re-referral
        # (FCONTA), a later one why the worker changed. Drawn apart from the child's stream, which stays as it was.
        own = random.Random(f"sw-episodes|{self.id}|{self.start}|{self.dob}")
        april = D(self.start.year if self.start.month >= 4 else self.start.year - 1, 4, 1)
        known = max(self.dob, min(self.start - days(own.randint(20, 400)), april))
        reasons = ["FCONTA"] + [pick(own, {"LEFTRL": 35, "TSPROC": 25, "MANAGE": 20, "ABSENC": 5, "ORGRST": 5,
                                           "OTHERS": 5, "PCCHAN": 3, "CHCHAN": 2}) for _ in allocs[1:]]
        allocs[0] = (allocs[0][0], known, allocs[0][2])
        for (worker, s, e), reason in zip(allocs, reasons, strict=True):
            self.w.add("allocations", CHILD=self.id, ROLE="SW", WORKER_ID=worker,
                       TEAM=TEAMS[self.workers.index(worker) % len(TEAMS)], START_DATE=s, END_DATE=e)
            self.w.add("sw_episodes", CHILD=self.id, SW_ID="SW" + worker[1:], SW_DECOM=s, SW_DEC=e, SW_REASON=reason)
            s = max(s, self.start)  # health-record access is owed from when the child is looked after (HLTH-05)
            due = add_working_days(s, 10)
            if (e or FAR) <= due or s > self.as_of:
                continue
            granted = L.done("HLTH-05", s, due, s + DAY, lapses=e or FAR, key=worker)
            if granted is not None and granted > self.as_of:
                granted = None
            if granted is None and rng.random() < 0.4:
                continue  # never even requested
            requested = s + days(rng.randint(0, 1))
            if L.wants("DQ-02") and granted is not None and granted > requested + DAY:
                requested, granted = granted + DAY, requested  # recorded the wrong way round
                L.record("DQ-02", requested, "health_record_access")
            basis = pick(rng, {"PARENT": 50, "COURT": 35, "CHILD": 10, "OTHER": 5})
            # Access must hold while the worker stays allocated (HLTH-05): now and then it ends and is
            # renewed on the day it ends; a seeded lapse ends it and leaves it unrestored, or restores it late.
            ended, later = e if granted else None, None
            lo = max(due, granted + DAY) if granted else None
            hi = min(e or FAR, self.as_of + DAY) - DAY  # before the allocation ends, by the as-of date
            if lo and granted > requested and hi > lo + DAY:
                if L.wants("HLTH-05") and hi >= self.ps:
                    ended = max(lo, self.ps) + days(rng.randint(0, (hi - max(lo, self.ps)).days))
                    L.record("HLTH-05", ended, worker)
                    upto = min(self.as_of, (e or FAR) - DAY)
                    if upto > ended and rng.random() < 0.5:  # restored late
                        ask = ended - days(rng.randint(0, min(5, (ended - requested).days - 1)))
                        later = (ask, ended + days(rng.randint(1, (upto - ended).days)))
                elif rng.random() < 0.06:  # renewed on the day it ended: continuous
                    ended = lo + days(rng.randint(0, (hi - lo).days))
                    later = (ended - days(rng.randint(0, min(10, (ended - requested).days - 1))), ended)
            self.w.add("health_record_access", CHILD=self.id, WORKER_ID=worker, REQUESTED_DATE=requested,
                       GRANTED_DATE=granted, ENDED_DATE=ended, CONSENT_BASIS=basis)
            if later:
                self.w.add("health_record_access", CHILD=self.id, WORKER_ID=worker, REQUESTED_DATE=later[0],
                           GRANTED_DATE=later[1], ENDED_DATE=e if e and e > later[1] else None, CONSENT_BASIS=basis)

    def _reviews(self) -> list[dt.date]:
        L, s = self.lapse, self.start
        end = self.end or FAR
        due = add_working_days(s, 20)
        reviews: list[dt.date] = []
        self.iro = None
        if end <= due:
            return reviews
        first = L.done("REV-01", s, due, s + DAY, lapses=end)
        # The IRO is appointed when care starts, or (a seeded lapse) after the first review.
        iro: dt.date | None = s
        if L.wants("REV-03"):
            iro = L.done("REV-03", s, first or due, s, lapses=end)  # before the first review, held or due
        self.iro = iro if iro is not None and iro <= self.as_of and iro < end else None
        iro_worker = f"I{self.rng.randint(1, 12):03d}" if self.iro is not None else None
        r = first
        n = 1
        while r is not None and r < end and r <= self.as_of:
            reviews.append(r)
            due = add_months(r, 3 if n == 1 else 6)
            if end <= due:
                break
            r = L.done("REV-02", r, due, r + days(20), lapses=end)
            n += 1
        for r in reviews:
            age = age_at(self.dob, r)
            code = "PN0" if age < 4 else pick(self.rng, {"PN1": 55, "PN2": 5, "PN3": 3, "PN4": 5, "PN5": 8,
                                                            "PN6": 12, "PN7": 12})
            if L.wants("REV-04") and self.ps <= r <= self.as_of:
                code = "PN1" if age < 4 else self.rng.choice(["PN0", None])
                L.record("REV-04", r)
                # DfE 441 (a participation code for a child under 4), 440 (PN0 for 4 or over) or 167 (none)
                L.also_903("441" if age < 4 else "440" if code is not None else "167", r)
            dob = self.dob + DAY if (L.wants("QI-02") and r == reviews[-1]) else self.dob
            self.w.add("reviews", CHILD=self.id, DOB=dob, REVIEW=r, REVIEW_CODE=code)
        if self.iro is not None and iro_worker is not None:
            # REV-06: for some children looked after over a year the IRO leaves and another is allocated
            # within 5 working days (s.25A(3)), on the due date for a near miss; a seeded lapse, late or never.
            # The vacancy never spans a review (so never a care plan's date: CP-02 and _iro_on stay exact):
            # the new IRO is there by the next review, and a seeded lapse comes after the last one.
            left, new = None, None
            lo = max(self.iro, s + days(60)) + DAY  # after the first care plan (at most about 45 days in)
            hi = min(end - days(15), self.as_of)  # the vacancy falls due before care ends (REV-06 counts it)
            if L.wants("REV-06"):
                lo = max([lo, self.ps, *(x + DAY for x in reviews)])
            if lo <= hi and (self.until - s).days > 365 and (L.wants("REV-06") or self.rng.random() < 0.1):
                left = lo + days(self.rng.randint(0, (hi - lo).days))
                new = L.done("REV-06", left, add_working_days(left, 5), left, lapses=end)
                following = [x for x in reviews if x >= left]
                if new is not None and following:
                    new = min(new, following[0])
            self.w.add("allocations", CHILD=self.id, ROLE="IRO", WORKER_ID=iro_worker, TEAM="IRO Service",
                       START_DATE=self.iro, END_DATE=left or self.end)
            if new is not None and new <= self.as_of and new < end:
                other = f"I{(int(iro_worker[1:]) % 12) + 1:03d}"
                self.w.add("allocations", CHILD=self.id, ROLE="IRO", WORKER_ID=other, TEAM="IRO Service",
                           START_DATE=new, END_DATE=self.end)
        return reviews

    def _care_plans(self) -> None:
        L, s = self.lapse, self.start
        end = self.end or FAR
        due = add_working_days(s, 10)
        if end <= due:
            return
        if self.placements[0].ls in ("C1", "C2"):
            # s.31A: the plan follows the court's timescale, so CP-01 does not check it
            first = s + days(self.rng.randint(0, 40))
        elif not L.wants("CP-01") and self.rng.random() < 0.3 and s - days(45) < self.ps:
            # made before the child was placed (before the period, where CP-02 and CP-05 do not look)
            first = min(s - days(self.rng.randint(1, 45)), self.ps - DAY)
        else:
            first = L.done("CP-01", s, due, s, lapses=end)
        if first is None or first > self.as_of:
            return
        for d in [first] + [r for r in self.reviews if r > first]:
            if d >= end:
                break
            parts = {"PERMANENCE_PLAN": "Y", "HEALTH_PLAN": "Y", "PLACEMENT_PLAN": "Y", "CHILD_WISHES_RECORDED": "Y",
                     "IRO_NAMED": "Y" if self.rng.random() < 0.8 or not self._iro_on(d) else None}
            role = "SW"
            in_period = self.ps <= d <= self.as_of
            if L.wants("CP-02") and in_period:
                parts[self.rng.choice(list(parts))] = "N"
                L.record("CP-02", d)
            elif L.wants("CP-05") and in_period and (self.sw_change is None or d != self.sw_change):
                role = "TM"
                L.record("CP-05", d)
            self.w.add("care_plans", CHILD=self.id, PLAN_DATE=d, PEP="Y", COORDINATOR_ROLE=role, **parts)

    def _iro_on(self, d: dt.date) -> bool:
        """An IRO was allocated on ``d`` (the allocation ``_reviews`` wrote)."""
        return self.iro is not None and self.iro <= d < (self.end or FAR)

    def _review_requests(self) -> None:
        L, rng = self.lapse, self.rng
        if rng.random() > 0.06 and not L.wants("CP-06"):
            return
        lo = max(self.start + days(30), self.ps - days(20) if L.wants("CP-06") else self.start)
        if self.until - days(40) <= lo:
            return
        req = lo + days(rng.randint(0, (self.until - days(40) - lo).days))
        outcome = L.done("CP-06", req, add_working_days(req, 20), req, lapses=FAR)
        self.w.add("care_plan_review_requests", CHILD=self.id, REQUEST_DATE=req,
                   OUTCOME_DATE=outcome if outcome and outcome <= self.as_of else None)

