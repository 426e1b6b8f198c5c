-- The Standard Safeguarding Dataset (SSD) as the careplan-checks extract: one mapping, whatever the source.
--
-- Reads the staged tables ssd_* (every column text, as ``source.stage`` leaves them, a table absent from
-- the source staged empty), the lookups (ssd_lookup, ssd_codes) and $as_of; writes ssd_out_<table>, one
-- per contract table the SSD can supply, with exactly the contract columns it can supply. A column the SSD
-- has no source for is not written at all, so that the rules which read it are "not run" rather than run
-- on an empty column. Lookup columns keep their source value as _RAW_<COLUMN> beside the code, for the
-- mapping report (a value with no code); the writer leaves those out.
--
-- CHILD and worker identifiers are pseudonymised here (the macro ``pseudonym``, keyed HMAC), UPNs become
-- their status and postcodes their district: nothing identifying reaches an ssd_out_ table.

-- ---------------------------------------------------------------- helpers
CREATE OR REPLACE TEMP MACRO ssd_text(v) AS
    CASE WHEN trim(CAST(v AS VARCHAR)) IN ('', 'SSD_PH', 'PLACEHOLDER_DATA', 'NULL') THEN NULL
         ELSE trim(CAST(v AS VARCHAR)) END;

-- ISO dates with or without a time (SSMS, bcp, psql \copy, Parquet), or dd/mm/yyyy; 1900-01-01 is SSD's
-- "no date".
CREATE OR REPLACE TEMP MACRO ssd_date(v) AS
    nullif(CAST(coalesce(try_strptime(left(ssd_text(v), 10), '%Y-%m-%d'),
                         try_strptime(left(ssd_text(v), 10), '%d/%m/%Y')) AS DATE), DATE '1900-01-01');

CREATE OR REPLACE TEMP MACRO ssd_norm(v) AS
    rtrim(lower(regexp_replace(ssd_text(v), '\s+', ' ', 'g')), '.');

-- The code for a source value: the lookup, else the value itself when it is already a valid code.
-- '-' means "known, not a looked-after value" (the row is left out where the value decides the row).
-- An empty value has a code only where the authority's lookups give one ("": COMPLETED on Mosaic).
CREATE OR REPLACE TEMP MACRO ssd_code(which, raw) AS
    CASE WHEN ssd_text(raw) IS NULL THEN (SELECT l.CODE FROM ssd_lookup l WHERE l.FIELD = which AND l.VALUE = '')
    ELSE coalesce(
        (SELECT l.CODE FROM ssd_lookup l WHERE l.FIELD = which AND l.VALUE = ssd_norm(raw)),
        (SELECT c.CODE FROM ssd_codes c WHERE c.FIELD = which AND c.CODE = upper(ssd_text(raw)))) END;

CREATE OR REPLACE TEMP MACRO ssd_keep(code) AS nullif(code, '-');

CREATE OR REPLACE TEMP MACRO ssd_district(v) AS
    nullif(regexp_extract(upper(ssd_text(v)), '^([A-Z]{1,2}[0-9][A-Z0-9]?)', 1), '');

-- ---------------------------------------------------------------- the cohort
-- SSD holds every child known to children's services: keep those with a looked-after episode begun on
-- or before the as-of date, and care leavers.
CREATE OR REPLACE TEMP TABLE ssd_cohort AS
SELECT DISTINCT ssd_text(clae_person_id) AS PID FROM ssd_cla_episodes
WHERE ssd_date(clae_cla_episode_start_date) <= $as_of AND ssd_text(clae_person_id) IS NOT NULL
UNION
SELECT DISTINCT ssd_text(clea_person_id) FROM ssd_care_leavers WHERE ssd_text(clea_person_id) IS NOT NULL;

CREATE OR REPLACE TEMP TABLE ssd_people AS
SELECT DISTINCT ON (PID) PID, LEGACY, CHILD, DOB, SEX, _RAW_SEX, ETHNIC, _RAW_ETHNIC, UPN, MOTHER, _RAW_MOTHER
FROM (
    SELECT ssd_text(p.pers_person_id) AS PID, ssd_text(p.pers_legacy_id) AS LEGACY,
           pseudonym(ssd_text(p.pers_person_id)) AS CHILD,
           -- SystemC leaves pers_dob empty when the date of birth is estimated and puts it in pers_expected_dob
           coalesce(ssd_date(p.pers_dob), ssd_date(p.pers_expected_dob)) AS DOB,
           ssd_keep(ssd_code('pers_sex', coalesce(ssd_text(p.pers_sex), ssd_text(p.pers_gender)))) AS SEX,
           coalesce(ssd_text(p.pers_sex), ssd_text(p.pers_gender)) AS _RAW_SEX,
           ssd_keep(ssd_code('pers_ethnicity', p.pers_ethnicity)) AS ETHNIC, ssd_text(p.pers_ethnicity) AS _RAW_ETHNIC,
           CASE WHEN ssd_text(p.pers_upn) IS NOT NULL THEN 'KNOWN'
                WHEN upper(ssd_text(p.pers_upn_unknown)) IN ('UN1', 'UN2', 'UN3', 'UN4', 'UN5')
                    THEN upper(ssd_text(p.pers_upn_unknown))
                WHEN ssd_text(p.pers_upn_unknown) IS NOT NULL THEN 'KNOWN'  -- a UPN in the wrong column
           END AS UPN,
           ssd_keep(ssd_code('pers_is_mother', p.pers_is_mother)) AS MOTHER, ssd_text(p.pers_is_mother) AS _RAW_MOTHER
    FROM ssd_person p JOIN ssd_cohort c ON c.PID = ssd_text(p.pers_person_id)
)
ORDER BY PID, DOB NULLS LAST, LEGACY NULLS LAST;

-- ---------------------------------------------------------------- header
CREATE OR REPLACE TEMP TABLE ssd_out_header AS
SELECT p.CHILD, p.SEX, p._RAW_SEX, p.DOB, p.ETHNIC, p._RAW_ETHNIC, p.UPN, p.MOTHER, p._RAW_MOTHER, m.MC_DOB
FROM ssd_people p
LEFT JOIN (SELECT ssd_text(moth_person_id) AS PID, min(ssd_date(moth_childs_dob)) AS MC_DOB
           FROM ssd_mother GROUP BY ALL) m USING (PID)
ORDER BY p.CHILD;

-- ---------------------------------------------------------------- episodes
CREATE OR REPLACE TEMP TABLE ssd_episodes AS
SELECT ssd_text(e.clae_cla_episode_id) AS EPISODE_ID, ssd_text(e.clae_person_id) AS PID,
       ssd_text(e.clae_cla_id) AS CLA_ID, ssd_text(e.clae_cla_placement_id) AS PLACEMENT_ID,
       ssd_date(e.clae_cla_episode_start_date) AS DECOM, ssd_date(e.clae_cla_episode_ceased_date) AS DEC,
       ssd_keep(ssd_code('clae_cla_episode_start_reason', e.clae_cla_episode_start_reason)) AS RNE,
       ssd_text(e.clae_cla_episode_start_reason) AS _RAW_RNE,
       ssd_keep(ssd_code('clae_cla_episode_ceased_reason', e.clae_cla_episode_ceased_reason)) AS REC,
       ssd_text(e.clae_cla_episode_ceased_reason) AS _RAW_REC,
       ssd_keep(ssd_code('clae_cla_primary_need_code', e.clae_cla_primary_need_code)) AS CIN,
       ssd_text(e.clae_cla_primary_need_code) AS _RAW_CIN
FROM ssd_cla_episodes e JOIN ssd_cohort c ON c.PID = ssd_text(e.clae_person_id);

-- Legal status is a history of its own: the status in force on the day the episode began (the latest to
-- start on or before it), leaving out orders that are not care statuses (special guardianship, ...).
CREATE OR REPLACE TEMP TABLE ssd_legal AS
SELECT ssd_text(lega_person_id) AS PID, ssd_date(lega_legal_status_start_date) AS S,
       ssd_date(lega_legal_status_end_date) AS E, ssd_code('lega_legal_status', lega_legal_status) AS LS,
       ssd_text(lega_legal_status) AS _RAW_LS, ssd_text(lega_legal_status_id) AS ID
FROM ssd_legal_status
WHERE ssd_code('lega_legal_status', lega_legal_status) IS DISTINCT FROM '-';

CREATE OR REPLACE TEMP TABLE ssd_out_episodes AS
WITH placed AS (
    SELECT e.*, ssd_text(pl.clap_cla_placement_id) AS FOUND_PLACEMENT,
           ssd_code('clap_cla_placement_type', pl.clap_cla_placement_type) AS PLACE,
           ssd_text(pl.clap_cla_placement_type) AS _RAW_PLACE,
           ssd_code('clap_cla_placement_provider', pl.clap_cla_placement_provider) AS PLACE_PROVIDER,
           ssd_text(pl.clap_cla_placement_provider) AS _RAW_PLACE_PROVIDER,
           ssd_keep(ssd_code('clap_cla_placement_change_reason', pl.clap_cla_placement_change_reason)) AS PLACEMENT_REASON,
           ssd_text(pl.clap_cla_placement_change_reason) AS _RAW_PLACEMENT_REASON,
           ssd_district(pl.clap_cla_placement_postcode) AS PL_POST, ssd_text(pl.clap_cla_placement_urn) AS URN,
           -- the reason for a change of placement belongs on the episode that ends the placement
           row_number() OVER (PARTITION BY e.PID, e.PLACEMENT_ID ORDER BY e.DECOM DESC, e.EPISODE_ID DESC) = 1
               AND e.PLACEMENT_ID IS NOT NULL AS LAST_OF_PLACEMENT
    FROM ssd_episodes e
    LEFT JOIN (SELECT DISTINCT ON (ssd_text(clap_cla_placement_id)) * FROM ssd_cla_placement
               ORDER BY ssd_text(clap_cla_placement_id), ssd_date(clap_cla_placement_start_date),
                        clap_cla_placement_type) pl
           ON ssd_text(pl.clap_cla_placement_id) = e.PLACEMENT_ID
),
legal AS (
    SELECT DISTINCT ON (p.EPISODE_ID, p.PID, p.DECOM) p.EPISODE_ID, p.PID, p.DECOM, l.LS, l._RAW_LS
    FROM placed p LEFT JOIN ssd_legal l
      ON l.PID = p.PID AND l.S <= p.DECOM AND coalesce(l.E, DATE '9999-12-31') >= p.DECOM
    ORDER BY p.EPISODE_ID, p.PID, p.DECOM, l.S DESC NULLS LAST, l.ID DESC NULLS LAST
)
SELECT pe.CHILD, p.DECOM, p.RNE, p._RAW_RNE, l.LS, l._RAW_LS, p.CIN, p._RAW_CIN, p.PLACE, p._RAW_PLACE,
       p.PLACE_PROVIDER, p._RAW_PLACE_PROVIDER, p.DEC, p.REC, p._RAW_REC,
       CASE WHEN p.LAST_OF_PLACEMENT THEN p.PLACEMENT_REASON END AS REASON_PLACE_CHANGE,
       CASE WHEN p.LAST_OF_PLACEMENT THEN p._RAW_PLACEMENT_REASON END AS _RAW_REASON_PLACE_CHANGE,
       p.PL_POST, p.URN,
       p.PLACEMENT_ID IS NOT NULL AND p.FOUND_PLACEMENT IS NULL AS _NO_PLACEMENT_ROW,
       l.LS IS NULL AND l._RAW_LS IS NULL AS _NO_LEGAL_STATUS
FROM placed p
JOIN legal l ON l.EPISODE_ID IS NOT DISTINCT FROM p.EPISODE_ID AND l.PID = p.PID AND l.DECOM IS NOT DISTINCT FROM p.DECOM
JOIN ssd_people pe ON pe.PID = p.PID
ORDER BY pe.CHILD, p.DECOM, p.EPISODE_ID;

-- ---------------------------------------------------------------- reviews
-- Eclipse's reviews have no person column: they reach the child through the period of care.
CREATE OR REPLACE TEMP TABLE ssd_out_reviews AS
WITH cla AS (SELECT CLA_ID, min(PID) AS PID FROM ssd_episodes WHERE CLA_ID IS NOT NULL GROUP BY CLA_ID),
r AS (
    SELECT coalesce(ssd_text(r.clar_cla_person_id), cla.PID) AS PID, ssd_date(r.clar_cla_review_date) AS REVIEW,
           ssd_keep(ssd_code('clar_cla_review_participation', r.clar_cla_review_participation)) AS REVIEW_CODE,
           ssd_text(r.clar_cla_review_participation) AS _RAW_REVIEW_CODE, ssd_text(r.clar_cla_review_id) AS ID
    FROM ssd_cla_reviews r LEFT JOIN cla ON cla.CLA_ID = ssd_text(r.clar_cla_id)
    WHERE ssd_code('clar_cla_review_cancelled', r.clar_cla_review_cancelled) IS DISTINCT FROM 'Y'
)
SELECT DISTINCT ON (p.CHILD, r.REVIEW) p.CHILD, p.DOB, r.REVIEW, r.REVIEW_CODE, r._RAW_REVIEW_CODE
FROM r JOIN ssd_people p USING (PID)
WHERE r.REVIEW IS NOT NULL
ORDER BY p.CHILD, r.REVIEW, r.REVIEW_CODE NULLS LAST, r.ID;

-- ---------------------------------------------------------------- visits
-- Several case notes of a visit on one day are one visit: seen (alone) if the child was seen (alone) in any.
CREATE OR REPLACE TEMP TABLE ssd_out_visits AS
WITH v AS (
    SELECT ssd_text(clav_person_id) AS PID, ssd_date(clav_cla_visit_date) AS VISIT_DATE,
           ssd_code('clav_cla_visit_seen', clav_cla_visit_seen) AS SEEN, ssd_text(clav_cla_visit_seen) AS _RAW_SEEN,
           ssd_code('clav_cla_visit_seen_alone', clav_cla_visit_seen_alone) AS SEEN_ALONE,
           ssd_text(clav_cla_visit_seen_alone) AS _RAW_SEEN_ALONE
    FROM ssd_cla_visits
)
SELECT p.CHILD, v.VISIT_DATE,
       CASE WHEN bool_or(v.SEEN = 'Y') THEN 'Y' WHEN bool_and(v.SEEN = 'N') THEN 'N' END AS SEEN,
       min(v._RAW_SEEN) FILTER (WHERE v.SEEN IS NULL) AS _RAW_SEEN,
       CASE WHEN bool_or(v.SEEN_ALONE = 'Y') THEN 'Y' WHEN bool_and(v.SEEN_ALONE = 'N') THEN 'N' END AS SEEN_ALONE,
       min(v._RAW_SEEN_ALONE) FILTER (WHERE v.SEEN_ALONE IS NULL) AS _RAW_SEEN_ALONE
FROM v JOIN ssd_people p USING (PID)
WHERE v.VISIT_DATE IS NOT NULL
GROUP BY p.CHILD, v.VISIT_DATE
ORDER BY p.CHILD, v.VISIT_DATE;

-- ---------------------------------------------------------------- health checks
-- SSD does not tell an initial health assessment from a review one: an ASSESSMENT is the IHA when it is
-- the first in the child's period of care (from the episode that started it, RNE S), an RHA otherwise.
CREATE OR REPLACE TEMP TABLE ssd_out_health_checks AS
WITH h AS (
    SELECT ssd_text(clah_person_id) AS PID, ssd_date(clah_health_check_date) AS CHECK_DATE,
           ssd_code('clah_health_check_type', clah_health_check_type) AS TYPE,
           ssd_text(clah_health_check_type) AS _RAW_CHECK_TYPE,
           ssd_code('clah_health_check_status', clah_health_check_status) AS STATUS,
           ssd_text(clah_health_check_status) AS _RAW_STATUS, ssd_text(clah_health_check_id) AS ID
    FROM ssd_cla_health
),
kept AS (SELECT * FROM h WHERE TYPE IS DISTINCT FROM '-' AND STATUS IS DISTINCT FROM '-' AND CHECK_DATE IS NOT NULL),
starts AS (SELECT DISTINCT PID, DECOM FROM ssd_episodes WHERE RNE = 'S' AND DECOM IS NOT NULL),
periods AS (
    SELECT k.*, (SELECT max(s.DECOM) FROM starts s WHERE s.PID = k.PID AND s.DECOM <= k.CHECK_DATE) AS PERIOD_START
    FROM kept k
),
typed AS (
    SELECT *, CASE WHEN TYPE = 'ASSESSMENT' THEN
                       CASE WHEN PERIOD_START IS NOT NULL AND row_number() OVER (
                                PARTITION BY PID, PERIOD_START, TYPE = 'ASSESSMENT'
                                ORDER BY CHECK_DATE, STATUS NULLS LAST, ID) = 1 THEN 'IHA' ELSE 'RHA' END
                   ELSE TYPE END AS CHECK_TYPE
    FROM periods
)
SELECT DISTINCT ON (p.CHILD, t.CHECK_TYPE, t.CHECK_DATE) p.CHILD, t.CHECK_TYPE,
       CASE WHEN t.CHECK_TYPE IS NULL THEN t._RAW_CHECK_TYPE END AS _RAW_CHECK_TYPE, t.CHECK_DATE, t.STATUS,
       CASE WHEN t.STATUS IS NULL THEN t._RAW_STATUS END AS _RAW_STATUS
FROM typed t JOIN ssd_people p USING (PID)
ORDER BY p.CHILD, t.CHECK_TYPE, t.CHECK_DATE, t.STATUS NULLS LAST, t.ID;

-- ---------------------------------------------------------------- care plans (date and permanence only)
CREATE OR REPLACE TEMP TABLE ssd_out_care_plans AS
SELECT DISTINCT ON (p.CHILD, ssd_date(c.lacp_cla_care_plan_start_date))
       p.CHILD, ssd_date(c.lacp_cla_care_plan_start_date) AS PLAN_DATE,
       CASE WHEN ssd_text(c.lacp_cla_care_plan_json) IS NULL THEN NULL
            WHEN len(list_filter(json_extract_string(c.lacp_cla_care_plan_json, '$.*'),
                                 lambda x: nullif(trim(x), '') IS NOT NULL)) > 0 THEN 'Y' ELSE 'N' END AS PERMANENCE_PLAN
FROM ssd_cla_care_plan c JOIN ssd_people p ON p.PID = ssd_text(c.lacp_person_id)
WHERE ssd_date(c.lacp_cla_care_plan_start_date) IS NOT NULL
ORDER BY p.CHILD, PLAN_DATE, PERMANENCE_PLAN DESC NULLS LAST, ssd_text(c.lacp_table_id);

-- ---------------------------------------------------------------- allocations and social-worker episodes
CREATE OR REPLACE TEMP TABLE ssd_involved AS
SELECT ssd_text(i.invo_person_id) AS PID, ssd_code('invo_professional_role_id', i.invo_professional_role_id) AS ROLE,
       ssd_text(i.invo_professional_role_id) AS _RAW_ROLE,
       pseudonym(nullif(ssd_text(i.invo_professional_id), '-1')) AS WORKER_ID,
       coalesce(ssd_text(d.dept_team_name), ssd_text(i.invo_professional_team)) AS TEAM,
       ssd_date(i.invo_involvement_start_date) AS START_DATE, ssd_date(i.invo_involvement_end_date) AS END_DATE,
       ssd_keep(ssd_code('invo_worker_change_reason', i.invo_worker_change_reason)) AS SW_REASON,
       ssd_text(i.invo_worker_change_reason) AS _RAW_SW_REASON, ssd_text(i.invo_involvements_id) AS ID
FROM ssd_involvements i
LEFT JOIN (SELECT DISTINCT ON (ssd_text(dept_team_id)) * FROM ssd_department
           ORDER BY ssd_text(dept_team_id), ssd_text(dept_team_name)) d
       ON ssd_text(d.dept_team_id) = ssd_text(i.invo_professional_team);

CREATE OR REPLACE TEMP TABLE ssd_out_allocations AS
SELECT DISTINCT ON (p.CHILD, i.ROLE, i.START_DATE) p.CHILD, i.ROLE, i.WORKER_ID, i.TEAM, i.START_DATE, i.END_DATE
FROM ssd_involved i JOIN ssd_people p USING (PID)
WHERE i.ROLE IN ('SW', 'IRO', 'PA')
ORDER BY p.CHILD, i.ROLE, i.START_DATE, i.END_DATE DESC NULLS FIRST, i.WORKER_ID NULLS LAST, i.ID;

CREATE OR REPLACE TEMP TABLE ssd_out_sw_episodes AS
SELECT DISTINCT ON (p.CHILD, i.START_DATE) p.CHILD, i.WORKER_ID AS SW_ID, i.START_DATE AS SW_DECOM,
       i.END_DATE AS SW_DEC, i.SW_REASON, i._RAW_SW_REASON
FROM ssd_involved i JOIN ssd_people p USING (PID)
WHERE i.ROLE = 'SW'
ORDER BY p.CHILD, i.START_DATE, i.END_DATE DESC NULLS FIRST, i.WORKER_ID NULLS LAST, i.ID;

-- ---------------------------------------------------------------- missing and away from placement
CREATE OR REPLACE TEMP TABLE ssd_out_missing AS
SELECT DISTINCT ON (p.CHILD, ssd_date(m.miss_missing_episode_start_date))
       p.CHILD, p.DOB, ssd_keep(ssd_code('miss_missing_episode_type', m.miss_missing_episode_type)) AS MISSING,
       ssd_text(m.miss_missing_episode_type) AS _RAW_MISSING,
       ssd_date(m.miss_missing_episode_start_date) AS MIS_START, ssd_date(m.miss_missing_episode_end_date) AS MIS_END
FROM ssd_missing m JOIN ssd_people p ON p.PID = ssd_text(m.miss_person_id)
WHERE ssd_date(m.miss_missing_episode_start_date) IS NOT NULL
ORDER BY p.CHILD, MIS_START, MIS_END DESC NULLS FIRST, ssd_text(m.miss_table_id);

-- ---------------------------------------------------------------- unaccompanied asylum-seeking children
CREATE OR REPLACE TEMP TABLE ssd_out_uasc AS
SELECT DISTINCT ON (p.CHILD) p.CHILD, p.SEX, p.DOB, ssd_date(i.immi_immigration_status_end_date) AS DUC
FROM ssd_immigration_status i JOIN ssd_people p ON p.PID = ssd_text(i.immi_person_id)
WHERE ssd_code('immi_immigration_status', i.immi_immigration_status) = 'UASC'
ORDER BY p.CHILD, ssd_date(i.immi_immigration_status_start_date) DESC NULLS LAST, ssd_text(i.immi_immigration_status_id);

-- ---------------------------------------------------------------- OC2: looked after for 12 months at 31 March
-- The OC2 cohort as the 903 defines it: continuously looked after for the year to the latest 31 March on
-- or before the as-of date, other than on short breaks only. Only the SDQ is carried: SSD's other OC2
-- items are snapshots or approximations (see the mapping report).
CREATE OR REPLACE TEMP TABLE ssd_out_oc2 AS
WITH y AS (SELECT make_date(CASE WHEN $as_of >= make_date(year($as_of), 3, 31) THEN year($as_of)
                                 ELSE year($as_of) - 1 END, 3, 31) AS D),
e AS (
    SELECT CHILD, DECOM, DEC, RNE, LS,
           sum(CASE WHEN RNE = 'S' THEN 1 ELSE 0 END) OVER (PARTITION BY CHILD ORDER BY DECOM, DEC NULLS LAST,
                                                            RNE, LS ROWS UNBOUNDED PRECEDING) AS PERIOD_NO
    FROM ssd_out_episodes WHERE DECOM IS NOT NULL
),
periods AS (
    SELECT CHILD, PERIOD_NO, min(DECOM) AS S, CASE WHEN bool_or(DEC IS NULL) THEN NULL ELSE max(DEC) END AS E,
           bool_and(LS IN ('V3', 'V4')) AS SHORT_BREAKS
    FROM e GROUP BY CHILD, PERIOD_NO
),
cohort AS (
    SELECT DISTINCT p.CHILD FROM periods p, y
    WHERE NOT p.SHORT_BREAKS AND p.S <= y.D - INTERVAL 365 DAY AND coalesce(p.E, DATE '9999-12-31') > y.D
),
sdq AS (
    SELECT DISTINCT ON (pe.CHILD) pe.CHILD, TRY_CAST(ssd_text(s.csdq_sdq_score) AS INTEGER) AS SDQ_SCORE,
           ssd_text(s.csdq_sdq_reason) AS SDQ_REASON
    FROM ssd_sdq_scores s JOIN ssd_people pe ON pe.PID = ssd_text(s.csdq_person_id), y
    WHERE ssd_date(s.csdq_sdq_completed_date) BETWEEN (y.D - INTERVAL 1 YEAR + INTERVAL 1 DAY)::DATE AND y.D
    ORDER BY pe.CHILD, ssd_date(s.csdq_sdq_completed_date) DESC, ssd_text(s.csdq_table_id) DESC
)
SELECT c.CHILD, p.DOB, s.SDQ_SCORE, upper(s.SDQ_REASON) AS SDQ_REASON
FROM cohort c JOIN ssd_people p USING (CHILD) LEFT JOIN sdq s USING (CHILD)
ORDER BY c.CHILD;

-- ---------------------------------------------------------------- OC3: care leavers (the latest record)
CREATE OR REPLACE TEMP TABLE ssd_out_oc3 AS
SELECT DISTINCT ON (p.CHILD) p.CHILD, p.DOB,
       ssd_keep(ssd_code('clea_care_leaver_in_touch', l.clea_care_leaver_in_touch)) AS IN_TOUCH,
       ssd_text(l.clea_care_leaver_in_touch) AS _RAW_IN_TOUCH,
       ssd_keep(ssd_code('clea_care_leaver_activity', l.clea_care_leaver_activity)) AS ACTIV,
       ssd_text(l.clea_care_leaver_activity) AS _RAW_ACTIV,
       CASE WHEN ssd_keep(ssd_code('clea_care_leaver_accommodation', l.clea_care_leaver_accommodation)) = '0' THEN '0'
            ELSE ssd_keep(ssd_code('clea_care_leaver_accommodation', l.clea_care_leaver_accommodation))
                 || ssd_keep(ssd_code('clea_care_leaver_accom_suitable', l.clea_care_leaver_accom_suitable)) END AS ACCOM,
       concat_ws(' / ', ssd_text(l.clea_care_leaver_accommodation), ssd_text(l.clea_care_leaver_accom_suitable))
           AS _RAW_ACCOM
FROM ssd_care_leavers l JOIN ssd_people p ON p.PID = ssd_text(l.clea_person_id)
ORDER BY p.CHILD, ssd_date(l.clea_care_leaver_latest_contact) DESC NULLS LAST, ssd_text(l.clea_table_id) DESC;

-- ---------------------------------------------------------------- adoption and previous permanence
-- SystemC fills perm_person_id with the person's legacy id: match either.
CREATE OR REPLACE TEMP TABLE ssd_perm AS
SELECT DISTINCT ON (p.CHILD) p.CHILD, p.DOB, ssd_date(m.perm_adm_decision_date) AS DATE_INT,
       ssd_date(m.perm_matched_date) AS DATE_MATCH,
       CASE upper(ssd_text(m.perm_adopted_by_carer_flag)) WHEN 'Y' THEN '1' WHEN 'N' THEN '0' END AS FOSTER_CARE,
       ssd_text(m.perm_number_of_adopters) AS NB_ADOPTR, ssd_text(m.perm_adopter_sex) AS SEX_ADOPTR,
       ssd_text(m.perm_adopter_legal_status) AS LS_ADOPTR,
       ssd_date(m.perm_decision_reversed_date) AS DATE_PLACED_CEASED,
       ssd_text(m.perm_decision_reversed_reason) AS REASON_PLACED_CEASED,
       CASE WHEN lower(ssd_text(m.perm_permanence_order_type)) = 'adoption'
            THEN ssd_date(m.perm_permanence_order_date) END AS ADOPTED_ON
FROM ssd_permanence m
-- the legacy id first: a numeric legacy id may equal another person's id
JOIN ssd_people p ON p.PID = coalesce((SELECT min(q.PID) FROM ssd_people q WHERE q.LEGACY = ssd_text(m.perm_person_id)),
                                      ssd_text(m.perm_person_id))
ORDER BY p.CHILD, ssd_date(m.perm_adm_decision_date) DESC NULLS LAST, ssd_text(m.perm_table_id) DESC;

-- AD1 is the return's record of a child adopted during the collection year (the year to the latest 31 March).
CREATE OR REPLACE TEMP TABLE ssd_out_ad1 AS
WITH y AS (SELECT make_date(CASE WHEN $as_of >= make_date(year($as_of), 3, 31) THEN year($as_of)
                                 ELSE year($as_of) - 1 END, 3, 31) AS D)
SELECT CHILD, DOB, DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR FROM ssd_perm, y
WHERE ADOPTED_ON > y.D - INTERVAL 1 YEAR AND ADOPTED_ON <= y.D ORDER BY CHILD;

CREATE OR REPLACE TEMP TABLE ssd_out_placed_for_adoption AS
SELECT CHILD, DOB, DATE_INT AS DATE_PLACED, DATE_PLACED_CEASED, REASON_PLACED_CEASED FROM ssd_perm
WHERE DATE_INT IS NOT NULL ORDER BY CHILD;

CREATE OR REPLACE TEMP TABLE ssd_out_previous_permanence AS
SELECT DISTINCT ON (p.CHILD) p.CHILD, p.DOB, ssd_text(l.lapp_previous_permanence_option) AS PREV_PERM,
       ssd_text(l.lapp_previous_permanence_la) AS LA_PERM, ssd_text(l.lapp_previous_permanence_order_date) AS DATE_PERM
FROM ssd_cla_previous_permanence l JOIN ssd_people p ON p.PID = ssd_text(l.lapp_person_id)
WHERE ssd_text(l.lapp_previous_permanence_option) IS NOT NULL
ORDER BY p.CHILD, ssd_text(l.lapp_table_id) DESC;
