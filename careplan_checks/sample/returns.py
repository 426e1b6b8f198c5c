"""The 903 return tables beside episodes: OC2, OC3, UASC, adoption and previous permanence."""

from __future__ import annotations

from .base import ChildBase
from .common import FAR, D, age_at, days, pick


class Returns(ChildBase):
    def _returns(self) -> None:
        """OC2 (12 months in care at 31 March), OC3, UASC and the adoption tables."""
        rng, L, a = self.rng, self.lapse, self.as_of
        year_end = D(a.year if a >= D(a.year, 3, 31) else a.year - 1, 3, 31)
        if self.start <= year_end - days(365) and (self.end or FAR) > year_end:
            age = age_at(self.dob, year_end)
            sdq, reason = None, None
            if age >= 4 and age_at(self.dob, D(year_end.year - 1, 4, 1)) <= 16:  # aged 4-16 on a day of the year
                if L.wants("HLTH-03"):
                    L.record("HLTH-03", year_end)
                elif rng.random() < 0.85:
                    sdq = str(rng.randint(0, 40))
                else:
                    reason = pick(rng, {"SDQ2": 1, "SDQ3": 1, "SDQ4": 2, "SDQ5": 2})
            elif rng.random() < 0.5:
                reason = "SDQ1"
            flags = {"TEETH_CHECK": "1", "IMMUNISATIONS": "1", "HEALTH_CHECK": "1"}
            if L.wants("HLTH-04"):
                miss = rng.choice(list(flags))
                flags[miss] = "0"
                L.record("HLTH-04", year_end, {"TEETH_CHECK": "DENTAL"}.get(miss, miss))
            self.w.add("oc2", CHILD=self.id, DOB=self.dob, SDQ_SCORE=sdq, SDQ_REASON=reason,
                       CONVICTED="1" if age > 10 and rng.random() < 0.03 else "0", HEALTH_ASSESSMENT="1",
                       SUBSTANCE_MISUSE="1" if age > 12 and rng.random() < 0.04 else "0",
                       INTERVENTION_RECEIVED="0", INTERVENTION_OFFERED="0", **flags)
        if self.end and self.end <= a and age_at(self.dob, a) >= 17:
            self.w.add("oc3", CHILD=self.id, DOB=self.dob, IN_TOUCH=pick(rng, {"YES": 90, "NO": 5, "REFU": 5}),
                       ACTIV=pick(rng, {"F2": 40, "F5": 20, "G5": 30, "F4": 10}),
                       ACCOM=pick(rng, {"Z1": 30, "D1": 30, "B1": 20, "U1": 20}))
        if self.cin == "N8" and age_at(self.dob, a) >= 14:  # unaccompanied asylum-seeking children are mostly 14+
            self.w.add("uasc", CHILD=self.id, SEX=self.sex if self.sex in ("M", "F") else "M", DOB=self.dob)
        if self.ls == "E1" or rng.random() < 0.02:
            placed = self.start + days(rng.randint(30, 200))
            if placed <= self.until:
                self.w.add("placed_for_adoption", CHILD=self.id, DOB=self.dob, DATE_PLACED=placed)
                self.w.add("ad1", CHILD=self.id, DOB=self.dob, DATE_INT=placed, FOSTER_CARE="0", NB_ADOPTR="2",
                           SEX_ADOPTR="MF", LS_ADOPTR="L0")
        if rng.random() < 0.05:
            self.w.add("previous_permanence", CHILD=self.id, DOB=self.dob, PREV_PERM=rng.choice(["P1", "P2", "P3"]),
                       LA_PERM="NA", DATE_PERM="zz/zz/2019")

