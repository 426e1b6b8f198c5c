"""Every rule gives the same answer whatever the row order of the tables and whatever the pseudonyms.

An extract's rows come in whatever order the case-management system writes them, and a child's
pseudonym changes with the authority's key, so neither may change a result: a window, a
``DISTINCT ON``, an ``arg_max`` that picks one of several tied rows by their order would. Each
example renames every child by a random bijection onto fresh pseudonyms (the same in every
table), shuffles every table's rows (so the source lines, ``_LINE``, change with them), runs the
whole pack on a fresh in-memory database and requires, rule by rule, the same population and
exceptions as on the data as given, mapped back to the original children.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import duckdb
import pyarrow as pa
from conftest import REPO, SAMPLE, new_pseudonyms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplan_checks.contract import TABLES, TABLES_BY_NAME
from careplan_checks.engine import evaluate, prepare_database
from careplan_checks.load import load_extract
from careplan_checks.rules import load_rules
from careplan_checks.sample import DEFAULT_AS_OF

RULES = load_rules(REPO / "rules")
AS_OF = DEFAULT_AS_OF

#: Each table's rows, as tuples of the contract's columns in order (without ``_LINE``).
Rows = dict[str, list[tuple[Any, ...]]]
Outcome = dict[str, tuple[Any, ...]]

PSEUDONYM = st.text(alphabet="0123456789ABCXYZabz_-", min_size=1, max_size=10)


def _arrow(table: str, rows: list[tuple[Any, ...]]) -> pa.Table:
    t = TABLES_BY_NAME[table]
    types = {"DATE": pa.date32(), "INTEGER": pa.int32(), "VARCHAR": pa.string()}
    columns = {c.name: pa.array([r[i] for r in rows], type=types[c.sql_type]) for i, c in enumerate(t.columns)}
    columns["_LINE"] = pa.array(range(2, len(rows) + 2), type=pa.int32())  # the row's line in the file
    return pa.table(columns)


def load(rows: Rows) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database holding ``rows``, in the order given (``_LINE`` numbers them)."""
    con = duckdb.connect(":memory:")
    prepare_database(con)
    for table, data in rows.items():
        if data:
            con.register("_src", _arrow(table, data))
            con.execute(f'INSERT INTO "{table}" SELECT * FROM _src')
            con.unregister("_src")
    return con


def run_pack(rows: Rows, present: set[str] | None) -> Outcome:
    """Every rule on a fresh database of ``rows`` (``evaluate`` locks the connection down, so one each time).

    Per rule: (status, message, population, exceptions, the population's keys, the exceptions' rows)."""
    con = load(rows)
    results = evaluate(con, RULES, AS_OF, present=present)
    pops: dict[str, set] = {}
    for rule_id, *key in con.execute("SELECT RULE_ID, CHILD, EVENT_DATE, EVENT_KEY FROM _populations").fetchall():
        pops.setdefault(rule_id, set()).add(tuple(key))
    excs: dict[str, set] = {}
    for rule_id, *row in con.execute("""SELECT RULE_ID, CHILD, EVENT_DATE, EVENT_KEY, DUE_DATE, DONE_DATE,
                                          DAYS_OVERDUE, DETAIL FROM _exceptions""").fetchall():
        excs.setdefault(rule_id, set()).add(tuple(row))
    con.close()
    return {r.rule.id: (r.status, r.message, r.population, r.exceptions,
                        frozenset(pops.get(r.rule.id, ())), frozenset(excs.get(r.rule.id, ()))) for r in results}


def children_of(rows: Rows) -> list[str]:
    return sorted({r[TABLES_BY_NAME[t].column_names.index("CHILD")] for t, data in rows.items() for r in data})


def transform(rows: Rows, rename: dict[str, str], order: Callable[[str, list], list]) -> Rows:
    """Every CHILD renamed by ``rename``, and each table's rows put in the order ``order`` gives."""
    out: Rows = {}
    for table, data in rows.items():
        names = TABLES_BY_NAME[table].column_names
        ids = [i for i, c in enumerate(names) if c in ("CHILD", "SIBLING")]  # SIBLING names another CHILD
        out[table] = order(table, [tuple(rename.get(v, v) if i in ids else v for i, v in enumerate(r))
                                   for r in data])
    return out


#: Rules whose EVENT_KEY is the looked-after brother or sister (siblings.SIBLING).
SIBLING_KEYED = {"PLACE-11", "CP-09"}


def rename_back(outcome: Outcome, rename: dict[str, str]) -> Outcome:
    back = {new: old for old, new in rename.items()}
    assert len(back) == len(rename)

    def undo(rule_id: str, v: object) -> object:
        """A sibling rule's EVENT_KEY and DETAIL name the brother or sister: their name back too."""
        if rule_id not in SIBLING_KEYED or not isinstance(v, str):
            return v
        if v in back:
            return back[v]
        return re.sub(r"(brother or sister \()(\w+)\)", lambda m: f"{m[1]}{back.get(m[2], m[2])})", v)

    return {rule_id: (status, message, n_pop, n_exc,
                      frozenset((back[c], *(undo(rule_id, v) for v in rest)) for c, *rest in pops),
                      frozenset((back[c], *(undo(rule_id, v) for v in rest)) for c, *rest in excs))
            for rule_id, (status, message, n_pop, n_exc, pops, excs) in outcome.items()}


def assert_same(want: Outcome, got: Outcome) -> None:
    differ = []
    for rule_id, (status, message, n_pop, n_exc, pops, excs) in want.items():
        g_status, g_message, g_pop, g_exc, g_pops, g_excs = got[rule_id]
        if (status, message) != (g_status, g_message):
            differ.append(f"{rule_id}: {status} {message!r} became {g_status} {g_message!r}")
        if (n_pop, n_exc) != (g_pop, g_exc):
            differ.append(f"{rule_id}: population {n_pop} -> {g_pop}, exceptions {n_exc} -> {g_exc}")
        if pops != g_pops:
            differ.append(f"{rule_id}: population lost {sorted(pops - g_pops, key=str)[:3]}, "
                          f"gained {sorted(g_pops - pops, key=str)[:3]}")
        if excs != g_excs:
            differ.append(f"{rule_id}: exceptions lost {sorted(excs - g_excs, key=str)[:3]}, "
                          f"gained {sorted(g_excs - excs, key=str)[:3]}")
    assert not differ, "the result depends on row order or pseudonyms:\n" + "\n".join(differ)


# --- (a) the built-in sample extract -------------------------------------------------------------

@cache
def sample() -> tuple[Rows, frozenset[str], Outcome]:
    con, report = load_extract(SAMPLE)
    present = frozenset(f.table for f in report.files)
    rows = {t.name: con.execute(f'SELECT {", ".join(t.column_names)} FROM "{t.name}" ORDER BY _LINE').fetchall()
            for t in TABLES if t.name in present}
    con.close()
    baseline = run_pack(rows, set(present))
    assert all(v[0] == "ran" for v in baseline.values()), {k: v[:2] for k, v in baseline.items() if v[0] != "ran"}
    return rows, present, baseline


@settings(max_examples=5, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_sample_extract_is_independent_of_row_order_and_pseudonyms(seed: int):
    rows, present, baseline = sample()
    rnd = random.Random(seed)
    children = children_of(rows)
    rename = new_pseudonyms(children, rnd)

    def shuffled(_table: str, data: list) -> list:
        data = list(data)
        rnd.shuffle(data)
        return data

    got = run_pack(transform(rows, rename, shuffled), set(present))
    assert_same(baseline, rename_back(got, rename))


# --- (b) a small extract full of ties and overlaps -----------------------------------------------

def _rows(table: str, *records: dict[str, Any]) -> list[tuple[Any, ...]]:
    t = TABLES_BY_NAME[table]
    assert all(set(r) <= set(t.column_names) for r in records), table
    return [tuple(dt.date.fromisoformat(v) if t.column(c).kind == "date" and v else v
                  for c, v in ((c, r.get(c)) for c in t.column_names)) for r in records]


def _ep(child: str, decom: str, rne: str, place: str, dec: str | None = None, rec: str | None = None,
        reason: str | None = None, ls: str = "C2", cin: str = "N1") -> dict[str, Any]:
    return {"CHILD": child, "DECOM": decom, "RNE": rne, "LS": ls, "CIN": cin, "PLACE": place, "DEC": dec,
            "REC": rec, "REASON_PLACE_CHANGE": reason}


TIES: Rows = {
    "header": _rows(
        "header",
        {"CHILD": "K1", "SEX": "F", "DOB": "2021-03-01"},  # under 5: overlapping episodes
        {"CHILD": "K2", "SEX": "M", "DOB": "2008-06-15"},  # 16: an episode overlapping the start of a period
        {"CHILD": "K3", "SEX": "F", "DOB": "2020-09-01"},  # under 5: episodes starting on the same day
        {"CHILD": "K4", "SEX": "M", "DOB": "2012-02-02"},  # at home on an interim care order, DECOM tie
        {"CHILD": "K5", "SEX": "F", "DOB": "2004-05-05"},  # care leaver: OC3 only
        {"CHILD": "K6", "SEX": "M", "DOB": "2010-10-10"},  # in the header only
        {"CHILD": "K7", "SEX": "F", "DOB": "2005-01-01"},  # care leaver: leaving-care rows only
        {"CHILD": "K8", "SEX": "M", "DOB": "2007-11-20"},  # 17: two periods starting on the same day
        {"CHILD": "K3", "SEX": "F", "DOB": "2018-09-01"},  # repeated in the header with another date of birth
    ),
    "episodes": _rows(
        "episodes",
        _ep("K1", "2023-06-01", "S", "U4", "2024-08-01", "X1", "CARPL"),
        _ep("K1", "2024-05-01", "P", "U6", "2024-11-01", "X1", "CHILD"),  # overlaps the one before
        _ep("K1", "2024-11-01", "P", "U5"),
        _ep("K2", "2023-09-01", "S", "U4", "2024-02-01", "E4A"),
        _ep("K2", "2024-02-20", "P", "U6", "2024-03-10", "X1", "CARPL"),  # overlaps the start of the next period
        _ep("K2", "2024-03-01", "S", "U4", "2024-10-01", "X1", "ALLEG"),
        _ep("K2", "2024-10-01", "P", "U1", cin="N2"),
        _ep("K3", "2024-01-01", "S", "U4", "2024-05-01", "X1", "CARPL"),
        _ep("K3", "2024-05-01", "P", "U6", "2024-05-01", "X1", "PLACE"),  # two episodes start on 1 May
        _ep("K3", "2024-05-01", "P", "U5", "2024-09-01", "X1", "CREQO"),
        _ep("K3", "2024-09-01", "P", "A3", "2024-12-01", "X1", "CARPL"),
        _ep("K3", "2024-12-01", "P", "U6", "2025-01-10", "X1", "OTHER"),
        _ep("K3", "2024-12-01", "P", "U4", reason="CHILD"),
        _ep("K4", "2024-02-01", "S", "P1", "2024-07-01", "E4A", ls="C1"),
        _ep("K4", "2024-02-01", "P", "P1", ls="C1"),  # same start, one open
        _ep("K4", "2024-07-01", "L", "P1"),
        _ep("K8", "2022-01-10", "S", "U4", "2023-05-01", "X1", "CARPL"),
        _ep("K8", "2023-05-01", "S", "U6", "2024-12-01", "E4A"),  # a new period on the day the last ended
        _ep("K8", "2023-05-01", "P", "U5", "2024-02-01", "X1", "CHILD"),
    ),
    "reviews": _rows(
        "reviews",
        *({"CHILD": c, "REVIEW": d, "REVIEW_CODE": code} for c, d, code in [
            ("K1", "2023-06-20", "PN0"), ("K1", "2023-09-15", "PN0"), ("K1", "2023-09-15", "PN1"),
            ("K1", "2024-03-10", "PN0"), ("K1", "2024-05-20", "PN0"), ("K1", "2024-05-20", None),
            ("K1", "2024-11-15", "PN0"),
            ("K2", "2024-03-20", "PN1"), ("K2", "2024-03-20", "PN2"), ("K2", "2024-09-01", "PN1"),
            ("K3", "2024-01-25", "PN0"), ("K3", "2024-04-20", "PN0"), ("K3", "2024-04-20", "PN0"),
            ("K4", "2024-02-25", "PN1"), ("K4", "2024-02-25", "PN3"), ("K4", "2024-06-01", "PN1"),
            ("K8", "2023-05-20", "PN1"), ("K8", "2023-05-20", "PN2"), ("K8", "2023-08-01", "PN1"),
        ]),
    ),
    "visits": _rows(
        "visits",
        *({"CHILD": c, "VISIT_DATE": d, "SEEN": seen, "SEEN_ALONE": alone} for c, d, seen, alone in [
            ("K1", "2024-05-03", "Y", "N"), ("K1", "2024-05-03", "Y", "Y"), ("K1", "2024-06-10", "Y", "N"),
            ("K1", "2024-11-04", "Y", None), ("K1", "2024-11-04", "N", None), ("K1", "2025-01-20", "Y", "Y"),
            ("K2", "2024-03-05", "Y", "Y"), ("K2", "2024-03-05", "Y", "N"), ("K2", "2024-10-02", "Y", "Y"),
            ("K3", "2024-05-02", "Y", "N"), ("K3", "2024-05-02", "Y", "Y"), ("K3", "2024-12-02", "Y", "N"),
            ("K3", "2024-12-02", "Y", None),
            ("K4", "2024-02-05", "Y", "N"), ("K4", "2024-02-05", "Y", "Y"), ("K4", "2024-02-12", "Y", "N"),
            ("K4", "2024-03-01", "Y", "Y"), ("K4", "2024-07-02", "Y", "Y"),
            ("K8", "2023-05-03", "Y", "N"), ("K8", "2023-05-03", "Y", "Y"),
        ]),
    ),
    "health_checks": _rows(
        "health_checks",
        *({"CHILD": c, "CHECK_TYPE": t, "CHECK_DATE": d, "STATUS": s} for c, t, d, s in [
            ("K1", "IHA", "2023-06-20", "COMPLETED"), ("K1", "IHA", "2023-12-01", "COMPLETED"),
            ("K1", "RHA", "2023-12-01", "REFUSED"), ("K1", "RHA", "2024-05-02", "COMPLETED"),
            ("K3", "IHA", "2024-01-20", "COMPLETED"), ("K3", "RHA", "2024-07-01", "COMPLETED"),
            ("K3", "IHA", "2024-07-01", "COMPLETED"),
            ("K8", "IHA", "2023-05-10", "COMPLETED"), ("K8", "RHA", "2023-05-10", "COMPLETED"),
        ]),
    ),
    "peps": _rows(
        "peps",
        *({"CHILD": c, "PEP_DATE": d, "PEP_TYPE": t} for c, d, t in [
            ("K2", "2024-03-10", "INITIAL"), ("K2", "2024-03-10", "REVIEW"), ("K2", "2024-07-01", "REVIEW"),
            ("K4", "2024-02-10", "INITIAL"), ("K4", "2024-02-10", "INITIAL"),
            ("K8", "2023-05-12", "INITIAL"), ("K8", "2023-05-12", "REVIEW"),
        ]),
    ),
    "leaving_care": _rows(
        "leaving_care",
        *({"CHILD": c, "EVENT": e, "EVENT_DATE": d} for c, e, d in [
            ("K2", "NEEDS_ASSESSMENT", "2024-09-01"), ("K2", "PATHWAY_PLAN", "2024-10-15"),
            ("K2", "PATHWAY_REVIEW", "2024-10-15"), ("K7", "PATHWAY_REVIEW", "2024-11-01"),
            ("K8", "PATHWAY_PLAN", "2024-01-10"), ("K8", "PATHWAY_REVIEW", "2024-01-10"),
        ]),
    ),
    "oc3": _rows("oc3", {"CHILD": "K5", "DOB": "2004-05-05", "IN_TOUCH": "YES", "ACTIV": "F1", "ACCOM": "B1"}),
    "allocations": _rows(
        "allocations",
        *({"CHILD": c, "ROLE": r, "WORKER_ID": w, "TEAM": "North", "START_DATE": s, "END_DATE": e}
          for c, r, w, s, e in [
              ("K1", "SW", "W1", "2023-06-01", None), ("K1", "IRO", "I1", "2023-06-01", None),
              ("K2", "SW", "W2", "2023-09-01", None), ("K2", "SW", "W3", "2023-09-01", "2024-03-01"),
              ("K3", "SW", "W1", "2024-01-01", None), ("K4", "SW", "W4", "2024-02-01", None),
              ("K8", "SW", "W2", "2022-01-10", None), ("K8", "PA", "P9", "2024-01-05", None),
          ]),
    ),
    "care_plans": _rows(
        "care_plans",
        *({"CHILD": c, "PLAN_DATE": d, "PERMANENCE_PLAN": "Y", "HEALTH_PLAN": "Y", "PEP": p, "PLACEMENT_PLAN": "Y",
           "CHILD_WISHES_RECORDED": "Y", "COORDINATOR_ROLE": "SW"} for c, d, p in [
              ("K1", "2023-06-05", "N"), ("K1", "2024-05-10", "Y"), ("K3", "2024-01-05", "Y"),
              ("K3", "2024-05-01", "N"), ("K4", "2024-02-01", "Y"),
          ]),
    ),
    "placement_views": _rows(
        "placement_views",
        {"CHILD": "K2", "MOVE_DATE": "2024-10-01", "CHILD_VIEW": "AGREED"},
        {"CHILD": "K2", "MOVE_DATE": "2024-10-01", "CHILD_VIEW": "DISAGREED"},
        {"CHILD": "K8", "MOVE_DATE": "2023-05-01", "CHILD_VIEW": "DISAGREED", "AUDIT_DATE": "2023-07-01"},
    ),
    "missing": _rows(
        "missing",
        {"CHILD": "K2", "MISSING": "M", "MIS_START": "2024-06-01", "MIS_END": "2024-06-02"},
        {"CHILD": "K2", "MISSING": "A", "MIS_START": "2024-06-01", "MIS_END": "2024-06-03"},
    ),
    "return_interviews": _rows(
        "return_interviews",
        {"CHILD": "K2", "MIS_START": "2024-06-01", "OFFERED_DATE": "2024-06-03"},
        {"CHILD": "K2", "MIS_START": "2024-06-01", "OFFERED_DATE": "2024-06-10"},
    ),
}


@cache
def ties_baseline() -> Outcome:
    return run_pack(TIES, None)


def test_the_small_extract_has_what_it_is_for():
    """The cases the property test below needs are really there: overlaps and ties."""
    con = load(TIES)
    overlapping = con.execute("""SELECT count(*) FROM episodes a JOIN episodes b ON a.CHILD = b.CHILD
        AND a.DECOM < b.DECOM AND b.DECOM < coalesce(a.DEC, DATE '9999-12-31')""").fetchone()[0]
    same_start = con.execute("SELECT count(*) FROM (SELECT CHILD, DECOM FROM episodes GROUP BY ALL "
                             "HAVING count(*) > 1)").fetchone()[0]
    assert overlapping >= 3 and same_start >= 3
    for table, column in (("reviews", "REVIEW"), ("visits", "VISIT_DATE")):
        assert con.execute(f"SELECT count(*) FROM (SELECT CHILD, {column} FROM {table} GROUP BY ALL "
                           "HAVING count(*) > 1)").fetchone()[0] >= 3
    # every episode is in exactly one period of care, and so in at most one placement
    assert con.execute("SELECT count(*) FROM (SELECT CHILD, EPISODE_NO FROM placements GROUP BY ALL "
                       "HAVING count(*) > 1)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM placements").fetchone()[0] == \
        con.execute("SELECT count(*) FROM episodes WHERE RNE <> 'L'").fetchone()[0]
    outcome = ties_baseline()
    assert all(v[0] == "ran" for v in outcome.values())
    assert sum(v[2] for v in outcome.values()) > 0 and sum(v[3] for v in outcome.values()) > 0


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_small_extract_with_ties_is_independent_of_row_order_and_pseudonyms(data: st.DataObject):
    children = children_of(TIES)
    names = data.draw(st.lists(PSEUDONYM, min_size=len(children), max_size=len(children), unique=True),
                      label="pseudonyms")
    rename = dict(zip(children, names, strict=True))
    got = run_pack(transform(TIES, rename, lambda table, rows: data.draw(st.permutations(rows), label=table)), None)
    assert_same(ties_baseline(), rename_back(got, rename))
