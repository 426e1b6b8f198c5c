-- The sample's children as SystemC v1.4.5 Standard Safeguarding Dataset tables (see ssd.py for why).
--
-- Reads x_<table> (the contract tables just written, dates as DATE, the rest as text), gen_wording (the
-- SystemC descriptions for codes, from the SSD lookups) and $seed, $as_of, $others; writes one table per
-- SSD table, named as the SSD names it, with exactly its columns in order, every value text (dates as SQL
-- Server's datetime text). Nothing is random in the row-generator sense: every choice is a hash of $seed
-- and a stable key, so the same extract and seed give the same files.

-- ---------------------------------------------------------------- helpers
-- A number in [0, 1) and an integer in [0, n) for a key: the seed's stable choice.
CREATE OR REPLACE TEMP MACRO u(k) AS CAST(hash($seed, CAST(k AS VARCHAR)) % 1000003 AS DOUBLE) / 1000003;
CREATE OR REPLACE TEMP MACRO pick_n(k, n) AS CAST(hash($seed, CAST(k AS VARCHAR)) % CAST(n AS UBIGINT) AS INTEGER);
CREATE OR REPLACE TEMP MACRO dtx(d) AS strftime(CAST(d AS DATE), '%Y-%m-%d') || ' 00:00:00.000';
CREATE OR REPLACE TEMP MACRO tsx(t) AS strftime(CAST(t AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g');
-- ssd.person_id: the digits of the sample CHILD without leading zeros
CREATE OR REPLACE TEMP MACRO person_id(child) AS
    coalesce(nullif(ltrim(regexp_replace(child, '[^0-9]', '', 'g'), '0'), ''), '0');
CREATE OR REPLACE TEMP MACRO age_at(dob, d) AS
    date_diff('year', dob, d) - CASE WHEN strftime(d, '%m%d') < strftime(dob, '%m%d') THEN 1 ELSE 0 END;
-- The SystemC description of a code (the n-th of its wordings), else the code itself.
CREATE OR REPLACE TEMP MACRO wording(in_field, in_code, in_n) AS coalesce(
    (SELECT w.VALUE FROM gen_wording w WHERE w.FIELD = in_field AND w.CODE = in_code AND w.N = in_n % w.K), in_code);
CREATE OR REPLACE TEMP MACRO year_end() AS
    make_date(CASE WHEN $as_of >= make_date(year($as_of), 3, 31) THEN year($as_of) ELSE year($as_of) - 1 END, 3, 31);
CREATE OR REPLACE TEMP MACRO guid(k) AS upper(regexp_replace(md5(CAST($seed AS VARCHAR) || '|' || k),
    '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\1-\2-\3-\4-\5'));

-- ---------------------------------------------------------------- people
-- The sample's children, and about 30% more people known to children's services but never looked
-- after (child in need, child protection, private fostering): SSD holds them all.
CREATE OR REPLACE TEMP TABLE gen_people AS
SELECT h.CHILD, person_id(h.CHILD) AS PID, TRUE AS LAC, h.SEX, h.DOB, h.ETHNIC, h.UPN, h.MOTHER, h.MC_DOB,
       u('dob-estimated|' || h.CHILD) < 0.02 AS DOB_ESTIMATED,
       (SELECT min(CIN) FROM x_episodes e WHERE e.CHILD = h.CHILD) AS CIN,
       h.CHILD IN (SELECT CHILD FROM x_uasc) AS UASC
FROM x_header h
UNION ALL
SELECT o.CHILD, o.PID, FALSE, o.SEX, o.DOB, o.ETHNIC,
       CASE WHEN age_at(o.DOB, $as_of) < 4 THEN 'UN1' WHEN u('upn|' || o.CHILD) < 0.05 THEN 'UN3' ELSE 'KNOWN' END,
       CASE WHEN o.MOTHER THEN '1' END, CASE WHEN o.MOTHER THEN $as_of - (30 + pick_n('baby|' || o.CHILD, 300)) END,
       u('dob-estimated|' || o.CHILD) < 0.02, NULL, FALSE
FROM (
    SELECT *, SEX = 'F' AND age_at(DOB, $as_of) >= 15 AND u('mother|' || CHILD) < 0.25 AS MOTHER
    FROM (
        SELECT 'N' || (900000000 + i) AS CHILD, CAST(900000000 + i AS VARCHAR) AS PID,
               CASE WHEN u('sex|' || i) < 0.52 THEN 'M' ELSE 'F' END AS SEX,
               $as_of - (20 + pick_n('age|' || i, 6550)) AS DOB,
               list_element(['WBRI', 'WBRI', 'WBRI', 'WBRI', 'WBRI', 'WBRI', 'WOTH', 'MWBC', 'MOTH', 'APKN',
                             'BAFR', 'BCRB', 'AOTH', 'OOTH', 'NOBT'], 1 + pick_n('ethnic|' || i, 15)) AS ETHNIC
        FROM (SELECT unnest(range(1, $others + 1)) AS i)
    )
) o;

-- ---------------------------------------------------------------- episodes, periods of care, placements
-- clae_cla_id changes at each RNE S (a period of care); a placement row is shared by consecutive
-- episodes when the later is a change of legal status only (RNE L) with the same placement.
CREATE OR REPLACE TEMP TABLE gen_ep AS
WITH e AS (
    SELECT *, row_number() OVER (PARTITION BY CHILD ORDER BY DECOM, DEC NULLS LAST, RNE, LS, PLACE) AS N
    FROM x_episodes
),
f AS (
    SELECT *, lag(PLACE) OVER w AS PREV_PLACE, lag(PLACE_PROVIDER) OVER w AS PREV_PROVIDER,
           lag(URN) OVER w AS PREV_URN, lag(LS) OVER w AS PREV_LS
    FROM e WINDOW w AS (PARTITION BY CHILD ORDER BY N)
),
g AS (
    SELECT *,
           sum(CASE WHEN N = 1 OR RNE = 'S' THEN 1 ELSE 0 END) OVER w AS PERIOD_NO,
           sum(CASE WHEN N = 1 OR RNE IS DISTINCT FROM 'L' OR PLACE IS DISTINCT FROM PREV_PLACE
                         OR PLACE_PROVIDER IS DISTINCT FROM PREV_PROVIDER OR URN IS DISTINCT FROM PREV_URN
                    THEN 1 ELSE 0 END) OVER w AS PLACEMENT_NO,
           sum(CASE WHEN N = 1 OR RNE = 'S' OR LS IS DISTINCT FROM PREV_LS THEN 1 ELSE 0 END) OVER w AS RUN_NO
    FROM f WINDOW w AS (PARTITION BY CHILD ORDER BY N ROWS UNBOUNDED PRECEDING)
)
SELECT *, person_id(CHILD) AS PID,
       CAST(3000000 + row_number() OVER (ORDER BY CHILD, N) AS VARCHAR) AS EPISODE_ID,
       CAST(7000000 + dense_rank() OVER (ORDER BY CHILD, PERIOD_NO) AS VARCHAR) AS CLA_ID,
       CAST(6000000 + dense_rank() OVER (ORDER BY CHILD, PERIOD_NO) AS VARCHAR) AS REFERRAL_ID,
       CAST(5000000 + dense_rank() OVER (ORDER BY CHILD, PLACEMENT_NO) AS VARCHAR) AS PLACEMENT_ID,
       min(DECOM) OVER (PARTITION BY CHILD, PERIOD_NO) AS ENTERED_CARE
FROM g;

CREATE OR REPLACE TEMP TABLE gen_period AS
SELECT CHILD, PID, PERIOD_NO, CLA_ID, min(DECOM) AS S,
       CASE WHEN bool_or(DEC IS NULL) THEN NULL ELSE max(DEC) END AS E
FROM gen_ep GROUP BY CHILD, PID, PERIOD_NO, CLA_ID;

-- The period of care a dated row belongs to: the latest begun by then, else the child's first.
CREATE OR REPLACE TEMP MACRO first_cla(in_child) AS
    (SELECT p.CLA_ID FROM gen_period p WHERE p.CHILD = in_child ORDER BY p.S LIMIT 1);

CREATE OR REPLACE TEMP TABLE ssd_cla_episodes AS
SELECT EPISODE_ID AS clae_cla_episode_id, PID AS clae_person_id, PLACEMENT_ID AS clae_cla_placement_id,
       dtx(DECOM) AS clae_cla_episode_start_date,
       wording('clae_cla_episode_start_reason', RNE, 0) AS clae_cla_episode_start_reason,
       CIN AS clae_cla_primary_need_code, dtx(DEC) AS clae_cla_episode_ceased_date,
       wording('clae_cla_episode_ceased_reason', REC, 0) AS clae_cla_episode_ceased_reason,
       CLA_ID AS clae_cla_id, REFERRAL_ID AS clae_referral_id,
       -- SystemC: the latest IRO case note of the person, whatever the episode
       dtx((SELECT max(r.REVIEW) FROM x_reviews r WHERE r.CHILD = e.CHILD)) AS clae_cla_last_iro_contact_date,
       dtx(ENTERED_CARE) AS clae_entered_care_date
FROM gen_ep e;

CREATE OR REPLACE TEMP TABLE ssd_cla_placement AS
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY PLACEMENT_ID ORDER BY N) AS FIRST_RANK,
           row_number() OVER (PARTITION BY PLACEMENT_ID ORDER BY N DESC) AS LAST_RANK
    FROM gen_ep
),
pl AS (
    SELECT f.PLACEMENT_ID, f.CLA_ID, f.PID, f.DECOM, f.PLACE, f.URN, f.PLACE_PROVIDER, upper(f.PL_POST) AS PL_POST,
           l.DEC, l.REASON_PLACE_CHANGE,
           -- the inward code's letters: never a real postcode (no EG area exists)
           substr('ABDEFGHJLNPQRSTUWXYZ', 1 + pick_n('pc1|' || f.PLACEMENT_ID, 20), 1)
               || substr('ABDEFGHJLNPQRSTUWXYZ', 1 + pick_n('pc2|' || f.PLACEMENT_ID, 20), 1) AS LETTERS
    FROM ranked f JOIN ranked l ON l.PLACEMENT_ID = f.PLACEMENT_ID AND l.LAST_RANK = 1
    WHERE f.FIRST_RANK = 1
)
SELECT PLACEMENT_ID AS clap_cla_placement_id, CLA_ID AS clap_cla_id, PID AS clap_person_id,
       dtx(DECOM) AS clap_cla_placement_start_date, PLACE AS clap_cla_placement_type, URN AS clap_cla_placement_urn,
       CAST(round(0.5 + u('distance|' || PLACEMENT_ID) * 30, 1) AS VARCHAR) AS clap_cla_placement_distance,
       PLACE_PROVIDER AS clap_cla_placement_provider,
       CASE WHEN PL_POST IS NULL THEN NULL
            WHEN regexp_full_match(PL_POST, '[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]') THEN PL_POST || LETTERS
            WHEN regexp_full_match(PL_POST, '[A-Z]{1,2}[0-9][A-Z0-9]?')
                THEN PL_POST || ' ' || (1 + pick_n('pc3|' || PLACEMENT_ID, 9)) || LETTERS
            ELSE PL_POST END AS clap_cla_placement_postcode,
       dtx(DEC) AS clap_cla_placement_end_date, REASON_PLACE_CHANGE AS clap_cla_placement_change_reason
FROM pl;

-- ---------------------------------------------------------------- legal status (a history of its own)
-- One row per run of consecutive episodes with one legal status, in SystemC's (Annex A) wording; then
-- orders that are not care statuses: the mapping must leave them out.
CREATE OR REPLACE TEMP TABLE gen_legal AS
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY CHILD, RUN_NO ORDER BY N) AS FIRST_RANK,
           row_number() OVER (PARTITION BY CHILD, RUN_NO ORDER BY N DESC) AS LAST_RANK
    FROM gen_ep
)
SELECT f.PID, wording('lega_legal_status', f.LS,
                       CASE WHEN f.LS = 'V2' THEN CASE WHEN age_at(p.DOB, f.DECOM) >= 16 THEN 1 ELSE 0 END
                            ELSE pick_n('ls|' || f.CHILD || f.DECOM, 2) END) AS STATUS,
       f.DECOM AS S, l.DEC AS E
FROM ranked f JOIN ranked l ON l.CHILD = f.CHILD AND l.RUN_NO = f.RUN_NO AND l.LAST_RANK = 1
LEFT JOIN gen_people p ON p.CHILD = f.CHILD
WHERE f.FIRST_RANK = 1
UNION ALL
-- the order made when care ended
SELECT PID, CASE WHEN REC = 'E41' THEN 'Child arrangements order' ELSE 'Special guardianship order' END, DEC, NULL
FROM gen_ep WHERE REC IN ('E41', 'E45', 'E46', 'E47', 'E48') AND DEC IS NOT NULL
UNION ALL
-- children never looked after
SELECT PID, list_element(['Supervision order', 'Child arrangements order', 'Private fostering arrangement',
                          'Residence order'], 1 + pick_n('order|' || CHILD, 4)),
       $as_of - (60 + pick_n('order-start|' || CHILD, 900)), NULL
FROM gen_people WHERE NOT LAC AND u('order|' || CHILD) < 0.3;

CREATE OR REPLACE TEMP TABLE ssd_legal_status AS
SELECT CAST(4000000 + row_number() OVER (ORDER BY CAST(PID AS BIGINT), S, STATUS, E) AS VARCHAR) AS lega_legal_status_id,
       PID AS lega_person_id, STATUS AS lega_legal_status, dtx(S) AS lega_legal_status_start_date,
       dtx(E) AS lega_legal_status_end_date
FROM gen_legal;

-- ---------------------------------------------------------------- the person and the mother
CREATE OR REPLACE TEMP TABLE ssd_person AS
SELECT p.CHILD AS pers_legacy_id, p.PID AS pers_person_id,
       CASE WHEN p.UPN = 'KNOWN' THEN 'A999' || lpad(p.PID, 9, '0') END AS pers_upn,  -- LA 999: no such LA
       list_element(['Testy', 'Sample', 'Example', 'Dummy', 'Fakename', 'Placeholder'],
                    1 + pick_n('forename|' || p.CHILD, 6)) AS pers_forename,
       'Synthetic-' || p.PID AS pers_surname,
       p.SEX AS pers_sex, p.SEX AS pers_gender, p.ETHNIC AS pers_ethnicity,
       CASE WHEN NOT p.DOB_ESTIMATED THEN dtx(p.DOB) END AS pers_dob,
       -- 999 000 0000 onwards: the NHS's range for test numbers
       '999' || lpad(CAST(row_number() OVER (ORDER BY CAST(p.PID AS BIGINT)) AS VARCHAR), 7, '0') AS pers_single_unique_id,
       CASE WHEN p.UPN <> 'KNOWN' THEN p.UPN END AS pers_upn_unknown,
       CASE WHEN p.CIN = 'N2' THEN 'Y' ELSE 'N' END AS pers_send_flag,
       CASE WHEN p.DOB_ESTIMATED THEN dtx(p.DOB) END AS pers_expected_dob,
       dtx((SELECT max(e.DEC) FROM x_episodes e WHERE e.CHILD = p.CHILD AND e.REC = 'E2')) AS pers_death_date,
       CASE WHEN p.MOTHER = '1' THEN 'Y' END AS pers_is_mother,  -- SystemC writes Y or nothing
       CASE WHEN p.UASC OR p.CIN = 'N8'
            THEN list_element(['Eritrean', 'Afghan', 'Sudanese', 'Albanian', 'Vietnamese'],
                              1 + pick_n('nationality|' || p.CHILD, 5))
            ELSE 'British' END AS pers_nationality
FROM gen_people p;

CREATE OR REPLACE TEMP TABLE ssd_mother AS
SELECT CAST(8000000 + row_number() OVER (ORDER BY CAST(PID AS BIGINT)) AS VARCHAR) AS moth_table_id,
       PID AS moth_person_id,
       CAST(950000000 + row_number() OVER (ORDER BY CAST(PID AS BIGINT)) AS VARCHAR) AS moth_childs_person_id,
       dtx(MC_DOB) AS moth_childs_dob
FROM gen_people WHERE MC_DOB IS NOT NULL;

-- ---------------------------------------------------------------- reviews
-- The sample's reviews, and about 3% more that were cancelled (on days with no review held).
CREATE OR REPLACE TEMP TABLE gen_reviews AS
SELECT CHILD, REVIEW, REVIEW_CODE, 'N' AS CANCELLED FROM x_reviews
UNION ALL
SELECT c.CHILD, c.REVIEW, NULL, 'Y'
FROM (SELECT CHILD, REVIEW - (1 + pick_n('cancelled-day|' || CHILD || REVIEW, 10)) AS REVIEW
      FROM x_reviews WHERE u('cancelled|' || CHILD || REVIEW) < 0.03) c
WHERE NOT EXISTS (SELECT 1 FROM x_reviews r WHERE r.CHILD = c.CHILD AND r.REVIEW = c.REVIEW);

CREATE OR REPLACE TEMP TABLE ssd_cla_reviews AS
SELECT CAST(9000000 + row_number() OVER (ORDER BY r.CHILD, r.REVIEW, r.CANCELLED) AS VARCHAR) AS clar_cla_review_id,
       coalesce(p.CLA_ID, first_cla(r.CHILD)) AS clar_cla_id, person_id(r.CHILD) AS clar_cla_person_id,
       dtx(r.REVIEW) AS clar_cla_review_due_date, dtx(r.REVIEW) AS clar_cla_review_date,
       r.CANCELLED AS clar_cla_review_cancelled,
       -- SystemC: MAX(ISNULL(description, '')), so an empty string when not recorded
       coalesce(wording('clar_cla_review_participation', r.REVIEW_CODE, 0), '') AS clar_cla_review_participation
FROM gen_reviews r ASOF LEFT JOIN gen_period p ON p.CHILD = r.CHILD AND r.REVIEW >= p.S;

-- ---------------------------------------------------------------- visits (case notes)
-- One case note per visit; for about 5% of visits where the child was seen, a second note the same day
-- saying not seen (the mapping makes a day's notes one visit).
CREATE OR REPLACE TEMP TABLE gen_visits AS
SELECT CHILD, VISIT_DATE, SEEN, SEEN_ALONE, 0 AS NOTE FROM x_visits
UNION ALL
SELECT CHILD, VISIT_DATE, 'N', CASE WHEN SEEN_ALONE IS NOT NULL THEN 'N' END, 1 FROM x_visits
WHERE SEEN = 'Y' AND u('second-note|' || CHILD || VISIT_DATE) < 0.05;

CREATE OR REPLACE TEMP TABLE ssd_cla_visits AS
SELECT CAST(10000000 + row_number() OVER (ORDER BY v.CHILD, v.VISIT_DATE, v.NOTE) AS VARCHAR) AS clav_cla_visit_id,
       coalesce(p.CLA_ID, first_cla(v.CHILD)) AS clav_cla_id, person_id(v.CHILD) AS clav_person_id,
       dtx(v.VISIT_DATE) AS clav_cla_visit_date, v.SEEN AS clav_cla_visit_seen, v.SEEN_ALONE AS clav_cla_visit_seen_alone
FROM gen_visits v ASOF LEFT JOIN gen_period p ON p.CHILD = v.CHILD AND v.VISIT_DATE >= p.S;

-- ---------------------------------------------------------------- health
-- SystemC's event descriptions: both assessments are 'Health Assessment'. Then rows the mapping must
-- leave out: optician checks, development checks of the under-fives, the next assessment planned.
CREATE OR REPLACE TEMP TABLE gen_health AS
SELECT CHILD, CASE CHECK_TYPE WHEN 'IHA' THEN 'Health Assessment' WHEN 'RHA' THEN 'Health Assessment'
                              WHEN 'DENTAL' THEN 'Dental Check' ELSE CHECK_TYPE END AS TYPE,
       CHECK_DATE, CASE STATUS WHEN 'COMPLETED' THEN 'Completed' WHEN 'REFUSED' THEN 'Refused'
                               WHEN 'CANCELLED' THEN 'Cancelled' ELSE STATUS END AS STATUS
FROM x_health_checks
UNION ALL
SELECT CHILD, 'Optician check', CHECK_DATE + 21, 'Completed' FROM x_health_checks
WHERE CHECK_TYPE = 'DENTAL' AND u('optician|' || CHILD || CHECK_DATE) < 0.3 AND CHECK_DATE + 21 <= $as_of
UNION ALL
SELECT h.CHILD, 'Health Check', h.CHECK_DATE + 3, 'Completed'
FROM x_health_checks h JOIN gen_people p USING (CHILD)
WHERE h.CHECK_TYPE IN ('IHA', 'RHA') AND age_at(p.DOB, h.CHECK_DATE) < 5 AND h.CHECK_DATE + 3 <= $as_of
  AND u('development|' || h.CHILD || h.CHECK_DATE) < 0.5
UNION ALL
SELECT p.CHILD, 'Health Assessment', $as_of + (1 + pick_n('planned-day|' || p.CHILD, 60)), 'Planned'
FROM gen_period p
WHERE (p.E IS NULL OR p.E > $as_of) AND p.S <= $as_of AND u('planned|' || p.CHILD) < 0.5
  AND EXISTS (SELECT 1 FROM x_health_checks h WHERE h.CHILD = p.CHILD);

CREATE OR REPLACE TEMP TABLE ssd_cla_health AS
SELECT CAST(11000000 + row_number() OVER (ORDER BY CHILD, CHECK_DATE, TYPE, STATUS) AS VARCHAR) AS clah_health_check_id,
       person_id(CHILD) AS clah_person_id, TYPE AS clah_health_check_type, dtx(CHECK_DATE) AS clah_health_check_date,
       STATUS AS clah_health_check_status
FROM gen_health;

-- ---------------------------------------------------------------- care plans
-- Only the permanence answers reach SSD, as SystemC's JSON of the plan's permanence options.
CREATE OR REPLACE TEMP TABLE ssd_cla_care_plan AS
WITH c AS (
    SELECT *, lead(PLAN_DATE) OVER (PARTITION BY CHILD ORDER BY PLAN_DATE) AS NEXT_PLAN,
           CASE WHEN PERMANENCE_PLAN = 'Y' THEN pick_n('option|' || CHILD || PLAN_DATE, 10) END AS OPT
    FROM x_care_plans
)
SELECT CAST(12000000 + row_number() OVER (ORDER BY CHILD, PLAN_DATE) AS VARCHAR) AS lacp_table_id,
       person_id(CHILD) AS lacp_person_id, dtx(PLAN_DATE) AS lacp_cla_care_plan_start_date,
       dtx(NEXT_PLAN) AS lacp_cla_care_plan_end_date,
       CASE WHEN PERMANENCE_PLAN IS NULL THEN NULL ELSE CAST(json_object(
           'REMAINSUP', CASE WHEN OPT = 0 THEN 'Y' ELSE '' END, 'RETURN1M', CASE WHEN OPT = 1 THEN 'Y' ELSE '' END,
           'RETURN6M', CASE WHEN OPT = 2 THEN 'Y' ELSE '' END, 'RETURNEV', CASE WHEN OPT = 3 THEN 'Y' ELSE '' END,
           'LTRELFR', CASE WHEN OPT = 4 THEN 'Y' ELSE '' END, 'LTFOST18', CASE WHEN OPT = 5 THEN 'Y' ELSE '' END,
           'RESPLMT', CASE WHEN OPT = 6 THEN 'Y' ELSE '' END, 'SUPPLIV', CASE WHEN OPT = 7 THEN 'Y' ELSE '' END,
           'ADOPTION', CASE WHEN OPT = 8 THEN 'Y' ELSE '' END, 'OTHERPLN', CASE WHEN OPT = 9 THEN 'Y' ELSE '' END)
           AS VARCHAR) END AS lacp_cla_care_plan_json
FROM c;

-- ---------------------------------------------------------------- involvements, professionals, teams
-- The sample's allocations in SystemC's involvement-type codes, then involvements the mapping must leave
-- out: other roles (kinship assessor, a CSE worker) and the social workers of children never looked after.
CREATE OR REPLACE TEMP TABLE gen_sw AS
SELECT row_number() OVER (ORDER BY WORKER_ID) AS WN, WORKER_ID AS WKEY, min(TEAM) AS TEAM
FROM x_allocations WHERE ROLE = 'SW' GROUP BY WORKER_ID;

CREATE OR REPLACE TEMP TABLE gen_inv AS
SELECT a.CHILD, CASE a.ROLE WHEN 'SW' THEN 'CW' WHEN 'PA' THEN '16PLUS' ELSE a.ROLE END AS ROLE,
       a.WORKER_ID AS WKEY, a.TEAM, a.START_DATE, a.END_DATE, s.SW_REASON AS REASON
FROM x_allocations a
LEFT JOIN x_sw_episodes s ON a.ROLE = 'SW' AND s.CHILD = a.CHILD AND s.SW_ID = 'SW' || substr(a.WORKER_ID, 2) AND s.SW_DECOM = a.START_DATE
UNION ALL
SELECT p.CHILD, r.ROLE, '~' || r.ROLE || (1 + pick_n('other-worker|' || p.CHILD, 4)), r.TEAM,
       p.S + pick_n('other-start|' || p.CHILD, 60), p.S + (61 + pick_n('other-end|' || p.CHILD, 120)), NULL
FROM gen_period p
JOIN (VALUES ('KA', 'Kinship Assessment'), ('CSO', 'Exploitation and Missing')) r(ROLE, TEAM)
  ON pick_n('other-role|' || p.CHILD, 2) = CASE r.ROLE WHEN 'KA' THEN 0 ELSE 1 END
WHERE u('other-involvement|' || p.CHILD) < 0.1 AND p.S + 60 <= $as_of
UNION ALL
SELECT o.CHILD, 'CW', coalesce(w.WKEY, '~CIN1'), coalesce(w.TEAM, 'Assessment'), o.START_DATE,
       CASE WHEN u('cin-end|' || o.CHILD) < 0.5 THEN o.START_DATE + (30 + pick_n('cin-days|' || o.CHILD, 300)) END, NULL
FROM (SELECT CHILD, greatest(DOB, $as_of - (40 + pick_n('cin-start|' || CHILD, 900))) AS START_DATE,
             1 + pick_n('cin-worker|' || CHILD, greatest((SELECT count(*) FROM gen_sw), 1)) AS WN
      FROM gen_people WHERE NOT LAC AND u('cin|' || CHILD) < 0.9) o
LEFT JOIN gen_sw w ON w.WN = o.WN;

CREATE OR REPLACE TEMP TABLE gen_prof AS
SELECT WKEY, CAST(100000 + row_number() OVER (ORDER BY WKEY) AS VARCHAR) AS PROF_ID, ROLE, TEAM, CASELOAD
FROM (SELECT WKEY, min(ROLE) AS ROLE, min(TEAM) AS TEAM,
             count(DISTINCT CHILD) FILTER (WHERE START_DATE <= $as_of AND (END_DATE IS NULL OR END_DATE > $as_of))
                 AS CASELOAD
      FROM gen_inv GROUP BY WKEY);

CREATE OR REPLACE TEMP TABLE gen_team AS
SELECT TEAM, CAST(800 + row_number() OVER (ORDER BY TEAM) AS VARCHAR) AS TEAM_ID
FROM (SELECT DISTINCT TEAM FROM gen_inv WHERE TEAM IS NOT NULL);

CREATE OR REPLACE TEMP TABLE ssd_involvements AS
SELECT CAST(2000000 + row_number() OVER (ORDER BY i.CHILD, i.START_DATE, i.ROLE, i.WKEY, i.END_DATE) AS VARCHAR)
           AS invo_involvements_id,
       w.PROF_ID AS invo_professional_id, i.ROLE AS invo_professional_role_id, t.TEAM_ID AS invo_professional_team,
       person_id(i.CHILD) AS invo_person_id, dtx(i.START_DATE) AS invo_involvement_start_date,
       dtx(i.END_DATE) AS invo_involvement_end_date, i.REASON AS invo_worker_change_reason,
       CAST(6500000 + dense_rank() OVER (ORDER BY i.CHILD) AS VARCHAR) AS invo_referral_id
FROM gen_inv i JOIN gen_prof w USING (WKEY) LEFT JOIN gen_team t ON t.TEAM = i.TEAM;

CREATE OR REPLACE TEMP TABLE ssd_professionals AS
SELECT PROF_ID AS prof_professional_id, 'STF' || PROF_ID AS prof_staff_id,
       'Synthetic Worker ' || PROF_ID AS prof_professional_name,
       CASE WHEN ROLE IN ('CW', 'IRO', '16PLUS') THEN 'SW999' || PROF_ID END AS prof_social_worker_registration_no,
       NULL AS prof_agency_worker_flag,  -- SystemC: always empty
       CASE ROLE WHEN 'CW' THEN 'Social Worker' WHEN 'IRO' THEN 'Independent Reviewing Officer'
                 WHEN '16PLUS' THEN 'Personal Adviser' WHEN 'KA' THEN 'Kinship Assessor'
                 ELSE 'Family Support Worker' END AS prof_professional_job_title,
       CAST(CASELOAD AS VARCHAR) AS prof_professional_caseload, TEAM AS prof_professional_department,
       CASE WHEN u('fte|' || PROF_ID) < 0.2 THEN '0.8' ELSE '1.0' END AS prof_full_time_equivalency
FROM gen_prof;

CREATE OR REPLACE TEMP TABLE ssd_department AS
SELECT TEAM_ID AS dept_team_id, TEAM AS dept_team_name, '800' AS dept_team_parent_id,
       'Children''s Social Care' AS dept_team_parent_name
FROM gen_team;

-- ---------------------------------------------------------------- missing and away from placement
-- Datetimes with the time of day; the return-interview flags from the sample's interviews.
CREATE OR REPLACE TEMP TABLE gen_missing AS
SELECT m.CHILD, m.MISSING, m.MIS_START, m.MIS_END, r.CHILD IS NOT NULL AS INTERVIEWED, r.OFFERED_DATE, r.HELD_DATE
FROM x_missing m LEFT JOIN x_return_interviews r ON r.CHILD = m.CHILD AND r.MIS_START = m.MIS_START
UNION ALL
SELECT CHILD, CASE WHEN u('o-missing-type|' || CHILD) < 0.8 THEN 'M' ELSE 'A' END, S, S + pick_n('o-back|' || CHILD, 3),
       FALSE, NULL, NULL
FROM (SELECT CHILD, $as_of - (10 + pick_n('o-missing|' || CHILD, 500)) AS S FROM gen_people
      WHERE NOT LAC AND age_at(DOB, $as_of) >= 11 AND u('o-missing|' || CHILD) < 0.15);

CREATE OR REPLACE TEMP TABLE ssd_missing AS
WITH t AS (
    SELECT *, 480 + pick_n('out|' || CHILD || MIS_START, 840) AS OUT_MIN,
           pick_n('back|' || CHILD || MIS_START, 1440) AS BACK_MIN
    FROM gen_missing
)
SELECT CAST(13000000 + row_number() OVER (ORDER BY CHILD, MIS_START) AS VARCHAR) AS miss_table_id,
       person_id(CHILD) AS miss_person_id,
       tsx(CAST(MIS_START AS TIMESTAMP) + to_minutes(OUT_MIN)) AS miss_missing_episode_start_date,
       CASE MISSING WHEN 'M' THEN 'Missing' WHEN 'A' THEN 'Absent' ELSE MISSING END AS miss_missing_episode_type,
       tsx(CAST(MIS_END AS TIMESTAMP) + to_minutes(CASE WHEN MIS_END = MIS_START
           THEN OUT_MIN + 30 + BACK_MIN % (1439 - OUT_MIN - 30) ELSE BACK_MIN END)) AS miss_missing_episode_end_date,
       CASE WHEN NOT INTERVIEWED THEN NULL WHEN OFFERED_DATE IS NOT NULL THEN 'Y' ELSE 'N' END AS miss_missing_rhi_offered,
       CASE WHEN NOT INTERVIEWED THEN NULL WHEN HELD_DATE IS NOT NULL THEN 'Y' ELSE 'N' END AS miss_missing_rhi_accepted
FROM t;

-- ---------------------------------------------------------------- immigration status
-- UASC as SystemC's code U, from the start of care; other statuses the mapping must leave out.
CREATE OR REPLACE TEMP TABLE gen_immigration AS
SELECT x.CHILD, 'U' AS STATUS, (SELECT min(DECOM) FROM x_episodes e WHERE e.CHILD = x.CHILD) AS S, x.DUC AS E
FROM x_uasc x
UNION ALL
SELECT CHILD, 'Refugee status', DOB + (3650 + pick_n('refugee|' || CHILD, 1500)), NULL
FROM gen_people WHERE NOT UASC AND (CIN = 'N8' OR (NOT LAC AND u('refugee|' || CHILD) < 0.03))
  AND DOB + 5150 <= $as_of;

CREATE OR REPLACE TEMP TABLE ssd_immigration_status AS
SELECT CAST(14000000 + row_number() OVER (ORDER BY CHILD, S) AS VARCHAR) AS immi_immigration_status_id,
       person_id(CHILD) AS immi_person_id, dtx(S) AS immi_immigration_status_start_date,
       dtx(E) AS immi_immigration_status_end_date, STATUS AS immi_immigration_status
FROM gen_immigration;

-- ---------------------------------------------------------------- care leavers (OC3)
-- The latest record is the sample's; some have an older record with other answers, which the mapping
-- must not take. SystemC holds activity, accommodation and suitability as descriptions.
CREATE OR REPLACE TEMP TABLE gen_leavers AS
SELECT CHILD, IN_TOUCH, ACTIV, CASE WHEN ACCOM = '0' THEN '0' ELSE left(ACCOM, 1) END AS LETTER,
       CASE WHEN ACCOM = '0' THEN NULL ELSE substr(ACCOM, 2, 1) END AS SUITABLE,
       $as_of - pick_n('contact|' || CHILD, 60) AS CONTACT,
       CASE WHEN u('pathway|' || CHILD) >= 0.34 THEN $as_of - pick_n('pathway-day|' || CHILD, 150) END AS PATHWAY
FROM x_oc3
UNION ALL
SELECT CHILD, CASE WHEN IN_TOUCH = 'YES' THEN 'NO' ELSE 'YES' END, CASE WHEN ACTIV = 'G6' THEN 'F1' ELSE 'G6' END,
       'C', '2', $as_of - (200 + pick_n('old-contact|' || CHILD, 200)), NULL
FROM x_oc3 WHERE u('older-record|' || CHILD) < 0.5;

CREATE OR REPLACE TEMP TABLE ssd_care_leavers AS
SELECT guid('leaver|' || l.CHILD || '|' || l.CONTACT) AS clea_table_id,  -- SystemC: NEWID()
       person_id(l.CHILD) AS clea_person_id, 'Former relevant child' AS clea_care_leaver_eligibility,
       l.IN_TOUCH AS clea_care_leaver_in_touch, dtx(l.CONTACT) AS clea_care_leaver_latest_contact,
       wording('clea_care_leaver_accommodation', l.LETTER, 0) AS clea_care_leaver_accommodation,
       CASE l.SUITABLE WHEN '1' THEN 'Suitable' WHEN '2' THEN 'Unsuitable' END AS clea_care_leaver_accom_suitable,
       wording('clea_care_leaver_activity', l.ACTIV, 0) AS clea_care_leaver_activity,
       coalesce(dtx(l.PATHWAY), '1900-01-01 00:00:00.000') AS clea_pathway_plan_review_date,  -- "no plan"
       (SELECT 'Synthetic Worker ' || max_by(w.PROF_ID, i.START_DATE || i.WKEY) FROM gen_inv i JOIN gen_prof w USING (WKEY)
        WHERE i.CHILD = l.CHILD AND i.ROLE = '16PLUS') AS clea_care_leaver_personal_advisor,
       (SELECT max_by(t.TEAM_ID, i.START_DATE || i.WKEY) FROM gen_inv i JOIN gen_team t USING (TEAM)
        WHERE i.CHILD = l.CHILD AND i.ROLE = '16PLUS') AS clea_care_leaver_allocated_team,
       (SELECT max_by(w.PROF_ID, i.START_DATE || i.WKEY) FROM gen_inv i JOIN gen_prof w USING (WKEY)
        WHERE i.CHILD = l.CHILD AND i.ROLE = 'CW') AS clea_care_leaver_worker_id
FROM gen_leavers l;

-- ---------------------------------------------------------------- SDQ scores (OC2)
-- The sample's score, completed in the collection year to the 31 March on or before the as-of date; for
-- some children an older score from the year before. SystemC's reason is always the placeholder.
CREATE OR REPLACE TEMP TABLE gen_sdq AS
SELECT CHILD, year_end() - pick_n('sdq-day|' || CHILD, 360) AS D, CAST(SDQ_SCORE AS INTEGER) AS SCORE
FROM x_oc2 WHERE SDQ_SCORE IS NOT NULL
UNION ALL
SELECT CHILD, year_end() - (365 + pick_n('old-sdq-day|' || CHILD, 200)), pick_n('old-sdq|' || CHILD, 41)
FROM x_oc2 WHERE u('old-sdq|' || CHILD) < 0.3;

CREATE OR REPLACE TEMP TABLE ssd_sdq_scores AS
SELECT CAST(15000000 + row_number() OVER (ORDER BY CHILD, D) AS VARCHAR) AS csdq_table_id,
       person_id(CHILD) AS csdq_person_id, dtx(D) AS csdq_sdq_completed_date,
       CAST(SCORE AS VARCHAR) AS csdq_sdq_score, 'SSD_PH' AS csdq_sdq_reason
FROM gen_sdq;

-- ---------------------------------------------------------------- permanence (AD1, placed for adoption)
-- SystemC fills perm_person_id with the legacy id (the sample CHILD), not pers_person_id; the date a
-- child was placed with foster carers is its placeholder 1900-01-01. Leavers to special guardianship or
-- a child arrangements order have a row with no adoption decision, which the mapping must not report.
CREATE OR REPLACE TEMP TABLE gen_perm AS
SELECT coalesce(a.CHILD, f.CHILD) AS CHILD, coalesce(a.DATE_INT, f.DATE_PLACED) AS DECISION, a.DATE_MATCH,
       a.FOSTER_CARE, a.NB_ADOPTR, a.SEX_ADOPTR, a.LS_ADOPTR, f.DATE_PLACED_CEASED, f.REASON_PLACED_CEASED,
       NULL::DATE AS ORDER_DATE, NULL::VARCHAR AS ORDER_TYPE
FROM x_ad1 a FULL OUTER JOIN x_placed_for_adoption f ON f.CHILD = a.CHILD AND f.DATE_PLACED = a.DATE_INT
UNION ALL
SELECT CHILD, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DEC,
       CASE WHEN REC = 'E41' THEN 'Child Arrangements Order' ELSE 'Special Guardianship Order' END
FROM gen_ep WHERE REC IN ('E41', 'E45', 'E46', 'E47', 'E48') AND DEC IS NOT NULL
  AND CHILD NOT IN (SELECT CHILD FROM x_ad1 UNION SELECT CHILD FROM x_placed_for_adoption);

CREATE OR REPLACE TEMP TABLE ssd_permanence AS
SELECT CAST(16000000 + row_number() OVER (ORDER BY m.CHILD, m.DECISION, m.ORDER_DATE) AS VARCHAR) AS perm_table_id,
       m.CHILD AS perm_person_id,
       coalesce((SELECT max_by(p.CLA_ID, p.S) FROM gen_period p WHERE p.CHILD = m.CHILD), first_cla(m.CHILD))
           AS perm_cla_id,
       dtx(m.DECISION) AS perm_adm_decision_date,
       'N' AS perm_part_of_sibling_group, '0' AS perm_siblings_placed_together, '0' AS perm_siblings_placed_apart,
       NULL AS perm_ffa_cp_decision_date,
       dtx((SELECT min(e.DECOM) FROM gen_ep e WHERE e.CHILD = m.CHILD AND e.LS = 'E1')) AS perm_placement_order_date,
       dtx(m.DATE_MATCH) AS perm_matched_date, m.SEX_ADOPTR AS perm_adopter_sex,
       m.LS_ADOPTR AS perm_adopter_legal_status, m.NB_ADOPTR AS perm_number_of_adopters,
       dtx((SELECT min(e.DECOM) FROM gen_ep e WHERE e.CHILD = m.CHILD AND e.PLACE IN ('A3', 'A4', 'A5', 'A6')))
           AS perm_placed_for_adoption_date,
       CASE m.FOSTER_CARE WHEN '1' THEN 'Y' WHEN '0' THEN 'N' END AS perm_adopted_by_carer_flag,
       '1900-01-01 00:00:00.000' AS perm_placed_foster_carer_date,  -- SystemC's [PLACEHOLDER_DATA]
       NULL AS perm_placed_ffa_cp_date, NULL AS perm_placement_provider_urn,
       dtx(m.DATE_PLACED_CEASED) AS perm_decision_reversed_date, m.REASON_PLACED_CEASED AS perm_decision_reversed_reason,
       dtx(coalesce(m.ORDER_DATE, (SELECT max(e.DEC) FROM gen_ep e WHERE e.CHILD = m.CHILD AND e.REC IN ('E11', 'E12'))))
           AS perm_permanence_order_date,
       coalesce(m.ORDER_TYPE, CASE WHEN EXISTS (SELECT 1 FROM gen_ep e WHERE e.CHILD = m.CHILD AND e.REC IN ('E11', 'E12'))
                                   THEN 'Adoption' END) AS perm_permanence_order_type,
       (SELECT max_by(w.PROF_ID, i.START_DATE || i.WKEY) FROM gen_inv i JOIN gen_prof w USING (WKEY)
        WHERE i.CHILD = m.CHILD AND i.ROLE = 'CW') AS perm_adoption_worker_id
FROM gen_perm m;

CREATE OR REPLACE TEMP TABLE ssd_cla_previous_permanence AS
SELECT CAST(17000000 + row_number() OVER (ORDER BY CHILD, PREV_PERM) AS VARCHAR) AS lapp_table_id,
       person_id(CHILD) AS lapp_person_id, PREV_PERM AS lapp_previous_permanence_option,
       LA_PERM AS lapp_previous_permanence_la, DATE_PERM AS lapp_previous_permanence_order_date
FROM x_previous_permanence;
