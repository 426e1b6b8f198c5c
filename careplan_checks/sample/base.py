"""One child's state, shared by the parts of the generator that write each family of tables."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from .common import FAR, Lapses, Writer


@dataclass
class Placement:
    start: dt.date
    place: str
    ls: str
    rne: str
    reason_in: str | None = None  # why the previous placement ended
    end: dt.date | None = None
    # what its placement plan says (placement_plans; None: not recorded)
    until_18: str | None = None
    long_term_foster: dt.date | None = None
    visits_agreed: dt.date | None = None
    plan_date: dt.date | None = None
    # facts about the placement the regulations turn on (placement_plans)
    emergency: bool = False
    out_of_area: bool = False
    at_a_distance: bool = False
    education_disrupted: bool = False
    planned: bool = False  # a placement_plans row was written for it
    # a placement with a parent (regs 17-19) or with a connected person on temporary approval (regs 24-25),
    # as placement_decisions records it (``parents.py``); None: not recorded
    parent_pending: dt.date | None = None  # PARENT_PLACED_PENDING: placed before the assessment (reg 19)
    temporary_approval: dt.date | None = None  # TEMPORARY_APPROVAL (reg 24)
    foster_approved: dt.date | None = None  # FOSTER_APPROVED: the connected person approved as a foster parent


class ChildBase:
    """What a child's history holds once its structure is built (``structure.Structure``): the
    table families read it and write their rows, each meeting every rule unless a lapse is seeded."""

    dob: dt.date
    sex: str
    start: dt.date
    end: dt.date | None
    until: dt.date  # the last day events can be recorded
    ls: str
    cin: str
    short_break: bool
    placements: list[Placement]
    structural: tuple[dt.date, str] | None
    reviews: list[dt.date]
    iro: dt.date | None  # when the IRO was allocated
    sw_change: dt.date | None

    def __init__(self, w: Writer, rng: random.Random, lapses: Lapses, as_of: dt.date, period_start: dt.date,
                 years: int, workers: list[str]) -> None:
        self.w, self.rng, self.lapse, self.as_of, self.ps = w, rng, lapses, as_of, period_start
        self.years, self.workers, self.id = years, workers, lapses.child

    def _happened(self, d: dt.date | None, p: Placement) -> dt.date | None:
        """A date of the placement's records, if it has happened by the as-of date while the child was there."""
        return d if d is not None and d <= self.as_of and d < (p.end or FAR) else None

    def _decision(self, p: Placement, decision: str, when: dt.date | None) -> None:
        """A placement_decisions row for a decision made by the as-of date (none for one not yet made)."""
        if when is not None and when <= self.as_of:
            self.w.add("placement_decisions", CHILD=self.id, PLACEMENT_START=p.start, DECISION=decision,
                       DECISION_DATE=when)
