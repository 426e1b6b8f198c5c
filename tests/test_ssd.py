"""From the Standard Safeguarding Dataset: the folder and database routes, lookups, and the same answer.

The sample generator writes the same synthetic children twice: as an extract and as SSD tables in
SystemC's shape (descriptions for codes, placeholders, estimated dates of birth, every child known to
children's services). ``from-ssd`` must turn the second into an extract whose run gives, rule by rule,
the exceptions of the first for every rule SSD can feed, with every child under its pseudonym.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import REPO

from careplan_checks.anonymise import install_pseudonym, read_key
from careplan_checks.engine import evaluate, prepare_database
from careplan_checks.load import load_extract
from careplan_checks.rules import load_rules
from careplan_checks.sample import DEFAULT_AS_OF, generate, read_answer_key
from careplan_checks.sample.ssd import person_id
from careplan_checks.ssd import REPORT_DIR, from_ssd
from careplan_checks.ssd.report import rule_coverage

RULES = load_rules(REPO / "rules")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(extract, ssd folder, key file) for 400 children."""
    root = tmp_path_factory.mktemp("ssd-sample")
    generate(root / "extract", children=400, seed=3, ssd=root / "ssd")
    key = root / "key"
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o600)
    return root / "extract", root / "ssd", key


@pytest.fixture(scope="module")
def converted(sample: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory):
    _, ssd, key = sample
    out = tmp_path_factory.mktemp("ssd-out") / "extract"
    result = from_ssd(ssd, out, key, as_of=DEFAULT_AS_OF)
    return out, result


def _run(folder: Path) -> dict[str, tuple[str, set]]:
    con, report = load_extract(folder)
    prepare_database(con)
    results = evaluate(con, RULES, DEFAULT_AS_OF, present={f.table for f in report.files},
                       absent_columns={f.table: f.columns_absent for f in report.files if f.columns_absent})
    rows = con.execute("SELECT RULE_ID, CHILD, EVENT_DATE, EVENT_KEY FROM _exceptions").fetchall()
    return {r.rule.id: (r.status, {x[1:] for x in rows if x[0] == r.rule.id}) for r in results}


def _pseudonyms(key_file: Path, children: set[str]) -> dict[str, str]:
    con = duckdb.connect()
    install_pseudonym(con, read_key(key_file))
    ids = sorted(children)
    got = con.execute("SELECT c, pseudonym(p) FROM (SELECT unnest($1) AS c, unnest($2) AS p)",
                      [ids, [person_id(c) for c in ids]]).fetchall()
    return dict(got)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_ssd_route_gives_the_direct_answer_rule_by_rule(sample, converted):
    extract, _, key = sample
    out, result = converted
    direct, via_ssd = _run(extract), _run(out)
    coverage = {r[0]: r for r in rule_coverage(result)}
    children = {c for _, items in direct.values() for c, _, _ in items}
    name = _pseudonyms(key, children)
    want_key = read_answer_key(extract)
    exact = [rid for rid, r in coverage.items() if r[2] == "runs"]
    assert len(exact) >= 10, exact
    for rid in exact:
        status, got = via_ssd[rid]
        assert status == "ran", (rid, status)
        want = {(name[c], d, k) for c, d, k in direct[rid][1]}
        assert got == want, f"{rid}: missed {sorted(want - got)[:3]}, extra {sorted(got - want)[:3]}"
        # and so the answer key holds through the SSD route
        assert got == {(name[c], d, k) for r, c, d, k in want_key if r == rid}, rid
    for rid, (_, _, status, why) in coverage.items():
        if status == "not run":
            assert via_ssd[rid][0] == "not run", (rid, via_ssd[rid][0])
            assert why, rid
        else:
            assert via_ssd[rid][0] == "ran", (rid, via_ssd[rid][0])
    # Each rule that runs with a caveat differs from the direct run only as its caveat says.
    caveats = {rid for rid, r in coverage.items() if r[2] == "runs, with a caveat"}
    assert caveats == {"DQ-02", "QI-02", "HLTH-01", "HLTH-02", "VIS-02"}, caveats
    lacking = {"health_record_access", "placement_views", "care_plan_review_requests", "leaving_care"}
    for rid in caveats:
        want = {(name[c], d, k) for c, d, k in direct[rid][1]}
        got = via_ssd[rid][1]
        if rid == "DQ-02":  # its findings in tables SSD does not have
            assert got <= want and {k for _, _, k in want - got} <= lacking, want - got
        elif rid == "QI-02":  # SSD has one date of birth per person: no table can disagree with the header
            assert got <= want and all(k.startswith("DOB:") for _, _, k in want - got), want - got
        elif rid == "VIS-02":  # without placement plans a placement is "until 18" only when its type says so
            assert want <= got
    assert {rid for rid in caveats if via_ssd[rid][1] != {(name[c], d, k) for c, d, k in direct[rid][1]}} >= {
        "DQ-02", "QI-02", "VIS-02"}


def test_the_extract_passes_validate_and_holds_nothing_identifying(sample, converted, cli):
    _, ssd, _ = sample
    out, _ = converted
    res = cli("validate", str(out))
    assert res.exit_code == 0, res.output
    written = "\n".join(p.read_text(encoding="utf-8") for p in out.glob("*.csv"))
    people = _csv(ssd / "ssd_person.csv")
    secrets = {v for p in people for k in ("pers_forename", "pers_surname", "pers_upn", "pers_single_unique_id",
                                           "pers_person_id", "pers_legacy_id") if (v := p[k]) and len(v) > 3}
    assert secrets and not [s for s in secrets if s in written]
    postcodes = {p["clap_cla_placement_postcode"] for p in _csv(ssd / "ssd_cla_placement.csv")}
    assert not [p for p in postcodes if p and p in written]
    assert (out / "header.csv").stat().st_mode & 0o077 == 0


def test_only_the_looked_after_cohort_is_kept(sample, converted):
    extract, _, _ = sample
    out, result = converted
    assert result.people > result.cohort == len(_csv(out / "header.csv")) == len(_csv(extract / "header.csv"))


def test_parquet_folder_gives_the_same_files(sample, converted, tmp_path: Path):
    _, ssd, key = sample
    out, _ = converted
    pq = tmp_path / "pq"
    pq.mkdir()
    con = duckdb.connect()
    for f in ssd.glob("ssd_*.csv"):
        con.execute(f"COPY (SELECT * FROM read_csv('{f}', all_varchar=true)) TO '{pq / (f.stem + '.parquet')}' "
                    "(FORMAT parquet)")
    from_ssd(pq, tmp_path / "extract", key, as_of=DEFAULT_AS_OF)
    for f in sorted(out.glob("*.csv")):
        assert (tmp_path / "extract" / f.name).read_bytes() == f.read_bytes(), f.name


def test_postgresql_route_gives_the_same_files(sample, converted, postgres_server, tmp_path: Path):
    from postgres import load_folder, make_readonly_user

    _, ssd, key = sample
    out, _ = converted
    load_folder(postgres_server.url, ssd, "ssd_development")
    reader = make_readonly_user(postgres_server.url, "ssd_development")
    from_ssd(reader, tmp_path / "extract", key, as_of=DEFAULT_AS_OF)
    for f in sorted(out.glob("*.csv")):
        assert (tmp_path / "extract" / f.name).read_bytes() == f.read_bytes(), f.name
    report = (tmp_path / "extract" / REPORT_DIR / "summary.md").read_text()
    assert "postgresql://" in report and "password" not in report


def test_a_description_with_no_code_is_left_empty_and_listed(sample, tmp_path: Path):
    _, ssd, key = sample
    copy = tmp_path / "ssd"
    shutil.copytree(ssd, copy)
    path = copy / "ssd_cla_reviews.csv"
    rows = _csv(path)
    changed = [r for r in rows if r["clar_cla_review_participation"] and r["clar_cla_review_cancelled"] == "N"][:7]
    for r in changed:
        r["clar_cla_review_participation"] = "Child joined by video link"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "extract"
    result = from_ssd(copy, out, key, as_of=DEFAULT_AS_OF)
    listed = _csv(out / REPORT_DIR / "unmapped_values.csv")
    assert {"TABLE": "reviews", "COLUMN": "REVIEW_CODE", "VALUE": "Child joined by video link",
            "ROWS": str(len(changed))} in listed
    assert result.unmapped >= 1
    reviews = _csv(out / "reviews.csv")
    empty = sum(1 for r in reviews if not r["REVIEW_CODE"])
    assert empty >= len(changed)
    assert "CHILD JOINED" not in (out / "reviews.csv").read_text().upper()
    # the authority's lookups file gives it a code, and the value is no longer listed
    own = tmp_path / "lookups.yml"
    own.write_text("clar_cla_review_participation:\n  Child joined by video link: PN1\n")
    from_ssd(copy, out, key, lookup_file=own, as_of=DEFAULT_AS_OF)
    assert not [r for r in _csv(out / REPORT_DIR / "unmapped_values.csv") if r["VALUE"].startswith("Child joined")]
    assert sum(1 for r in _csv(out / "reviews.csv") if not r["REVIEW_CODE"]) == empty - len(changed)


def test_a_wrong_code_in_a_lookups_file_is_refused(sample, tmp_path: Path, cli):
    _, ssd, key = sample
    own = tmp_path / "lookups.yml"
    own.write_text("lega_legal_status:\n  Interim care order: C9\nnot_a_column:\n  x: y\n")
    res = cli("from-ssd", str(ssd), str(tmp_path / "out"), "--key-file", str(key), "--lookups", str(own))
    assert res.exit_code == 2
    assert "'C9' is not a code" in res.output and "not_a_column" in res.output
    assert not (tmp_path / "out").exists()


def test_reviews_reach_the_child_through_the_period_of_care_when_ssd_has_no_person_column(sample, converted,
                                                                                           tmp_path: Path):
    """Eclipse's ssd_cla_reviews has no clar_cla_person_id."""
    _, ssd, key = sample
    out, _ = converted
    copy = tmp_path / "ssd"
    shutil.copytree(ssd, copy)
    con = duckdb.connect()
    path = copy / "ssd_cla_reviews.csv"
    con.execute(f"COPY (SELECT * EXCLUDE (clar_cla_person_id) FROM read_csv('{path}', all_varchar=true)) "
                f"TO '{path}' (FORMAT csv, HEADER)")
    from_ssd(copy, tmp_path / "extract", key, as_of=DEFAULT_AS_OF)
    assert (tmp_path / "extract" / "reviews.csv").read_bytes() == (out / "reviews.csv").read_bytes()
    report = (tmp_path / "extract" / REPORT_DIR / "summary.md").read_text()
    assert "ssd_cla_reviews.clar_cla_person_id" in report


def test_the_report_says_what_ssd_cannot_supply(converted):
    out, _ = converted
    missing = {(r["TABLE"], r["COLUMN"]) for r in _csv(out / REPORT_DIR / "not_supplied.csv")}
    assert {("peps", "(whole table)"), ("care_plans", "HEALTH_PLAN"), ("oc2", "SDQ_REASON")} <= missing
    rules = {r["RULE_ID"]: r for r in _csv(out / REPORT_DIR / "rules.csv")}
    assert rules["EDU-01"]["FROM_SSD"] == "not run" and "peps" in rules["EDU-01"]["WHY"]
    assert rules["CP-02"]["FROM_SSD"] == "not run" and "HEALTH_PLAN" in rules["CP-02"]["WHY"]
    assert rules["REV-01"]["FROM_SSD"] == "runs"
    assert "IHA and RHA inferred" in rules["HLTH-01"]["WHY"]
    # SystemC's placeholder SDQ reason is not written as an empty column HLTH-03 would read as missing
    assert "SDQ_REASON" not in (out / "oc2.csv").read_text().splitlines()[0]


def test_an_output_folder_that_holds_other_files_is_refused(sample, tmp_path: Path, cli):
    _, ssd, key = sample
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    res = cli("from-ssd", str(ssd), str(tmp_path / "mine"), "--key-file", str(key))
    assert res.exit_code == 2 and "was not written by from-ssd" in res.output
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_the_cli_writes_the_extract_and_run_reads_it(sample, tmp_path: Path, cli):
    _, ssd, key = sample
    out = tmp_path / "extract"
    res = cli("from-ssd", str(ssd), str(out), "--key-file", str(key), "--as-of", DEFAULT_AS_OF.isoformat())
    assert res.exit_code == 0, res.output
    assert "header:" in res.output and "mapping report" in res.output
    res = cli("run", str(out), "--as-of", DEFAULT_AS_OF.isoformat(), "--out", str(tmp_path / "report"),
              "--db", str(tmp_path / "h.duckdb"), "--no-quality")
    assert res.exit_code in (0, 1), res.output
    assert "not run" in res.output


def test_a_missing_person_table_is_a_clear_error(tmp_path: Path, cli):
    (tmp_path / "ssd").mkdir()
    (tmp_path / "ssd" / "ssd_cla_episodes.csv").write_text("clae_person_id\n1\n")
    res = cli("from-ssd", str(tmp_path / "ssd"), str(tmp_path / "out"), "--key-file", str(tmp_path / "k"))
    assert res.exit_code == 2 and "has no ssd_person table" in res.output
    assert "Traceback" not in res.output


def test_dates_and_placeholders_as_ssms_writes_them(tmp_path: Path):
    ssd = tmp_path / "ssd"
    ssd.mkdir()
    (ssd / "ssd_person.csv").write_text(
        "pers_person_id,pers_sex,pers_dob,pers_expected_dob,pers_ethnicity,pers_upn_unknown\n"
        "7,Female,NULL,2015-06-02 00:00:00.000,A1,SSD_PH\n")
    (ssd / "ssd_cla_episodes.csv").write_text(
        "clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_cla_episode_start_reason,"
        "clae_cla_primary_need_code,clae_cla_episode_ceased_date\n"
        "1,7,01/02/2024 00:00,Started to be looked after,N1,1900-01-01 00:00:00.000\n")
    key = tmp_path / "k"
    from_ssd(ssd, tmp_path / "out", key, as_of=dt.date(2025, 3, 31))
    header = _csv(tmp_path / "out" / "header.csv")[0]
    assert (header["SEX"], header["DOB"], header["ETHNIC"], header["UPN"]) == ("F", "2015-06-02", "WBRI", "")
    episode = _csv(tmp_path / "out" / "episodes.csv")[0]
    assert (episode["DECOM"], episode["DEC"], episode["RNE"]) == ("2024-02-01", "", "S")


def test_the_readme_table_of_rules_says_what_the_report_says(converted):
    import re

    _, result = converted
    coverage = {r[0]: r[2] for r in rule_coverage(result)}
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("Which rules SSD can feed"):text.index("To try it:")]
    rows = {"runs, the same answer as a full extract": "runs", "runs, with a caveat": "runs, with a caveat",
            "not run": "not run"}
    said: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 2 and cells[0] in rows:
            ids = re.findall(r"\b[A-Z]+-\d{2}\b", cells[1])
            ids += [f"LEAVE-0{n}" for a, b in re.findall(r"LEAVE-0(\d) to LEAVE-0(\d)", cells[1])
                    for n in range(int(a), int(b) + 1)]
            said.update(dict.fromkeys(ids, rows[cells[0]]))
    assert said == coverage


def test_a_supplement_table_put_beside_the_extract_is_kept_and_read(sample, tmp_path: Path):
    """What SSD cannot supply (PEPs) comes from a supplement file the authority adds: from-ssd keeps it."""
    extract, ssd, key = sample
    out = tmp_path / "extract"
    from_ssd(ssd, out, key, as_of=DEFAULT_AS_OF)
    assert _run(out)["EDU-01"][0] == "not run"
    name = _pseudonyms(key, {r["CHILD"] for r in _csv(extract / "header.csv")})
    con = duckdb.connect()
    con.execute("CREATE TABLE m (C VARCHAR, P VARCHAR)")
    con.executemany("INSERT INTO m VALUES (?, ?)", list(name.items()))
    con.execute(f"""COPY (SELECT m.P AS CHILD, p.* EXCLUDE (CHILD) FROM read_csv('{extract / "peps.csv"}',
        all_varchar=true) p JOIN m ON m.C = p.CHILD) TO '{out / "peps.csv"}' (FORMAT csv, HEADER)""")
    from_ssd(ssd, out, key, as_of=DEFAULT_AS_OF)  # the next night
    assert (out / "peps.csv").exists()
    status, got = _run(out)["EDU-01"]
    direct = _run(extract)["EDU-01"][1]
    assert status == "ran" and got == {(name[c], d, k) for c, d, k in direct}
