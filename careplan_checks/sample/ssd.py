"""The sample's children as Standard Safeguarding Dataset (SSD) tables, to test ``from-ssd`` end to end.

Data to Insight publishes no SSD data, real or fake, so the reader and the mapping (``careplan_checks/ssd``)
can only be tested on tables made here. They are made from a sample extract, so the answer is known:
mapping them back must give the extract again, exactly for what SSD can carry. To make that test mean
something the tables look like what SystemC/Liquidlogic's v1.4.5 script builds, traps included:

* every column of each table, in the script's order, identifying ones too (names, NHS numbers, UPNs,
  full postcodes, workers' names), filled with obviously synthetic values, so a test can show that none
  of them reaches the extract;
* dates as SQL Server datetime text (``2024-05-01 00:00:00.000``), empty cells for NULL;
* descriptions where SystemC copies descriptions (legal status in Annex A wording, reasons for new and
  ceased episodes, participation, activity, accommodation), codes where it copies codes;
* legal status as a history of its own with orders that are not care statuses, an estimated date of
  birth moved to ``pers_expected_dob``, ``SSD_PH`` and ``1900-01-01`` placeholders, ``perm_person_id``
  holding the legacy id, cancelled reviews, several case notes of one visit, optician and development
  checks, planned health checks, older care-leaver and SDQ records, and about 30% more people who were
  never looked after (children in need, child protection), whom the mapping's cohort must leave out.

Everything is DuckDB SQL (``ssd.sql``) over the extract's tables: no Python loop walks the rows, and
every choice is a hash of the seed and a stable key, so a seed always gives the same files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import yaml

from ..contract import TABLES
from ..errors import literal
from ..inserts import insert_rows
from .common import DEFAULT_AS_OF

SQL = Path(__file__).with_name("ssd.sql")
LOOKUPS = Path(__file__).resolve().parent.parent / "ssd" / "lookups.yml"

#: Every SSD table written, with all its columns in the order of SystemC's v1.4.5 DDL.
SSD_COLUMNS: dict[str, tuple[str, ...]] = {
    "ssd_person": (
        "pers_legacy_id", "pers_person_id", "pers_upn", "pers_forename", "pers_surname", "pers_sex", "pers_gender",
        "pers_ethnicity", "pers_dob", "pers_single_unique_id", "pers_upn_unknown", "pers_send_flag",
        "pers_expected_dob", "pers_death_date", "pers_is_mother", "pers_nationality"),
    "ssd_mother": ("moth_table_id", "moth_person_id", "moth_childs_person_id", "moth_childs_dob"),
    "ssd_legal_status": (
        "lega_legal_status_id", "lega_person_id", "lega_legal_status", "lega_legal_status_start_date",
        "lega_legal_status_end_date"),
    "ssd_cla_episodes": (
        "clae_cla_episode_id", "clae_person_id", "clae_cla_placement_id", "clae_cla_episode_start_date",
        "clae_cla_episode_start_reason", "clae_cla_primary_need_code", "clae_cla_episode_ceased_date",
        "clae_cla_episode_ceased_reason", "clae_cla_id", "clae_referral_id", "clae_cla_last_iro_contact_date",
        "clae_entered_care_date"),
    "ssd_cla_placement": (
        "clap_cla_placement_id", "clap_cla_id", "clap_person_id", "clap_cla_placement_start_date",
        "clap_cla_placement_type", "clap_cla_placement_urn", "clap_cla_placement_distance",
        "clap_cla_placement_provider", "clap_cla_placement_postcode", "clap_cla_placement_end_date",
        "clap_cla_placement_change_reason"),
    "ssd_cla_reviews": (
        "clar_cla_review_id", "clar_cla_id", "clar_cla_person_id", "clar_cla_review_due_date", "clar_cla_review_date",
        "clar_cla_review_cancelled", "clar_cla_review_participation"),
    "ssd_cla_visits": (
        "clav_cla_visit_id", "clav_cla_id", "clav_person_id", "clav_cla_visit_date", "clav_cla_visit_seen",
        "clav_cla_visit_seen_alone"),
    "ssd_cla_health": (
        "clah_health_check_id", "clah_person_id", "clah_health_check_type", "clah_health_check_date",
        "clah_health_check_status"),
    "ssd_cla_care_plan": (
        "lacp_table_id", "lacp_person_id", "lacp_cla_care_plan_start_date", "lacp_cla_care_plan_end_date",
        "lacp_cla_care_plan_json"),
    "ssd_involvements": (
        "invo_involvements_id", "invo_professional_id", "invo_professional_role_id", "invo_professional_team",
        "invo_person_id", "invo_involvement_start_date", "invo_involvement_end_date", "invo_worker_change_reason",
        "invo_referral_id"),
    "ssd_professionals": (
        "prof_professional_id", "prof_staff_id", "prof_professional_name", "prof_social_worker_registration_no",
        "prof_agency_worker_flag", "prof_professional_job_title", "prof_professional_caseload",
        "prof_professional_department", "prof_full_time_equivalency"),
    "ssd_department": ("dept_team_id", "dept_team_name", "dept_team_parent_id", "dept_team_parent_name"),
    "ssd_missing": (
        "miss_table_id", "miss_person_id", "miss_missing_episode_start_date", "miss_missing_episode_type",
        "miss_missing_episode_end_date", "miss_missing_rhi_offered", "miss_missing_rhi_accepted"),
    "ssd_immigration_status": (
        "immi_immigration_status_id", "immi_person_id", "immi_immigration_status_start_date",
        "immi_immigration_status_end_date", "immi_immigration_status"),
    "ssd_care_leavers": (
        "clea_table_id", "clea_person_id", "clea_care_leaver_eligibility", "clea_care_leaver_in_touch",
        "clea_care_leaver_latest_contact", "clea_care_leaver_accommodation", "clea_care_leaver_accom_suitable",
        "clea_care_leaver_activity", "clea_pathway_plan_review_date", "clea_care_leaver_personal_advisor",
        "clea_care_leaver_allocated_team", "clea_care_leaver_worker_id"),
    "ssd_sdq_scores": (
        "csdq_table_id", "csdq_person_id", "csdq_sdq_completed_date", "csdq_sdq_score", "csdq_sdq_reason"),
    "ssd_permanence": (
        "perm_table_id", "perm_person_id", "perm_cla_id", "perm_adm_decision_date", "perm_part_of_sibling_group",
        "perm_siblings_placed_together", "perm_siblings_placed_apart", "perm_ffa_cp_decision_date",
        "perm_placement_order_date", "perm_matched_date", "perm_adopter_sex", "perm_adopter_legal_status",
        "perm_number_of_adopters", "perm_placed_for_adoption_date", "perm_adopted_by_carer_flag",
        "perm_placed_foster_carer_date", "perm_placed_ffa_cp_date", "perm_placement_provider_urn",
        "perm_decision_reversed_date", "perm_decision_reversed_reason", "perm_permanence_order_date",
        "perm_permanence_order_type", "perm_adoption_worker_id"),
    "ssd_cla_previous_permanence": (
        "lapp_table_id", "lapp_person_id", "lapp_previous_permanence_option", "lapp_previous_permanence_la",
        "lapp_previous_permanence_order_date"),
}

#: Legal-status wording as SystemC holds it, from the list in Data to Insight's Annex A script (v1.2.0):
#: preferred over the other descriptions in lookups.yml for the same code.
ANNEX_A_LEGAL_STATUS = (
    "Interim care order Sec. 38(1)", "Care Order Sec. 31(a)", "Wardship", "Child freed for adoption",
    "Placement Order (Sec. 21)", "Care Order Sec.31(a) & Placement Order (Sec. 21)",
    "Single placement acc. by LA S20(1) CA under 16", "Single placement acc. by LA S20(3) CA 16 & over",
    "Police protection power Sec.38(1)", "Emergency protection order - LA", "Child assessment order Sec. 43(1)",
    "Remanded to LA accommodation S20", "P.A.C.E Interview (CYP)", "S.43 CJA 91 Post-sent Und 22",
    "Regular occ. acc by LA S20(3) CA 16 & over", "regular occ. acc. by LA S.20(1) CA under 16",
)

#: SSD columns written as SystemC's description of the code (the first lookups.yml gives for it).
DESCRIBED = ("lega_legal_status", "clae_cla_episode_start_reason", "clae_cla_episode_ceased_reason",
             "clar_cla_review_participation", "clea_care_leaver_activity", "clea_care_leaver_accommodation")

#: About this many people never looked after, per looked-after child.
NOT_LOOKED_AFTER_SHARE = 0.3


def person_id(child: str) -> str:
    """``pers_person_id`` for a sample CHILD: its digits without leading zeros (``C01000123`` -> ``1000123``),
    a numeric id as SystemC's ``DIM_PERSON_ID`` is; the CHILD itself is ``pers_legacy_id``. People never
    looked after get nine-digit ids from 900000001, which no sample CHILD (two digits of seed, six of
    number) can give."""
    return "".join(c for c in child if c in "0123456789").lstrip("0") or "0"


def wordings(lookups: Path = LOOKUPS) -> list[tuple[str, str, str, int, int]]:
    """(SSD column, code, description, n, how many) for each description SystemC would write for a code:
    the first lookups.yml gives, or for legal status every Annex A wording it gives (chosen by hash)."""
    data = yaml.load(lookups.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    rows = []
    for field in DESCRIBED:
        by_code: dict[str, list[str]] = {}
        for description, code in (data.get(field) or {}).items():
            if code != "-":
                by_code.setdefault(code, []).append(description)
        for code, found in by_code.items():
            chosen = [d for d in found if d in ANNEX_A_LEGAL_STATUS] if field == "lega_legal_status" else []
            chosen = chosen or found[:1]
            rows += [(field, code, d, n, len(chosen)) for n, d in enumerate(chosen)]
    return rows


def _stage(con: duckdb.DuckDBPyConnection, extract: Path) -> None:
    """Each contract table as ``x_<table>``: dates as DATE (DfE or ISO), the rest as trimmed text."""
    con.execute("""CREATE OR REPLACE TEMP MACRO x_date(v) AS
        CAST(coalesce(try_strptime(v, '%d/%m/%Y'), try_strptime(v, '%Y-%m-%d')) AS DATE)""")
    for table in TABLES:
        path = extract / f"{table.name}.csv"
        have: set[str] = set()
        rel = "(SELECT 1) t WHERE false"
        if path.exists():
            rel = f"read_csv({literal(str(path))}, header=true, all_varchar=true, auto_detect=true)"
            have = {d[0] for d in con.execute(f"SELECT * FROM {rel} LIMIT 0").description}
        cols = []
        for c in table.columns:
            src = f"nullif(trim(\"{c.name}\"), '')" if c.name in have else "NULL::VARCHAR"
            cols.append(f'{"x_date(" + src + ")" if c.kind == "date" else src} AS "{c.name}"')
        con.execute(f"CREATE OR REPLACE TEMP TABLE x_{table.name} AS SELECT {', '.join(cols)} FROM {rel}")


def write_ssd(extract: Path, out: Path, seed: int, as_of: dt.date = DEFAULT_AS_OF) -> dict[str, int]:
    """Write the children of the sample ``extract`` as SystemC SSD tables, ``out/ssd_<table>.csv``; return
    the rows written per table. ``as_of`` is the sample's (the SDQ year and planned checks depend on it)."""
    con = duckdb.connect()
    try:
        _stage(con, extract)
        con.execute("CREATE OR REPLACE TEMP TABLE gen_wording (FIELD VARCHAR, CODE VARCHAR, VALUE VARCHAR, "
                    "N INTEGER, K INTEGER)")
        insert_rows(con, "gen_wording", list(wordings()))
        children = con.execute("SELECT count(*) FROM x_header").fetchone()[0]
        clash = con.execute("""SELECT count(*) - count(DISTINCT coalesce(nullif(ltrim(regexp_replace(CHILD,
            '[^0-9]', '', 'g'), '0'), ''), '0')) FROM x_header""").fetchone()[0]
        if clash:
            raise ValueError(f"{extract}: two children's CHILD have the same digits, so the same pers_person_id")
        sql = (SQL.read_text(encoding="utf-8").replace("$seed", str(int(seed)))
               .replace("$as_of", f"DATE {literal(as_of.isoformat())}")
               .replace("$others", str(round(NOT_LOOKED_AFTER_SHARE * children))))
        con.execute(sql)
        out.mkdir(parents=True, exist_ok=True)
        counts = {}
        for table, columns in SSD_COLUMNS.items():
            made = tuple(d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description)
            if made != columns:
                raise RuntimeError(f"{table}: made {made}, not the SSD columns")  # a fault in ssd.sql
            con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO {literal(str(out / (table + '.csv')))} "
                        "(FORMAT csv, HEADER)")
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return counts
    finally:
        con.close()


__all__ = ["SSD_COLUMNS", "person_id", "wordings", "write_ssd"]
