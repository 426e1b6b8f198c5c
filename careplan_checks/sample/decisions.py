"""Placement decisions and notices: out of area (CPPCR reg 11), education (reg 10), notification of the
placement (reg 13) and its ending (reg 14)."""

from __future__ import annotations

import datetime as dt

from ..calendar import add_working_days
from .base import ChildBase, Placement
from .common import DAY, FAR, FOSTER, PROVIDER, age_at, days

#: Reasons for a placement change that are the responsible authority's decision (PLACE-02, reg 14).
AUTHORITY_ENDINGS = ("CARPL", "LAREQ", "STAND", "ALLEG", "APPRR")
CONNECTED = ("U1", "U2", "U3")  # fostered with a relative or friend


def key_stage_4(dob: dt.date, start: dt.date) -> bool:
    """School years 10 and 11, as PLACE-04 reads them: aged 14 or 15 on the 31 August before ``start``."""
    year = start.year if start.month > 8 else start.year - 1
    return age_at(dob, dt.date(year, 8, 31)) in (14, 15)


def out_of_area_exempt(p: Placement) -> bool:
    """Reg 11(3) as PLACE-07 applies it: a connected person, or the authority's own foster carer."""
    return p.place in CONNECTED or (p.place in FOSTER and PROVIDER.get(p.place) == "PR1")


class PlacementDecisions(ChildBase):
    def _placement_facts(self) -> None:
        """Whether each placement is an emergency, out of area or disrupts education (before its plan is written).

        Realistic shares: about 15% of placements made in an emergency (more often the first placement, or
        after an allegation or a standards concern), about 40% out of the authority's area (DfE), a third of
        those at a distance, and the education disrupted for about 1 in 5 moves of school-age children.
        About 5% of the endings the authority decides are for an immediate risk (reg 14(3)).
        """
        rng = self.rng
        self.immediate_risk: set[int] = set()  # placements (by index) ended under reg 14(3)
        # a foster placement confirmed as long term with the same carer is two placements in the 903 return:
        # this one ends (for the rules) on the day it was confirmed
        self.placement_ends = [p.long_term_foster or p.end for p in self.placements]
        for i, p in enumerate(self.placements):
            if p.ls in ("V3", "V4"):
                continue
            reason = p.reason_in if i else None
            chance = 0.17 if not i else {"ALLEG": 0.5, "STAND": 0.5, "CREQB": 0.2, "CREQO": 0.2, "CLOSE": 0.2}.get(
                reason or "", 0.05)
            p.emergency = rng.random() < chance
            if reason in AUTHORITY_ENDINGS and rng.random() < (0.25 if reason in ("ALLEG", "STAND") else 0.03):
                self.immediate_risk.add(i - 1)
                p.emergency = p.emergency or rng.random() < 0.7
            p.out_of_area = rng.random() < (0.25 if p.place == "P1" else 0.4)
            p.at_a_distance = p.out_of_area and rng.random() < 0.35
            age = age_at(self.dob, p.start)
            p.education_disrupted = 5 <= age <= 17 and rng.random() < (0.2 if i else 0.15)
        self._force_lapse_facts()

    def _force_lapse_facts(self) -> None:
        """For a child whose seeded lapse is PLACE-02, -04 or -07: make the move in the period one the rule checks."""
        L, ps, a = self.lapse, self.ps, self.as_of
        for i, p in enumerate(self.placements):
            if not ps <= p.start <= a:
                continue
            if L.wants("PLACE-07") and not out_of_area_exempt(p):
                p.out_of_area = True
                return
            if i and L.wants("PLACE-04") and key_stage_4(self.dob, p.start):
                p.education_disrupted, p.emergency = True, False
                self.immediate_risk.discard(i - 1)
                return
            if i and L.wants("PLACE-02") and p.reason_in in AUTHORITY_ENDINGS \
                    and self.placements[i - 1].place not in ("P1", *CONNECTED):
                self.immediate_risk.discard(i - 1)  # reg 14(5): pending parent and temporary approvals avoided
                return

    def _placement_decisions(self) -> None:
        """The approvals, notices and endings each placement owes."""
        for i, p in enumerate(self.placements):
            if p.ls in ("V3", "V4"):
                continue
            has_plan = p.planned  # what the rules read of the placement comes from its plan
            self._out_of_area_approval(p, has_plan)
            if i:
                self._education_approval(i, p, has_plan)
            if i + 1 < len(self.placements):
                self._ending(i, p, self.placements[i + 1])
            self._notices(i, p, has_plan)

    def _before(self, start: dt.date, emergency: bool) -> dt.date:
        """An approval before the placement is put into effect: on the day itself for an emergency or a near miss."""
        if emergency or self.rng.random() < 0.12:
            return start
        return start - days(self.rng.randint(1, 28))

    def _late(self, start: dt.date, p: Placement) -> dt.date | None:
        """An approval recorded after the placement started (a seeded lapse), if it has happened yet."""
        return self._happened(start + days(self.rng.randint(1, 30)), p)

    def _out_of_area_approval(self, p: Placement, has_plan: bool) -> None:
        """PLACE-07, reg 11: the nominated officer's approval, or the director's for a placement at a distance."""
        if not (p.out_of_area or p.at_a_distance):
            return
        L, rng = self.lapse, self.rng
        exempt = out_of_area_exempt(p)
        decision = "DISTANT_APPROVED" if p.at_a_distance else "OUT_OF_AREA_APPROVED"
        if L.wants("PLACE-07") and not exempt and has_plan and self.ps <= p.start <= self.as_of:
            kind = rng.choice(["none", "late", "officer"] if p.at_a_distance else ["none", "late"])
            if kind == "late":
                self._decision(p, decision, self._late(p.start, p))
            elif kind == "officer":  # at a distance, approved by a nominated officer, not the director
                self._decision(p, "OUT_OF_AREA_APPROVED", self._before(p.start, p.emergency))
            L.record("PLACE-07", p.start)
        elif not exempt or rng.random() < 0.3:
            self._decision(p, decision, self._before(p.start, p.emergency))

    def _education_approval(self, i: int, p: Placement, has_plan: bool) -> None:
        """PLACE-04, reg 10: a move disrupting a Key Stage 4 pupil's education approved first, unless an emergency."""
        if not p.education_disrupted or not key_stage_4(self.dob, p.start):
            return
        if p.emergency or (i - 1) in self.immediate_risk:
            return  # reg 10(3): no approval is needed, and in an emergency none is sought first
        L = self.lapse
        if L.wants("PLACE-04") and has_plan and self.ps <= p.start <= self.as_of:
            if self.rng.random() < 0.4:
                self._decision(p, "EDUCATION_APPROVED", self._late(p.start, p))
            L.record("PLACE-04", p.start)
            return
        self._decision(p, "EDUCATION_APPROVED", self._before(p.start, False))

    def _ending(self, i: int, p: Placement, nxt: Placement) -> None:
        """PLACE-02, reg 14: an ending the authority decides follows a review, unless for an immediate risk.

        END_REVIEWED is dated on the last review held during the placement or, where there was none or the
        decision came later, on the day the placement ended (a review convened to consider the ending). The
        reviews table is not written here, so REV rules are unaffected."""
        end, L = nxt.start, self.lapse
        if nxt.reason_in not in AUTHORITY_ENDINGS:
            return
        if i in self.immediate_risk:
            self._decision(p, "END_IMMEDIATE_RISK", end)
            return
        if L.wants("PLACE-02") and self.ps <= end <= self.as_of and p.place not in ("P1", *CONNECTED):
            if self.rng.random() < 0.4:  # reviewed only after the child had moved
                d = end + days(self.rng.randint(1, 14))
                self._decision(p, "END_REVIEWED", d if d < (nxt.end or FAR) else None)
            L.record("PLACE-02", end)
            return
        held = [r for r in self.reviews if p.start <= r <= end]
        self._decision(p, "END_REVIEWED", max(held) if held and self.rng.random() < 0.7 else end)

    def _notices(self, i: int, p: Placement, has_plan: bool) -> None:
        """CP-04 and HLTH-06, reg 13: written notice of the placement to each recipient, before it starts or,
        in an emergency, within 5 working days."""
        rng, L = self.rng, self.lapse
        emergency = p.emergency and has_plan
        out = (p.out_of_area or p.at_a_distance) and has_plan
        due = add_working_days(p.start, 5) if emergency else p.start - DAY
        earliest = p.start if emergency else p.start - days(21)
        lapses = self.placement_ends[i] or FAR
        age = age_at(self.dob, p.start)
        reason = p.reason_in if i else None
        harm = reason in ("ALLEG", "STAND")
        prev = self.placements[i - 1].place if i else None
        # (rule, recipient, expected without a row, chance the notice is withheld under reg 13(3))
        owed: list[tuple[str, str, bool, float]] = []
        if age >= 4:
            owed.append(("CP-04", "CHILD", True, 0))
        owed.append(("CP-04", "PARENT", True, 0.1 if harm else 0.02))
        if p.ls in ("C1", "C2") and rng.random() < 0.35:
            owed.append(("CP-04", "CONTACT", False, 0.1 if harm else 0.03))
        if i and prev != "P1":
            owed.append(("CP-04", "PREVIOUS_CARER", True, 0.3 if reason == "ALLEG" else 0.02))
        elif not i and rng.random() < 0.3:
            owed.append(("CP-04", "PREVIOUS_CARER", False, 0.05))
        if 5 <= age <= 15:
            owed.append(("CP-04", "SCHOOL", True, 0))
        elif (age >= 16 and rng.random() < 0.7) or (2 <= age < 5 and rng.random() < 0.3):
            owed.append(("CP-04", "SCHOOL", False, 0))  # a college or a nursery
        owed.append(("CP-04", "IRO", True, 0))
        if out:
            owed.append(("CP-04", "AREA_AUTHORITY", True, 0))
        owed += [("HLTH-06", "HEALTH_BODY", True, 0), ("HLTH-06", "GP", True, 0)]
        for rule, recipient, always, withhold in owed:
            if withhold and rng.random() < withhold:
                self.w.add("notifications", CHILD=self.id, PLACEMENT_START=p.start, RECIPIENT=recipient, WITHHELD="Y")
                continue
            sent = L.done(rule, p.start, due, earliest, lapses=lapses, key=recipient)
            if sent is not None and sent > self.as_of:
                sent = None  # not sent yet (and not yet due)
            if sent is None and always and rng.random() < 0.5:
                continue  # no row at all: for these recipients, a missing notice
            self.w.add("notifications", CHILD=self.id, PLACEMENT_START=p.start, RECIPIENT=recipient,
                       NOTIFIED_DATE=sent, WITHHELD="N" if rng.random() < 0.5 else None)
