"""What each placement owes: visits and the child's view of each move."""

from __future__ import annotations

from ..calendar import add_working_days
from .base import ChildBase
from .common import DAY, FAR, add_months, age_at, days, pick


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
                    long_term = p.place in ("U1", "U4") and v >= add_months(p.start, 12)
                    due = add_months(v, 3) if long_term else v + days(42)
                    if end <= due:
                        break
                    nxt = L.done("VIS-02", v, due, v + days(14), lapses=end)
                if nxt is not None and self.rng.random() < 0.05 and (nxt - v).days > 3:
                    self.w.add("visits", CHILD=self.id, VISIT_DATE=v + days(1), SEEN="N", SEEN_ALONE="N")
                v = nxt

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

