"""The DfE SSDA903 validation pack as data: reading and checking ``rules/dfe903/*.yml``.

A validation rule is the DfE's: one error code, its message, the fields it concerns and the collection
years it applies in. Unlike a compliance rule it owes nothing by a date: its SQL returns the rows at
fault, each as the child, the table and the line of the file (``CHILD, TABLE_NAME, LINE``; LINE is empty
when the fault is a record that is missing). The file is named after the code (``103.yml``), the rule's
id in the history and the reports is ``903-<code>``.

The SQL reads the year's return (``validation.RETURN_SCOPE``: the episodes, reviews, missing episodes
and social-worker episodes of the collection year, and the children they concern), the extract's whole
history of episodes as ``history_episodes``, and, for the rules that compare with last year's return,
the ``prev_`` tables read from ``prev/`` or ``--previous``. It
may use ``$collection_start``, ``$collection_end`` and ``$year`` (``2026-27``), bound, never pasted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .codes import SUPPORTED_YEARS
from .contract import TABLES_BY_NAME, Table
from .errors import InputError, Problem
from .rules import DEFAULT_RULES_DIR, _check_read_only, check_case_rows, read_mapping, validated

DEFAULT_PACK_DIR = DEFAULT_RULES_DIR / "dfe903"
PACK = "dfe903"

#: The SSDA903 tables: those the DfE's rules read, for this year's return and (``prev_``) last year's.
RETURN_TABLES = tuple(t.name for t in TABLES_BY_NAME.values() if t.group == "ssda903")
PREVIOUS = "prev_"
PREVIOUS_TABLES = tuple(PREVIOUS + t for t in RETURN_TABLES)
VALIDATION_PARAMETERS = ("collection_start", "collection_end", "year")
#: The cells the loader could not read (a code of no year, a date that is not one), each with the child
#: and line of its row: what the DfE calls an invalid value is emptied (or its row dropped) on loading,
#: so a rule that checks a value is valid reads this as well as the table.
REJECTED_CELLS = "rejected_cells"
REJECTED_COLUMNS = ("CHILD", "TABLE_NAME", "LINE", "COLUMN_NAME")
RESULT_COLUMNS = ("CHILD", "TABLE_NAME", "LINE")

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_YEAR = r"^20[0-9]{2}-[0-9]{2}$"


def table_of(name: str) -> Table:
    """The contract table behind a validation table name (``prev_episodes`` is ``episodes``)."""
    return TABLES_BY_NAME[name.removeprefix(PREVIOUS)]


def known_table(name: str) -> bool:
    return name in TABLES_BY_NAME or (name.startswith(PREVIOUS) and name.removeprefix(PREVIOUS) in RETURN_TABLES)


def current_year(as_of: dt.date) -> str:
    """The collection year an as-of date falls in (1 April to 31 March): ``2026-27`` for 1 December 2026."""
    first = as_of.year if as_of.month >= 4 else as_of.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def year_bounds(year: str) -> tuple[dt.date, dt.date]:
    first = int(year[:4])
    return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


class ValidationCase(BaseModel):
    """One inline test: the year's (and last year's) rows, and the rows expected at fault."""

    model_config = ConfigDict(extra="forbid")
    name: str
    year: str = Field(default=SUPPORTED_YEARS[-1], pattern=_YEAR)
    data: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    #: Rows at fault, each ``{CHILD, TABLE, LINE}``: LINE is the row's place in its list plus one (the
    #: header is line 1), as in a file; empty for a fault that is a missing record.
    expect: list[dict[str, Any]]

    @field_validator("data")
    @classmethod
    def _known_tables(cls, v: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        return check_case_rows(v, lambda t: REJECTED_COLUMNS if t == REJECTED_CELLS else
                               table_of(t).column_names if known_table(t) else None)

    @field_validator("expect")
    @classmethod
    def _keys(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in v:
            if set(item) != {"CHILD", "TABLE", "LINE"}:
                raise ValueError("each expected error is {CHILD, TABLE, LINE} (LINE empty for a missing record)")
        return v

    def keys(self) -> set[tuple[str, str, int | None]]:
        return {(str(e["CHILD"]), e["TABLE"], e["LINE"]) for e in self.expect}


class Seed(BaseModel):
    """How to make one child of a clean sample break this rule, and nothing else (``sample.seeded``).

    The sample's tables are text here, as in its files (``d(text)`` reads a date, ``t(date)`` writes one).
    ``child`` lists the children the violation can be given to (a SELECT of CHILD); the seeder takes the
    first not given another. ``apply`` changes that child's rows (UPDATE, INSERT or DELETE statements,
    with ``$child`` and the year's ``$collection_start``, ``$collection_end`` and ``$year``). ``also``
    names the codes the violation raises too, by the DfE's own definitions (a date of birth that is not a
    date leaves every age unknown): the seeded-violation test expects the child under those codes too."""

    model_config = ConfigDict(extra="forbid")
    child: str
    apply: str
    also: list[str] = Field(default_factory=list)

    @field_validator("child")
    @classmethod
    def _select(cls, v: str) -> str:
        return _check_read_only(v)

    @field_validator("apply")
    @classmethod
    def _changes(cls, v: str) -> str:
        try:
            statements = duckdb.extract_statements(v)
        except duckdb.Error as e:
            raise ValueError(f"is not valid SQL ({str(e).splitlines()[0]})") from None
        allowed = {duckdb.StatementType.UPDATE, duckdb.StatementType.INSERT, duckdb.StatementType.DELETE}
        if not statements or any(s.type not in allowed for s in statements):
            raise ValueError("must be UPDATE, INSERT or DELETE statements on the sample's tables")
        return v


class ValidationRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9A-Za-z]+$")
    message: str
    tables: list[str] = Field(min_length=1)
    fields: list[str] = Field(min_length=1)
    applies_from: str = Field(default=SUPPORTED_YEARS[0], pattern=_YEAR)
    applies_until: str | None = Field(default=None, pattern=_YEAR)
    #: Where the DfE's text can be read more than one way: the reading this rule takes.
    reading: str | None = None
    #: What the DfE's rule checks that this one cannot (a postcode's distance, the child's UPN), if anything.
    not_checked: str | None = None
    sql: str
    tests: list[ValidationCase] = Field(min_length=2)
    #: One violation, for the sample generator's seeded mode (``careplan-checks sample --seed-903``).
    seed: Seed | None = None

    path: Path | None = Field(default=None, exclude=True)

    @property
    def id(self) -> str:
        return f"903-{self.code}"

    @property
    def title(self) -> str:
        return self.message

    @property
    def reads(self) -> list[str]:
        return list(self.tables)

    @field_validator("tables")
    @classmethod
    def _tables(cls, v: list[str]) -> list[str]:
        unknown = [t for t in v if not known_table(t)]
        if unknown:
            raise ValueError(f"unknown table(s) {', '.join(unknown)}; the pack reads {', '.join(RETURN_TABLES)} "
                             f"and last year's as prev_<table>")
        return v

    @field_validator("sql")
    @classmethod
    def _read_only(cls, v: str) -> str:
        return _check_read_only(v)

    @model_validator(mode="after")
    def _consistent(self) -> ValidationRule:
        if not any(c.expect for c in self.tests) or not any(not c.expect for c in self.tests):
            raise ValueError("tests need at least one failing case (expect not empty) and one passing "
                             "case (expect: [])")
        for name in _PARAM.findall(self.sql):
            if name not in VALIDATION_PARAMETERS:
                raise ValueError(f"the SQL uses ${name}; a validation rule has only "
                                 f"{', '.join('$' + p for p in VALIDATION_PARAMETERS)}")
        if self.applies_until is not None and self.applies_until < self.applies_from:
            raise ValueError("applies_until is before applies_from")
        for case in self.tests:
            if not self.applies_in(case.year):
                raise ValueError(f"case {case.name!r} is for {case.year}, a year the rule does not apply in")
        return self

    def applies_in(self, year: str) -> bool:
        return self.applies_from <= year and (self.applies_until is None or year <= self.applies_until)

    @property
    def years(self) -> str:
        return f"{self.applies_from} to {self.applies_until}" if self.applies_until else f"{self.applies_from} on"

    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else ""

    def bind(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: values[name] for name in dict.fromkeys(_PARAM.findall(self.sql))}


def read_validation_rule(path: Path) -> ValidationRule:
    raw = read_mapping(path)
    if isinstance(raw.get("code"), int):  # 103, unquoted, is a code too
        raw["code"] = str(raw["code"])
    return validated(ValidationRule, raw, path, "code")


def load_pack(folder: Path = DEFAULT_PACK_DIR, select: list[str] | None = None) -> list[ValidationRule]:
    """Read and check every validation rule in ``folder`` (all problems together); cached like the
    compliance pack, so start-up does not grow with the number of codes."""
    if not folder.is_dir():
        raise InputError(Problem(str(folder), "is not a folder of validation rules"))
    paths = [p for p in sorted(folder.glob("*.y*ml"), key=_code_order) if not p.name.startswith("_")]
    from . import rule_cache

    digest = rule_cache.key(paths)
    rules = rule_cache.get(digest)
    if rules is None or [r.path for r in rules] != paths:
        rules = _read_and_check(folder, paths)
        rule_cache.put(digest, rules)  # type: ignore[arg-type]
    return select_codes(rules, select)


def _code_order(path: Path) -> tuple[int, str]:
    digits = re.match(r"[0-9]+", path.stem)
    return (int(digits.group()) if digits else 10**6, path.stem)


def select_codes(rules: list[ValidationRule], select: list[str] | None) -> list[ValidationRule]:
    """The rules named in ``--select`` (by code, or ``903-<code>``); all when None."""
    if not select:
        return rules
    wanted = {s.removeprefix("903-") for s in select}
    unknown = sorted(wanted - {r.code for r in rules})
    if unknown:
        raise InputError(Problem("--select", f"no DfE code {', '.join(unknown)} in the 903 pack"))
    return [r for r in rules if r.code in wanted]


def _read_and_check(folder: Path, paths: list[Path]) -> list[ValidationRule]:
    problems: list[Problem] = []
    rules: list[ValidationRule] = []
    for path in paths:
        try:
            rules.append(read_validation_rule(path))
        except InputError as e:
            problems.extend(e.problems)
    if not problems:
        problems.extend(check_pack_sql(rules))
    if problems:
        raise InputError(problems)
    return rules


def check_pack_sql(rules: list[ValidationRule]) -> list[Problem]:
    """Plan each rule's SQL on an empty database of the return's tables: unknown tables and columns,
    syntax errors and missing result columns stop the run before any data is read."""
    from .validation import prepare_validation_database

    con = duckdb.connect(":memory:")
    prepare_validation_database(con)
    con.execute("SET enable_external_access = false")
    start, end = year_bounds(SUPPORTED_YEARS[-1])
    values = {"collection_start": start, "collection_end": end, "year": SUPPORTED_YEARS[-1]}
    problems = []
    for rule in rules:
        where = f"{rule.path.parent.name}/{rule.path.name}" if rule.path else rule.id
        try:
            cur = con.execute(f"SELECT * FROM ({rule.sql}) LIMIT 0", rule.bind(values))
        except duckdb.Error as e:
            problems.append(Problem(where, f"sql: {str(e).splitlines()[0]}"))
            continue
        missing = [c for c in RESULT_COLUMNS if c not in [d[0] for d in cur.description]]
        if missing:
            problems.append(Problem(where, f"sql: the query must return column(s) {', '.join(missing)}"))
    con.close()
    return problems
