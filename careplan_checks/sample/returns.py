"""The 903 return tables beside episodes: OC2, OC3, UASC, adoption and previous permanence."""

from __future__ import annotations

import datetime as dt
import random

from ..contract import TABLES_BY_NAME
from .base import ChildBase
from .common import FAR, D, age_at, birthday, days, pick

ADOPTION_PLACES = ("A3", "A4", "A5", "A6")  # placed for adoption (A3, A5: with the current foster carer)
ADOPTED = ("E11", "E12")
#: Adopters (NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR) as the DfE codes them: L0 a single adopter, L11 a married
#: different-sex couple, L12 a married same-sex couple, L2 civil partners, L3 an unmarried different-sex
#: couple, L4 an unmarried same-sex couple.
ADOPTERS = {("2", "MF", "L11"): 52, ("2", "MF", "L3"): 12, ("2", "FF", "L12"): 4, ("2", "MM", "L12"): 3,
            ("2", "FF", "L2"): 3, ("2", "MM", "L2"): 2, ("2", "FF", "L4"): 2, ("2", "MM", "L4"): 1,
            ("1", "F1", "L0"): 17, ("1", "M1", "L0"): 4}
#: Authorities that arranged a previous permanence order (DfE three-digit LA codes).
LA_CODES = ("886", "352", "330", "926", "204", "800", "855", "935")


class Returns(ChildBase):
    def _written_episodes(self) -> list[dict[str, object]]:
        """This child's 903 episodes as ``structure`` wrote them (dates as dates), in order."""
        cols = TABLES_BY_NAME["episodes"].column_names
        child = cols.index("CHILD")
        mine: list[list[str]] = []
        for row in reversed(self.w.rows.get("episodes", [])):
            if row[child] == self.id:
                mine.append(row)
            elif mine:
                break
        out = []
        for row in reversed(mine):
            e: dict[str, object] = {c: (v or None) for c, v in zip(cols, row, strict=True)}
            for c in ("DECOM", "DEC"):
                e[c] = dt.datetime.strptime(e[c], "%d/%m/%Y").date() if e[c] else None
            out.append(e)
        return out

    def _returns(self) -> None:
        """OC2 (12 months in care at 31 March), OC3, UASC and the adoption tables, for the collection year
        ending on the latest 31 March (the year's return)."""
        rng, L, a = self.rng, self.lapse, self.as_of
        year_end = D(a.year if a >= D(a.year, 3, 31) else a.year - 1, 3, 31)
        year_start = D(year_end.year - 1, 4, 1)
        eps = self._written_episodes()
        in_year = [e for e in eps if e["DECOM"] <= year_end and (e["DEC"] is None or e["DEC"] >= year_start)]
        last = eps[-1] if eps else None
        # looked after continuously for 12 months at 31 March: in care since 1 April at the latest (DfE 191)
        if self.start <= year_start and (self.end or FAR) > year_end:
            age = age_at(self.dob, year_end)
            age_before = age_at(self.dob, year_start)
            sdq, reason = None, None
            # an SDQ score or a reason for none for children aged 4-16 on a day of the year; none for a
            # child under 4 all year (DfE 188) or 17 all year (DfE 189)
            if age >= 4 and age_before <= 16:
                if L.wants("HLTH-03"):
                    L.record("HLTH-03", year_end)
                    L.also_903("186", year_end)  # no SDQ score nor a reason for its absence
                elif rng.random() < 0.85:
                    sdq = str(rng.randint(0, 40))
                elif (age_before < 4 or age >= 17) and rng.random() < 0.5:
                    reason = "SDQ1"  # 3 or 17 when assessed: only a child with that birthday in the year
                else:
                    reason = pick(rng, {"SDQ2": 1, "SDQ3": 1, "SDQ4": 2, "SDQ5": 2})
            # the annual health assessment for every child; the health promotion (development) checks,
            # HEALTH_CHECK, only for a child under 5 on 31 March (DfE 545, 546)
            flags = {"TEETH_CHECK": "1", "IMMUNISATIONS": "1", "HEALTH_ASSESSMENT": "1"}
            if age < 5:
                flags["HEALTH_CHECK"] = "1"
            if L.wants("HLTH-04"):
                miss = rng.choice(list(flags))
                flags[miss] = "0"
                L.record("HLTH-04", year_end, {"TEETH_CHECK": "DENTAL"}.get(miss, miss))
            # conviction information only from 10 (DfE 542, 543); the intervention items only for a
            # substance misuse problem (DfE 193), offered left blank when one was received (DfE 158, 159)
            convicted = None if age < 10 else "1" if age > 10 and rng.random() < 0.03 else "0"
            misuse = "1" if age > 12 and rng.random() < 0.04 else "0"
            received = offered = None
            if misuse == "1":
                received = "1" if rng.random() < 0.6 else "0"
                offered = None if received == "1" else rng.choice("01")
            self.w.add("oc2", CHILD=self.id, DOB=self.dob, SDQ_SCORE=sdq, SDQ_REASON=reason, CONVICTED=convicted,
                       SUBSTANCE_MISUSE=misuse, INTERVENTION_RECEIVED=received,
                       INTERVENTION_OFFERED=offered, **flags)
        self._care_leaver(year_start, year_end, last)
        # last year's OC3 (DfE 348 compares): its own random draws, so this year's sample is the same
        self._care_leaver(D(year_start.year - 1, 4, 1), D(year_end.year - 1, 3, 31), last,
                          random.Random(f"prev-oc3|{self.id}"))
        if not in_year:
            return  # the return's other tables are for children looked after in the year (DfE 1012)
        if self.cin == "N8" and age_at(self.dob, a) >= 14:  # unaccompanied asylum-seeking children are mostly 14+
            self.w.add("uasc", CHILD=self.id, SEX=self.sex if self.sex in ("M", "F") else "M", DOB=self.dob)
        self._adoption(eps, year_start, year_end)
        self._previous_permanence(eps)

    def _short_break_returns(self) -> None:
        """A child on short breaks only (V3/V4) is in the return too: previous permanence (DfE 630) for a
        child looked after in the year."""
        year_end = D(self.as_of.year if self.as_of >= D(self.as_of.year, 3, 31) else self.as_of.year - 1, 3, 31)
        year_start = D(year_end.year - 1, 4, 1)
        eps = self._written_episodes()
        if any(e["DECOM"] <= year_end and (e["DEC"] is None or e["DEC"] >= year_start) for e in eps):
            self._previous_permanence(eps)

    def _care_leaver(self, year_start: dt.date, year_end: dt.date, last: dict[str, object] | None,
                     previous: random.Random | None = None) -> None:
        """OC3: a young person whose 17th to 21st birthday falls in the year and who was a relevant or former
        relevant child (13 weeks looked after from 14, some of it after 16); the information is required only
        once they have left care before that birthday (DfE 1007, 1016). With ``previous`` (its random
        draws), the row of last year's return, for ``prev/``."""
        age = age_at(self.dob, year_end)
        if not 17 <= age <= 21 or self.end is None or last is None or last["REC"] in ("E11", "E12", "E2", "E3"):
            return
        stop = min(self.end, year_end)
        from_14 = (stop - max(self.start, birthday(self.dob, 14))).days
        from_16 = (stop - max(self.start, birthday(self.dob, 16))).days
        if from_14 < 91 or from_16 < 1 or self.end >= birthday(self.dob, age):
            return
        rng = previous or self.rng
        in_touch = pick(rng, {"YES": 90, "NO": 5, "REFU": 5})
        if in_touch == "YES":
            activ = pick(rng, {"F2": 40, "F5": 20, "G5": 30, "F4": 10})
            # not with former foster carers around the 17th birthday (DfE 3001), no foyer under 18 (DfE 347)
            accom = pick(rng, {"D1": 35, "B1": 25, "E1": 15, "U1": 12, "K1": 5, "D2": 5, "B2": 3})
        else:
            activ, accom = "0", "0"  # not in touch: activity and accommodation not known
        add = self.w.add_previous if previous is not None else self.w.add
        add("oc3", CHILD=self.id, DOB=self.dob, IN_TOUCH=in_touch, ACTIV=activ, ACCOM=accom)

    def _adoption(self, eps: list[dict[str, object]], year_start: dt.date, year_end: dt.date) -> None:
        """The decision that the child should be placed for adoption (every child under a placement order or
        placed for adoption, a few awaiting one) and AD1 for a child adopted in the year."""
        rng = self.rng
        last = eps[-1]
        care_start = max(e["DECOM"] for e in eps if e["RNE"] == "S")
        adopted = last["REC"] in ADOPTED and last["DEC"] is not None and year_start <= last["DEC"] <= year_end
        anchors = [e["DECOM"] for e in eps if e["PLACE"] in ADOPTION_PLACES or e["LS"] in ("E1", "D1")]
        if adopted:
            anchors.append(last["DECOM"])
        if not anchors:
            if last["DEC"] is not None or age_at(self.dob, self.until) >= 10 or rng.random() >= 0.02:
                return
            anchors = [self.until]  # a decision made, the placement order not yet applied for
        anchor = max(min(anchors), care_start)
        # decided on or before the placement order and the adoptive placement (DfE 552), in care (DfE 1003)
        decided = anchor - days(rng.randint(0, min(180, (anchor - care_start).days)))
        ceased = reason = None
        if last["DEC"] is not None and not adopted:
            # left care not adopted: the decision is reversed, by the day care ended (DfE 557, 117, 118)
            ceased = max(decided, year_start, last["DEC"] - days(rng.randint(0, 60)))
            reason = pick(rng, {"RD1": 35, "RD2": 15, "RD3": 20, "RD4": 30})
        self.w.add("placed_for_adoption", CHILD=self.id, DOB=self.dob, DATE_PLACED=decided,
                   DATE_PLACED_CEASED=ceased, REASON_PLACED_CEASED=reason)
        if not adopted:
            return
        placed = min([e["DECOM"] for e in eps if e["PLACE"] in ADOPTION_PLACES] or [last["DECOM"]])
        placed = max(placed, decided)
        # matched after the decision, on or before the adoptive placement (DfE 333, 331)
        matched = placed - days(rng.randint(0, min(120, (placed - decided).days)))
        foster = "1" if last["PLACE"] in ("A3", "A5") or (last["PLACE"] not in ADOPTION_PLACES
                                                            and str(last["PLACE"]).startswith("U")) else "0"
        nb, sex, ls = pick(rng, {"|".join(k): v for k, v in ADOPTERS.items()}).split("|")
        self.w.add("ad1", CHILD=self.id, DOB=self.dob, DATE_INT=decided, DATE_MATCH=matched, FOSTER_CARE=foster,
                   NB_ADOPTR=nb, SEX_ADOPTR=sex, LS_ADOPTR=ls)

    def _previous_permanence(self, eps: list[dict[str, object]]) -> None:
        """Previous permanence, recorded for every child looked after in the year (DfE 630): mostly none (Z1);
        otherwise the order, the authority that made it and its date (the day sometimes unknown), before care."""
        rng = self.rng
        first = eps[0]["DECOM"]
        span = (first - self.dob).days
        if span < 3 * 365 or rng.random() >= 0.07:
            self.w.add("previous_permanence", CHILD=self.id, DOB=self.dob, PREV_PERM="Z1")
            return
        when = self.dob + days(rng.randint(365, span - 90))  # the month's end is still before care (DfE 632)
        date = f"ZZ/{when.month:02d}/{when.year}" if rng.random() < 0.3 else when.strftime("%d/%m/%Y")
        self.w.add("previous_permanence", CHILD=self.id, DOB=self.dob,
                   PREV_PERM=pick(rng, {"P1": 30, "P2": 45, "P3": 25}), LA_PERM=rng.choice(LA_CODES),
                   DATE_PERM=date)
