"""The sample written as SystemC SSD tables maps back to the sample: ``from-ssd``'s reader and mapping
tested on data whose answer is known.

Each seed's sample is written twice, as an extract and as SSD tables (``generate(..., ssd=...)``); the
SSD tables are staged by ``ssd.source``, looked up with the shipped ``lookups.yml`` and mapped by
``mapping.sql`` with an identity pseudonym (so CHILD comes back as ``pers_person_id``), and each
contract table is compared with the sample's, row for row, for what SSD can carry.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from careplan_checks.contract import TABLES
from careplan_checks.sample import DEFAULT_AS_OF, generate
from careplan_checks.sample.ssd import ANNEX_A_LEGAL_STATUS, SSD_COLUMNS, person_id, write_ssd
from careplan_checks.ssd import MAPPING_SQL, lookups, source
from careplan_checks.ssd.spec import SSD_TABLES

#: samples with UASC children, adoptions in the year, OC3 care leavers and care leavers without a pathway plan
SEEDS = (5, 8)
CHILDREN = 300
DISTRICT = r"^([A-Z]{1,2}[0-9][A-Z0-9]?)"


@dataclass
class Trip:
    seed: int
    extract: Path
    ssd: Path
    con: duckdb.DuckDBPyConnection
    staged: source.Staged

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()


def _load_sample(con: duckdb.DuckDBPyConnection, extract: Path) -> None:
    """The sample's tables as s_<table>, dates as DATE."""
    for table in TABLES:
        path = extract / f"{table.name}.csv"
        cols = ", ".join(
            f"CAST(coalesce(try_strptime(\"{c.name}\", '%d/%m/%Y'), try_strptime(\"{c.name}\", '%Y-%m-%d')) AS DATE)"
            f" AS \"{c.name}\"" if c.kind == "date" else f'"{c.name}"' for c in table.columns)
        con.execute(f"CREATE TEMP TABLE s_{table.name} AS SELECT {cols} FROM "
                    f"read_csv('{path}', header=true, all_varchar=true)")


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def trip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trip]:
    seed = request.param
    base = tmp_path_factory.mktemp(f"ssd-seed{seed}")
    generate(base / "extract", children=CHILDREN, seed=seed, ssd=base / "ssd")
    con = duckdb.connect()
    staged = source.stage(con, base / "ssd")
    lookups.install(con)
    con.execute("CREATE OR REPLACE TEMP MACRO pseudonym(v) AS v")
    con.execute(MAPPING_SQL.read_text(encoding="utf-8").replace("$as_of", f"DATE '{DEFAULT_AS_OF.isoformat()}'"))
    _load_sample(con, base / "extract")
    yield Trip(seed, base / "extract", base / "ssd", con, staged)
    con.close()


def _as_person(rows: list[tuple]) -> Counter:
    """Rows whose first value is a sample CHILD, with pers_person_id in its place."""
    return Counter((person_id(r[0]), *r[1:]) for r in rows)


def _same(table: str, expected: Counter, got: Counter) -> None:
    missing, extra = expected - got, got - expected
    assert not missing and not extra, (
        f"{table}: {sum(missing.values())} sample rows not given back, e.g. {sorted(missing, key=repr)[:3]}; "
        f"{sum(extra.values())} rows not in the sample, e.g. {sorted(extra, key=repr)[:3]}")


# ---------------------------------------------------------------- the reader sees every column
def test_every_ssd_column_is_staged(trip: Trip) -> None:
    """Every table and every column the mapping reads is in the files, and the reader finds it."""
    assert trip.staged.absent_tables == []
    assert trip.staged.absent_columns == [], "columns the reader could not find in the SSD files"
    for table, columns in SSD_COLUMNS.items():
        with (trip.ssd / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f))
        assert tuple(header) == columns, table
        assert set(SSD_TABLES.get(table, ())) <= set(header), table


# ---------------------------------------------------------------- the round trip, table by table
ROUND_TRIP: dict[str, tuple[str, str]] = {
    "header": ("SELECT CHILD, SEX, DOB, ETHNIC, UPN, MC_DOB FROM s_header",
               "SELECT CHILD, SEX, DOB, ETHNIC, UPN, MC_DOB FROM ssd_out_header"),
    "reviews": ("SELECT CHILD, REVIEW, REVIEW_CODE FROM s_reviews",
                "SELECT CHILD, REVIEW, REVIEW_CODE FROM ssd_out_reviews"),
    "visits": ("SELECT CHILD, VISIT_DATE, SEEN, SEEN_ALONE FROM s_visits",
               "SELECT CHILD, VISIT_DATE, SEEN, SEEN_ALONE FROM ssd_out_visits"),
    # IHA and RHA are both 'Health Assessment' in SSD: compared as assessments here (see the next test)
    "health_checks": ("SELECT CHILD, CASE WHEN CHECK_TYPE IN ('IHA', 'RHA') THEN 'ASSESSMENT' ELSE CHECK_TYPE END, "
                      "CHECK_DATE, STATUS FROM s_health_checks",
                      "SELECT CHILD, CASE WHEN CHECK_TYPE IN ('IHA', 'RHA') THEN 'ASSESSMENT' ELSE CHECK_TYPE END, "
                      "CHECK_DATE, STATUS FROM ssd_out_health_checks"),
    "care_plans": ("SELECT CHILD, PLAN_DATE, PERMANENCE_PLAN FROM s_care_plans",
                   "SELECT CHILD, PLAN_DATE, PERMANENCE_PLAN FROM ssd_out_care_plans"),
    "missing": ("SELECT CHILD, MISSING, MIS_START, MIS_END FROM s_missing",
                "SELECT CHILD, MISSING, MIS_START, MIS_END FROM ssd_out_missing"),
    "uasc": ("SELECT CHILD, DUC FROM s_uasc", "SELECT CHILD, DUC FROM ssd_out_uasc"),
    "oc2": ("SELECT CHILD, CAST(SDQ_SCORE AS INTEGER) FROM s_oc2", "SELECT CHILD, SDQ_SCORE FROM ssd_out_oc2"),
    "oc3": ("SELECT CHILD, IN_TOUCH, ACTIV, ACCOM FROM s_oc3", "SELECT CHILD, IN_TOUCH, ACTIV, ACCOM FROM ssd_out_oc3"),
    "ad1": ("SELECT CHILD, DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR FROM s_ad1",
            "SELECT CHILD, DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR FROM ssd_out_ad1"),
    "placed_for_adoption": (
        "SELECT CHILD, DATE_PLACED, DATE_PLACED_CEASED, REASON_PLACED_CEASED FROM s_placed_for_adoption",
        "SELECT CHILD, DATE_PLACED, DATE_PLACED_CEASED, REASON_PLACED_CEASED FROM ssd_out_placed_for_adoption"),
    "previous_permanence": ("SELECT CHILD, PREV_PERM, LA_PERM, DATE_PERM FROM s_previous_permanence",
                            "SELECT CHILD, PREV_PERM, LA_PERM, DATE_PERM FROM ssd_out_previous_permanence"),
}


@pytest.mark.parametrize("table", list(ROUND_TRIP))
def test_round_trip(trip: Trip, table: str) -> None:
    sample_sql, mapped_sql = ROUND_TRIP[table]
    expected = _as_person(trip.rows(sample_sql))
    assert expected, f"the sample has no {table}: a weak test"
    _same(table, expected, Counter(trip.rows(mapped_sql)))


def test_round_trip_episodes(trip: Trip) -> None:
    """Every column but HOME_POST (SSD's mapping has no source for it), PL_POST as its district. SSD has one
    postcode per placement, and a change of legal status only (RNE L) keeps the placement, as the sample's
    episodes do."""
    sample = trip.rows(f"""
        SELECT CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE,
               nullif(regexp_extract(upper(PL_POST), '{DISTRICT}', 1), '') AS PL_POST, URN FROM s_episodes""")
    mapped = trip.rows("""SELECT CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE,
                                 PL_POST, URN FROM ssd_out_episodes""")
    _same("episodes", _as_person(sample), Counter(mapped))
    shared = trip.rows("SELECT count(*) - count(DISTINCT clae_cla_placement_id) FROM ssd_cla_episodes")[0][0]
    assert shared > 0, "no two episodes share a placement: the mapping's placement join is not exercised"


def test_health_assessments_are_inferred(trip: Trip) -> None:
    """SSD cannot tell an IHA from an RHA: the mapping infers the IHA as the first assessment of the period of
    care. The rows where that differs from the sample are counted (assessments before care began, which
    the sample records as either, and the assessment after one of those), not forced equal."""
    sample = _as_person(trip.rows("SELECT CHILD, CHECK_TYPE, CHECK_DATE, STATUS FROM s_health_checks"))
    mapped = Counter(trip.rows("SELECT CHILD, CHECK_TYPE, CHECK_DATE, STATUS FROM ssd_out_health_checks"))
    differ = sum((sample - mapped).values())
    print(f"seed {trip.seed}: {differ} of {sum(sample.values())} health checks have another IHA/RHA type "
          "after inference")
    assert differ < 0.05 * sum(sample.values())


def test_round_trip_allocations(trip: Trip) -> None:
    """All columns; WORKER_ID and TEAM come back as SSD's professional and team ids, one for one."""
    sample = _as_person(trip.rows("SELECT CHILD, ROLE, WORKER_ID, TEAM, START_DATE, END_DATE FROM s_allocations"))
    mapped = Counter(trip.rows("SELECT CHILD, ROLE, WORKER_ID, TEAM, START_DATE, END_DATE FROM ssd_out_allocations"))
    by_key = {(r[0], r[1], r[4]): r for r in mapped}
    workers: dict[str, set[str]] = {}
    teams: dict[str, set[str]] = {}
    for r in sample:
        got = by_key.get((r[0], r[1], r[4]))
        if got:
            workers.setdefault(r[2], set()).add(got[2])
            teams.setdefault(r[3], set()).add(got[3])
    for name, pairs in (("WORKER_ID", workers), ("TEAM", teams)):
        assert all(len(v) == 1 for v in pairs.values()), f"{name}: one sample value, several SSD values"
        images = [next(iter(v)) for v in pairs.values()]
        assert len(images) == len(set(images)), f"{name}: two sample values, one SSD value"
    worker = {k: next(iter(v)) for k, v in workers.items()}
    team = {k: next(iter(v)) for k, v in teams.items()}
    translated = Counter({(r[0], r[1], worker.get(r[2]), team.get(r[3]), r[4], r[5]): n for r, n in sample.items()})
    _same("allocations", translated, mapped)
    # social-worker episodes come from the same involvements (CW), with the reason for the change
    sw = _as_person(trip.rows("""
        SELECT CHILD, 'W' || substr(SW_ID, 3), SW_DECOM, SW_DEC, SW_REASON FROM s_sw_episodes  -- SW0006 is W0006
        UNION ALL  -- the sample gives children on short breaks only an allocation, SSD cannot tell them apart
        SELECT CHILD, WORKER_ID, START_DATE, END_DATE, NULL FROM s_allocations
        WHERE ROLE = 'SW' AND CHILD NOT IN (SELECT CHILD FROM s_sw_episodes)
          AND CHILD IN (SELECT CHILD FROM s_episodes GROUP BY CHILD HAVING bool_and(LS IN ('V3', 'V4')))"""))
    _same("sw_episodes", Counter({(r[0], worker.get(r[1]), *r[2:]): n for r, n in sw.items()}),
          Counter(trip.rows("SELECT CHILD, SW_ID, SW_DECOM, SW_DEC, SW_REASON FROM ssd_out_sw_episodes")))


# ---------------------------------------------------------------- what the mapping must leave out
def test_people_never_looked_after_are_left_out(trip: Trip) -> None:
    """SSD holds every child known to children's services; the mapping's cohort keeps the looked after."""
    people = {r[0] for r in trip.rows("SELECT pers_person_id FROM ssd_person")}
    children = {person_id(r[0]) for r in trip.rows("SELECT CHILD FROM s_header")}
    others = people - children
    assert len(others) >= 0.25 * len(children)
    assert {r[0] for r in trip.rows("SELECT PID FROM ssd_people")} == children
    assert not others & {r[0] for r in trip.rows("SELECT clae_person_id FROM ssd_cla_episodes")}
    assert not others & {r[0] for r in trip.rows("SELECT clea_person_id FROM ssd_care_leavers")}
    # they have rows elsewhere, which must not reach any table
    for table, column in (("ssd_involvements", "invo_person_id"), ("ssd_missing", "miss_person_id"),
                          ("ssd_legal_status", "lega_person_id")):
        assert others & {r[0] for r in trip.rows(f"SELECT {column} FROM {table}")}, table
    for name in [*ROUND_TRIP, "episodes", "allocations", "sw_episodes"]:
        assert not others & {r[0] for r in trip.rows(f"SELECT CHILD FROM ssd_out_{name}")}, name


def _read(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_ssd_files_have_systemc_quirks(trip: Trip) -> None:
    """What a SystemC extract looks like, and the mapping must cope with."""
    ssd = trip.ssd
    codes = set(lookups.TARGETS["lega_legal_status"])
    legal = [r["lega_legal_status"] for r in _read(ssd, "ssd_legal_status")]
    assert legal and not codes & set(legal), "legal status as descriptions, never codes"
    assert {"Care Order Sec. 31(a)", "Interim care order Sec. 38(1)"} <= set(legal)
    assert set(legal) & set(ANNEX_A_LEGAL_STATUS) and "Special guardianship order" in legal
    assert "Supervision order" in legal or "Child arrangements order" in legal
    person = _read(ssd, "ssd_person")
    assert any(not r["pers_dob"] and r["pers_expected_dob"] for r in person), "an estimated date of birth"
    assert {r["pers_is_mother"] for r in person} <= {"Y", ""}, "SystemC writes Y or nothing"
    assert {r["csdq_sdq_reason"] for r in _read(ssd, "ssd_sdq_scores")} == {"SSD_PH"}
    permanence = _read(ssd, "ssd_permanence")
    assert {r["perm_placed_foster_carer_date"] for r in permanence} == {"1900-01-01 00:00:00.000"}
    legacy = {r["pers_legacy_id"] for r in person}
    assert permanence and {r["perm_person_id"] for r in permanence} <= legacy, "perm_person_id holds the legacy id"
    assert "1900-01-01 00:00:00.000" in {r["clea_pathway_plan_review_date"] for r in _read(ssd, "ssd_care_leavers")}
    reviews = _read(ssd, "ssd_cla_reviews")
    assert {r["clar_cla_review_cancelled"] for r in reviews} == {"Y", "N"}
    assert {r["clah_health_check_type"] for r in _read(ssd, "ssd_cla_health")} >= {
        "Health Assessment", "Dental Check", "Optician check", "Health Check"}
    assert "Planned" in {r["clah_health_check_status"] for r in _read(ssd, "ssd_cla_health")}
    assert {r["invo_professional_role_id"] for r in _read(ssd, "ssd_involvements")} >= {"CW", "IRO", "16PLUS"}
    visits = Counter((r["clav_person_id"], r["clav_cla_visit_date"]) for r in _read(ssd, "ssd_cla_visits"))
    assert max(visits.values()) == 2, "a visit recorded in two case notes"
    # datetimes as SQL Server writes them; missing episodes keep the time of day
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}")
    for table in ("ssd_person", "ssd_cla_episodes", "ssd_cla_reviews", "ssd_missing"):
        for r in _read(ssd, table):
            assert all(stamp.fullmatch(v) for k, v in r.items() if k.endswith(("_date", "_dob")) and v), table
    assert any(not r["miss_missing_episode_start_date"].endswith("00:00:00.000") for r in _read(ssd, "ssd_missing"))


def test_identifying_columns_never_reach_the_extract(trip: Trip, tmp_path: Path) -> None:
    """The SSD files hold (synthetic) names, NHS numbers, UPNs, full postcodes and workers' names, as the real
    tables do; ``from_ssd`` writes none of them."""
    from careplan_checks.ssd import from_ssd

    key = tmp_path / "key"
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o600)
    out = tmp_path / "extract"
    result = from_ssd(trip.ssd, out, key, as_of=DEFAULT_AS_OF)
    assert result.rows["header"] == CHILDREN
    secrets = set()
    for r in _read(trip.ssd, "ssd_person"):
        secrets |= {r["pers_surname"], r["pers_single_unique_id"], r["pers_upn"], r["pers_legacy_id"]}
    secrets |= {r["clap_cla_placement_postcode"] for r in _read(trip.ssd, "ssd_cla_placement")}
    secrets |= {r["prof_professional_name"] for r in _read(trip.ssd, "ssd_professionals")}
    secrets.discard("")
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.csv"))
    leaked = sorted(s for s in secrets if s in text)
    assert not leaked, f"identifying values in the extract: {leaked[:5]}"


# ---------------------------------------------------------------- determinism
def test_a_seed_gives_the_same_files(trip: Trip, tmp_path: Path) -> None:
    counts = write_ssd(trip.extract, tmp_path / "again", trip.seed)
    assert counts["ssd_person"] == round(1.3 * CHILDREN)
    for table in SSD_COLUMNS:
        assert (tmp_path / "again" / f"{table}.csv").read_bytes() == (trip.ssd / f"{table}.csv").read_bytes(), table
    write_ssd(trip.extract, tmp_path / "other", trip.seed + 100)
    assert (tmp_path / "other" / "ssd_person.csv").read_bytes() != (trip.ssd / "ssd_person.csv").read_bytes()


def test_person_id() -> None:
    assert person_id("C01000123") == "1000123"
    assert person_id("C00000000") == "0"
    assert dt.date(2025, 3, 31) == DEFAULT_AS_OF  # the SDQ year the sample's OC2 uses
