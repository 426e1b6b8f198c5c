-- Shared derived views that rules build on instead of repeating SQL.
-- They take no parameters: anything that depends on the as-of date stays in the rules.

-- Every episode with EPISODE_NO, its place in the child's history in a total order: the start date,
-- then the end (an open episode last), then every other column, then the line of the source file.
-- Every window over a child's episodes and every choice between them orders by it, so that two
-- episodes starting on the same day come out the same whatever order the rows were in.
CREATE OR REPLACE VIEW ordered_episodes AS
SELECT *, row_number() OVER (
           PARTITION BY CHILD
           ORDER BY DECOM, DEC NULLS LAST, RNE, LS, CIN, PLACE, PLACE_PROVIDER NULLS LAST, REC NULLS LAST,
                    REASON_PLACE_CHANGE NULLS LAST, HOME_POST NULLS LAST, PL_POST NULLS LAST, URN NULLS LAST, _LINE
       ) AS EPISODE_NO
FROM episodes;

-- A period of care: consecutive episodes with no gap. A new period starts with RNE = 'S'
-- or when an episode does not begin on the day the previous one ended. Each episode belongs to
-- exactly one period, PERIOD_NO (an episode that overlaps the one before starts a new period, which
-- may overlap the earlier one: DQ-01 reports the overlap).
CREATE OR REPLACE VIEW episode_periods AS
WITH e AS (
    SELECT *, CASE WHEN RNE = 'S'
                     OR lag(DEC) OVER (PARTITION BY CHILD ORDER BY EPISODE_NO) IS DISTINCT FROM DECOM
                   THEN 1 ELSE 0 END AS _new
    FROM ordered_episodes
)
SELECT * EXCLUDE (_new), sum(_new) OVER (PARTITION BY CHILD ORDER BY EPISODE_NO) AS PERIOD_NO FROM e;

CREATE OR REPLACE VIEW periods_of_care AS
SELECT CHILD, PERIOD_NO,
       min(DECOM) AS PERIOD_START,
       CASE WHEN count(*) FILTER (WHERE DEC IS NULL) > 0 THEN NULL ELSE max(DEC) END AS PERIOD_END,
       arg_min(LS, EPISODE_NO) AS FIRST_LS,
       bool_and(LS IN ('V3', 'V4')) AS SHORT_BREAKS_ONLY,
       arg_max(REC, EPISODE_NO) AS REC
FROM episode_periods GROUP BY CHILD, PERIOD_NO;

-- A placement: an episode that starts a new placement (every reason for a new episode but a
-- change of legal status only, L), in its own period of care. IS_MOVE marks a move within a period
-- of care; REASON is the reason the previous placement ended (REASON_PLACE_CHANGE of the previous
-- episode). EPISODE_NO tells apart two placements of a child that start on the same day.
-- CARER_START is when the child began living with the same carer: a change of placement with
-- the same carer (RNE T, or U with a change of legal status) is a new placement in the 903 return
-- (a foster placement confirmed as long term, U6 to U4), but not a new home, so the visiting rules
-- count "the first year of the placement" from CARER_START and need no new first-week visit.
CREATE OR REPLACE VIEW placements AS
WITH e AS (
    SELECT e.*, p.PERIOD_START, p.PERIOD_END,
           lag(e.REASON_PLACE_CHANGE) OVER (PARTITION BY e.CHILD ORDER BY e.EPISODE_NO) AS PREV_REASON
    FROM episode_periods e JOIN periods_of_care p USING (CHILD, PERIOD_NO)
), s AS (
    SELECT *, sum(CASE WHEN RNE IN ('T', 'U') AND DECOM > PERIOD_START THEN 0 ELSE 1 END)
                  OVER (PARTITION BY CHILD, PERIOD_NO ORDER BY EPISODE_NO) AS _carer
    FROM e WHERE RNE <> 'L'
)
SELECT CHILD, PERIOD_NO, EPISODE_NO, DECOM AS PLACEMENT_START,
       coalesce(lead(DECOM) OVER (PARTITION BY CHILD, PERIOD_NO ORDER BY EPISODE_NO), PERIOD_END) AS PLACEMENT_END,
       min(DECOM) OVER (PARTITION BY CHILD, PERIOD_NO, _carer) AS CARER_START,
       PLACE, LS, RNE, PERIOD_START, PERIOD_END,
       DECOM > PERIOD_START AS IS_MOVE,
       CASE WHEN DECOM > PERIOD_START THEN PREV_REASON END AS REASON,
       LS IN ('V3', 'V4') AS SHORT_BREAK,
       PLACE IN ('T0', 'T1', 'T2', 'T3', 'T4') AS TEMPORARY
FROM s;

-- Children looked after on a date: in a period of care that began on or before it and had not
-- ended by it (a child is no longer looked after on the day care ceased, DEC).
CREATE OR REPLACE MACRO looked_after_on(d) AS TABLE
    SELECT CHILD, PERIOD_NO, PERIOD_START, PERIOD_END, SHORT_BREAKS_ONLY FROM periods_of_care
    WHERE PERIOD_START <= d AND coalesce(PERIOD_END, DATE '9999-12-31') > d;

-- The child's date of birth, from the header table.
CREATE OR REPLACE VIEW children AS SELECT CHILD, DOB, SEX FROM header;

-- Eligible child (CA89 Sch 2 para 19B; CPPCR reg 40): looked after for 13 weeks (91 days) in all,
-- in periods beginning after the 14th birthday and ending after the 16th, short breaks excluded.
-- ELIGIBLE_FROM is the first day all of that holds while the child is looked after; the child
-- stays eligible while that period of care lasts (the rules check the age limit of 18).
CREATE OR REPLACE VIEW eligibility AS
WITH p AS (
    SELECT p.CHILD, c.DOB,
           greatest(p.PERIOD_START, c.DOB + INTERVAL 14 YEAR)::DATE AS S,
           p.PERIOD_END AS E, p.PERIOD_START, p.PERIOD_NO
    FROM periods_of_care p JOIN children c USING (CHILD)
    WHERE NOT p.SHORT_BREAKS_ONLY
      AND coalesce(p.PERIOD_END, DATE '9999-12-31') > (c.DOB + INTERVAL 14 YEAR)
), d AS (
    -- days looked after in earlier periods (a child the header repeats with another DOB: once per DOB)
    SELECT *, coalesce(sum(coalesce(E, DATE '9999-12-31') - S) OVER (
                  PARTITION BY CHILD, DOB ORDER BY S, PERIOD_NO ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                  0) AS BEFORE
    FROM p
), q AS (
    SELECT CHILD, DOB, PERIOD_NO, PERIOD_START, E AS PERIOD_END,
           greatest(S + (91 - least(BEFORE, 91))::INTEGER, (DOB + INTERVAL 16 YEAR)::DATE) AS ELIGIBLE_FROM
    FROM d
)
SELECT CHILD, DOB, PERIOD_NO, PERIOD_START, PERIOD_END, ELIGIBLE_FROM
FROM q
WHERE ELIGIBLE_FROM < coalesce(PERIOD_END, DATE '9999-12-31')
  AND ELIGIBLE_FROM < (DOB + INTERVAL 18 YEAR);

-- What a night reports (README, "The rule pack"), for an obligation due on DUE and done on DONE
-- (NULL while outstanding): every item overdue at the as-of date, and every item done late
-- whose due date falls in the period. An action on the due date is on time.
-- LAPSES is the date the obligation stops being owed (the end of the period of care, placement or
-- allocation it belongs to; NULL for never): an item still outstanding when it lapsed before the
-- as-of date is reported only if it fell due in the period, so children who left care long ago
-- do not stay on tonight's list.
CREATE OR REPLACE MACRO is_exception(due, done, as_of, period_start, period_end, lapses := NULL) AS
    (due <= as_of AND (done IS NULL OR done > as_of)
        AND (coalesce(lapses, DATE '9999-12-31') > as_of OR due >= period_start))
    OR (done > due AND done <= as_of AND due BETWEEN period_start AND period_end);

-- The items a rule's compliance rate counts: due in the period (and by the as-of date), or
-- still outstanding, owed and overdue at the as-of date whenever they fell due.
CREATE OR REPLACE MACRO in_population(due, done, as_of, period_start, period_end, lapses := NULL) AS
    (due BETWEEN period_start AND least(period_end, as_of))
    OR (due <= as_of AND (done IS NULL OR done > as_of) AND coalesce(lapses, DATE '9999-12-31') > as_of);
