"""The anonymisation guard: refuse an extract that carries direct identifiers.

Runs on the in-memory staging tables before anything reaches the database file,
so a refused extract leaves no copy of the identifiers behind. Checks are one
aggregate query per table in DuckDB. Messages give file, column, a count and the
first line, never the value itself.
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

CHECKS_PER_QUERY = 48

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
    for f in files:
        problems.extend(_check_file(f, con))
    if problems:
        problems.append(Problem(
            "extract", "refused: extracts must be anonymised. Nothing was loaded or written. "
            "'careplan-checks anonymise RAW_DIR OUT_DIR --key-file KEY' prepares an acceptable extract."))
        raise InputError(problems)


def _check_file(f: SourceFile, con: duckdb.DuckDBPyConnection) -> list[Problem]:
    t = f.table.name
    problems: list[Problem] = []
    cols = [h.strip().upper() for h in f.headers]
    for c in cols:
        if IDENTIFIER_NAME.search(c):
            problems.append(Problem(f.name, "the column's name shows it holds direct identifiers "
                                    "(names, addresses, NHS numbers or full postcodes); remove it", column=c))
    checks: list[tuple[str, str, str]] = []  # (column, label, sql predicate on v)
    for c in cols:
        kind = f.table.column(c).kind if c in f.table.column_names else "unknown"
        if kind not in _FREE_KINDS | {"unknown"}:
            continue  # a date, code, number or flag that is not one is rejected, its value never stored
        v = f"upper(trim({ident(c)}))"
        checks.append((c, "full postcodes (keep the district only, e.g. EG19 or EG19 7)",
                       f"regexp_matches({v}, '{FULL_POSTCODE}')"))
        checks.append((c, "real UPNs (a letter and 12 digits; give UN1-UN5 or KNOWN instead)",
                       f"regexp_full_match({v}, '{REAL_UPN}')"))
        checks.append((c, "NHS numbers", _nhs_valid(f"trim({ident(c)})")))
    if not checks:
        return problems
    total = con.execute(f'SELECT count(*) FROM "raw_{t}"').fetchone()[0]
    # A few dozen checks a query: one query with thousands of filtered aggregates (a file with
    # thousands of columns) made DuckDB plan its way to tens of gigabytes.
    found: list[tuple[int, int]] = []
    for start in range(0, len(checks), CHECKS_PER_QUERY):
        chunk = checks[start:start + CHECKS_PER_QUERY]
        exprs = [f"count(*) FILTER (WHERE {pred}), min(_LINE) FILTER (WHERE {pred})" for _c, _l, pred in chunk]
        row = con.execute(f'SELECT {", ".join(exprs)} FROM "raw_{t}"').fetchone()
        found.extend((row[2 * i], row[2 * i + 1]) for i in range(len(chunk)))
    for (c, label, _pred), (n, first) in zip(checks, found, strict=True):
        if not n:
            continue
        kind = f.table.column(c).kind if c in f.table.column_names else "unknown"
        if label == "NHS numbers" and kind == "id" and n < 0.5 * total:
            # About one numeric ten-digit identifier in eleven passes the check digit by chance;
            # only a column that is mostly valid NHS numbers is refused.
            continue
        problems.append(Problem(f.name, f"{n} value(s) look like {label}", line=first, column=c))
    return problems
