"""A child's structure: age, periods of care, placements and the 903 header and episodes."""

from __future__ import annotations

import datetime as dt
import random

from ..calendar import add_working_days
from .base import ChildBase, Placement
from .common import (
    CIN_WEIGHTS,
    DAY,
    ETHNIC_WEIGHTS,
    FAR,
    LS_WEIGHTS,
    PLACE_WEIGHTS,
    PROVIDER,
    REASONS,
    add_months,
    age_at,
    birthday,
    days,
    pick,
)

#: Rules whose seeded lapse is about a move in the period: the child moves once in it.
MOVE_RULES = ("PLACE-01", "PLACE-02", "PLACE-04", "PLACE-07", "CP-03", "CP-04", "HLTH-06")
#: Rules whose seeded lapse is about a first placement with a parent on a care order (regs 17-19, 28(3)),
#: or with a connected person on temporary approval (regs 24-25, 28(4)), starting in or shortly before the period.
PARENT_RULES = ("PLACE-08", "PLACE-09", "VIS-04")
CONNECTED_RULES = ("PLACE-10", "VIS-05")
#: Where a child on a series of short breaks (V3) stays: a short-break children's home or foster carer.
SHORT_BREAK_PLACES = {"K2": 6, "U6": 4}


class Structure(ChildBase):
    def _profile(self, rule: str | None) -> None:
        rng, a = self.rng, self.as_of
        age = min(17.6, max(0.1, rng.triangular(0, 18, 13)))
        # a young person who left care at 18 in the last three years (a care leaver of the 903 OC3 cohort):
        # its own random draws, so that the other children's histories stay as they were
        leaver = rule is None and random.Random(f"care-leaver|{self.id}").random() < 0.04
        if leaver:
            age = random.Random(f"care-leaver-age|{self.id}").uniform(18.1, 20.9)
        if rule == "LEAVE-01":
            age = rng.uniform(16.15, 16.85)  # the 16th birthday falls in the period
        elif rule in ("LEAVE-02", "LEAVE-03", "LEAVE-04"):
            age = rng.uniform(16.4, 17.9)
        elif rule in ("LEAVE-06", "LEAVE-07"):
            age = rng.uniform(17.8, 17.97)  # Staying Put due at 17 years 9 months, referral at 17 and a half
        elif rule == "LEAVE-05":
            age = rng.uniform(17.0, 17.9)
        elif rule == "DQ-03":
            age = rng.uniform(18.05, 18.3)
        elif rule == "HLTH-07":
            age = rng.uniform(0.8, 5.5)  # under 5 when care began, in or shortly before the period
        elif rule in ("PLACE-05", "VIS-03") or (rule == "REV-04" and rng.random() < 0.5):
            age = rng.uniform(1.6, 3.4)
        elif rule == "PLACE-04":
            age = rng.uniform(14.5, 15.9)  # Key Stage 4 (school years 10 and 11) through the period
        elif rule in ("HLTH-03", "HLTH-04", "PLACE-03", "PLACE-01"):
            age = rng.uniform(6, 14)
        elif rule == "MISS-01":
            age = rng.uniform(12, 16)
        elif rule in PARENT_RULES or rule in CONNECTED_RULES:
            age = rng.uniform(0.5, 15)  # still a child well after the period
        if rule in MOVE_RULES:
            age = max(age, 2.5)  # in care for over a year before the period's move (start: below)
        self.dob = a - days(int(age * 365.25))
        if self.dob.month == 2 and self.dob.day == 29:
            self.dob -= DAY
        earliest = max(self.dob, a - days(int(self.years * 365.25)))
        span = max((a - earliest).days - 1, 1)
        self.start = earliest + days(int(rng.random() ** 1.3 * span))
        # Profiles a lapse needs: enough history, in care at the right time.
        if rule in ("LEAVE-01", "LEAVE-02", "LEAVE-03", "LEAVE-04", "LEAVE-06", "LEAVE-07", "LEAVE-05", "DQ-03"):
            self.start = min(self.start, birthday(self.dob, 14) + days(rng.randint(0, 500)))
        if rule in ("HLTH-03", "HLTH-04"):
            self.start = min(self.start, a - days(rng.randint(400, 1200)))
        if rule == "PLACE-03":
            self.start = a - days(rng.randint(950, 1400)) if rng.random() < 0.5 else a - days(rng.randint(420, 850))
        if rule in ("REV-01", "CP-01", "HLTH-01", "REV-03", "VIS-03"):
            self.start = self.ps + days(rng.randint(0, 250))
        if rule == "PLACE-05":
            self.start = max(self.start, add_months(a, -29))
        if rule in MOVE_RULES:
            self.start = a - days(rng.randint(430, 850))
        if rule == "HLTH-07":
            self.start = self.ps - days(rng.randint(0, 250))
        # the placement starts: before the period for an approval still owed, in it for the weekly visits
        if rule == "PLACE-08":
            self.start = a - days(rng.randint(5, 515))
        elif rule == "PLACE-09":
            self.start = a - days(rng.randint(40, 385))
        elif rule == "VIS-04":
            self.start = a - days(rng.randint(45, 365))
        elif rule == "PLACE-10":
            self.start = a - days(rng.randint(175, 515))
        elif rule == "VIS-05":
            self.start = a - days(rng.randint(60, 365))
        self.start = max(self.start, self.dob)
        if leaver:  # in care from before 16 (a former relevant child), within the extract's years
            lo = max(a - days(int(self.years * 365.25)), birthday(self.dob, 14))
            hi = birthday(self.dob, 16) - days(30)
            if hi > lo:
                self.start = lo + days(random.Random(f"care-leaver-start|{self.id}").randint(0, (hi - lo).days))
        self.ls = pick(rng, LS_WEIGHTS)
        if rule == "LEAVE-05" and rng.random() < 0.4:
            self.ls = "V2"  # accommodated under s.20: the director's approval (reg 39(5))
        if rule is not None and self.ls == "V3":
            self.ls = "C2"
        self.short_break = self.ls == "V3"
        self.cin = pick(rng, CIN_WEIGHTS)
        if rule == "LEAVE-07" or (self.short_break and rng.random() < 0.8):
            self.cin = "N2"
        # the 903 sex codes of the return: M/F from 2024-25 (the DfE's 1/2 before); about 56% boys
        self.sex = rng.choices(["M", "F"] if self._return_year() >= "2024-25" else ["1", "2"], weights=[56, 44])[0]
        # When care ends: open for most; at 18 at the latest (not for the DQ-03 lapse).
        self.end: dt.date | None = None
        if rng.random() < 0.25 and (a - self.start).days > 60:
            self.end = self.start + days(rng.randint(30, (a - self.start).days - 1))
        if rule in ("LEAVE-01", "LEAVE-02", "LEAVE-03", "LEAVE-04", "LEAVE-06", "LEAVE-07", "DQ-03", "VIS-03",
                    "PLACE-03", "PLACE-05", *MOVE_RULES):
            self.end = None
        if rule == "LEAVE-05":
            lo = max(self.ps, birthday(self.dob, 16), add_working_days(self.start, 25))
            if lo < a:
                self.end = lo + days(rng.randint(0, (a - lo).days - 1))
                if rng.random() < 0.35:
                    # a short stay around the 20 working days of reg 39(4): the assessment is owed anyway
                    self.start = max(self.dob, self.end - days(rng.randint(18, 27)))
        if rule in PARENT_RULES or rule in CONNECTED_RULES:
            self.end = None
        eighteen = birthday(self.dob, 18)
        if eighteen <= a and rule != "DQ-03" and (self.end is None or self.end > eighteen):
            self.end = eighteen
        if rule == "DQ-03":
            self.lapse.record("DQ-03", eighteen)
            self.lapse.also_903("359", eighteen)  # looked after past 18, not under s.20(5) (V2)

    def _placements(self, rule: str | None) -> None:
        rng, a = self.rng, self.as_of
        last = min(self.end or a, a)
        first = pick(rng, PLACE_WEIGHTS)
        ls = self.ls
        if rule == "LEAVE-06":
            first = "U4"
        if rule == "VIS-03" or (not self.short_break and first == "P1" and rng.random() < 0.4):
            first, ls = "P1", "C1"
        elif first == "P1" and ls not in ("C1", "C2", "E1", "D1", "J1", "J2", "J3", "L1", "L2", "L3"):
            first = "U6"  # placed with parents only on an order, never accommodated under s.20 (DfE 378)
        if rule in PARENT_RULES:
            # at home on a care order: VIS-04 (reg 28(3)) is the full care order's, VIS-03 the interim order's
            first, ls = "P1", "C2" if rule == "VIS-04" or rng.random() < 0.6 else "C1"
        elif rule in CONNECTED_RULES:
            first = pick(rng, {"U3": 8, "U1": 3, "U2": 1})
            ls = "C2" if ls not in ("C1", "C2", "V2") else ls
        if self.short_break:
            # short breaks in one setting (reg 48): a short-break unit or a short-break foster carer, never a
            # long-term foster placement (DfE 384)
            first = pick(rng, SHORT_BREAK_PLACES)
        self.placements = [Placement(self.start, self._fit(first, self.start), ls, "S")]
        self.structural: tuple[dt.date, str] | None = None
        if self.short_break or rule in ("VIS-03", "LEAVE-06", *PARENT_RULES, *CONNECTED_RULES):
            self._finish()
            return
        if rule == "PLACE-05":
            m1 = max(self.ps, self.start + days(60)) + days(rng.randint(1, 60))
            m2 = m1 + days(rng.randint(60, 150))
            if rng.random() < 0.4:
                # the calendar-month edge: the second move on the last day of the 12 months from the first
                m2 = self.ps + days(rng.randint(20, 300))
                m1 = add_months(m2, -12) + DAY
                while add_months(m1, 12) <= m2:  # from 29 February the 12 months end a day earlier
                    m1 += DAY
            if m1 > self.start + days(30) and m2 < a and age_at(self.dob, m2) < 5:
                self._move(m1)
                self._move(m2)
                self.lapse.record("PLACE-05", m2)
                if self._placements_in_year() >= 3:  # measure (a) of PLACE-03 reports it too
                    self.lapse.key.append(("PLACE-03", self.id, m2, "A"))
            self._finish()
            return
        if rule in MOVE_RULES:
            move = self.ps + days(rng.randint(0, 200))
            if move > self.start + days(30):
                self._move(move)
            self._finish()
            return
        if rule == "PLACE-03":
            if self.start <= add_months(a, -31) and age_at(self.dob, a) < 16:
                mv = add_months(a, -24) + days(rng.randint(10, 200))
                mv = min(mv, self.ps - days(1))
                self._move(mv)
                if rng.random() < 0.4:
                    # placed for adoption, but with the placement before it under 2 years (NI 63)
                    self._move(self.ps + days(rng.randint(1, 200)), place="A6", ls="E1")
                self.structural = (self.start, "C")
            elif self.start < self.ps - days(30) and self.start > add_months(a, -29) \
                    and age_at(self.dob, self.start) >= 5:
                m1 = self.ps + days(rng.randint(1, 120))
                m2 = m1 + days(rng.randint(60, 150))
                if m2 < a:
                    self._move(m1)
                    self._move(m2)
                    self.structural = (m2, "A")
            self._finish()
            return
        # Ordinary moves, then dropped from the end until the stability measures are met.
        cursor = self.start
        for _ in range(rng.choices([0, 1, 2, 3], weights=[62, 24, 10, 4])[0]):
            gap = (last - cursor).days
            if gap < 130:
                break
            cursor = cursor + days(rng.randint(60, min(gap - 60, 700)))
            year_on = add_months(self.placements[-1].start, 12)
            if age_at(self.dob, cursor) < 5 and cursor < year_on:
                # PLACE-05: not 2 moves within 12 calendar months; a near miss exactly 12 months on
                if rng.random() < 0.5 and year_on < last - days(60):
                    cursor = year_on
                else:
                    break
            self._move(cursor)
        while not self._stable():
            self.placements.pop()
        # Placed for adoption after 2 years in the placement before: stable under NI 63 (PLACE-03 (c)).
        prev = self.placements[-1]
        if self.end is None and age_at(self.dob, a) < 10 and add_months(self.start, 30) <= a \
                and add_months(prev.start, 24) <= a and rng.random() < 0.15:
            # with adopters, not the current foster carers (A5 is placement with them: same carer, DfE 217)
            self._move(self.ps + days(rng.randint(1, 300)), place="A6", ls="E1")
            if not self._stable() or self.placements[-1].start >= a:
                self.placements.pop()
                self.placements[-1].end = None
            elif (a - self.placements[-1].start).days > 100 and rng.random() < 0.6:
                # adopted: the adoption order some months after the placement (REC E11 or E12, and an AD1 row)
                self.end = self.placements[-1].start + days(rng.randint(70, (a - self.placements[-1].start).days - 1))
        self._finish()

    def _finish(self) -> None:
        """The last placement lasts as long as the period of care (as the ``placements`` view has it)."""
        self.placements[-1].end = self.end

    def _move(self, when: dt.date, place: str | None = None, ls: str | None = None) -> None:
        prev = self.placements[-1]
        prev.end = when
        if place is None:
            place = pick(self.rng, PLACE_WEIGHTS)
            if place == "P1":
                place = "U6"
        ls = ls or (prev.ls if prev.ls != "C1" else "C2")
        # a new carer: RNE P, or B when the legal status changes at the same time (DfE 435, 436)
        self.placements.append(Placement(when, self._fit(place, when), ls, "P" if ls == prev.ls else "B",
                                         pick(self.rng, REASONS)))

    def _return_year(self) -> str:
        """The collection year of the as-of date, as the 903 labels it (e.g. 2024-25)."""
        y = self.as_of.year - (self.as_of.month < 4)
        return f"{y}-{(y + 1) % 100:02d}"

    def _fit(self, place: str, when: dt.date) -> str:
        """A placement type valid in the return and for the child's age: supported accommodation (K3) is
        for 16 and 17 year olds only (DfE 371), so a younger child is in a children's home; other placements
        are Z1 until 2024-25, Z11 (one of Z11-Z14) from 2025-26 (DfE 146). A residential school (S1) is for
        a child of 4 or over (DfE 373): a younger one is fostered."""
        if place == "K3" and age_at(self.dob, when) < 16:
            return "K2"
        if place == "S1" and age_at(self.dob, when) < 4:
            return "U6"
        if place in ("Z1", "Z11"):
            return "Z11" if self._return_year() >= "2025-26" else "Z1"
        return place

    def _placements_in_year(self) -> int:
        """PLACE-03 (a): the placements overlapping the 12 months (the child looked after at the as-of date)."""
        return sum(1 for p in self.placements if p.start <= self.as_of and (p.end or FAR) > self.ps)

    def _stable(self) -> bool:
        a = self.as_of
        if self.end is not None and self.end <= a:
            return True
        if self._placements_in_year() >= 3:
            return False
        last = self.placements[-1]
        if age_at(self.dob, a) < 16 and add_months(self.start, 30) <= a:
            # NI 63: 2 years in the same placement or, placed for adoption, with the placement before it
            before = self.placements[-2] if len(self.placements) > 1 else last
            return add_months(last.start, 24) <= a or (
                last.place in ("A3", "A4", "A5", "A6") and add_months(before.start, 24) <= a)
        return True

    def _write_header_and_episodes(self) -> None:
        rng, a = self.rng, self.as_of
        sex = self.sex
        upn = "UN1" if age_at(self.dob, a) < 4 else rng.choices(
            ["KNOWN", "UN2", "UN3", "UN4", "UN5"], [90, 3, 3, 3, 1])[0]
        if upn == "UN4" and not (self.end is None and self.start > a - days(7)):
            upn = "KNOWN"  # UN4 (UPN not yet obtained) only in the first week of care (DfE 210)
        mother, mc_dob = self._motherhood()
        self.w.add("header", CHILD=self.id, SEX=sex, DOB=self.dob, ETHNIC=pick(rng, ETHNIC_WEIGHTS), UPN=upn,
                   MOTHER=mother, MC_DOB=mc_dob)
        if self.short_break:
            return self._write_short_breaks()
        home = f"EG{rng.randint(1, 30)}"
        eps = []
        for i, p in enumerate(self.placements):
            nxt = self.placements[i + 1] if i + 1 < len(self.placements) else None
            end = nxt.start if nxt else self.end
            eps.append([p.start, p.rne, p.ls, p.place, end, ("X1" if nxt else self._rec()) if end else None,
                        nxt.reason_in if nxt else None])
        # A change of legal status only (RNE L) inside a long placement, for realism.
        if not self.short_break and len(eps) == 1 and eps[0][2] == "C1" and eps[0][3] != "P1" \
                and ((eps[0][4] or self.as_of) - eps[0][0]).days > 200:
            split = eps[0][0] + days(rng.randint(60, ((eps[0][4] or self.as_of) - eps[0][0]).days - 60))
            eps = [[eps[0][0], "S", "C1", eps[0][3], split, "X1", None],
                   [split, "L", "C2", eps[0][3], eps[0][4], eps[0][5], None]]
        # A foster placement confirmed as long term with the same carer (RNE T, U6 to U4): a new 903
        # episode, not a new home (VIS-01 and VIS-02 count the placement from the first day with the carer).
        elif not self.short_break and eps[-1][3] == "U6" and rng.random() < 0.3 \
                and ((eps[-1][4] or self.as_of) - eps[-1][0]).days > 450:
            first, last = eps[-1], self.placements[-1]
            split = first[0] + days(rng.randint(100, ((first[4] or self.as_of) - first[0]).days - 100))
            last.long_term_foster = split
            eps[-1:] = [[first[0], first[1], first[2], "U6", split, "X1", "PLACE"],
                        [split, "T", first[2], "U4", first[4], first[5], first[6]]]
        post = None
        for start, rne, ls, place, end, rec, reason in eps:
            drawn = f"EG{rng.randint(1, 40)} {rng.randint(1, 9)}"
            # a change of legal status only (L), or of placement with the same carer (T): the same address
            post = post if rne in ("L", "T") and post else drawn
            self.w.add("episodes", CHILD=self.id, DECOM=start, RNE=rne, LS=ls, CIN=self.cin, PLACE=place,
                       PLACE_PROVIDER=PROVIDER.get(place), DEC=end, REC=rec, REASON_PLACE_CHANGE=reason,
                       HOME_POST=home, PL_POST=post)

    def _motherhood(self) -> tuple[str | None, dt.date | None]:
        """MOTHER and MC_DOB: completed (0 or 1) for every girl looked after in the year other than on short
        breaks only (DfE 165, 393, 607), left blank otherwise (399, 628); a mother has her first child's
        date of birth (611), born after her 14th birthday and by the as-of date and the end of care (625)."""
        a = self.as_of
        if self.sex not in ("F", "2") or self.short_break or (self.end is not None and self.end < self.ps):
            return None, None
        if age_at(self.dob, a) >= 15 and self.rng.random() < 0.04:
            lo = birthday(self.dob, 14) + days(self.rng.randint(60, 300))
            hi = min(self.end or a, a)
            if lo < hi:
                return "1", lo + days(self.rng.randint(0, (hi - lo).days))
        return "0", None

    def _write_short_breaks(self) -> None:
        """A series of short breaks (V3) in one setting: each break its own period of care (RNE S) of 1 to 4
        nights, about every three to six weeks, so no break over 17 days and under 75 days in any 12 months
        (DfE 365, 367; reg 48). No postcodes or URN for short breaks (DfE 214, 398, 420)."""
        rng, a = self.rng, self.as_of
        p = self.placements[0]
        last = min(self.end or a, a)
        start = self.start
        while start < last:
            end = start + days(rng.randint(1, 4))
            if self.end is not None:
                end = min(end, self.end)  # the last break ends when the short breaks stop
            if end > a:
                end = None  # still on the break at the as-of date
            self.w.add("episodes", CHILD=self.id, DECOM=start, RNE="S", LS="V3", CIN=self.cin, PLACE=p.place,
                       PLACE_PROVIDER="PR1", DEC=end, REC="E4A" if end else None)
            if end is None:
                break
            start = end + days(rng.randint(17, 41))

    def _rec(self) -> str:
        place = self.placements[-1].place
        if place in ("A3", "A4", "A5", "A6"):  # only a child placed for adoption is adopted
            return pick(self.rng, {"E11": 90, "E12": 10})
        rec = self._ordinary_rec()
        # to live with former foster carers only from a foster placement (DfE 516)
        return "E4A" if rec in ("E45", "E46") and place not in ("U1", "U2", "U3", "U4", "U5", "U6") else rec

    def _ordinary_rec(self) -> str:
        if self.end == birthday(self.dob, 18):
            return pick(self.rng, {"E17": 40, "E5": 30, "E6": 20, "E8": 10})
        if age_at(self.dob, self.end) >= 16:
            return pick(self.rng, {"E5": 40, "E6": 20, "E4A": 20, "E13": 20})
        return pick(self.rng, {"E4A": 55, "E13": 10, "E41": 10, "E45": 10, "E8": 10, "E4B": 5})

    def _overlapping_history(self) -> None:
        """A recording error long before the period (DQ-01): nothing else is reportable for it."""
        rng, a = self.rng, self.as_of
        self.dob = a - days(rng.randint(9 * 365, 14 * 365))
        start = a - days(rng.randint(3 * 365, 4 * 365))
        second = start + days(rng.randint(40, 100))
        self.w.add("header", CHILD=self.id, SEX="F", DOB=self.dob, ETHNIC="WBRI", UPN="KNOWN")
        self.w.add("episodes", CHILD=self.id, DECOM=start, RNE="S", LS="V2", CIN="N4", PLACE="U6",
                   PLACE_PROVIDER="PR4", DEC=second + days(30), REC="X1", REASON_PLACE_CHANGE="CARPL")
        self.w.add("episodes", CHILD=self.id, DECOM=second, RNE="P", LS="V2", CIN="N4", PLACE="U4",
                   PLACE_PROVIDER="PR1", DEC=second + days(120), REC="E4A")
        self.lapse.record("DQ-01", second)

    # ------------------------------------------------------------------ events

