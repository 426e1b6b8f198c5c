"""Leaving care: eligibility, needs assessment, pathway plan, adviser, Staying Put, ceasing care."""

from __future__ import annotations

import datetime as dt

from ..calendar import add_working_days
from .base import ChildBase
from .common import FAR, FOSTER, add_months, age_at, birthday, days


class LeavingCare(ChildBase):
    # ------------------------------------------------------------------ leaving care

    def eligible_from(self) -> dt.date | None:
        """The 19B eligibility date, exactly as the ``eligibility`` view computes it."""
        end = self.end or FAR
        if self.short_break or end <= birthday(self.dob, 14):
            return None
        s = max(self.start, birthday(self.dob, 14))
        ef = max(s + days(91), birthday(self.dob, 16))
        return ef if ef < end and ef < birthday(self.dob, 18) else None

    def _leaving_care(self) -> None:
        L, rng, a = self.lapse, self.rng, self.as_of
        ef = self.eligible_from()
        end = self.end or FAR
        if self.end and self.end <= a and 16 <= age_at(self.dob, self.end) <= 17:
            self._ceasing()  # LEAVE-05: whatever the length of the stay (reg 39(2))
        if ef is None or ef > a:
            return
        events: list[tuple[str, dt.date]] = []
        due01 = add_working_days(ef, 20)  # LEAVE-01: some leaving-care record by then
        due3 = add_months(ef, 3)          # LEAVE-02, -03 (plan) and -04 (adviser)
        early = add_working_days(ef, rng.randint(1, 20))
        if L.wants("LEAVE-01") and self.ps <= due01 and due01 + days(10) < min(a, due3) and end > due3:
            first = due01 + days(rng.randint(1, 10))
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
            self._advisers(pa, min(end, birthday(self.dob, 18)))
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
            plan = L.done("LEAVE-03", plan, due, plan + days(30), lapses=cutoff, key="REVIEW")
        # LEAVE-06: Staying Put for a young person in foster care 3 months before 18.
        d6 = add_months(birthday(self.dob, 18), -3)
        fostered = next((p for p in self.placements if p.start <= d6 < (p.end or FAR)), None)
        if fostered and fostered.place in FOSTER and ef <= d6 and end > d6:
            offered = L.done("LEAVE-06", birthday(self.dob, 18), d6, max(ef, d6 - days(90)), lapses=end)
            if offered is not None:
                events.append(("STAYING_PUT_OFFERED", offered))
        # LEAVE-07: a disabled young person referred to adult services by 17 and a half.
        seventeen = birthday(self.dob, 17)
        if self.cin == "N2" and self.start <= seventeen < end and ef <= seventeen \
                and end > add_months(seventeen, 6):
            referral = L.done("LEAVE-07", seventeen, add_months(seventeen, 6), max(ef, seventeen - days(60)),
                              lapses=end)
            if referral is not None:
                events.append(("ADULT_SERVICES_REFERRAL", referral))
        for event, when in events:
            if when <= a and when <= end:
                self.w.add("leaving_care", CHILD=self.id, EVENT=event, EVENT_DATE=when)

    def _advisers(self, pa: dt.date, owed_until: dt.date) -> None:
        """The personal adviser from ``pa``; now and then one leaves and another follows (LEAVE-04, REPLACED)."""
        L, rng, a = self.lapse, self.rng, self.as_of
        worker = f"P{rng.randint(1, 20):03d}"
        last = min(owed_until, a) - days(30)
        if (rng.random() < 0.15 or L.wants("LEAVE-04")) and (last - pa).days > 60:
            left = pa + days(rng.randint(60, (last - pa).days))
            self.w.add("allocations", CHILD=self.id, ROLE="PA", WORKER_ID=worker, TEAM="Leaving Care",
                       START_DATE=pa, END_DATE=left)
            nxt = L.done("LEAVE-04", left, add_working_days(left, 20), left, lapses=owed_until, key="REPLACED")
            if nxt is not None and nxt <= a and nxt < owed_until:
                self.w.add("allocations", CHILD=self.id, ROLE="PA", WORKER_ID=f"P{rng.randint(21, 40):03d}",
                           TEAM="Leaving Care", START_DATE=nxt, END_DATE=None)
            return
        self.w.add("allocations", CHILD=self.id, ROLE="PA", WORKER_ID=worker, TEAM="Leaving Care",
                   START_DATE=pa, END_DATE=None)

    def _ceasing(self) -> None:
        """LEAVE-05: the reg 39(2) assessment before care ends at 16 or 17, and the approval: the director of
        children's services when not on a care order (reg 39(5)), a nominated officer after 20 working days
        on one (reg 39(4))."""
        L, rng, end = self.lapse, self.rng, self.end
        assert end is not None
        if self.placements[-1].ls not in ("C1", "C2"):
            approver: str | None = "DCS"
        elif add_working_days(self.start, 20) <= end:
            approver = "NOMINATED"
        else:
            approver = None  # a short stay on a care order: only the assessment is owed
        owed = ["READINESS", "APPROVAL"] if approver else ["READINESS"]
        missing: set[str] = set()
        if L.wants("LEAVE-05") and self.ps <= end <= self.as_of:
            first = rng.choice(owed)
            missing.add(first)
            L.record("LEAVE-05", end, first)
            if len(owed) == 2 and rng.random() < 0.3:
                other = owed[1] if first == owed[0] else owed[0]
                missing.add(other)
                L.key.append(("LEAVE-05", self.id, end, other))
        if "READINESS" not in missing:
            self.w.add("leaving_care", CHILD=self.id, EVENT="READINESS_ASSESSMENT",
                       EVENT_DATE=max(self.start, end - days(rng.randint(0, 60))))
        when = max(self.start, end - days(rng.randint(0, 9)))
        if approver is None:
            if rng.random() < 0.3:  # an approval nobody needed is harmless
                self.w.add("leaving_care", CHILD=self.id, EVENT="CEASE_APPROVAL", EVENT_DATE=when)
        elif "APPROVAL" not in missing:
            event = "CEASE_APPROVAL_DCS" if approver == "DCS" else rng.choice(
                ["CEASE_APPROVAL_NOMINATED", "CEASE_APPROVAL", "CEASE_APPROVAL_DCS"])
            self.w.add("leaving_care", CHILD=self.id, EVENT=event, EVENT_DATE=when)
        elif approver == "DCS" and rng.random() < 0.5:
            # approved, but not by the director: still the lapse
            self.w.add("leaving_care", CHILD=self.id, EVENT=rng.choice(["CEASE_APPROVAL_NOMINATED", "CEASE_APPROVAL"]),
                       EVENT_DATE=when)

    # ------------------------------------------------------------------ 903 returns

