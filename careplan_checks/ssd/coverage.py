"""Where each contract column comes from in the Standard Safeguarding Dataset, or why it cannot.

One table of facts, used three ways: ``mapping.sql`` is written to it, the mapping report tells an
authority what a supplement extract would add, and ``docs/contract.md`` shows the source of each column.
A column with no source (``None``) is never written by ``from-ssd``, so a rule that reads it is "not run".
"""

from __future__ import annotations

from ..contract import TABLES

#: (table, column) -> the SSD source, as a data analyst would look it up.
SOURCES: dict[tuple[str, str], str] = {
    ("header", "CHILD"): "ssd_person.pers_person_id (pseudonymised)",
    ("header", "SEX"): "ssd_person.pers_sex (else pers_gender), lookup",
    ("header", "DOB"): "ssd_person.pers_dob, else pers_expected_dob (SystemC moves an estimated date of birth there)",
    ("header", "ETHNIC"): "ssd_person.pers_ethnicity, lookup (census A1–E4 codes to DfE codes)",
    ("header", "UPN"): "ssd_person.pers_upn (only whether it is known) or pers_upn_unknown",
    ("header", "MOTHER"): "ssd_person.pers_is_mother (SystemC writes Y or nothing)",
    ("header", "MC_DOB"): "ssd_mother.moth_childs_dob, the earliest",
    ("episodes", "CHILD"): "ssd_cla_episodes.clae_person_id",
    ("episodes", "DECOM"): "ssd_cla_episodes.clae_cla_episode_start_date",
    ("episodes", "RNE"): "ssd_cla_episodes.clae_cla_episode_start_reason, lookup (SystemC holds the description)",
    ("episodes", "LS"): "ssd_legal_status.lega_legal_status in force on DECOM, lookup; non-care orders left out",
    ("episodes", "CIN"): "ssd_cla_episodes.clae_cla_primary_need_code",
    ("episodes", "PLACE"): "ssd_cla_placement.clap_cla_placement_type via clae_cla_placement_id",
    ("episodes", "PLACE_PROVIDER"): "ssd_cla_placement.clap_cla_placement_provider",
    ("episodes", "DEC"): "ssd_cla_episodes.clae_cla_episode_ceased_date",
    ("episodes", "REC"): "ssd_cla_episodes.clae_cla_episode_ceased_reason, lookup (SystemC holds the description)",
    ("episodes", "REASON_PLACE_CHANGE"): "ssd_cla_placement.clap_cla_placement_change_reason, on the placement's "
                                         "last episode",
    ("episodes", "HOME_POST"): None,
    ("episodes", "PL_POST"): "ssd_cla_placement.clap_cla_placement_postcode, cut to the district",
    ("episodes", "URN"): "ssd_cla_placement.clap_cla_placement_urn",
    ("reviews", "CHILD"): "ssd_cla_reviews.clar_cla_person_id, else via clar_cla_id (Eclipse)",
    ("reviews", "DOB"): "ssd_person (the person's date of birth)",
    ("reviews", "REVIEW"): "ssd_cla_reviews.clar_cla_review_date; cancelled reviews left out",
    ("reviews", "REVIEW_CODE"): "ssd_cla_reviews.clar_cla_review_participation, lookup",
    ("oc2", "CHILD"): "children looked after for 12 months to 31 March, from the episodes",
    ("oc2", "DOB"): "ssd_person",
    ("oc2", "SDQ_SCORE"): "ssd_sdq_scores.csdq_sdq_score, the latest completed in the year",
    ("oc2", "SDQ_REASON"): "ssd_sdq_scores.csdq_sdq_reason (SystemC writes only the placeholder SSD_PH: not supplied "
                           "when every value is one)",
    ("oc3", "CHILD"): "ssd_care_leavers.clea_person_id (the latest record)",
    ("oc3", "DOB"): "ssd_person",
    ("oc3", "IN_TOUCH"): "ssd_care_leavers.clea_care_leaver_in_touch",
    ("oc3", "ACTIV"): "ssd_care_leavers.clea_care_leaver_activity, lookup",
    ("oc3", "ACCOM"): "ssd_care_leavers.clea_care_leaver_accommodation + clea_care_leaver_accom_suitable, lookups",
    ("missing", "CHILD"): "ssd_missing.miss_person_id",
    ("missing", "DOB"): "ssd_person",
    ("missing", "MISSING"): "ssd_missing.miss_missing_episode_type, lookup",
    ("missing", "MIS_START"): "ssd_missing.miss_missing_episode_start_date",
    ("missing", "MIS_END"): "ssd_missing.miss_missing_episode_end_date",
    ("uasc", "CHILD"): "ssd_immigration_status.immi_person_id, UASC statuses",
    ("uasc", "SEX"): "ssd_person",
    ("uasc", "DOB"): "ssd_person",
    ("uasc", "DUC"): "ssd_immigration_status.immi_immigration_status_end_date",
    ("ad1", "CHILD"): "ssd_permanence.perm_person_id (SystemC: the legacy id)",
    ("ad1", "DOB"): "ssd_person",
    ("ad1", "DATE_INT"): "ssd_permanence.perm_adm_decision_date (a row for a child whose adoption order, "
                         "perm_permanence_order_type Adoption and its date, falls in the collection year)",
    ("ad1", "DATE_MATCH"): "ssd_permanence.perm_matched_date",
    ("ad1", "FOSTER_CARE"): "ssd_permanence.perm_adopted_by_carer_flag",
    ("ad1", "NB_ADOPTR"): "ssd_permanence.perm_number_of_adopters",
    ("ad1", "SEX_ADOPTR"): "ssd_permanence.perm_adopter_sex",
    ("ad1", "LS_ADOPTR"): "ssd_permanence.perm_adopter_legal_status",
    ("placed_for_adoption", "CHILD"): "ssd_permanence.perm_person_id",
    ("placed_for_adoption", "DOB"): "ssd_person",
    ("placed_for_adoption", "DATE_PLACED"): "ssd_permanence.perm_adm_decision_date (the latest decision only)",
    ("placed_for_adoption", "DATE_PLACED_CEASED"): "ssd_permanence.perm_decision_reversed_date",
    ("placed_for_adoption", "REASON_PLACED_CEASED"): "ssd_permanence.perm_decision_reversed_reason",
    ("previous_permanence", "CHILD"): "ssd_cla_previous_permanence.lapp_person_id",
    ("previous_permanence", "DOB"): "ssd_person",
    ("previous_permanence", "PREV_PERM"): "ssd_cla_previous_permanence.lapp_previous_permanence_option",
    ("previous_permanence", "LA_PERM"): "ssd_cla_previous_permanence.lapp_previous_permanence_la",
    ("previous_permanence", "DATE_PERM"): "ssd_cla_previous_permanence.lapp_previous_permanence_order_date",
    ("sw_episodes", "CHILD"): "ssd_involvements.invo_person_id, allocated social worker (CW)",
    ("sw_episodes", "SW_ID"): "ssd_involvements.invo_professional_id (pseudonymised)",
    ("sw_episodes", "SW_DECOM"): "ssd_involvements.invo_involvement_start_date",
    ("sw_episodes", "SW_DEC"): "ssd_involvements.invo_involvement_end_date",
    ("sw_episodes", "SW_REASON"): "ssd_involvements.invo_worker_change_reason, lookup",
    ("allocations", "CHILD"): "ssd_involvements.invo_person_id",
    ("allocations", "ROLE"): "ssd_involvements.invo_professional_role_id, lookup (CW, IRO, 16PLUS)",
    ("allocations", "WORKER_ID"): "ssd_involvements.invo_professional_id (pseudonymised)",
    ("allocations", "TEAM"): "ssd_department.dept_team_name via invo_professional_team",
    ("allocations", "START_DATE"): "ssd_involvements.invo_involvement_start_date",
    ("allocations", "END_DATE"): "ssd_involvements.invo_involvement_end_date",
    ("visits", "CHILD"): "ssd_cla_visits.clav_person_id",
    ("visits", "VISIT_DATE"): "ssd_cla_visits.clav_cla_visit_date (one visit a day)",
    ("visits", "SEEN"): "ssd_cla_visits.clav_cla_visit_seen (seen on any note that day)",
    ("visits", "SEEN_ALONE"): "ssd_cla_visits.clav_cla_visit_seen_alone",
    ("health_checks", "CHILD"): "ssd_cla_health.clah_person_id",
    ("health_checks", "CHECK_TYPE"): "ssd_cla_health.clah_health_check_type, lookup; a health assessment is the IHA "
                                     "when first in the period of care, else an RHA (SSD does not record which)",
    ("health_checks", "CHECK_DATE"): "ssd_cla_health.clah_health_check_date",
    ("health_checks", "STATUS"): "ssd_cla_health.clah_health_check_status, lookup (planned checks left out)",
    ("care_plans", "CHILD"): "ssd_cla_care_plan.lacp_person_id",
    ("care_plans", "PLAN_DATE"): "ssd_cla_care_plan.lacp_cla_care_plan_start_date",
    ("care_plans", "PERMANENCE_PLAN"): "ssd_cla_care_plan.lacp_cla_care_plan_json (any permanence option answered)",
}

#: Why SSD cannot supply a column or a table: what a supplement extract would add.
REASONS: dict[tuple[str, str | None], str] = {
    ("episodes", "HOME_POST"): "SSD's addresses carry a free-text type, so the home address at each episode "
                               "cannot be told reliably",
    ("oc2", "CONVICTED"): "SSD holds the date of an offence, not of a conviction",
    ("oc2", "HEALTH_CHECK"): "SSD's development checks cannot be told from other checks in every system",
    ("oc2", "IMMUNISATIONS"): "SSD holds only the latest immunisation status, not the status at 31 March",
    ("oc2", "TEETH_CHECK"): "derivable only approximately from ssd_cla_health; left to the 903 extract",
    ("oc2", "HEALTH_ASSESSMENT"): "derivable only approximately from ssd_cla_health; left to the 903 extract",
    ("oc2", "SUBSTANCE_MISUSE"): "left to the 903 extract",
    ("oc2", "INTERVENTION_RECEIVED"): "left to the 903 extract",
    ("oc2", "INTERVENTION_OFFERED"): "not in SSD",
    ("care_plans", "HEALTH_PLAN"): "not in SSD",
    ("care_plans", "PEP"): "not in SSD",
    ("care_plans", "PLACEMENT_PLAN"): "not in SSD",
    ("care_plans", "CHILD_WISHES_RECORDED"): "not in SSD (ssd_voice_of_child is a placeholder)",
    ("care_plans", "IRO_NAMED"): "not in SSD",
    ("care_plans", "COORDINATOR_ROLE"): "not in SSD",
    ("placement_plans", None): "not in SSD: no placement plan, intention to stay until 18, agreed visiting "
                               "pattern, emergency, out-of-area or education facts of a placement",
    ("placement_decisions", None): "not in SSD: nominated officers' approvals, a parent's assessment, a connected "
                                   "person's temporary approval and the review before a placement ends are not "
                                   "recorded",
    ("notifications", None): "not in SSD: notices of a placement are not recorded",
    ("care_plan_changes", None): "not in SSD: ssd_cla_care_plan has no log of changes",
    ("siblings", None): "not in SSD (ssd_permanence's sibling fields concern adoption only)",
    ("advocacy", None): "not in SSD: independent visitors and advocacy are not recorded",
    ("emotional_health", None): "not in SSD: ssd_cla_health holds health checks, not whether a specialist mental and "
                                "emotional health assessment was considered",
    ("visits", "NOT_ALONE_REASON"): "not in SSD: ssd_cla_visits says whether the child was seen alone, not why not",
    ("health_checks", "DRUG_MISUSE_ASSESSED"): "not in SSD",
    ("placement_views", None): "not in SSD: the child's view of a move is not recorded",
    ("health_record_access", None): "not in SSD",
    ("care_plan_review_requests", None): "not in SSD",
    ("leaving_care", None): "SSD keeps only the latest pathway plan or review date (a modified timestamp in "
                            "SystemC), with no history and no needs or readiness assessments, approvals or "
                            "staying-put offers",
    ("peps", None): "not in SSD (ssd_send and the EHCP tables are not PEPs)",
    ("return_interviews", None): "SSD holds only Y/N flags for an interview offered and accepted, with no dates",
}

WRITTEN_TABLES = tuple(dict.fromkeys(t for t, _ in SOURCES))


def source_of(table: str, column: str) -> str | None:
    return SOURCES.get((table, column))


def reason_missing(table: str, column: str | None) -> str:
    return REASONS.get((table, column)) or REASONS.get((table, None)) or "not in SSD"


def not_supplied() -> list[tuple[str, str | None, str]]:
    """(table, column or None for the whole table, reason), in contract order."""
    out: list[tuple[str, str | None, str]] = []
    for t in TABLES:
        if t.name not in WRITTEN_TABLES:
            out.append((t.name, None, reason_missing(t.name, None)))
            continue
        out += [(t.name, c.name, reason_missing(t.name, c.name)) for c in t.columns
                if SOURCES.get((t.name, c.name)) is None]
    return out
