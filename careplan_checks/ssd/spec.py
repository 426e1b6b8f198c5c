"""The Standard Safeguarding Dataset (SSD) tables and columns careplan-checks reads.

Data to Insight's SSD (``data-to-insight/ssd-data-model``, extract version 1.4.5) is a script an
authority runs in its own reporting database; it builds ``ssd_*`` tables. The names below are those
of its SystemC/Liquidlogic SQL Server deployment (the Eclipse PostgreSQL deployment uses the same
names; where a system lacks a column, such as ``clar_cla_person_id`` in Eclipse, the reader supplies
it empty and the mapping falls back to the link the system has).

Only these columns are read, so names, addresses, NHS numbers, UPNs and free text beyond what the
mapping needs never leave the source: a database is queried for these columns alone, and the other
columns of a file are never staged.
"""

from __future__ import annotations

#: SSD table -> the columns the mapping reads (all staged as text; dates are parsed in the mapping).
SSD_TABLES: dict[str, tuple[str, ...]] = {
    "ssd_person": ("pers_person_id", "pers_legacy_id", "pers_sex", "pers_gender", "pers_ethnicity", "pers_dob",
                   "pers_expected_dob", "pers_upn", "pers_upn_unknown", "pers_is_mother"),
    "ssd_mother": ("moth_table_id", "moth_person_id", "moth_childs_person_id", "moth_childs_dob"),
    "ssd_legal_status": ("lega_legal_status_id", "lega_person_id", "lega_legal_status",
                         "lega_legal_status_start_date", "lega_legal_status_end_date"),
    "ssd_cla_episodes": ("clae_cla_episode_id", "clae_person_id", "clae_cla_placement_id",
                         "clae_cla_episode_start_date", "clae_cla_episode_start_reason", "clae_cla_primary_need_code",
                         "clae_cla_episode_ceased_date", "clae_cla_episode_ceased_reason", "clae_cla_id",
                         "clae_entered_care_date"),
    "ssd_cla_placement": ("clap_cla_placement_id", "clap_cla_id", "clap_person_id", "clap_cla_placement_start_date",
                          "clap_cla_placement_type", "clap_cla_placement_urn", "clap_cla_placement_provider",
                          "clap_cla_placement_postcode", "clap_cla_placement_end_date",
                          "clap_cla_placement_change_reason"),
    "ssd_cla_reviews": ("clar_cla_review_id", "clar_cla_id", "clar_cla_person_id", "clar_cla_review_due_date",
                        "clar_cla_review_date", "clar_cla_review_cancelled", "clar_cla_review_participation"),
    "ssd_cla_visits": ("clav_cla_visit_id", "clav_cla_id", "clav_person_id", "clav_cla_visit_date",
                       "clav_cla_visit_seen", "clav_cla_visit_seen_alone"),
    "ssd_cla_health": ("clah_health_check_id", "clah_person_id", "clah_health_check_type", "clah_health_check_date",
                       "clah_health_check_status"),
    "ssd_cla_care_plan": ("lacp_table_id", "lacp_person_id", "lacp_cla_care_plan_start_date",
                          "lacp_cla_care_plan_end_date", "lacp_cla_care_plan_json"),
    "ssd_involvements": ("invo_involvements_id", "invo_professional_id", "invo_professional_role_id",
                         "invo_professional_team", "invo_person_id", "invo_involvement_start_date",
                         "invo_involvement_end_date", "invo_worker_change_reason"),
    "ssd_department": ("dept_team_id", "dept_team_name"),
    "ssd_missing": ("miss_table_id", "miss_person_id", "miss_missing_episode_start_date", "miss_missing_episode_type",
                    "miss_missing_episode_end_date", "miss_missing_rhi_offered", "miss_missing_rhi_accepted"),
    "ssd_immigration_status": ("immi_immigration_status_id", "immi_person_id", "immi_immigration_status_start_date",
                               "immi_immigration_status_end_date", "immi_immigration_status"),
    "ssd_care_leavers": ("clea_table_id", "clea_person_id", "clea_care_leaver_eligibility",
                         "clea_care_leaver_in_touch", "clea_care_leaver_latest_contact",
                         "clea_care_leaver_accommodation", "clea_care_leaver_accom_suitable",
                         "clea_care_leaver_activity", "clea_pathway_plan_review_date"),
    "ssd_sdq_scores": ("csdq_table_id", "csdq_person_id", "csdq_sdq_completed_date", "csdq_sdq_score",
                       "csdq_sdq_reason"),
    "ssd_permanence": ("perm_table_id", "perm_person_id", "perm_adm_decision_date", "perm_matched_date",
                       "perm_adopted_by_carer_flag", "perm_number_of_adopters", "perm_adopter_sex",
                       "perm_adopter_legal_status", "perm_decision_reversed_date", "perm_decision_reversed_reason",
                       "perm_permanence_order_date", "perm_permanence_order_type"),
    "ssd_cla_previous_permanence": ("lapp_table_id", "lapp_person_id", "lapp_previous_permanence_option",
                                    "lapp_previous_permanence_la", "lapp_previous_permanence_order_date"),
}

#: Tables without which no extract can be made: everything hangs on the person and the episodes.
REQUIRED_TABLES = ("ssd_person", "ssd_cla_episodes")

#: Columns that hold something identifying: read only to derive a value (a UPN's status), never written.
IDENTIFYING = frozenset({"pers_upn", "clap_cla_placement_postcode"})
