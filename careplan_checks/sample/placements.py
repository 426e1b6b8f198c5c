"""What each placement owes: its visits and the child's view of each move (the plan: ``plans.py``)."""

from __future__ import annotations

import datetime as dt

from ..calendar import add_working_days
from .base import ChildBase, Placement
from .common import DAY, FAR, add_months, age_at, days, pick


class PlacementEvents(ChildBase):
    def _visits(self) -> None:
        L = self.lapse
        for p in self.placements:
            end = p.end or FAR
            if p.place.startswith("T"):
                continue
            home = p.place == "P1" and p.ls == "C1"
            # placed with a parent on a full care order before the assessment (reg 19): VIS-04 (reg 28(3))
            pending = p.place == "P1" and p.ls == "C2" and p.parent_pending is not None and p.parent_pending <= p.start
            # with a connected person on temporary approval (reg 24) until fully approved: VIS-05 (reg 28(4))
            approved = p.foster_approved or FAR if p.temporary_approval is not None else None
            first_review = next((r for r in self.reviews if r >= p.start), None)
            due = p.start + days(7)
            if end <= due:
                continue
            self._placement_plan(p)
            v = L.done("VIS-01", p.start, due, p.start, lapses=end)
            while v is not None and v < end and v <= self.as_of:
                alone, why = self._seen_alone(p, v)
                self.w.add("visits", CHILD=self.id, VISIT_DATE=v, SEEN="Y", SEEN_ALONE=alone, NOT_ALONE_REASON=why)
                weekly = first_review is None or v < first_review  # reg 28(3)-(4): weekly to the first review
                if home:
                    due = v + days(7 if weekly else 28)
                    if end <= due:
                        break
                    # a late visit here stays within VIS-02's six weeks, so only VIS-03 reports it
                    nxt = L.done("VIS-03", v, due, v + DAY, lapses=end, can_skip=False, max_late=12)
                elif pending:
                    due = v + days(7 if weekly else 42)
                    if end <= due:
                        break
                    # weekly, a late visit stays within VIS-02's six weeks; after the first review the six
                    # weeks are VIS-02's as well, so no lapse is seeded there (it would be both rules')
                    nxt = L.done("VIS-04" if weekly else "-", v, due, v + (DAY if weekly else days(14)), lapses=end,
                                 can_skip=False, max_late=12)
                elif approved is not None and v + days(7 if weekly else 28) < approved:
                    due = v + days(7 if weekly else 28)
                    if end <= due:
                        break
                    # a late visit stays within VIS-02's six weeks, so only VIS-05 reports it; a visit whose
                    # next falls due once the carer is approved is owed under reg 28(2) (VIS-02), below
                    nxt = L.done("VIS-05", v, due, v + (DAY if weekly else days(7)), lapses=end, can_skip=False,
                                 max_late=12)
                else:
                    due = self._next_visit_due(p, v)
                    if end <= due:
                        break
                    nxt = L.done("VIS-02", v, due, v + days(14), lapses=end)
                if nxt is not None and self.rng.random() < 0.05 and (nxt - v).days > 3:
                    self.w.add("visits", CHILD=self.id, VISIT_DATE=v + days(1), SEEN="N", SEEN_ALONE="N")
                v = nxt

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

