"""The anonymisation guard: refuse an extract that carries direct identifiers.

Runs on the in-memory staging tables before anything reaches the database file,
so a refused extract leaves no copy of the identifiers behind. The checks are one
query in DuckDB for the whole extract (``_found``). Messages give file, column, a
count and the first line, never the value itself.
"""

from __future__ import annotations

import re

import duckdb

from .errors import InputError, Problem, ident
from .extract import SourceFile

#: Column names that can only hold direct identifiers.
IDENTIFIER_NAME = re.compile(
    r"(^|_)(NAME|NAMES|FORENAMES?|SURNAME|FIRST_?NAME|LAST_?NAME|FULL_?NAME|GIVEN_?NAME|FAMILY_?NAME|"
    r"ADDRESS(_?LINE)?\d*|ADDR\d*|STREET|NHS(_?NO|_?NUM|_?NUMBER)?|POSTCODE|POST_CODE|EMAIL|PHONE|TELEPHONE)($|_)"
)

#: A full UK postcode anywhere in a value (outward code, space optional, inward code).
FULL_POSTCODE = r"(^|[^A-Z0-9])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}($|[^A-Z0-9])"
#: A real-pattern UPN: a letter, 11 digits and a final digit or letter (temporary UPNs).
REAL_UPN = r"^[A-Z][0-9]{11}[0-9A-Z]$"
#: Ten digits, optionally spaced 3-3-4, as NHS numbers are written.
NHS_SHAPE = r"^[0-9]{3} ?[0-9]{3} ?[0-9]{4}$"

#: Kinds of contract column that are free-form: only these (and columns the contract does not
#: know) can carry an identifier into the database. Any other column is typed strictly by the
#: loader, which rejects a value that is not a date, code, number or flag without storing it.
_FREE_KINDS = {"id", "text", "district", "upn"}


def _nhs_valid(col: str) -> str:
    """SQL: the value is ten digits with a valid NHS modulus-11 check digit."""
    d = f"replace({col}, ' ', '')"
    total = " + ".join(f"(ascii(substr({d}, {i + 1}, 1)) - 48) * {10 - i}" for i in range(9))
    check = f"(11 - (({total}) % 11)) % 11"
    # CASE, not AND: the checksum is only worked out for values of the right shape.
    return (f"(CASE WHEN regexp_full_match({col}, '{NHS_SHAPE}') "
            f"THEN {check} = (ascii(substr({d}, 10, 1)) - 48) ELSE false END)")


def check_anonymised(files: list[SourceFile], con: duckdb.DuckDBPyConnection) -> None:
    problems: list[Problem] = []
    kinds = [_kinds(f) for f in files]
    # a date, code, number or flag that is not one is rejected by the loader, its value never stored
    free = [[c for c, kind in k.items() if kind in _FREE_KINDS | {"unknown"}] for k in kinds]
    # a column that is its table's whole key (header's CHILD) has every cell different: checked cell by cell
    unique = [[c for c in cols if f.table.key == (c,)] for f, cols in zip(files, free, strict=True)]
    found, totals = _found([(f.table.name, cols) for f, cols in zip(files, free, strict=True)], con, unique)
    for i, f in enumerate(files):
        for c in kinds[i]:
            if IDENTIFIER_NAME.search(c):
                problems.append(Problem(f.name, "the column's name shows it holds direct identifiers "
                                        "(names, addresses, NHS numbers or full postcodes); remove it", column=c))
        for c in free[i]:
            for label, n, first in found.get((i, c), ()):
                if label == "NHS numbers" and kinds[i][c] == "id" and n < 0.5 * totals[i]:
                    # About one numeric ten-digit identifier in eleven passes the check digit by chance;
                    # only a column that is mostly valid NHS numbers is refused.
                    continue
                problems.append(Problem(f.name, f"{n} value(s) look like {label}", line=first, column=c))
    if problems:
        problems.append(Problem(
            "extract", "refused: extracts must be anonymised. Nothing was loaded or written. "
            "'careplan-checks anonymise RAW_DIR OUT_DIR --key-file KEY' prepares an acceptable extract."))
        raise InputError(problems)


def _kinds(f: SourceFile) -> dict[str, str]:
    """The file's columns as the guard reads them (upper-case, in file order) and their contract kind."""
    cols = [h.strip().upper() for h in f.headers]
    return {c: f.table.column(c).kind if c in f.table.column_names else "unknown" for c in cols}


def _found(tables: list[tuple[str, list[str]]], con: duckdb.DuckDBPyConnection, unique: list[list[str]] | None = None,
           ) -> tuple[dict[tuple[int, str], list[tuple[str, int, int]]], dict[int, int]]:
    """For each table (``raw_<name>``, its free-form columns) and column: (label, how many cells, first line)
    of each check that finds something, in the order of ``_CHECKS``; and each table's rows.

    One query for the whole extract, however many columns it has: the columns are unpivoted into
    (table, column, value) and each distinct value is checked once. A file with thousands of columns (a
    spreadsheet with every field the system has) took minutes as one filtered aggregate per column and
    check, and a query a table cost more to plan than to run on a small extract.
    """
    totals = dict(con.execute(" UNION ALL ".join(
        f'SELECT {i}, count(*) FROM "raw_{t}"' for i, (t, _cols) in enumerate(tables))).fetchall()) if tables else {}
    unique = unique or [[] for _t in tables]

    def unpivot(i: int, t: str, cols: list[str]) -> str:
        names = ", ".join(ident(c) for c in cols)
        return f"""SELECT {i} AS _F, _COL, _V, _LINE FROM (UNPIVOT (SELECT {names}, _LINE FROM "raw_{t}")
                   ON {names} INTO NAME _COL VALUE _V)"""

    rest = [[c for c in cols if c not in unique[i]] for i, (_t, cols) in enumerate(tables)]
    repeating = [unpivot(i, t, rest[i]) for i, (t, _cols) in enumerate(tables) if rest[i]]
    # Cells that repeat are grouped first, each distinct value checked once; the cells of a column whose
    # every cell differs go straight to the checks, since grouping them only builds a table as big as theirs
    # (36 million entries for a 1 GB header file).
    parts = [f"""SELECT _F, _COL, _V, count(*) AS _N, min(_LINE) AS _FIRST FROM ({" UNION ALL ".join(repeating)})
                 GROUP BY _F, _COL, _V"""] if repeating else []
    parts += [f"SELECT _F, _COL, _V, 1 AS _N, _LINE AS _FIRST FROM ({unpivot(i, t, unique[i])})"
              for i, (t, _cols) in enumerate(tables) if unique[i]]
    if not parts:
        return {}, totals
    aggs = ", ".join(f"sum(_N) FILTER (WHERE {p}), min(_FIRST) FILTER (WHERE {p})" for _label, p in _CHECKS)
    rows = con.execute(f"""SELECT _F, _COL, {aggs} FROM ({" UNION ALL ".join(parts)})
        GROUP BY _F, _COL""").fetchall()
    found: dict[tuple[int, str], list[tuple[str, int, int]]] = {}
    for i, col, *counts in rows:
        found[(i, col)] = [(label, int(counts[2 * k]), int(counts[2 * k + 1]))
                           for k, (label, _p) in enumerate(_CHECKS) if counts[2 * k]]
    return found, totals


#: The checks on every free-form cell, on ``_V``, the cell as unpivoted: (label in the message, SQL predicate).
_CHECKS = [
    ("full postcodes (keep the district only, e.g. EG19 or EG19 7)",
     f"regexp_matches(upper(trim(_V)), '{FULL_POSTCODE}')"),
    ("real UPNs (a letter and 12 digits; give UN1-UN5 or KNOWN instead)",
     f"regexp_full_match(upper(trim(_V)), '{REAL_UPN}')"),
    ("NHS numbers", _nhs_valid("trim(_V)")),
]
