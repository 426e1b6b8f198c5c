"""What each placement owes: its plan, visits and the child's view of each move."""

from __future__ import annotations

import datetime as dt

from ..calendar import add_working_days
from .base import ChildBase, Placement
from .common import DAY, FAR, FOSTER, add_months, age_at, days, pick


class PlacementEvents(ChildBase):
    def _visits(self) -> None:
        L = self.lapse
        for p in self.placements:
            end = p.end or FAR
            if p.place.startswith("T"):
                continue
            home = p.place == "P1" and p.ls == "C1"
            first_review = next((r for r in self.reviews if r >= p.start), None)
            due = p.start + days(7)
            if end <= due:
                continue
            self._placement_plan(p)
            v = L.done("VIS-01", p.start, due, p.start, lapses=end)
            while v is not None and v < end and v <= self.as_of:
                self.w.add("visits", CHILD=self.id, VISIT_DATE=v, SEEN="Y",
                           SEEN_ALONE="Y" if self.rng.random() > 0.3 else "N")
                if home:
                    weekly = first_review is None or v < first_review
                    due = v + days(7 if weekly else 28)
                    if end <= due:
                        break
                    # a late visit here stays within VIS-02's six weeks, so only VIS-03 reports it
                    nxt = L.done("VIS-03", v, due, v + DAY, lapses=end, can_skip=False, max_late=12)
                else:
                    due = self._next_visit_due(p, v)
                    if end <= due:
                        break
                    nxt = L.done("VIS-02", v, due, v + days(14), lapses=end)
                if nxt is not None and self.rng.random() < 0.05 and (nxt - v).days > 3:
                    self.w.add("visits", CHILD=self.id, VISIT_DATE=v + days(1), SEEN="N", SEEN_ALONE="N")
                v = nxt

    def _placement_plan(self, p: Placement) -> None:
        """The placement plan (reg 9): meant to last until 18, confirmed as long-term fostering, the
        child's agreement to visits up to six months apart. Some placements have none recorded."""
        rng = self.rng
        confirmed = p.long_term_foster  # confirmed as long term with the same carer (an RNE T episode)
        if p.ls in ("V3", "V4") or (rng.random() < 0.3 and not confirmed):
            return
        long_term = p.place in ("U1", "U4")
        p.until_18 = pick(rng, {"Y": 85, "": 10, "N": 5} if long_term else {"Y": 10, "": 60, "N": 30}) or None
        if confirmed:
            p.until_18 = "Y"
        elif p.until_18 == "Y" and p.place in FOSTER and rng.random() < 0.5:
            p.long_term_foster = self._recorded(p.start + days(rng.randint(-30, 400)), p)
        if p.long_term_foster and age_at(self.dob, p.long_term_foster) >= 8 and rng.random() < 0.6:
            p.visits_agreed = self._recorded(p.long_term_foster + days(rng.randint(0, 500)), p)
        self.w.add("placement_plans", CHILD=self.id, PLACEMENT_START=p.start,
                   PLAN_DATE=min(add_working_days(p.start, rng.randint(0, 5)), self.as_of), UNTIL_18=p.until_18,
                   LONG_TERM_FOSTER_DATE=p.long_term_foster, VISITS_AGREED_DATE=p.visits_agreed)

    def _recorded(self, d: dt.date, p: Placement) -> dt.date | None:
        """A date in the placement's plan, if it has happened by the as-of date and within the placement."""
        return d if d <= self.as_of and d < (p.end or FAR) else None

    @staticmethod
    def _next_visit_due(p: Placement, v: dt.date) -> dt.date:
        """When the visit after ``v`` is due (reg 28(2), (3A)), exactly as VIS-02 works it out."""
        if v < add_months(p.start, 12):
            return v + days(42)
        ltfp, agreed = p.long_term_foster, p.visits_agreed
        if ltfp and agreed and ltfp <= v and agreed <= v and v >= add_months(max(p.start, ltfp), 12):
            return add_months(v, 6)
        if p.until_18 == "Y" or (ltfp and ltfp <= v) or (p.until_18 is None and p.place in ("U1", "U4")):
            return add_months(v, 3)
        return v + days(42)

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
            view = pick(self.rng, {"AGREED": 70, "DISAGREED": 20, "UNABLE": 10})
            if L.wants("PLACE-01") and p.reason_in != "CHILD" and self.ps <= add_working_days(p.start, 20) < self.as_of:
                view = "DISAGREED"
            audit = None
            if view == "DISAGREED" and p.reason_in != "CHILD":
                audit = L.done("PLACE-01", p.start, add_working_days(p.start, 20), p.start, key="AUDIT",
                               lapses=self.end or FAR)
                if audit is not None and audit > self.as_of:
                    audit = None
            self.w.add("placement_views", CHILD=self.id, MOVE_DATE=p.start, CHILD_VIEW=view, AUDIT_DATE=audit)

