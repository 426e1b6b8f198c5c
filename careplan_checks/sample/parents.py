"""Placement with a parent (CPPCR regs 17-19) and with a connected person on temporary approval (regs 24-25)."""

from __future__ import annotations

import datetime as dt

from ..calendar import add_working_days
from .base import ChildBase, Placement
from .common import FAR, days

#: Connected-person foster placements (relative, friend or other person connected with the child).
CONNECTED = ("U1", "U2", "U3")
#: Share of placements with a parent on a care order made before the assessment is completed (reg 19):
#: most begin a period of care, the child at home when the order is made.
PENDING_SHARE = 0.6
#: Share of new connected-person placements that start on temporary approval (reg 24).
TEMPORARY_SHARE = 0.4
#: Share of temporary approvals extended by eight weeks (reg 25(2)).
EXTENDED_SHARE = 0.25
NO_LAPSE = "-"  # a rule name no child is assigned: the obligation is met


class ParentsAndConnected(ChildBase):
    def _parent_decisions(self) -> None:
        """The assessment and approvals a placement with a parent or a connected person owes."""
        rule = self.lapse.rule
        for i, p in enumerate(self.placements):
            if p.place == "P1" and p.ls in ("C1", "C2"):
                self._with_parent(p, first=i == 0)
            elif p.place in CONNECTED and (
                    (i == 0 and rule in ("PLACE-10", "VIS-05")) or self.rng.random() < TEMPORARY_SHARE):
                self._temporary_approval(p)

    def _owed(self, rule: str, p: Placement, due: dt.date, earliest: dt.date, key: str | None) -> dt.date | None:
        """When a decision due on ``due`` is made; a lapse only where the rule reports it (the placement
        lasts beyond the due date)."""
        end = p.end or FAR
        return self.lapse.done(rule if end > due else NO_LAPSE, p.start, due, earliest, lapses=end, key=key)

    def _with_parent(self, p: Placement, first: bool) -> None:
        """A child in care placed with a parent: assessed (reg 17) and approved (reg 18) before the placement
        (PLACE-08) or, placed before the assessment is completed (reg 19), within the time set (PLACE-09)."""
        rng, L = self.rng, self.lapse
        rule = L.rule
        if first and rule in ("PLACE-09", "VIS-04"):
            pending = True
        elif first and rule == "PLACE-08":
            pending = False
        else:
            pending = rng.random() < PENDING_SHARE
        if pending:
            p.parent_pending = p.start - days(rng.choice((0, 0, 0, 0, 0, 0, 0, 1, 1, 3)))
            self._decision(p, "PARENT_PLACED_PENDING", p.parent_pending)
            # PLACE-09: the assessment within 10 working days, then the decision within 10 more; a seeded
            # lapse falls on the decision half the time (the assessment then met)
            first_rule = NO_LAPSE if L.wants("PLACE-09") and rng.random() < 0.5 else "PLACE-09"
            assessed = self._owed(first_rule, p, add_working_days(p.start, 10), p.start, "PARENT_ASSESSED")
            if self._happened(assessed, p) is None:
                return
            self._decision(p, "PARENT_ASSESSED", assessed)
            approved = self._owed("PLACE-09", p, add_working_days(assessed, 10), assessed, "PARENT_APPROVED")
            if self._happened(approved, p) is not None:
                self._decision(p, "PARENT_APPROVED", approved)
            return
        # PLACE-08: assessed, then approved, on or before the day the child is placed; a seeded lapse
        # falls on the approval half the time (the assessment then met)
        first_rule = NO_LAPSE if L.wants("PLACE-08") and rng.random() < 0.5 else "PLACE-08"
        assessed = self._owed(first_rule, p, p.start, p.start - days(60), "PARENT_ASSESSED")
        approved: dt.date | None
        if assessed is not None and assessed > p.start:
            # assessed late (the seeded lapse): the approval, which must follow it, is late too
            approved = assessed
            L.key.append(("PLACE-08", self.id, p.start, "PARENT_APPROVED"))
        else:
            approved = self._owed("PLACE-08", p, p.start, assessed or p.start - days(30), "PARENT_APPROVED")
        if self._happened(assessed, p) is not None:
            self._decision(p, "PARENT_ASSESSED", assessed)
        if self._happened(approved, p) is not None:
            self._decision(p, "PARENT_APPROVED", approved)

    def _temporary_approval(self, p: Placement) -> None:
        """A connected person approved as a foster parent temporarily (reg 24) for 16 weeks, perhaps extended
        once by 8 weeks (reg 25), and fully approved by the expiry (PLACE-10), often on the very day."""
        rng = self.rng
        p.temporary_approval = p.start - days(rng.choice((0, 0, 0, 0, 0, 0, 0, 1, 2, 3)))
        self._decision(p, "TEMPORARY_APPROVAL", p.temporary_approval)
        expiry = p.temporary_approval + days(16 * 7)
        if rng.random() < EXTENDED_SHARE:
            extended = expiry - days(rng.choice((0, 1, 3, 7, 10, 14, 21, 28)))
            if self._happened(extended, p) is not None:
                self._decision(p, "TEMPORARY_EXTENDED", extended)
                expiry += days(8 * 7)
        approved = self._owed("PLACE-10", p, expiry, p.temporary_approval + days(42), key=None)
        if self._happened(approved, p) is not None:
            self._decision(p, "FOSTER_APPROVED", approved)
            p.foster_approved = approved
