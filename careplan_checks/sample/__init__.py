"""A realistic, contract-valid sample extract with an answer key, deterministic for a seed.

Proportions follow the DfE children-looked-after statistics
(``shared/reference/national_statistics.md``): sex, ethnicity, legal status,
placement type, placements in the year, category of need.

Every child's history is built to meet every rule of the pack, with a share of
"near misses" (an action on the very day it falls due, a review on a clamped
month end, a visit on day 7). A minority of children then carry one seeded
lapse: a review held late, a visit missed, a plan without the child's wishes.
Lapses are spread round-robin over the rules, so each rule gets some (a lapse a
child's history cannot take, such as a late care plan for a child on a care
order, passes to the next child given a lapse), and the
generator writes what each lapse must produce to ``answer_key.csv``: rule,
CHILD, EVENT_DATE and EVENT_KEY. A lapse is only seeded where the rules would
report it (overdue at the as-of date, or late with its due date in the period).

The generator simulates each child's history, so it walks children in Python;
the pipeline itself never does.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from .care import CarePlanning
from .common import ANSWER_KEY, DAY, DEFAULT_AS_OF, FAR, LAPSE_RULES, LAPSE_SHARE, D, Lapses, Writer, add_months
from .decisions import PlacementDecisions
from .health import HealthAndEducation
from .leaving import LeavingCare
from .parents import ParentsAndConnected
from .placements import PlacementEvents
from .plans import PlacementPlans
from .previous import write_previous
from .returns import Returns
from .ssd import write_ssd
from .structure import Structure
from .voice import VoiceAndFamily

__all__ = ["ANSWER_KEY", "DEFAULT_AS_OF", "generate", "read_answer_key"]


class Child(Structure, CarePlanning, PlacementDecisions, ParentsAndConnected, PlacementEvents, PlacementPlans,
            HealthAndEducation, LeavingCare, Returns, VoiceAndFamily):
    """One child's history, built to meet every rule except where a lapse is seeded."""

    def build(self) -> None:
        rule = self.lapse.rule
        if rule == "DQ-01":
            return self._overlapping_history()
        self._profile(rule)
        self._placements(rule)
        self._write_header_and_episodes()
        if self.short_break:
            self.w.add("allocations", CHILD=self.id, ROLE="SW", WORKER_ID=self.rng.choice(self.workers),
                       TEAM="Disabled Children", START_DATE=self.start, END_DATE=self.end)
            self._short_break_returns()
            return
        self.until = min(self.end or FAR, self.as_of)  # last day events can be recorded
        self._allocations()
        self.reviews = self._reviews()
        self._care_plans()
        self._placement_facts()
        self._parent_decisions()
        self._visits()
        self._placement_decisions()
        self._health()
        self._peps()
        self._placement_views()
        self._missing()
        self._review_requests()
        self._leaving_care()
        self._returns()
        self._care_plan_changes()
        self._advocacy()
        self._siblings()
        if rule == "QI-02" and self.reviews:
            self.lapse.record("QI-02", self.dob, "DOB:reviews")
        if rule == "PLACE-03" and not self.lapse.used and self.structural:
            self.lapse.record("PLACE-03", *self.structural)



def generate(out: Path, children: int = 200, seed: int = 1, as_of: dt.date = DEFAULT_AS_OF,
             years: int = 5, ssd: Path | None = None) -> dict[str, int]:
    """Write a sample extract of ``children`` children and its answer key to ``out``; with ``ssd``, the
    same children as Standard Safeguarding Dataset tables in that folder too (``ssd.write_ssd``)."""
    rng = random.Random(seed)
    period_start = add_months(as_of, -12) + DAY
    w = Writer()
    key: list[tuple[str, str, dt.date, str | None]] = []
    workers = [f"W{i:04d}" for i in range(1, max(8, children // 15) + 2)]
    order = list(LAPSE_RULES)
    rng.shuffle(order)
    n_lapses = 0
    waiting: list[str] = []  # lapses a child's history could not take: the next lapse child tries them first
    for i in range(1, children + 1):
        rule = None
        if rng.random() < LAPSE_SHARE:
            if waiting:
                rule = waiting.pop(0)
            else:
                rule = order[n_lapses % len(order)]
                n_lapses += 1
        lapses = Lapses(random.Random(rng.random()), f"C{seed % 100:02d}{i:06d}", rule, as_of, period_start, key)
        Child(w, random.Random(rng.random()), lapses, as_of, period_start, years, workers).build()
        if rule is not None and not lapses.used and waiting.count(rule) < 1:
            waiting.append(rule)
    counts = w.write(out)
    write_previous(out, as_of)  # last year's 903 return, in prev/
    with (out / ANSWER_KEY).open("w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["RULE_ID", "CHILD", "EVENT_DATE", "EVENT_KEY"])
        cw.writerows([r, c, d.isoformat(), k or ""] for r, c, d, k in sorted(key, key=lambda x: (x[0], x[1], x[2])))
    if ssd is not None:
        write_ssd(out, ssd, seed, as_of)
    return counts


def read_answer_key(folder: Path) -> set[tuple[str, str, dt.date, str | None]]:
    with (folder / ANSWER_KEY).open(encoding="utf-8") as f:
        return {(r["RULE_ID"], r["CHILD"], D.fromisoformat(r["EVENT_DATE"]), r["EVENT_KEY"] or None)
                for r in csv.DictReader(f)}

