"""Worked examples computed by hand from the text each rule cites, not from the rules.

The rules' inline cases and the sample generator's answer key were written together with the rules, so
they catch regressions but not a misreading of the law. Here each rule family gets a few examples whose
expected due dates were worked out on a calendar from the regulation, statutory guidance or measure the
rule cites (quoted in each docstring), then run through the project's own machinery
(``careplan_checks.rule_tests.run_case``). Each example checks both the exceptions (CHILD, EVENT_DATE,
EVENT_KEY) and the size of the rule's population, and every expected date is written out literally.

Conventions used in the hand computations (README, "The rule pack"):

- "Working day": any day but a Saturday, a Sunday, Christmas Day, Good Friday or an England and Wales
  bank holiday. Days used below: Good Friday 29 March 2024, Easter Monday 1 April 2024, early May bank
  holiday 6 May 2024, spring bank holiday 27 May 2024, summer bank holiday 26 August 2024, Christmas Day
  and Boxing Day 25 and 26 December 2024, New Year's Day 1 January 2025.
- The trigger date is day 0; "within N working days" is on or before the N-th working day after it.
- Months are calendar months by the corresponding-date rule (Dodds v Walker [1981] UKHL, Lord Diplock:
  "the period ends upon the corresponding date in the appropriate subsequent month"; where the month is
  too short to have it, the last day of that month): 31 August + 6 months = 28 February 2025.
- A person attains an age at the start of the birthday (Family Law Reform Act 1969 s.9).
- What a night reports: items overdue at the as-of date, and items done late whose due date falls in the
  reporting period, by default the 12 months ending on the as-of date (as of 31 March 2025: 1 April 2024
  to 31 March 2025). The population is the items due in the period plus those still overdue.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from conftest import REPO

from careplan_checks.rule_tests import run_case
from careplan_checks.rules import Case, Rule, read_rule

D = dt.date
AS_OF = D(2025, 3, 31)  # reporting period 1 April 2024 - 31 March 2025

Keys = set[tuple[str, dt.date, str | None]]


@cache
def _rule(rule_id: str) -> Rule:
    return read_rule(REPO / "rules" / f"{rule_id}.yml")


def _run(rule_id: str, data: dict[str, list[dict[str, Any]]], as_of: dt.date = AS_OF) -> tuple[Keys, int]:
    case = Case(name=f"worked example for {rule_id}", as_of=as_of, data=data, expect=[])
    return run_case(_rule(rule_id), case)


def _ep(child: str, decom: dt.date, *, place: str = "U4", ls: str = "C2", rne: str = "S", cin: str = "N1",
        dec: dt.date | None = None, rec: str | None = None, reason: str | None = None) -> dict[str, Any]:
    """One SSDA903 episode row."""
    return {"CHILD": child, "DECOM": decom, "RNE": rne, "LS": ls, "CIN": cin, "PLACE": place, "DEC": dec,
            "REC": rec, "REASON_PLACE_CHANGE": reason}


def _child(child: str, dob: dt.date) -> dict[str, Any]:
    return {"CHILD": child, "SEX": "F", "DOB": dob}


# --------------------------------------------------------------------------------------------------
# CP: care planning
# --------------------------------------------------------------------------------------------------

def test_cp01_care_plan_ten_working_days_across_easter_2024():
    """CP-01. CPPCR 2010 reg 4(2): "the care plan must be prepared before C is first placed by the responsible
    authority or, if it is not practicable to do so, within ten working days of the start of the first
    placement".

    Placed Thursday 21 March 2024 (day 0). Working days: Fri 22 Mar (1), Mon 25 - Thu 28 Mar (2-5),
    Good Friday 29 Mar and Easter Monday 1 Apr do not count, Tue 2 - Fri 5 Apr (6-9), Mon 8 Apr (10):
    due Monday 8 April 2024, in the period. All four are accommodated under s.20 (V2): s.31A does not apply.
    C1 plan 8 Apr: on time. C2 plan 9 Apr: late. C3 no plan: overdue. C4 plan on 20 Mar, the day before
    the placement: "before C is first placed", on time. Population: all four.
    """
    data = {
        "episodes": [_ep(c, D(2024, 3, 21), ls="V2") for c in ("C1", "C2", "C3", "C4")],
        "care_plans": [{"CHILD": "C1", "PLAN_DATE": D(2024, 4, 8)}, {"CHILD": "C2", "PLAN_DATE": D(2024, 4, 9)},
                       {"CHILD": "C4", "PLAN_DATE": D(2024, 3, 20)}],
    }
    keys, population = _run("CP-01", data)
    assert keys == {("C2", D(2024, 3, 21), None), ("C3", D(2024, 3, 21), None)}
    assert population == 4


def test_cp01_care_plan_ten_working_days_over_christmas_2024():
    """CP-01. CPPCR 2010 reg 4(2): care plan "within ten working days of the start of the first placement".

    Placed Friday 20 December 2024. Working days: Mon 23 (1), Tue 24 (2), Christmas Day and Boxing Day
    do not count, Fri 27 (3), Mon 30 (4), Tue 31 (5), New Year's Day does not count, Thu 2 Jan (6),
    Fri 3 (7), Mon 6 (8), Tue 7 (9), Wed 8 Jan (10): due Wednesday 8 January 2025.
    C5 plan 8 Jan: on time. C6 plan 9 Jan: late. Population 2.
    """
    data = {
        "episodes": [_ep("C5", D(2024, 12, 20), ls="V2"), _ep("C6", D(2024, 12, 20), ls="V2")],
        "care_plans": [{"CHILD": "C5", "PLAN_DATE": D(2025, 1, 8)}, {"CHILD": "C6", "PLAN_DATE": D(2025, 1, 9)}],
    }
    keys, population = _run("CP-01", data)
    assert keys == {("C6", D(2024, 12, 20), None)}
    assert population == 2


def test_cp01_a_plan_made_before_placement_and_the_section_31a_exception():
    """CP-01. CPPCR 2010 reg 4(2): "Except in the case of a child to whom section 31A (care orders: care plans)
    applies ..., the care plan must be prepared before C is first placed by the responsible authority or, if
    it is not practicable to do so, within ten working days of the start of the first placement".

    C1, accommodated under s.20 (V2) from Monday 2 September 2024, care plan dated 24 July 2024: prepared
    before C1 was first placed, so compliant (there is no lower limit on how long before).
    C2, on an interim care order (C1) from 2 September 2024, no plan: s.31A applies (the plan follows the
    court's timetable), so it is outside reg 4(2) and outside the population.
    C3, on remand (J1) from 2 September 2024, no plan: Part 8A applies reg 4 to children on remand. Ten
    working days: Tue 3 - Fri 6 Sep (1-4), Mon 9 - Fri 13 Sep (5-9), Mon 16 Sep (10): overdue.
    Population: C1 and C3.
    """
    data = {
        "episodes": [_ep("C1", D(2024, 9, 2), ls="V2"), _ep("C2", D(2024, 9, 2), ls="C1"),
                     _ep("C3", D(2024, 9, 2), ls="J1", place="K2")],
        "care_plans": [{"CHILD": "C1", "PLAN_DATE": D(2024, 7, 24)}],
    }
    keys, population = _run("CP-01", data)
    assert keys == {("C3", D(2024, 9, 2), None)}
    assert population == 2


def test_cp06_review_request_decided_within_twenty_working_days_across_both_may_bank_holidays():
    """CP-06. NICE/SCIE PH28 (as reported in Community Care): social workers "should also be able to request,
    through line managers, a review of a care plan"; the rule's local timescale is 20 working days.

    Request Monday 29 April 2024. Working days: Tue 30 Apr (1), Wed 1 - Fri 3 May (2-4), early May bank
    holiday Mon 6 May does not count, Tue 7 - Fri 10 May (5-8), 13-17 May (9-13), 20-24 May (14-18),
    spring bank holiday Mon 27 May does not count, Tue 28 (19), Wed 29 May (20): due Wednesday 29 May 2024.
    C1 decided 29 May: on time. C2 decided 30 May: late. C3 undecided: overdue. Population 3.
    """
    data = {"care_plan_review_requests": [
        {"CHILD": "C1", "REQUEST_DATE": D(2024, 4, 29), "OUTCOME_DATE": D(2024, 5, 29)},
        {"CHILD": "C2", "REQUEST_DATE": D(2024, 4, 29), "OUTCOME_DATE": D(2024, 5, 30)},
        {"CHILD": "C3", "REQUEST_DATE": D(2024, 4, 29)},
    ]}
    keys, population = _run("CP-06", data)
    assert keys == {("C2", D(2024, 4, 29), None), ("C3", D(2024, 4, 29), None)}
    assert population == 3


# --------------------------------------------------------------------------------------------------
# REV: reviews
# --------------------------------------------------------------------------------------------------

def test_rev01_first_review_twenty_working_days_across_easter_2024():
    """REV-01. CPPCR 2010 reg 33(1): "The responsible authority must first review C's case within 20 working
    days of the date on which C becomes looked after."

    Looked after Friday 15 March 2024. Working days: Mon 18 - Fri 22 Mar (1-5), Mon 25 - Thu 28 Mar (6-9),
    Good Friday 29 Mar and Easter Monday 1 Apr do not count, Tue 2 - Fri 5 Apr (10-13), Mon 8 - Fri 12 Apr
    (14-18), Mon 15 Apr (19), Tue 16 Apr (20): due Tuesday 16 April 2024, in the period.
    C1 review 16 Apr: on time. C2 review 17 Apr: late. Population 2.
    """
    data = {
        "episodes": [_ep("C1", D(2024, 3, 15)), _ep("C2", D(2024, 3, 15))],
        "reviews": [{"CHILD": "C1", "REVIEW": D(2024, 4, 16)}, {"CHILD": "C2", "REVIEW": D(2024, 4, 17)}],
    }
    keys, population = _run("REV-01", data)
    assert keys == {("C2", D(2024, 3, 15), None)}
    assert population == 2


def test_rev01_first_review_across_the_summer_bank_holiday_2024():
    """REV-01. CPPCR 2010 reg 33(1): first review "within 20 working days of the date on which C becomes looked
    after".

    Looked after Monday 12 August 2024. Working days: Tue 13 - Fri 16 Aug (1-4), 19-23 Aug (5-9), summer
    bank holiday Mon 26 Aug does not count, Tue 27 - Fri 30 Aug (10-13), 2-6 Sep (14-18), Mon 9 Sep (19),
    Tue 10 Sep (20): due Tuesday 10 September 2024.
    C3 review 10 Sep: on time. C4 never reviewed: overdue at 31 March 2025. Population 2.
    """
    data = {
        "episodes": [_ep("C3", D(2024, 8, 12)), _ep("C4", D(2024, 8, 12))],
        "reviews": [{"CHILD": "C3", "REVIEW": D(2024, 9, 10)}],
    }
    keys, population = _run("REV-01", data)
    assert keys == {("C4", D(2024, 8, 12), None)}
    assert population == 2


def test_rev02_later_reviews_month_end_clamp():
    """REV-02. CPPCR 2010 reg 33(2): "The second review must be carried out not more than three months after the
    first, and subsequent reviews must be carried out at intervals of not more than six months."

    First review Friday 31 May 2024: second due 31 August 2024 (the corresponding date exists). Second
    review 31 August 2024: third due 31 August + 6 months = "31 February" 2025, so the last day of
    February, 28 February 2025.
    C1: reviews 31 May, 31 Aug, 28 Feb 2025: all on time. C2: third review Monday 3 March 2025: late,
    listed by the review it follows (31 Aug 2024). Population: the reviews of 31 May and 31 Aug for each
    child (due 31 Aug 2024 and 28 Feb 2025); the third reviews are next due after 31 March 2025. So 4.
    """
    data = {
        "episodes": [_ep("C1", D(2024, 5, 6)), _ep("C2", D(2024, 5, 6))],
        "reviews": [{"CHILD": c, "REVIEW": d} for c, d in (
            ("C1", D(2024, 5, 31)), ("C1", D(2024, 8, 31)), ("C1", D(2025, 2, 28)),
            ("C2", D(2024, 5, 31)), ("C2", D(2024, 8, 31)), ("C2", D(2025, 3, 3)))],
    }
    keys, population = _run("REV-02", data)
    assert keys == {("C2", D(2024, 8, 31), None)}
    assert population == 4


def test_rev02_second_review_three_months_then_six():
    """REV-02. CPPCR 2010 reg 33(2): second review "not more than three months after the first", subsequent
    ones "at intervals of not more than six months".

    C3: first review 2 May 2024, second 2 Aug 2024 (2 May + 3 months = 2 Aug: on time), third 31 Jan 2025
    (2 Aug + 6 months = 2 Feb 2025: on time).
    C4: first review 2 May 2024, second Monday 5 Aug 2024 (due 2 Aug: late), third 5 Feb 2025
    (5 Aug + 6 months = 5 Feb 2025: on time; it would be late if three months applied again).
    Population: 2 May and the second review for each child (due 2 Aug 2024, 2 and 5 Feb 2025) = 4.
    """
    data = {
        "episodes": [_ep("C3", D(2024, 4, 8)), _ep("C4", D(2024, 4, 8))],
        "reviews": [{"CHILD": c, "REVIEW": d} for c, d in (
            ("C3", D(2024, 5, 2)), ("C3", D(2024, 8, 2)), ("C3", D(2025, 1, 31)),
            ("C4", D(2024, 5, 2)), ("C4", D(2024, 8, 5)), ("C4", D(2025, 2, 5)))],
    }
    keys, population = _run("REV-02", data)
    assert keys == {("C4", D(2024, 5, 2), None)}
    assert population == 4


def test_rev03_iro_appointed_before_the_first_review():
    """REV-03. Children Act 1989 s.25A(2): "The initial appointment under subsection (1) must be made before the
    child's case is first reviewed in accordance with regulations made under section 26."

    Both looked after Monday 2 September 2024; first review Friday 27 September 2024 (within the 20
    working days of reg 33(1), which end on Monday 30 September).
    C1 IRO appointed 20 Sep: before the review. C2 IRO appointed 30 Sep: after the review. Population 2.
    """
    data = {
        "episodes": [_ep("C1", D(2024, 9, 2)), _ep("C2", D(2024, 9, 2))],
        "reviews": [{"CHILD": "C1", "REVIEW": D(2024, 9, 27)}, {"CHILD": "C2", "REVIEW": D(2024, 9, 27)}],
        "allocations": [
            {"CHILD": "C1", "ROLE": "IRO", "WORKER_ID": "I1", "START_DATE": D(2024, 9, 20)},
            {"CHILD": "C2", "ROLE": "IRO", "WORKER_ID": "I1", "START_DATE": D(2024, 9, 30)},
        ],
    }
    keys, population = _run("REV-03", data)
    assert keys == {("C2", D(2024, 9, 2), None)}
    assert population == 2


def test_rev03_a_late_first_review_still_sets_the_iro_deadline():
    """REV-03. Children Act 1989 s.25A(2): the initial appointment "must be made before the child's case is
    first reviewed". A review held late does not move the IRO's deadline to the date the review was due.

    Looked after Wednesday 18 December 2024; first review due 20 January 2025 (see below) but held late, on
    Monday 10 February 2025. C5's IRO was appointed Monday 3 February 2025, before that review: on time.
    C6's on Tuesday 11 February 2025, after it: late. Population 2.
    """
    data = {
        "episodes": [_ep("C5", D(2024, 12, 18)), _ep("C6", D(2024, 12, 18))],
        "reviews": [{"CHILD": "C5", "REVIEW": D(2025, 2, 10)}, {"CHILD": "C6", "REVIEW": D(2025, 2, 10)}],
        "allocations": [
            {"CHILD": "C5", "ROLE": "IRO", "WORKER_ID": "I1", "START_DATE": D(2025, 2, 3)},
            {"CHILD": "C6", "ROLE": "IRO", "WORKER_ID": "I1", "START_DATE": D(2025, 2, 11)},
        ],
    }
    keys, population = _run("REV-03", data)
    assert keys == {("C6", D(2024, 12, 18), None)}
    assert population == 2


def test_rev03_no_review_held_iro_owed_by_the_date_the_first_review_was_due():
    """REV-03. Children Act 1989 s.25A(1)-(2): an authority looking after a child "must appoint" an IRO, the
    first "before the child's case is first reviewed"; CPPCR reg 33(1) puts that review within 20 working
    days of becoming looked after.

    Looked after Wednesday 18 December 2024. Working days: Thu 19 (1), Fri 20 (2), Mon 23 (3), Tue 24 (4),
    25 and 26 Dec do not count, Fri 27 (5), Mon 30 (6), Tue 31 (7), 1 Jan does not count, Thu 2 (8),
    Fri 3 (9), 6-10 Jan (10-14), 13-17 Jan (15-19), Mon 20 Jan (20): first review due 20 January 2025.
    Neither child has had a review by 31 March 2025. C3 has no IRO at all: overdue. C4's IRO was appointed
    on 20 January 2025, the day the review fell due: on time. Population 2.
    """
    data = {
        "episodes": [_ep("C3", D(2024, 12, 18)), _ep("C4", D(2024, 12, 18))],
        "allocations": [{"CHILD": "C4", "ROLE": "IRO", "WORKER_ID": "I1", "START_DATE": D(2025, 1, 20)}],
    }
    keys, population = _run("REV-03", data)
    assert keys == {("C3", D(2024, 12, 18), None)}
    assert population == 2


# --------------------------------------------------------------------------------------------------
# VIS: visits
# --------------------------------------------------------------------------------------------------

def test_vis01_visit_within_one_week_of_each_placement():
    """VIS-01. CPPCR 2010 reg 28(2)(a): R must visit C "within one week of the start of any placement".

    C1 and C2 placed Friday 28 February 2025: one week later is Friday 7 March 2025. C1 seen 7 Mar: on
    time. C2 seen 8 Mar: late.
    C3 placed 2 Dec 2024 (due 9 Dec, seen 5 Dec: on time), then moved on Saturday 1 February 2025 ("any
    placement"): due 8 Feb, first seen in the new placement 10 Feb: late. Population 4 placements.
    """
    data = {
        "episodes": [
            _ep("C1", D(2025, 2, 28)), _ep("C2", D(2025, 2, 28)),
            _ep("C3", D(2024, 12, 2), dec=D(2025, 2, 1), rec="X1", reason="CARPL"),
            _ep("C3", D(2025, 2, 1), rne="P", place="U6"),
        ],
        "visits": [{"CHILD": c, "VISIT_DATE": d, "SEEN": "Y"} for c, d in (
            ("C1", D(2025, 3, 7)), ("C2", D(2025, 3, 8)), ("C3", D(2024, 12, 5)), ("C3", D(2025, 2, 10)))],
    }
    keys, population = _run("VIS-01", data)
    assert keys == {("C2", D(2025, 2, 28), None), ("C3", D(2025, 2, 1), None)}
    assert population == 4


def test_vis02_six_weekly_visits_in_the_first_year():
    """VIS-02. CPPCR 2010 reg 28(2)(b) (text as made and as at 2014): R must visit C "at intervals of not more
    than six weeks for the first year of any placement". Six weeks = 42 days.

    As of 31 July 2024 (period 1 August 2023 - 31 July 2024). C1 placed 1 April 2024 (not long-term, U6),
    seen 3 Apr, 15 May, 27 Jun, 25 Jul. 3 Apr + 42 days = 15 May (27 days to 30 Apr, 15 more): on time.
    15 May + 42 = 26 Jun (16 days to 31 May, 26 more): seen 27 Jun, late. 27 Jun + 42 = 8 Aug and
    25 Jul + 42 = 5 Sep are after the as-of date. Population 2.
    """
    data = {
        "episodes": [_ep("C1", D(2024, 4, 1), place="U6")],
        "visits": [{"CHILD": "C1", "VISIT_DATE": d, "SEEN": "Y"}
                   for d in (D(2024, 4, 3), D(2024, 5, 15), D(2024, 6, 27), D(2024, 7, 25))],
    }
    keys, population = _run("VIS-02", data, as_of=D(2024, 7, 31))
    assert keys == {("C1", D(2024, 5, 15), None)}
    assert population == 2


def test_vis02_three_months_after_the_first_year_only_if_intended_to_last_until_18():
    """VIS-02. CPPCR 2010 reg 28(2)(c) (text as made and as at 2014): after the first year, "(i) where the
    placement is intended to last until C is aged 18, at intervals of not more than three months, (ii) and
    in any other case, at intervals of not more than six weeks".

    As of 31 December 2024 (period 1 Jan - 31 Dec 2024). Both placed 1 March 2023, so the first year ended
    1 March 2024; both seen 10 Apr, 10 Jul, 11 Oct, 10 Dec 2024.
    C2, long-term foster care (U4): 10 Apr + 3 months = 10 Jul: on time; 10 Jul + 3 months = 10 Oct: seen
    11 Oct, late; 11 Oct's next visit is due 11 Jan 2025, after the as-of date.
    C3, not long-term (U6), six weeks: 10 Apr + 42 = 22 May, 10 Jul + 42 = 21 Aug, 11 Oct + 42 = 22 Nov:
    each next visit late; 10 Dec + 42 = 21 Jan 2025 not yet due. Population 2 + 3 = 5.
    """
    visits = (D(2024, 4, 10), D(2024, 7, 10), D(2024, 10, 11), D(2024, 12, 10))
    data = {
        "episodes": [_ep("C2", D(2023, 3, 1), place="U4"), _ep("C3", D(2023, 3, 1), place="U6")],
        "visits": [{"CHILD": c, "VISIT_DATE": d, "SEEN": "Y"} for c in ("C2", "C3") for d in visits],
    }
    keys, population = _run("VIS-02", data, as_of=D(2024, 12, 31))
    assert keys == {("C2", D(2024, 7, 10), None), ("C3", D(2024, 4, 10), None), ("C3", D(2024, 7, 10), None),
                    ("C3", D(2024, 10, 11), None)}
    assert population == 5


def test_vis03_interim_care_order_at_home_weekly_then_four_weekly():
    """VIS-03. CPPCR 2010 reg 28(4): where an interim care order has been made and C is living with P, R must
    visit C "(a) at least once a week until the first review carried out in accordance with Part 6, and
    (b) thereafter at intervals of not more than four weeks".

    As of 31 December 2024. C1 on an interim care order (C1) placed with a parent (P1) from 2 Sep 2024;
    first review Friday 27 Sep 2024. Seen 3, 10, 17, 25 Sep, 2 Oct, 30 Oct, 28 Nov, 20 Dec.
    Before the review, a week (7 days): 3->10 and 10->17 Sep on time; 17 Sep + 7 = 24 Sep, seen 25 Sep:
    late; 25 Sep + 7 = 2 Oct: on time. From the review on, four weeks (28 days): 2 Oct + 28 = 30 Oct: on
    time; 30 Oct + 28 = 27 Nov, seen 28 Nov: late; 28 Nov + 28 = 26 Dec, seen 20 Dec: on time;
    20 Dec + 28 = 17 Jan 2025 not yet due. Population 7.
    """
    data = {
        "episodes": [_ep("C1", D(2024, 9, 2), ls="C1", place="P1")],
        "reviews": [{"CHILD": "C1", "REVIEW": D(2024, 9, 27)}],
        "visits": [{"CHILD": "C1", "VISIT_DATE": d, "SEEN": "Y"} for d in (
            D(2024, 9, 3), D(2024, 9, 10), D(2024, 9, 17), D(2024, 9, 25), D(2024, 10, 2), D(2024, 10, 30),
            D(2024, 11, 28), D(2024, 12, 20))],
    }
    keys, population = _run("VIS-03", data, as_of=D(2024, 12, 31))
    assert keys == {("C1", D(2024, 9, 17), None), ("C1", D(2024, 10, 30), None)}
    assert population == 7


# --------------------------------------------------------------------------------------------------
# PLACE: placements
# --------------------------------------------------------------------------------------------------

def test_place03_measure_a_three_placements_during_the_year():
    """PLACE-03 (a). DfE children looked after statistics / former NI 62: "children looked after with 3 or more
    placements during the year".

    As of 31 March 2025, the year 1 April 2024 - 31 March 2025. C1: U6 from 8 Jan 2024 (current at the
    start of the year), U4 from 3 Jun 2024, K2 from 2 Dec 2024: 3 placements during the year, listed by
    the latest (2 Dec 2024). C2: U6 then U4 from 3 Jun 2024: 2 placements. Population: both children.
    """
    data = {
        "header": [_child("C1", D(2012, 5, 1)), _child("C2", D(2012, 5, 1))],
        "episodes": [
            _ep("C1", D(2024, 1, 8), place="U6", dec=D(2024, 6, 3), rec="X1", reason="CARPL"),
            _ep("C1", D(2024, 6, 3), rne="P", place="U4", dec=D(2024, 12, 2), rec="X1", reason="CREQO"),
            _ep("C1", D(2024, 12, 2), rne="P", place="K2"),
            _ep("C2", D(2024, 1, 8), place="U6", dec=D(2024, 6, 3), rec="X1", reason="CARPL"),
            _ep("C2", D(2024, 6, 3), rne="P", place="U4"),
        ],
    }
    keys, population = _run("PLACE-03", data)
    assert keys == {("C1", D(2024, 12, 2), "A")}
    assert population == 2


def test_place03_measure_c_two_and_a_half_years_in_care_two_in_the_same_placement():
    """PLACE-03 (c). Former NI 63: "children aged under 16 who have been looked after continuously for at least
    2.5 years who were living in the same placement for at least 2 years".

    As of 31 March 2025. In care from 30 Sep 2022: 30 Sep 2022 + 2.5 years = 30 Mar 2025, so 2.5 years
    by 31 Mar 2025; from 1 Oct 2022: 2.5 years only on 1 Apr 2025. Same placement since 31 Mar 2023:
    + 2 years = 31 Mar 2025, exactly 2 years; since 1 Apr 2023: 2 years only on 1 Apr 2025.
    C3: in care 30 Sep 2022, placement since 31 Mar 2023: stable. C4: in care 30 Sep 2022, placement since
    1 Apr 2023: not stable. C5: in care 1 Oct 2022: not yet 2.5 years, not in the measure. Birthday edge:
    C6 born 31 Mar 2009 is 16 on 31 Mar 2025, not under 16, not in the measure; C7 born 1 Apr 2009 is still
    15, and with C4's history is not stable.
    Population: measure (a) for all five (one placement each during the year) and (c) for C3, C4, C7: 8.
    """
    def history(child: str, start: dt.date, move: dt.date) -> list[dict[str, Any]]:
        return [_ep(child, start, place="U6", dec=move, rec="X1", reason="CARPL"), _ep(child, move, rne="P")]

    data = {
        "header": [_child("C3", D(2012, 1, 1)), _child("C4", D(2012, 1, 1)), _child("C5", D(2012, 1, 1)),
                   _child("C6", D(2009, 3, 31)), _child("C7", D(2009, 4, 1))],
        "episodes": [*history("C3", D(2022, 9, 30), D(2023, 3, 31)), *history("C4", D(2022, 9, 30), D(2023, 4, 1)),
                     *history("C5", D(2022, 10, 1), D(2023, 4, 3)), *history("C6", D(2022, 9, 30), D(2023, 4, 1)),
                     *history("C7", D(2022, 9, 30), D(2023, 4, 1))],
    }
    keys, population = _run("PLACE-03", data)
    assert keys == {("C4", D(2022, 9, 30), "C"), ("C7", D(2022, 9, 30), "C")}
    assert population == 8


def test_place01_move_against_wishes_audited_within_twenty_working_days():
    """PLACE-01. NICE/SCIE PH28 (Audit and inspection): "the number of placement moves made against the wishes
    of a child or young person should be audited"; the rule's local timescale is 20 working days, and it
    counts children aged 4 or over (SSDA903: PN0 means "under 4").

    All moved on Monday 19 August 2024. Working days: Tue 20 - Fri 23 Aug (1-4), summer bank holiday
    Mon 26 Aug does not count, Tue 27 - Fri 30 Aug (5-8), 2-6 Sep (9-13), 9-13 Sep (14-18), Mon 16 (19),
    Tue 17 Sep (20): audit due Tuesday 17 September 2024.
    C1 disagreed, audited 17 Sep: on time. C2 disagreed, audited 18 Sep: late. Birthday edge: C3, born
    19 Aug 2020, is 4 on the day of the move and has no view recorded; C4, born 20 Aug 2020, is still 3
    and is not counted. Population: view and audit for C1 and C2, view for C3 = 5.
    """
    def moved(child: str) -> list[dict[str, Any]]:
        return [_ep(child, D(2024, 1, 8), dec=D(2024, 8, 19), rec="X1", reason="STAND"),
                _ep(child, D(2024, 8, 19), rne="P", place="K2")]

    data = {
        "header": [_child("C1", D(2012, 3, 1)), _child("C2", D(2012, 3, 1)), _child("C3", D(2020, 8, 19)),
                   _child("C4", D(2020, 8, 20))],
        "episodes": [*moved("C1"), *moved("C2"), *moved("C3"), *moved("C4")],
        "placement_views": [
            {"CHILD": "C1", "MOVE_DATE": D(2024, 8, 19), "CHILD_VIEW": "DISAGREED", "AUDIT_DATE": D(2024, 9, 17)},
            {"CHILD": "C2", "MOVE_DATE": D(2024, 8, 19), "CHILD_VIEW": "DISAGREED", "AUDIT_DATE": D(2024, 9, 18)},
        ],
    }
    keys, population = _run("PLACE-01", data)
    assert keys == {("C2", D(2024, 8, 19), "AUDIT"), ("C3", D(2024, 8, 19), "VIEW")}
    assert population == 5


def test_place05_two_moves_within_twelve_months_under_five():
    """PLACE-05. NICE/SCIE PH28 recommendation 19, "reduce moves ... for babies and young children"; the rule's
    local threshold: a child under 5 moved 2 or more times in any 12 months.

    As of 31 March 2025. B1 (born 1 Jan 2022) moved 1 Apr 2024 and 31 Mar 2025: both within the 12 months
    1 Apr 2024 - 31 Mar 2025, the second move is listed. B2 moved 31 Mar 2024 and 31 Mar 2025: 12 months
    and a day apart, no 12 months hold both; only the 2025 move is in the period. Birthday edge: B3, born
    31 Mar 2020, moved 1 Apr 2024 at 4 and 31 Mar 2025 on the 5th birthday, when no longer under 5.
    Population: the moves of children under 5 in the period: B1 two, B2 one, B3 one = 4.
    """
    def moves(child: str, first: dt.date, second: dt.date) -> list[dict[str, Any]]:
        return [_ep(child, D(2023, 6, 1), place="U6", dec=first, rec="X1", reason="CARPL"),
                _ep(child, first, rne="P", dec=second, rec="X1", reason="CREQO"),
                _ep(child, second, rne="P", place="U6")]

    data = {
        "header": [_child("B1", D(2022, 1, 1)), _child("B2", D(2022, 1, 1)), _child("B3", D(2020, 3, 31))],
        "episodes": [*moves("B1", D(2024, 4, 1), D(2025, 3, 31)), *moves("B2", D(2024, 3, 31), D(2025, 3, 31)),
                     *moves("B3", D(2024, 4, 1), D(2025, 3, 31))],
    }
    keys, population = _run("PLACE-05", data)
    assert keys == {("B1", D(2025, 3, 31), None)}
    assert population == 4


def test_place05_twelve_calendar_months_across_a_leap_year():
    """PLACE-05. "2 or more moves in any 12 months", 12 months by the corresponding-date rule.

    B1 (born 1 Jan 2022) moved 1 Feb 2024 and 31 Jan 2025: 365 days apart, 2024 being a leap year, and
    both within the 12 months 1 Feb 2024 - 31 Jan 2025: the second move is listed. B2 moved 1 Feb 2024
    and 1 Feb 2025: the 12 months from 1 Feb 2024 end on 31 Jan 2025, so no 12 months hold both.
    Population: the moves under 5 in the period (1 Apr 2024 - 31 Mar 2025): one each = 2.
    """
    def moves(child: str, first: dt.date, second: dt.date) -> list[dict[str, Any]]:
        return [_ep(child, D(2023, 6, 1), place="U6", dec=first, rec="X1", reason="CARPL"),
                _ep(child, first, rne="P", dec=second, rec="X1", reason="CREQO"),
                _ep(child, second, rne="P", place="U6")]

    data = {
        "header": [_child("B1", D(2022, 1, 1)), _child("B2", D(2022, 1, 1))],
        "episodes": [*moves("B1", D(2024, 2, 1), D(2025, 1, 31)), *moves("B2", D(2024, 2, 1), D(2025, 2, 1))],
    }
    keys, population = _run("PLACE-05", data)
    assert keys == {("B1", D(2025, 1, 31), None)}
    assert population == 2


def test_place03_measure_c_placed_for_adoption_counts_with_the_placement_before_it():
    """PLACE-03 (c). NI 63: a child under 16 looked after for 2.5 years or more is stable if in the same
    placement for 2 years, or "placed for adoption and their adoptive placement together with their
    previous placement together last for at least 2 years".

    As of 31 March 2025. S1 (born 1 Jan 2014) looked after from 3 Jan 2022 in U6, U4 from 1 Apr 2024,
    placed for adoption (A6) from 6 Jan 2025: the adoptive placement and the one before it together began
    on 1 Apr 2024, under a year: not stable. S2, the same but U4 from 1 Mar 2023: together since 1 Mar
    2023, more than 2 years: stable.
    """
    def history(child: str, before: dt.date) -> list[dict[str, Any]]:
        return [_ep(child, D(2022, 1, 3), place="U6", dec=before, rec="X1", reason="CARPL"),
                _ep(child, before, rne="P", dec=D(2025, 1, 6), rec="X1", reason="CARPL"),
                _ep(child, D(2025, 1, 6), rne="P", ls="E1", place="A6")]

    data = {
        "header": [_child("S1", D(2014, 1, 1)), _child("S2", D(2014, 1, 1))],
        "episodes": [*history("S1", D(2024, 4, 1)), *history("S2", D(2023, 3, 1))],
    }
    keys, _population = _run("PLACE-03", data)
    assert {(c, k) for c, _d, k in keys} == {("S1", "C")}


# --------------------------------------------------------------------------------------------------
# HLTH: health
# --------------------------------------------------------------------------------------------------

def test_hlth01_initial_health_assessment_across_both_may_bank_holidays():
    """HLTH-01. CPPCR 2010 reg 7 (as summarised in local procedures): the first health assessment "must be
    undertaken before the first placement, or if not reasonably practicable, before the first review"; the
    first review is due within 20 working days (reg 33(1)), the rule's deadline.

    Looked after Monday 29 April 2024. Working days: Tue 30 Apr (1), 1-3 May (2-4), 6 May (early May bank
    holiday) does not count, 7-10 May (5-8), 13-17 May (9-13), 20-24 May (14-18), 27 May (spring bank
    holiday) does not count, Tue 28 (19), Wed 29 May (20): due Wednesday 29 May 2024.
    C1 assessed 29 May: on time. C2 assessed 30 May: late. C3 refused on 20 May: recorded as refused in
    time. Population 3.
    """
    data = {
        "episodes": [_ep(c, D(2024, 4, 29)) for c in ("C1", "C2", "C3")],
        "health_checks": [
            {"CHILD": "C1", "CHECK_TYPE": "IHA", "CHECK_DATE": D(2024, 5, 29), "STATUS": "COMPLETED"},
            {"CHILD": "C2", "CHECK_TYPE": "IHA", "CHECK_DATE": D(2024, 5, 30), "STATUS": "COMPLETED"},
            {"CHILD": "C3", "CHECK_TYPE": "IHA", "CHECK_DATE": D(2024, 5, 20), "STATUS": "REFUSED"},
        ],
    }
    keys, population = _run("HLTH-01", data)
    assert keys == {("C2", D(2024, 4, 29), None)}
    assert population == 3


def test_hlth02_review_health_assessments_six_and_twelve_months_month_end_clamp():
    """HLTH-02. Statutory guidance, Promoting the health and well-being of looked-after children (2015), as
    quoted in local procedures: health assessments "6-monthly for babies and children under 5 years of age;
    and annually for those aged 5 years and over".

    C1, C2 (born 15 Mar 2022, aged 2): assessed Saturday 31 Aug 2024, next due 31 Aug + 6 months = 28 Feb
    2025. C1 next assessed 28 Feb 2025: on time. C2 on 3 Mar 2025: late.
    C3, C4 (born 1 Jun 2012): assessed 29 Feb 2024, next due 29 Feb + 12 months = 28 Feb 2025 (no 29 Feb
    in 2025). C3 next 28 Feb 2025: on time. C4 on 1 Mar 2025: late.
    Population: the first assessment of each child (due 28 Feb 2025); the second ones fall due after the
    as-of date. So 4.
    """
    checks = (("C1", D(2024, 8, 31)), ("C1", D(2025, 2, 28)), ("C2", D(2024, 8, 31)), ("C2", D(2025, 3, 3)),
              ("C3", D(2024, 2, 29)), ("C3", D(2025, 2, 28)), ("C4", D(2024, 2, 29)), ("C4", D(2025, 3, 1)))
    data = {
        "header": [_child("C1", D(2022, 3, 15)), _child("C2", D(2022, 3, 15)), _child("C3", D(2012, 6, 1)),
                   _child("C4", D(2012, 6, 1))],
        "episodes": [_ep(c, D(2023, 1, 9)) for c in ("C1", "C2", "C3", "C4")],
        "health_checks": [{"CHILD": c, "CHECK_TYPE": "RHA", "CHECK_DATE": d, "STATUS": "COMPLETED"}
                          for c, d in checks],
    }
    keys, population = _run("HLTH-02", data)
    assert keys == {("C2", D(2024, 8, 31), None), ("C4", D(2024, 2, 29), None)}
    assert population == 4


def test_hlth01_an_assessment_in_the_three_months_before_and_an_early_first_review():
    """HLTH-01. CPPCR 2010 reg 7, as local procedures give it: the first health assessment "must be undertaken
    before the first placement, or if not reasonably practicable, before the first review unless one has
    been done within the previous 3 months".

    (a) H1 assessed 15 July 2024, looked after from Monday 2 September 2024: within the 3 months before
    (from 2 June 2024), so no new assessment is owed and the period is not counted.
    (b) H2 looked after from 2 September 2024, first review held early on Friday 13 September, assessment
    25 September: after the first review, late, although within 20 working days (due 30 September).
    H3 the same, assessed on 13 September, the day of the review: on time (the extract has no times).
    Population: H2 and H3.
    """
    data = {
        "episodes": [_ep(c, D(2024, 9, 2)) for c in ("H1", "H2", "H3")],
        "health_checks": [
            {"CHILD": "H1", "CHECK_TYPE": "IHA", "CHECK_DATE": D(2024, 7, 15), "STATUS": "COMPLETED"},
            {"CHILD": "H2", "CHECK_TYPE": "IHA", "CHECK_DATE": D(2024, 9, 25), "STATUS": "COMPLETED"},
            {"CHILD": "H3", "CHECK_TYPE": "IHA", "CHECK_DATE": D(2024, 9, 13), "STATUS": "COMPLETED"}],
        "reviews": [{"CHILD": c, "REVIEW": D(2024, 9, 13)} for c in ("H2", "H3")],
    }
    keys, population = _run("HLTH-01", data)
    assert keys == {("H2", D(2024, 9, 2), None)}
    assert population == 2


def test_hlth03_sdq_for_children_aged_4_to_16_on_a_day_of_the_year():
    """HLTH-03. SSDA903 guidance (OC2), as quoted by Essex County Council: an SDQ for children looked after for
    12 months at 31 March and "aged between 4 years old and 16 years old (inclusive) on the date of the last
    assessment". The extract has no date of assessment, so a child counts who was 4 to 16 on some day of the
    collection year, 1 April 2024 - 31 March 2025 (validation rule 197B: a score or a reason "should be
    reported for 4- or 17-year-olds").

    No SDQ score or reason for anyone. Birthday edges: C1 (born 31 Mar 2021) is 4 on 31 Mar 2025: counted.
    C2 (born 1 Apr 2021) is 3 all year: not counted. C3 (born 1 Apr 2008) is 16 all year: counted. C4 (born
    31 Mar 2008) is 16 from 1 Apr 2024 until 30 Mar 2025: counted. C5 (born 31 Mar 2007) is 17 all year:
    not counted. Population 3.
    """
    data = {
        "header": [_child("C1", D(2021, 3, 31)), _child("C2", D(2021, 4, 1)), _child("C3", D(2008, 4, 1)),
                   _child("C4", D(2008, 3, 31)), _child("C5", D(2007, 3, 31))],
        "oc2": [{"CHILD": c} for c in ("C1", "C2", "C3", "C4", "C5")],
    }
    keys, population = _run("HLTH-03", data)
    assert keys == {("C1", D(2025, 3, 31), None), ("C3", D(2025, 3, 31), None), ("C4", D(2025, 3, 31), None)}
    assert population == 3


def test_hlth05_health_record_access_within_ten_working_days_over_christmas():
    """HLTH-05. NICE/SCIE PH28 recommendation 21 (as reported in Community Care): "social workers should have
    access to health records"; the rule's local timescale is 10 working days from the allocation.

    Allocated Tuesday 24 December 2024. Working days: 25 and 26 Dec do not count, Fri 27 (1), Mon 30 (2),
    Tue 31 (3), 1 Jan does not count, Thu 2 (4), Fri 3 (5), Mon 6 (6), Tue 7 (7), Wed 8 (8), Thu 9 (9),
    Fri 10 Jan (10): due Friday 10 January 2025. C1 granted 10 Jan: on time. C2 granted Mon 13 Jan: late.
    Population 2.
    """
    data = {
        "episodes": [_ep("C1", D(2024, 6, 3)), _ep("C2", D(2024, 6, 3))],
        "allocations": [{"CHILD": c, "ROLE": "SW", "WORKER_ID": "W1", "START_DATE": D(2024, 12, 24)}
                        for c in ("C1", "C2")],
        "health_record_access": [
            {"CHILD": "C1", "WORKER_ID": "W1", "REQUESTED_DATE": D(2024, 12, 24), "GRANTED_DATE": D(2025, 1, 10)},
            {"CHILD": "C2", "WORKER_ID": "W1", "REQUESTED_DATE": D(2024, 12, 24), "GRANTED_DATE": D(2025, 1, 13)},
        ],
    }
    keys, population = _run("HLTH-05", data)
    assert keys == {("C2", D(2024, 12, 24), "W1")}
    assert population == 2


# --------------------------------------------------------------------------------------------------
# EDU: education
# --------------------------------------------------------------------------------------------------

def test_edu01_initial_pep_across_the_summer_bank_holiday_then_termly():
    """EDU-01. CPPCR 2010 reg 5(b)(ii): the care plan includes "the personal education plan", and the care plan
    is due within ten working days (reg 4(2)); virtual-school guidance: the PEP is reviewed each term
    (Knowsley: "reviewed during the first half term of each term"). Default terms: autumn 1 Sep - 31 Dec,
    spring 1 Jan - 31 Mar, summer 1 Apr - 31 Jul.

    Looked after Monday 19 August 2024. Working days: Tue 20 - Fri 23 Aug (1-4), summer bank holiday
    Mon 26 Aug does not count, Tue 27 - Fri 30 Aug (5-8), Mon 2 Sep (9), Tue 3 Sep (10): first PEP due
    Tuesday 3 September 2024. Terms looked after for the whole of, ending by 31 March 2025: autumn 2024
    and spring 2025.
    C1: PEP 3 Sep (on time, and in the autumn term), 3 Jan 2025 (spring): all met.
    C2: PEP 4 Sep (late; in the autumn term), 6 Jan 2025 (spring): the first PEP only is late.
    Population: the first PEP and the two terms for each child = 6.
    """
    data = {
        "header": [_child("C1", D(2014, 1, 1)), _child("C2", D(2014, 1, 1))],
        "episodes": [_ep("C1", D(2024, 8, 19)), _ep("C2", D(2024, 8, 19))],
        "peps": [{"CHILD": c, "PEP_DATE": d, "PEP_TYPE": t} for c, d, t in (
            ("C1", D(2024, 9, 3), "INITIAL"), ("C1", D(2025, 1, 3), "REVIEW"),
            ("C2", D(2024, 9, 4), "INITIAL"), ("C2", D(2025, 1, 6), "REVIEW"))],
    }
    keys, population = _run("EDU-01", data)
    assert keys == {("C2", D(2024, 8, 19), "INITIAL")}
    assert population == 6


def test_edu01_each_term_needs_a_pep_and_the_summer_holiday_is_not_a_gap():
    """EDU-01. The PEP is reviewed each school term (virtual-school guidance), not every so many months.

    C3 and C4 looked after from Monday 4 September 2023, both with PEPs on 11 Sep 2023 and 10 Jan 2024.
    Terms in the period 1 Apr 2024 - 31 Mar 2025: summer 2024 (1 Apr - 31 Jul), autumn 2024 (1 Sep -
    31 Dec), spring 2025 (1 Jan - 31 Mar, its last day the as-of date).
    C3: PEPs 31 Jul 2024 (the summer term's last day), 1 Dec 2024 (autumn; four months and a day later,
    across the summer holiday) and 1 Jan 2025 (spring's first day): every term met.
    C4: PEPs 15 May 2024 and 31 Dec 2024 (autumn's last day), none in the spring term: the spring term has
    ended, on 31 March 2025, without one.
    Population: three terms each = 6.
    """
    data = {
        "header": [_child("C3", D(2014, 1, 1)), _child("C4", D(2014, 1, 1))],
        "episodes": [_ep("C3", D(2023, 9, 4)), _ep("C4", D(2023, 9, 4))],
        "peps": [{"CHILD": c, "PEP_DATE": d, "PEP_TYPE": "INITIAL" if d == D(2023, 9, 11) else "REVIEW"}
                 for c, dates in (("C3", (D(2023, 9, 11), D(2024, 1, 10), D(2024, 7, 31), D(2024, 12, 1),
                                          D(2025, 1, 1))),
                                  ("C4", (D(2023, 9, 11), D(2024, 1, 10), D(2024, 5, 15), D(2024, 12, 31))))
                 for d in dates],
    }
    keys, population = _run("EDU-01", data)
    assert keys == {("C4", D(2025, 1, 1), "TERM")}
    assert population == 6


def test_edu01_pep_owed_from_the_third_birthday():
    """EDU-01. Reg 5 sets no lower age for the PEP; the rule starts it at 3 (its parameter from_age), as
    virtual schools do ("between 3 years and one term and 18 years", Essex).

    C5 (born 19 Aug 2021) comes into care on the 3rd birthday, Monday 19 August 2024: the first PEP is owed
    by Tuesday 3 September 2024 (as above), held 3 Sep: on time, and in the autumn term; spring 2025: PEP
    2 Jan 2025. C6 (born 1 Oct 2022) comes into care on 2 Jan 2025 aged 2: no PEP owed yet, and the spring
    term began before care did. C7 (born 10 Jan 2019) looked after since 1 June 2021, aged 2 then, no PEP
    ever: a PEP is owed in every term beginning after the 3rd birthday; in the period, summer 2024, autumn
    2024 and spring 2025 have none.
    Population: C5's first PEP and two terms, C7's three terms = 6.
    """
    data = {
        "header": [_child("C5", D(2021, 8, 19)), _child("C6", D(2022, 10, 1)), _child("C7", D(2019, 1, 10))],
        "episodes": [_ep("C5", D(2024, 8, 19)), _ep("C6", D(2025, 1, 2)), _ep("C7", D(2021, 6, 1))],
        "peps": [{"CHILD": "C5", "PEP_DATE": D(2024, 9, 3), "PEP_TYPE": "INITIAL"},
                 {"CHILD": "C5", "PEP_DATE": D(2025, 1, 2), "PEP_TYPE": "REVIEW"}],
    }
    keys, population = _run("EDU-01", data)
    assert keys == {("C7", D(2024, 4, 1), "TERM"), ("C7", D(2024, 9, 1), "TERM"), ("C7", D(2025, 1, 1), "TERM")}
    assert population == 6


# --------------------------------------------------------------------------------------------------
# MISS: missing
# --------------------------------------------------------------------------------------------------

def test_miss01_return_interview_within_72_hours_over_new_year():
    """MISS-01. DfE statutory guidance on children who run away or go missing from home or care (2014): "When a
    child is found, they must be offered an independent return interview"; local procedures (e.g. Knowsley):
    the interview is "conducted within 72 hours of their return". 72 hours is counted in hours, not working
    days: the dates carry no time, so the day of return is day 0 and day 3 is the last day.

    Missing Friday 27 December 2024, back Saturday 28 December: 72 hours end on Tuesday 31 December (bank
    holidays make no difference). C1 offered 29 Dec and interviewed 31 Dec: both on time. C2 offered 1 Jan
    2025 and interviewed 2 Jan: both late. C5 offered 29 Dec, interviewed 3 Jan 2025: the offer was in
    time, the interview late. C3 was away without authorisation (A), not missing: not counted by default.
    C4 is still missing: not yet due. Population: the interview and the offer for C1, C2 and C5 = 6.
    """
    data = {
        "missing": [
            *({"CHILD": c, "MISSING": "M", "MIS_START": D(2024, 12, 27), "MIS_END": D(2024, 12, 28)}
              for c in ("C1", "C2", "C5")),
            {"CHILD": "C3", "MISSING": "A", "MIS_START": D(2024, 12, 27), "MIS_END": D(2024, 12, 28)},
            {"CHILD": "C4", "MISSING": "M", "MIS_START": D(2025, 3, 25)},
        ],
        "return_interviews": [
            {"CHILD": c, "MIS_START": D(2024, 12, 27), "OFFERED_DATE": offered, "HELD_DATE": held}
            for c, offered, held in (("C1", D(2024, 12, 29), D(2024, 12, 31)), ("C2", D(2025, 1, 1), D(2025, 1, 2)),
                                     ("C5", D(2024, 12, 29), D(2025, 1, 3)))
        ],
    }
    keys, population = _run("MISS-01", data)
    assert keys == {("C2", D(2024, 12, 27), "HELD"), ("C2", D(2024, 12, 27), "OFFERED"),
                    ("C5", D(2024, 12, 27), "HELD")}
    assert population == 6


def test_miss01_return_interview_across_the_end_of_february():
    """MISS-01. As above: the return interview held within 72 hours of the child's return.

    Missing 26 February 2025, back Friday 28 February 2025 (2025 is not a leap year): 28 Feb + 3 days =
    Monday 3 March 2025. C5 offered and interviewed 3 Mar: on time. C6 never offered: both overdue.
    Population 4.
    """
    data = {
        "missing": [{"CHILD": c, "MISSING": "M", "MIS_START": D(2025, 2, 26), "MIS_END": D(2025, 2, 28)}
                    for c in ("C5", "C6")],
        "return_interviews": [{"CHILD": "C5", "MIS_START": D(2025, 2, 26), "OFFERED_DATE": D(2025, 3, 3),
                               "HELD_DATE": D(2025, 3, 3)}],
    }
    keys, population = _run("MISS-01", data)
    assert keys == {("C6", D(2025, 2, 26), "HELD"), ("C6", D(2025, 2, 26), "OFFERED")}
    assert population == 4


# --------------------------------------------------------------------------------------------------
# LEAVE: leaving care
# --------------------------------------------------------------------------------------------------

def test_leave01_eligible_on_the_sixteenth_birthday_known_within_twenty_working_days_over_christmas():
    """LEAVE-01. Children Act 1989 Sch 2 para 19B(2): an eligible child "(a) is aged sixteen or seventeen; and
    (b) has been looked after by a local authority for a prescribed period, or periods amounting in all to a
    prescribed period, which began after he reached a prescribed age and ended after he reached the age of
    sixteen"; CPPCR reg 40(1): "the prescribed period is 13 weeks and the prescribed age is 14". The rule's
    local timescale for a leaving-care record: 20 working days.

    Born 2 Dec 2008, in care since 9 Jan 2023 (aged 14): 13 weeks after 14 long since, so eligible on the
    16th birthday, Monday 2 December 2024. Working days: 3-6 Dec (1-4), 9-13 Dec (5-9), 16-20 Dec (10-14),
    Mon 23 (15), Tue 24 (16), 25 and 26 Dec do not count, Fri 27 (17), Mon 30 (18), Tue 31 (19), 1 Jan does
    not count, Thu 2 Jan (20): due Thursday 2 January 2025. C1's first leaving-care record is on 2 Jan:
    on time. C2's on 3 Jan: late. Population 2.
    """
    data = {
        "header": [_child("C1", D(2008, 12, 2)), _child("C2", D(2008, 12, 2))],
        "episodes": [_ep("C1", D(2023, 1, 9)), _ep("C2", D(2023, 1, 9))],
        "leaving_care": [{"CHILD": "C1", "EVENT": "NEEDS_ASSESSMENT", "EVENT_DATE": D(2025, 1, 2)},
                         {"CHILD": "C2", "EVENT": "NEEDS_ASSESSMENT", "EVENT_DATE": D(2025, 1, 3)}],
    }
    keys, population = _run("LEAVE-01", data)
    assert keys == {("C2", D(2024, 12, 2), None)}
    assert population == 2


def test_leave01_thirteen_weeks_added_across_periods_and_the_summer_bank_holiday():
    """LEAVE-01. Sch 2 para 19B(2)(b): "periods amounting in all to" 13 weeks (91 days, reg 40(1)) "which began
    after he reached [14] and ended after he reached the age of sixteen".

    Born 15 Jun 2008 (14 on 15 Jun 2022, 16 on 15 Jun 2024). First in care 1 Mar - 30 Apr 2023: looked
    after 1 Mar - 29 Apr, 31 + 29 = 60 days. Back in care 1 Jul 2024: 31 more days are 1 - 31 Jul, so 91
    days in all on Thursday 1 August 2024, the day the child becomes eligible. 20 working days: Fri 2 Aug
    (1), 5-9 Aug (2-6), 12-16 Aug (7-11), 19-23 Aug (12-16), summer bank holiday Mon 26 Aug does not count,
    Tue 27 - Fri 30 Aug (17-20): due Friday 30 August 2024. C3 known on 30 Aug: on time. C4 on Mon 2 Sep:
    late. Population 2.
    """
    def history(child: str) -> list[dict[str, Any]]:
        return [_ep(child, D(2023, 3, 1), ls="V2", dec=D(2023, 4, 30), rec="E4A"), _ep(child, D(2024, 7, 1), ls="V2")]

    data = {
        "header": [_child("C3", D(2008, 6, 15)), _child("C4", D(2008, 6, 15))],
        "episodes": [*history("C3"), *history("C4")],
        "leaving_care": [{"CHILD": "C3", "EVENT": "NEEDS_ASSESSMENT", "EVENT_DATE": D(2024, 8, 30)},
                         {"CHILD": "C4", "EVENT": "NEEDS_ASSESSMENT", "EVENT_DATE": D(2024, 9, 2)}],
    }
    keys, population = _run("LEAVE-01", data)
    assert keys == {("C4", D(2024, 8, 1), None)}
    assert population == 2


def test_leave02_needs_assessment_three_months_after_the_sixteenth_birthday_clamped():
    """LEAVE-02. CPPCR 2010 reg 42(1): the assessment of C's needs must be completed "not more than three months
    after the date on which C reaches the age of 16 or becomes an eligible child after that age".

    Born 31 Aug 2008, in care since 10 Jan 2022: 16 (and eligible) on Saturday 31 August 2024. Three months
    later is "31 November", so 30 November 2024. C1 assessed 30 Nov: on time. C2 assessed Mon 2 Dec: late.
    Population 2.
    """
    data = {
        "header": [_child("C1", D(2008, 8, 31)), _child("C2", D(2008, 8, 31))],
        "episodes": [_ep("C1", D(2022, 1, 10)), _ep("C2", D(2022, 1, 10))],
        "leaving_care": [{"CHILD": "C1", "EVENT": "NEEDS_ASSESSMENT", "EVENT_DATE": D(2024, 11, 30)},
                         {"CHILD": "C2", "EVENT": "NEEDS_ASSESSMENT", "EVENT_DATE": D(2024, 12, 2)}],
    }
    keys, population = _run("LEAVE-02", data)
    assert keys == {("C2", D(2024, 8, 31), None)}
    assert population == 2


def test_leave02_eligible_after_sixteen():
    """LEAVE-02. CPPCR 2010 reg 42(1): "... or becomes an eligible child after that age"; Sch 2 para 19B(2)(b)
    with reg 40(1): 13 weeks looked after.

    Born 10 May 2008, first in care on 1 Jul 2024 at 16. 13 weeks = 91 days: 1 Jul + 31 = 1 Aug, + 31 =
    1 Sep, + 29 = 30 Sep 2024, when the child has been looked after 91 days (1 Jul - 29 Sep) and becomes
    eligible. Due 30 Sep + 3 months = 30 December 2024. C3 assessed 30 Dec: on time. C4 on 31 Dec: late.
    Population 2.
    """
    data = {
        "header": [_child("C3", D(2008, 5, 10)), _child("C4", D(2008, 5, 10))],
        "episodes": [_ep("C3", D(2024, 7, 1), ls="V2", place="K2"), _ep("C4", D(2024, 7, 1), ls="V2", place="K2")],
        "leaving_care": [{"CHILD": "C3", "EVENT": "NEEDS_ASSESSMENT", "EVENT_DATE": D(2024, 12, 30)},
                         {"CHILD": "C4", "EVENT": "NEEDS_ASSESSMENT", "EVENT_DATE": D(2024, 12, 31)}],
    }
    keys, population = _run("LEAVE-02", data)
    assert keys == {("C4", D(2024, 9, 30), None)}
    assert population == 2


def test_leave03_pathway_plan_within_three_months_clamped():
    """LEAVE-03. CPPCR 2010 reg 41(b): if C is an eligible child the authority must "prepare C's pathway plan,
    in accordance with regulation 43"; Sch 2 para 19B(4): after the needs assessment (due within three
    months, reg 42(1)) the authority "shall then prepare a pathway plan"; the rule: within 3 months.

    Born 30 Nov 2008, in care since 10 Jan 2022: eligible on the 16th birthday, Saturday 30 November 2024;
    30 Nov + 3 months = "30 February", so 28 February 2025. C1's plan 28 Feb: on time. C2's plan Mon 3 Mar:
    late. The plans' own reviews fall due after 31 March 2025. Population 2.
    """
    data = {
        "header": [_child("C1", D(2008, 11, 30)), _child("C2", D(2008, 11, 30))],
        "episodes": [_ep("C1", D(2022, 1, 10)), _ep("C2", D(2022, 1, 10))],
        "leaving_care": [{"CHILD": "C1", "EVENT": "PATHWAY_PLAN", "EVENT_DATE": D(2025, 2, 28)},
                         {"CHILD": "C2", "EVENT": "PATHWAY_PLAN", "EVENT_DATE": D(2025, 3, 3)}],
    }
    keys, population = _run("LEAVE-03", data)
    assert keys == {("C2", D(2024, 11, 30), "PLAN")}
    assert population == 2


def test_leave03_pathway_plan_reviewed_every_six_months_clamped():
    """LEAVE-03. Sch 2 para 19B(5): "The local authority shall keep the pathway plan under regular review"; the
    six months are the rule's (the Welsh 2001 regulations, reg 9(2)(c), say "at intervals of not more than
    six months"; the English text was not read).

    C3 (born 15 Dec 2007, eligible 15 Dec 2023): plan 31 Jan 2024, reviews 31 Jul 2024 (31 Jan + 6 months:
    on time) and 31 Jan 2025 (31 Jul + 6 months: on time); the plan itself was due 15 Mar 2024, before the
    period, and was in time.
    C4 (born 10 Jan 2008, eligible 10 Jan 2024): plan 31 Mar 2024 (due 10 Apr 2024: on time), review 30 Sep
    2024 (31 Mar + 6 months = "31 September", so 30 September: on time), and none since: next due 30 Mar
    2025, overdue at 31 March 2025.
    Population: C3 the reviews of 31 Jan and 31 Jul 2024; C4 the plan and both reviews: 5.
    """
    data = {
        "header": [_child("C3", D(2007, 12, 15)), _child("C4", D(2008, 1, 10))],
        "episodes": [_ep("C3", D(2022, 1, 10)), _ep("C4", D(2022, 1, 10))],
        "leaving_care": [{"CHILD": c, "EVENT": e, "EVENT_DATE": d} for c, e, d in (
            ("C3", "PATHWAY_PLAN", D(2024, 1, 31)), ("C3", "PATHWAY_REVIEW", D(2024, 7, 31)),
            ("C3", "PATHWAY_REVIEW", D(2025, 1, 31)),
            ("C4", "PATHWAY_PLAN", D(2024, 3, 31)), ("C4", "PATHWAY_REVIEW", D(2024, 9, 30)))],
    }
    keys, population = _run("LEAVE-03", data)
    assert keys == {("C4", D(2024, 9, 30), "REVIEW")}
    assert population == 5


def test_leave04_personal_adviser_within_three_months_clamped():
    """LEAVE-04. Children Act 1989 Sch 2 para 19C: "A local authority shall arrange for each child whom they are
    looking after who is an eligible child ... to have a personal adviser"; the rule's local timescale is
    3 months from becoming eligible.

    Born 30 Nov 2008, in care since 10 Jan 2022: eligible 30 November 2024; + 3 months = 28 February 2025.
    C1 adviser from 28 Feb: on time. C2 adviser from 3 Mar: late. C3 only a social worker: overdue.
    Population 3.
    """
    data = {
        "header": [_child(c, D(2008, 11, 30)) for c in ("C1", "C2", "C3")],
        "episodes": [_ep(c, D(2022, 1, 10)) for c in ("C1", "C2", "C3")],
        "allocations": [{"CHILD": "C1", "ROLE": "PA", "WORKER_ID": "P1", "START_DATE": D(2025, 2, 28)},
                        {"CHILD": "C2", "ROLE": "PA", "WORKER_ID": "P1", "START_DATE": D(2025, 3, 3)},
                        {"CHILD": "C3", "ROLE": "SW", "WORKER_ID": "W1", "START_DATE": D(2022, 1, 10)}],
    }
    keys, population = _run("LEAVE-04", data)
    assert keys == {("C2", D(2024, 11, 30), None), ("C3", D(2024, 11, 30), None)}
    assert population == 3


def test_leave05_whose_approval_the_twenty_working_days_and_the_eighteenth_birthday():
    """LEAVE-05. CPPCR 2010 reg 39(2): "Before deciding to cease to look after C the responsible authority must
    (a) carry out an assessment of the suitability of the proposed arrangements ... (c) ensure that C's
    wishes and feelings have been ascertained"; reg 39(4): "Subject to paragraph (5), where C has been a
    looked after child for at least 20 working days, any decision to cease to look after C must not be put
    into effect until it has been approved by a nominated officer"; reg 39(5): "In any case where C is aged
    16 or 17 and is not in the care of the local authority, the decision ... must not be put into effect
    until it has been approved by the responsible authority's director of children's services".

    C1 and C5 (born 1 Jun 2007, aged 17), accommodated under s.20 (V2), looked after Monday 2 September
    2024 to Monday 30 September 2024: not in the care of the authority, so the director approves, whatever
    the length of the stay. C1: assessment 16 Sep, the director's approval 30 Sep (the day care ended,
    before it took effect): both in time. C5: no assessment, the director's approval 1 Oct (after care
    ended): both missing.
    C6 (aged 17, V2) looked after 2 to 26 September 2024, 18 working days after day 0 (3-6, 9-13, 16-20,
    23-26 Sep): reg 39(2) has no minimum stay, so the assessment is owed: none, an exception; the director
    approved on 26 Sep. C7 (aged 17) on a full care order (C2) for the same 18 working days, assessed on
    20 Sep: fewer than 20 working days, so no nominated officer's approval is needed.
    Birthday edge: C4 (born 1 Oct 2006) on a care order from January 2023, left care on 30 Sep 2024 aged 17,
    assessed 1 Sep and approved by a nominated officer on 20 Sep: in time. C3, same birthday, left on
    1 Oct 2024, the 18th birthday: no longer a child, not counted.
    Population: two keys each for C1, C4, C5 and C6, one (the assessment) for C7 = 9.
    """
    data = {
        "header": [_child("C1", D(2007, 6, 1)), _child("C5", D(2007, 6, 1)), _child("C6", D(2007, 6, 1)),
                   _child("C7", D(2007, 6, 1)), _child("C4", D(2006, 10, 1)), _child("C3", D(2006, 10, 1))],
        "episodes": [_ep("C1", D(2024, 9, 2), ls="V2", place="K2", dec=D(2024, 9, 30), rec="E4A"),
                     _ep("C5", D(2024, 9, 2), ls="V2", place="K2", dec=D(2024, 9, 30), rec="E4A"),
                     _ep("C6", D(2024, 9, 2), ls="V2", place="K2", dec=D(2024, 9, 26), rec="E4A"),
                     _ep("C7", D(2024, 9, 2), ls="C2", place="K2", dec=D(2024, 9, 26), rec="E4A"),
                     _ep("C4", D(2023, 1, 2), ls="C2", place="K2", dec=D(2024, 9, 30), rec="E8"),
                     _ep("C3", D(2023, 1, 2), ls="C2", place="K2", dec=D(2024, 10, 1), rec="E8")],
        "leaving_care": [{"CHILD": c, "EVENT": e, "EVENT_DATE": d} for c, e, d in (
            ("C1", "READINESS_ASSESSMENT", D(2024, 9, 16)), ("C1", "CEASE_APPROVAL_DCS", D(2024, 9, 30)),
            ("C5", "CEASE_APPROVAL_DCS", D(2024, 10, 1)),
            ("C6", "CEASE_APPROVAL_DCS", D(2024, 9, 26)),
            ("C7", "READINESS_ASSESSMENT", D(2024, 9, 20)),
            ("C4", "READINESS_ASSESSMENT", D(2024, 9, 1)), ("C4", "CEASE_APPROVAL_NOMINATED", D(2024, 9, 20)))],
    }
    keys, population = _run("LEAVE-05", data)
    assert keys == {("C5", D(2024, 9, 30), "READINESS"), ("C5", D(2024, 9, 30), "APPROVAL"),
                    ("C6", D(2024, 9, 26), "READINESS")}
    assert population == 9


def test_leave06_staying_put_offered_three_months_before_eighteen_clamped():
    """LEAVE-06. Children Act 1989 s.23CZA and NICE/SCIE PH28 rec 46 / QS31 statement 8: young people in foster
    care are offered the option to stay beyond 18 (Staying Put); the rule's local timescale is 3 months
    before the 18th birthday.

    Born 31 May 2007: 18 on 31 May 2025; 3 months before is "31 February", so 28 February 2025. C1 in
    foster care (U4) offered 28 Feb 2025: on time. C2 in foster care offered Mon 3 Mar 2025: late, listed
    by the 18th birthday. C3 in a children's home (K2): not counted. Population 2.
    """
    data = {
        "header": [_child(c, D(2007, 5, 31)) for c in ("C1", "C2", "C3")],
        "episodes": [_ep("C1", D(2022, 1, 10)), _ep("C2", D(2022, 1, 10)), _ep("C3", D(2022, 1, 10), place="K2")],
        "leaving_care": [{"CHILD": "C1", "EVENT": "STAYING_PUT_OFFERED", "EVENT_DATE": D(2025, 2, 28)},
                         {"CHILD": "C2", "EVENT": "STAYING_PUT_OFFERED", "EVENT_DATE": D(2025, 3, 3)}],
    }
    keys, population = _run("LEAVE-06", data)
    assert keys == {("C2", D(2025, 5, 31), None)}
    assert population == 2


def test_leave07_adult_services_referral_six_months_after_the_seventeenth_birthday_clamped():
    """LEAVE-07. NICE/SCIE PH28 recommendations 46 and 49: the transition of disabled young people into adult
    services is planned; the rule's local timescale is 6 months after the 17th birthday.

    Born 31 Aug 2007, disabled (N2), in care on the 17th birthday, Saturday 31 August 2024: 31 Aug + 6
    months = 28 February 2025. C1 referred 28 Feb: on time. C2 never referred: overdue. C3 referred
    Saturday 1 March 2025: late. Population 3.
    """
    data = {
        "header": [_child(c, D(2007, 8, 31)) for c in ("C1", "C2", "C3")],
        "episodes": [_ep(c, D(2022, 1, 10), cin="N2") for c in ("C1", "C2", "C3")],
        "leaving_care": [{"CHILD": "C1", "EVENT": "ADULT_SERVICES_REFERRAL", "EVENT_DATE": D(2025, 2, 28)},
                         {"CHILD": "C3", "EVENT": "ADULT_SERVICES_REFERRAL", "EVENT_DATE": D(2025, 3, 1)}],
    }
    keys, population = _run("LEAVE-07", data)
    assert keys == {("C2", D(2024, 8, 31), None), ("C3", D(2024, 8, 31), None)}
    assert population == 3


# --------------------------------------------------------------------------------------------------
# DQ / QI: data quality
# --------------------------------------------------------------------------------------------------

def test_dq03_still_looked_after_on_the_eighteenth_birthday():
    """DQ-03. Children Act 1989 s.105(1): "child" means a person under the age of eighteen; a person attains an
    age at the start of the birthday (Family Law Reform Act 1969 s.9).

    As of 31 March 2025. C1 (born 31 Mar 2007) is 18 today and still has an open episode: an exception,
    keyed by the 18th birthday. C2 (born 1 Apr 2007) is 17 until tomorrow. C3 (born 30 Mar 2007) left care
    on the 18th birthday, 30 Mar 2025, so is not looked after today. Population: C1 and C2.
    """
    data = {
        "header": [_child("C1", D(2007, 3, 31)), _child("C2", D(2007, 4, 1)), _child("C3", D(2007, 3, 30))],
        "episodes": [_ep("C1", D(2023, 1, 2)), _ep("C2", D(2023, 1, 2)),
                     _ep("C3", D(2023, 1, 2), dec=D(2025, 3, 30), rec="E8")],
    }
    keys, population = _run("DQ-03", data)
    assert keys == {("C1", D(2025, 3, 31), None)}
    assert population == 2


def test_dq01_an_episode_starting_the_day_the_previous_ended_is_no_overlap():
    """DQ-01. DfE SSDA903 episode checks, as the rule cites them: "an episode starts on or after the day the
    previous one ended".

    C1: 1 Jan - 1 Mar 2024, then from 1 Mar 2024: consecutive. C2: 1 Jan - 1 Mar 2024, then from 29 Feb
    2024 (a leap day), one day before the first ended: an overlap, listed by its start. Population: the 4
    episodes.
    """
    data = {"episodes": [
        _ep("C1", D(2024, 1, 1), dec=D(2024, 3, 1), rec="X1", reason="CARPL"), _ep("C1", D(2024, 3, 1), rne="P"),
        _ep("C2", D(2024, 1, 1), dec=D(2024, 3, 1), rec="X1", reason="CARPL"), _ep("C2", D(2024, 2, 29), rne="P"),
    ]}
    keys, population = _run("DQ-01", data)
    assert keys == {("C2", D(2024, 2, 29), None)}
    assert population == 4
