"""Descriptions to codes: the shipped ``lookups.yml`` and an authority's own file over it.

Read as plain text (YAML's ``Yes``/``No`` stay words, not booleans). Each SSD column has, besides its
descriptions, the codes it may already hold: the contract's code list for the column it feeds, so a
system that writes codes needs no lookup at all.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from ..contract import TABLES_BY_NAME
from ..errors import InputError, Problem
from ..inserts import insert_rows

DEFAULT_LOOKUPS = Path(__file__).with_name("lookups.yml")


def _codes(table: str, column: str) -> tuple[str, ...]:
    return tuple(TABLES_BY_NAME[table].column(column).codes or ())


#: SSD column -> the codes it may hold as they are (beyond its lookup).
TARGETS: dict[str, tuple[str, ...]] = {
    "pers_sex": _codes("header", "SEX"),
    "pers_ethnicity": _codes("header", "ETHNIC"),
    "pers_is_mother": ("0", "1"),
    "lega_legal_status": _codes("episodes", "LS"),
    "clae_cla_episode_start_reason": _codes("episodes", "RNE"),
    "clae_cla_episode_ceased_reason": _codes("episodes", "REC"),
    "clae_cla_primary_need_code": _codes("episodes", "CIN"),
    "clap_cla_placement_type": _codes("episodes", "PLACE"),
    "clap_cla_placement_provider": _codes("episodes", "PLACE_PROVIDER"),
    "clap_cla_placement_change_reason": _codes("episodes", "REASON_PLACE_CHANGE"),
    "clar_cla_review_participation": _codes("reviews", "REVIEW_CODE"),
    "clar_cla_review_cancelled": ("Y", "N"),
    "clah_health_check_type": ("IHA", "RHA", "DENTAL", "ASSESSMENT"),
    "clah_health_check_status": _codes("health_checks", "STATUS"),
    "invo_professional_role_id": _codes("allocations", "ROLE"),
    "invo_worker_change_reason": _codes("sw_episodes", "SW_REASON"),
    "clav_cla_visit_seen": ("Y", "N"),
    "clav_cla_visit_seen_alone": ("Y", "N"),
    "miss_missing_episode_type": _codes("missing", "MISSING"),
    "immi_immigration_status": ("UASC",),
    "clea_care_leaver_in_touch": _codes("oc3", "IN_TOUCH"),
    "clea_care_leaver_activity": _codes("oc3", "ACTIV"),
    "clea_care_leaver_accommodation": tuple(sorted({c[0] for c in _codes("oc3", "ACCOM")})),
    "clea_care_leaver_accom_suitable": ("1", "2"),
}


def read_lookups(path: Path) -> dict[str, dict[str, str]]:
    """``{ssd_column: {description: code}}`` from a lookups file, checked against the known columns."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(Problem(str(path), f"cannot be read ({type(e).__name__})")) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InputError(Problem(where, "is not valid YAML")) from None
    if not isinstance(data, dict):
        raise InputError(Problem(str(path), "must map each SSD column to its descriptions and codes"))
    problems = []
    out: dict[str, dict[str, str]] = {}
    for column, values in data.items():
        if column not in TARGETS:
            problems.append(Problem(str(path), f"{column}: not an SSD column that needs a lookup; known: "
                                               f"{', '.join(TARGETS)}"))
            continue
        if not isinstance(values, dict):
            problems.append(Problem(str(path), f"{column}: give 'description: code' lines"))
            continue
        allowed = set(TARGETS[column]) | {"-"}
        for code in values.values():
            if code not in allowed:
                problems.append(Problem(str(path), f"{column}: '{code}' is not a code this column can take "
                                                   f"(one of {', '.join(sorted(allowed))})"))
        out[column] = {str(k): str(v) for k, v in values.items()}
    if problems:
        raise InputError(problems)
    return out


def install(con: duckdb.DuckDBPyConnection, override: Path | None = None) -> None:
    """Tables ``ssd_lookup(FIELD, VALUE, CODE)`` (descriptions normalised as ``ssd_norm``) and
    ``ssd_codes(FIELD, CODE)``; the authority's entries win over the shipped ones."""
    merged = read_lookups(DEFAULT_LOOKUPS)
    if override is not None:
        for column, values in read_lookups(override).items():
            merged.setdefault(column, {}).update(values)
    rows = [(f, d, c) for f, values in merged.items() for d, c in values.items()]
    con.execute("CREATE OR REPLACE TEMP TABLE _lookup_in (FIELD VARCHAR, DESCRIPTION VARCHAR, CODE VARCHAR, N INTEGER)")
    if rows:
        insert_rows(con, "_lookup_in", [(*r, i) for i, r in enumerate(rows)])
    # later entries (the authority's) win: keep the last per normalised description
    con.execute("""CREATE OR REPLACE TEMP TABLE ssd_lookup AS
        SELECT FIELD, VALUE, last(CODE ORDER BY N) AS CODE FROM (
            SELECT FIELD, rtrim(lower(regexp_replace(trim(DESCRIPTION), '\\s+', ' ', 'g')), '.') AS VALUE, CODE, N
            FROM _lookup_in)
        GROUP BY FIELD, VALUE""")
    codes = [(f, c) for f, cs in TARGETS.items() for c in cs]
    con.execute("CREATE OR REPLACE TEMP TABLE ssd_codes (FIELD VARCHAR, CODE VARCHAR)")
    insert_rows(con, "ssd_codes", codes)
