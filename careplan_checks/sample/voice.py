"""The child's voice and family: changes to the care plan (CPPCR reg 32), independent visitors and advocacy
(Children Act 1989 ss.23ZB, 26A), and brothers and sisters (s.22C(8)(c)).

Brothers and sisters: each child not yet paired joins a small pool (``Writer.shared["siblings"]``: id, date of
birth and period of care); a later child is paired, now and then, with one from the pool whose care overlaps
its own (about a third of looked-after children have a looked-after brother or sister). The pair's rows are
written on both children's files with the same arrangements, placed together (about two thirds) or apart, and
now and then a later change (a move that separates them, or brings them back together). The later child's
rows can carry its seeded lapse (PLACE-11, CP-09); the earlier child's rows always meet both rules, so the
answer key names only the later child.
"""

from __future__ import annotations

import datetime as dt

from ..calendar import add_working_days
from .base import ChildBase
from .common import DAY, FAR, add_months, age_at, days, pick

REASON_WORKING_DAYS = 10  # PLACE-11: reason_within_working_days
CONTACT_WORKING_DAYS = 20  # CP-09: contact_within_working_days
IV_WORKING_DAYS = 20  # CP-07: consider_within_working_days
IV_MONTHS = 12  # CP-07: reconsider_months
ADVOCACY_WORKING_DAYS = 5  # CP-08: offered_within_working_days
POOL = 30  # children kept waiting for a brother or sister
CHANGE_TYPES = {"PERMANENCE": 30, "CONTACT": 30, "EDUCATION": 15, "HEALTH": 10, "OTHER": 15}


class VoiceAndFamily(ChildBase):
    # ------------------------------------------------------------------ REV-05

    def _care_plan_changes(self) -> None:
        """Significant changes to the care plan and the review that considered each: a move, considered at
        the review before it (or an emergency, where a review first was not practicable), and changes of plan
        made at or soon after a review. A seeded lapse (REV-05) is a change in the period with no review
        first: none named, the next review named, or a date on which no review was held."""
        L, rng = self.lapse, self.rng
        end = self.end or FAR
        changes: dict[tuple[dt.date, str], tuple[dt.date | None, str | None]] = {}
        for p in self.placements[1:]:
            if p.start > self.until or p.start >= end or rng.random() > 0.6:
                continue
            prior = [r for r in self.reviews if r <= p.start]
            if p.emergency or not prior or rng.random() < 0.12:
                changes[(p.start, "PLACEMENT")] = (None, "Y")  # not reasonably practicable (reg 32(2))
            else:
                changes[(p.start, "PLACEMENT")] = (prior[-1], rng.choice(["N", None]))
        for r in self.reviews:
            if rng.random() > 0.15:
                continue
            d = r if rng.random() < 0.3 else r + days(rng.randint(1, 40))  # a near miss: made on the review day
            if d <= self.until and d < end:
                changes.setdefault((d, pick(rng, CHANGE_TYPES)), (r, rng.choice(["N", None])))
        lo, hi = max(self.ps, self.start + DAY), min(self.until, end - DAY)
        if L.wants("REV-05") and lo <= hi:
            due = [k for k, v in changes.items() if self.ps <= k[0] and v[1] != "Y"]
            if due:
                key = rng.choice(sorted(due))
            else:
                key = (lo + days(rng.randint(0, (hi - lo).days)), pick(rng, CHANGE_TYPES))
            d = key[0]
            after = [r for r in self.reviews if r > d]
            held = set(self.reviews)
            wrong = d - days(rng.randint(1, 20))
            how = rng.random()
            if how < 0.4 or (how < 0.7 and not after):
                review = None  # no review recorded, and no reason why one was not practicable
            elif how < 0.7:
                review = after[0]  # considered only after the change
            else:
                review = wrong if wrong not in held else None  # a date with no review held
            changes[key] = (review, rng.choice(["N", None]))
            L.record("REV-05", d, key[1])
        for (d, kind), (review, np) in sorted(changes.items()):
            self.w.add("care_plan_changes", CHILD=self.id, CHANGE_DATE=d, CHANGE_TYPE=kind, REVIEW_DATE=review,
                       NOT_PRACTICABLE=np)

    # ------------------------------------------------------------------ CP-07, CP-08

    def _advocacy(self) -> None:
        """Independent visitors: considered within 20 working days of care starting and again within 12 months
        while none is appointed (about 3-4% of looked-after children have one); some older children object.
        Representations by children of 8 or over, about 5% a year, each followed by an offer of an advocate."""
        L, rng = self.lapse, self.rng
        end = self.end or FAR
        written: set[tuple[str, dt.date]] = set()

        def add(event: str, d: dt.date) -> None:
            if (event, d) not in written:
                written.add((event, d))
                self.w.add("advocacy", CHILD=self.id, EVENT=event, EVENT_DATE=d)

        due = add_working_days(self.start, IV_WORKING_DAYS)
        if end > due:
            d = L.done("CP-07", self.start, due, self.start, lapses=end, key="CONSIDER")
            chance = 0.02
            while d is not None and d < end and d <= self.as_of:
                u = rng.random()
                if u < chance:
                    appointed = d + days(rng.randint(0, 60))
                    if appointed < end and appointed <= self.as_of:
                        if appointed > d:
                            add("IV_CONSIDERED", d)
                        add("IV_APPOINTED", appointed)
                        break  # a visitor appointed: nothing more owed (CP-07)
                    add("IV_CONSIDERED", d)
                elif u < chance + 0.05 and age_at(self.dob, d) >= 8:
                    add("IV_DECLINED", d)  # the child objects (s.23ZB(6)); asked again within 12 months
                else:
                    add("IV_CONSIDERED", d)
                chance = 0.01
                due = add_months(d, IV_MONTHS)
                if end <= due:
                    break
                d = L.done("CP-07", d, due, d + days(150), lapses=end, key="RECONSIDER")

        reps: list[dt.date] = []
        if L.wants("CP-08"):
            lo = max(self.start + DAY, self.ps, self.dob + days(int(6 * 365.25)))
            hi = min(self.until, self.as_of - days(10))
            if lo <= hi:
                reps.append(lo + days(rng.randint(0, (hi - lo).days)))
        y = self.start
        while y <= self.until:
            d = y + days(rng.randint(7, 365))
            if rng.random() < 0.05 and d <= self.until and d < end and age_at(self.dob, d) >= 8:
                reps.append(d)
            y += days(365)
        last_offer = None
        for r in sorted(set(reps)):
            seeding = L.wants("CP-08")
            if seeding and last_offer is not None and last_offer >= r:
                continue  # an earlier offer on or after it would answer it (CP-08 counts any offer from its day)
            add("REPRESENTATION", r)
            offer = L.done("CP-08", r, add_working_days(r, ADVOCACY_WORKING_DAYS), r, lapses=FAR)
            if offer is not None and offer <= self.as_of:
                add("ADVOCACY_OFFERED", offer)
                last_offer = offer
            if seeding and L.used:
                break  # a later representation's offer would answer the seeded one

    # ------------------------------------------------------------------ PLACE-11, CP-09

    def _siblings(self) -> None:
        """Pair this child, now and then, with an earlier child in the pool whose care overlaps its own."""
        L, rng = self.lapse, self.rng
        pool = self.w.shared.setdefault("siblings", [])
        end = self.end or FAR
        wants = L.wants("PLACE-11") or L.wants("CP-09")
        me = {"id": self.id, "dob": self.dob, "start": self.start, "end": end}
        if self.start > self.as_of or (not wants and rng.random() > 0.18):
            self._join(pool, me)
            return
        fits = []
        for o in pool:
            since = max(self.start, o["start"])
            both_end = min(end, o["end"])
            gap = abs((self.dob - o["dob"]).days)
            if not (300 <= gap <= 12 * 365 and since < both_end and since <= self.as_of - days(7)):
                continue
            if wants and not (since <= self.as_of - days(40) and both_end > max(since, self.ps) + days(45)):
                continue
            fits.append(o)
        if not fits:
            self._join(pool, me)
            return
        o = rng.choice(fits)
        pool.remove(o)
        since = max(self.start, o["start"])
        both_end = min(end, o["end"])
        rows = [[since, rng.random() < 2 / 3]]
        # a later change: a move separates them or brings them back together (and, for a seeded lapse, a
        # separation recent enough for its reason and contact plan to fall due in the period)
        lo = max(since + days(30), self.ps - days(20) if wants else since + days(30))
        hi = min(both_end - days(45), self.as_of - days(35))
        if lo <= hi and (rng.random() < 0.15 or (wants and not self._seedable(since, rows[0][1], both_end))):
            change = lo + days(rng.randint(0, (hi - lo).days))
            rows.append([change, not rows[0][1] if not wants else False])
            if wants and rows[0][1] is False:
                rows[0][1] = True  # together first, then apart from the change
        for i, (d, together) in enumerate(rows):
            lapses = rows[i + 1][0] if i + 1 < len(rows) else both_end
            mine: dict[str, dt.date | None] = {"REASON_DATE": None, "CONTACT_DATE": None}
            theirs = dict(mine)
            if not together:
                for col, rule, n in (("REASON_DATE", "PLACE-11", REASON_WORKING_DAYS),
                                     ("CONTACT_DATE", "CP-09", CONTACT_WORKING_DAYS)):
                    due = add_working_days(d, n)
                    fine = self._on_time(due, d)
                    got = L.done(rule, d, due, d, lapses=lapses, key=o["id"]) if lapses > due else fine
                    mine[col] = got if got is not None and got <= self.as_of else None
                    theirs[col] = (got if got is not None and got <= due else fine)
                    theirs[col] = theirs[col] if theirs[col] <= self.as_of else None
            flag = "Y" if together else "N"
            self.w.add("siblings", CHILD=self.id, SIBLING=o["id"], SINCE=d, TOGETHER=flag, **mine)
            self.w.add("siblings", CHILD=o["id"], SIBLING=self.id, SINCE=d, TOGETHER=flag, **theirs)

    def _seedable(self, since: dt.date, together: bool, both_end: dt.date) -> bool:
        """A separation from ``since`` whose reason (10 working days) and contact plan (20) fall due in the
        period, in time to be late or missing by the as-of date."""
        due = add_working_days(since, REASON_WORKING_DAYS)
        return not together and self.ps <= due and add_working_days(since, CONTACT_WORKING_DAYS) < min(
            self.as_of, both_end)

    def _on_time(self, due: dt.date, earliest: dt.date) -> dt.date:
        """An action due on ``due`` done on time: on the very day now and then (a near miss)."""
        if self.rng.random() < 0.12 or due <= earliest:
            return due
        return due - days(self.rng.randint(0, min(15, (due - earliest).days)))

    @staticmethod
    def _join(pool: list, me: dict) -> None:
        pool.append(me)
        del pool[:-POOL]
