"""The sample with one violation of each DfE 903 code seeded into it, and the key that says where.

A clean sample raises no 903 error. Here each code of the year's pack is given to one child of it: its
rule's ``seed`` (``validation_rules.Seed``) picks a child the violation can be given to and changes that
child's rows, in DuckDB, on the sample's files as text (so a seed can write a date that is not one, as a
case system can). Children are taken in order and never twice, and never a child whose seeded compliance
lapse is a DfE error already (the answer key's ``903-`` rows). ``seeded_903.csv`` lists CODE, CHILD and
the codes the violation raises too; the seeded-violation test runs the pack and expects exactly those
children under each code.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from ..contract import TABLES_BY_NAME
from ..errors import ident, literal
from .common import ANSWER_KEY
from .previous import PREVIOUS_DIR

SEEDED_KEY = "seeded_903.csv"


class SeedError(RuntimeError):
    """A code's seed found no child to give its violation to, or its statements failed."""


def seed_violations(folder: Path, year: str, pack_dir: Path | None = None,
                    codes: list[str] | None = None) -> dict[str, str]:
    """Seed one violation of each code of ``year``'s pack (or of ``codes``) into the sample in ``folder`` (in
    place); the child given each code. Codes without a seed, or not applying in ``year``, are left out."""
    from ..validation_rules import DEFAULT_PACK_DIR, load_pack, year_bounds

    rules = [r for r in load_pack(pack_dir or DEFAULT_PACK_DIR, codes) if r.seed is not None and r.applies_in(year)]
    con = duckdb.connect()
    con.execute("CREATE MACRO d(x) AS coalesce(try_strptime(x, '%d/%m/%Y'), try_strptime(x, '%Y-%m-%d'))::DATE")
    con.execute("CREATE MACRO t(x) AS strftime(x::DATE, '%d/%m/%Y')")
    files = _read(con, folder)
    with (folder / ANSWER_KEY).open(encoding="utf-8") as f:  # children whose lapse is a DfE error already
        lapsed = sorted({row["CHILD"] for row in csv.DictReader(f) if row["RULE_ID"].startswith("903-")})
    start, end = year_bounds(year)
    used: set[str] = set(lapsed)
    given: dict[str, str] = {}
    for rule in rules:
        assert rule.seed is not None
        values = {"collection_start": start, "collection_end": end, "year": year}
        candidates = con.execute(f"SELECT DISTINCT CHILD FROM ({rule.seed.child}) ORDER BY CHILD",
                                 _bind(rule.seed.child, values)).fetchall()
        child = next((c for (c,) in candidates if c not in used), None)
        if child is None:
            raise SeedError(f"903-{rule.code}: its seed found no child to give the violation to")
        try:
            for statement in duckdb.extract_statements(rule.seed.apply):
                sql = statement.query
                con.execute(sql, _bind(sql, {**values, "child": child}))
        except duckdb.Error as e:
            raise SeedError(f"903-{rule.code}: its seed failed ({str(e).splitlines()[0]})") from None
        used.add(child)
        given[rule.code] = child
    _write(con, files)
    with (folder / SEEDED_KEY).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["CODE", "CHILD", "ALSO"])
        w.writerows([r.code, given[r.code], " ".join(r.seed.also)] for r in rules if r.seed is not None)
    con.close()
    return given


def read_seeded(folder: Path) -> list[tuple[str, str, list[str]]]:
    """``seeded_903.csv``: (code, child, the other codes the violation raises)."""
    with (folder / SEEDED_KEY).open(encoding="utf-8") as f:
        return [(r["CODE"], r["CHILD"], r["ALSO"].split()) for r in csv.DictReader(f)]


def _bind(sql: str, values: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in values.items() if f"${k}" in sql}


def _read(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, Path]:
    """Every table of the sample and of its ``prev/`` (as ``prev_<table>``), as text."""
    files = {}
    for name in TABLES_BY_NAME:
        for table, path in ((name, folder / f"{name}.csv"), (f"prev_{name}", folder / PREVIOUS_DIR / f"{name}.csv")):
            if path.exists():
                con.execute(f"CREATE TABLE {ident(table)} AS SELECT * FROM read_csv({literal(str(path))}, "
                            "all_varchar = true, header = true)")
                files[table] = path
    return files


def _write(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    for table, path in files.items():
        con.execute(f"COPY {ident(table)} TO {literal(str(path))} (HEADER)")


def mismatches(seeded: list[tuple[str, str, list[str]]], found: list[tuple], codes: list[str],
               expected: set[tuple[str, str]] | None = None) -> list[str]:
    """What the pack found (``Night.validation_errors``) against what was seeded, code by code for ``codes``:
    each should flag exactly the child seeded for it, those whose violation names it under ``also``, and
    the (code, child) pairs ``expected`` (the answer key's, from compliance lapses that are DfE errors too)."""
    want: dict[str, set[str]] = {c: set() for c in codes}
    for code, child in expected or set():
        want.setdefault(code, set()).add(child)
    for code, child, also in seeded:
        for c in (code, *also):
            want.setdefault(c, set()).add(child)
    got: dict[str, set[str]] = {c: set() for c in codes}
    for code, child, *_ in found:
        got.setdefault(code, set()).add(child)
    return [f"903-{c}: missed {sorted(want.get(c, set()) - got.get(c, set()))}, "
            f"unexpected {sorted(got.get(c, set()) - want.get(c, set()))}"
            for c in codes if want.get(c, set()) != got.get(c, set())]
