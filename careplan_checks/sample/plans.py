"""Each placement's plan (CPPCR reg 9) and how each visit saw the child (reg 29)."""

from __future__ import annotations

import datetime as dt

from ..calendar import add_working_days
from .base import ChildBase, Placement
from .common import FAR, FOSTER, D, age_at, days, pick

PLAN_WORKING_DAYS = 5  # CP-03: reg 9(2)
PLAN_FROM = D(2011, 4, 1)  # CP-03: reg 9(4), placements made before then have no timescale
NO_PLAN_PLACES = ("A3", "A4", "A5", "A6", "R5")  # CP-03: placed for adoption, or in custody: not s.22C
ALONE_FROM_AGE = 4  # VIS-06's presumed_too_young_under


class PlacementPlans(ChildBase):
    def _placement_plan(self, p: Placement) -> None:
        """The placement plan (reg 9): when it was made, whether the placement is meant to last until 18,
        confirmed as long-term fostering, the child's agreement to visits up to six months apart, and the
        facts about the placement the regulations turn on. Some plans leave the intentions unrecorded."""
        rng = self.rng
        if p.ls in ("V3", "V4"):
            return
        confirmed = p.long_term_foster  # confirmed as long term with the same carer (an RNE T episode)
        if rng.random() >= 0.3 or confirmed:
            long_term = p.place in ("U1", "U4")
            p.until_18 = pick(rng, {"Y": 85, "": 10, "N": 5} if long_term else {"Y": 10, "": 60, "N": 30}) or None
            if confirmed:
                p.until_18 = "Y"
            elif p.until_18 == "Y" and p.place in FOSTER and rng.random() < 0.5:
                p.long_term_foster = self._happened(p.start + days(rng.randint(-30, 400)), p)
            if p.long_term_foster and age_at(self.dob, p.long_term_foster) >= 8 and rng.random() < 0.6:
                p.visits_agreed = self._happened(p.long_term_foster + days(rng.randint(0, 500)), p)
        p.plan_date = self._plan_date(p)
        p.planned = True
        yn = {True: "Y", False: "N"}
        self.w.add("placement_plans", CHILD=self.id, PLACEMENT_START=p.start, PLAN_DATE=p.plan_date,
                   UNTIL_18=p.until_18, LONG_TERM_FOSTER_DATE=p.long_term_foster,
                   VISITS_AGREED_DATE=p.visits_agreed, EMERGENCY=yn[p.emergency], OUT_OF_AREA=yn[p.out_of_area],
                   AT_A_DISTANCE=yn[p.at_a_distance], EDUCATION_DISRUPTED=yn[p.education_disrupted])

    def _plan_date(self, p: Placement) -> dt.date | None:
        """When the placement plan was made (CP-03): before the placement for most, within 5 working days of its
        start where that was not practicable (an emergency placement, for one), a few on the 5th working day
        itself; late or never only for a seeded lapse (None: never made)."""
        rng, L = self.rng, self.lapse
        due = add_working_days(p.start, PLAN_WORKING_DAYS)
        end = p.end or FAR
        checked = p.place not in NO_PLAN_PLACES and p.start >= PLAN_FROM and end > due
        if p.emergency or rng.random() < 0.35:  # made after the child arrived
            made = add_working_days(p.start, rng.choices(range(PLAN_WORKING_DAYS + 1), [30, 25, 15, 12, 10, 8])[0])
        else:
            made = p.start - days(rng.randint(0, 14))
        if checked and L.wants("CP-03"):
            made = L.done("CP-03", p.start, due, made, lapses=end)  # late or never where the rule would report it
            if made is None:
                return None  # the row keeps the plan's other facts, without a date
        if end <= due:
            made = min(made, end - days(1))  # a placement that ended within the 5 working days
        return min(made, self.as_of)

    def _seen_alone(self, p: Placement, v: dt.date) -> tuple[str | None, str | None]:
        """SEEN_ALONE and NOT_ALONE_REASON for a visit at which the child was seen (VIS-06, reg 29): most
        children of 4 and over are spoken to alone; some refuse, and for some younger or less able children
        the worker judges it inappropriate. Babies and toddlers are seldom recorded as seen alone."""
        rng, L = self.rng, self.lapse
        age = age_at(self.dob, v)
        if age < ALONE_FROM_AGE:  # not checked by VIS-06: recorded as practice records it
            alone = pick(rng, {"N": 75, "": 25} if age < 1 else {"Y": 20, "N": 65, "": 15}) or None
            return alone, "INAPPROPRIATE" if alone == "N" and rng.random() < 0.85 else None
        if L.wants("VIS-06") and self.ps <= v <= self.as_of and rng.random() < 0.4:
            L.record("VIS-06", v)
            return rng.choice(["N", None]), None  # not alone without a reason, or not recorded at all
        weights = ({"Y": 80, "INAPPROPRIATE": 15, "REFUSED": 5} if age < 8 else
                   {"Y": 88, "INAPPROPRIATE": 3, "REFUSED": 9} if age < 13 else
                   {"Y": 85, "INAPPROPRIATE": 1, "REFUSED": 14})
        outcome = pick(rng, weights)
        return ("Y", None) if outcome == "Y" else ("N", outcome)
