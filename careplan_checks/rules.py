"""The rule model: reading and validating ``rules/*.yml``.

A rule is data: metadata, the citation of the guidance it checks, parameters,
SQL for the eligible population and for the exceptions, and its own test
cases. Everything that can be checked without an extract is checked when the
rules are read (fields, ids, tables, read-only SQL, the columns the SQL
returns), so a broken rule file stops the run before any data is touched, with
``rules/<ID>.yml: <field>: <problem>`` and exit status 2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .contract import TABLES_BY_NAME
from .errors import InputError, Problem

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
#: libyaml's loader where PyYAML has it (ten times faster on a large pack), the same safe subset of YAML.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Severity = Literal["critical", "high", "medium", "low"]
SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1}
Area = Literal["care-planning", "reviews", "visits", "placements", "health", "education", "missing",
               "leaving-care", "data-quality"]

BUILTIN_PARAMETERS = ("as_of", "period_start", "period_end")

#: Days ahead the due-soon list looks unless told otherwise (``--due-within``).
DUE_WITHIN_DAYS = 28
EXCEPTION_COLUMNS = ("CHILD", "EVENT_DATE", "DUE_DATE", "DETAIL")
POPULATION_COLUMNS = ("CHILD", "EVENT_DATE")

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# Table functions that read or write files, and statements that change state, are refused
# inside a SELECT too: a rule only reads the loaded tables.
_FORBIDDEN = re.compile(
    r"\b(read_\w+|glob|sniff_csv|parquet_\w+|delta_scan|iceberg_\w+|query_table|query|getenv|"
    r"copy|attach|detach|install|load|export|import|pragma|checkpoint|setseed)\s*\(",
    re.IGNORECASE,
)


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: str
    reference: str
    verified: bool = False


def check_case_rows(data: dict[str, list[dict[str, Any]]],
                    columns_of: Callable[[str], tuple[str, ...] | None]) -> dict[str, list[dict[str, Any]]]:
    """A case's rows name only tables the case may use (``columns_of`` gives None for another) and only
    their columns."""
    for table, rows in data.items():
        cols = columns_of(table)
        if cols is None:
            raise ValueError(f"unknown table '{table}'")
        for row in rows:
            extra = set(row) - set(cols)
            if extra:
                raise ValueError(f"table '{table}' has no column(s) {', '.join(sorted(extra))}")
    return data


class Case(BaseModel):
    """One inline test: tables as rows, optional parameter overrides, expected exception keys."""

    model_config = ConfigDict(extra="forbid")
    name: str
    as_of: dt.date = dt.date(2025, 3, 31)
    parameters: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    expect: list[dict[str, Any]]
    population: int | None = None
    #: The items due in the next ``due_within`` days (CHILD, EVENT_DATE, [EVENT_KEY], DAYS_LEFT), checked
    #: when given: the rule's ``due_soon`` list.
    due_soon: list[dict[str, Any]] | None = None
    due_within: int = DUE_WITHIN_DAYS

    @field_validator("data")
    @classmethod
    def _known_tables(cls, v: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        return check_case_rows(v, lambda t: TABLES_BY_NAME[t].column_names if t in TABLES_BY_NAME else None)

    @field_validator("due_soon")
    @classmethod
    def _due_keys(cls, v: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        for item in v or []:
            if not {"CHILD", "EVENT_DATE", "DAYS_LEFT"} <= set(item):
                raise ValueError("each expected due-soon item needs CHILD, EVENT_DATE and DAYS_LEFT")
        return v

    @field_validator("expect")
    @classmethod
    def _keys(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in v:
            if not {"CHILD", "EVENT_DATE"} <= set(item):
                raise ValueError("each expected exception needs CHILD and EVENT_DATE")
        return v


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[A-Z]+-[0-9]{2}[A-Z]?$")
    title: str
    severity: Severity
    area: Area
    source: Source
    rationale: str
    requirement: str
    tables: list[str] = Field(min_length=1)
    #: Tables the rule also reads when they are present: absent, they are empty and the rule still
    #: runs (a data-quality rule that checks every table it is given), unlike ``tables``.
    also_reads: list[str] = Field(default_factory=list)
    target: float = Field(default=0.95, ge=0, le=1)
    counts: Literal["working days", "calendar days", "hours", "months"] = "calendar days"
    parameters: dict[str, int | float | str] = Field(default_factory=dict)
    applies_from: dt.date | None = None
    applies_until: dt.date | None = None
    with_: str | None = Field(default=None, alias="with")
    population: str
    sql: str
    #: The ``with`` expression that lists the rule's obligations (CHILD, EVENT_DATE, [EVENT_KEY], DUE_DATE,
    #: DONE_DATE, DETAIL, [LAPSES]): the engine lists those not yet done and due in the next days (due
    #: soon) from it. Empty for a rule that checks what is recorded rather than an action owed by a date.
    due_soon: str | None = None
    tests: list[Case] = Field(min_length=2)

    path: Path | None = Field(default=None, exclude=True)
    #: The columns each of the rule's queries returns, as planned when the pack was checked (``check_sql``):
    #: names do not depend on the data, so a night need not plan them again (cached with the pack).
    _planned: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    def planned_columns(self, query: str) -> list[str] | None:
        return self._planned.get(query)

    @field_validator("tables", "also_reads")
    @classmethod
    def _tables(cls, v: list[str]) -> list[str]:
        unknown = [t for t in v if t not in TABLES_BY_NAME]
        if unknown:
            raise ValueError(f"unknown table(s) {', '.join(unknown)}; the contract has "
                             f"{', '.join(TABLES_BY_NAME)}")
        return v

    @property
    def reads(self) -> list[str]:
        """Every table the rule reads: those it needs, then those it reads when present."""
        return [*self.tables, *(t for t in self.also_reads if t not in self.tables)]

    @cached_property
    def columns_read(self) -> frozenset[tuple[str, str]]:
        """The (table, column) pairs of contract tables the rule's SQL names, read from DuckDB's parse tree.

        So that a rule is "not run" rather than run on an empty column when an extract has no such
        column at all (a source that cannot supply it, such as the Standard Safeguarding Dataset for
        care-plan components). A qualified name (``c.PEP``) counts for the table its alias names; an
        unqualified one for every table the rule reads from that has the column. A column counts where
        it is used (a condition, a join, a calculation); not where it is only passed through a select
        list, named in an ORDER BY (a tie-break: an absent column sorts as empty), or read through the
        shared views (``views.sql``, which use optional columns only to order rows).
        """
        return _columns_named([self.exception_query, self.population_query])

    @property
    def population_query(self) -> str:
        """The population SQL with the shared ``with`` expressions in front."""
        return f"WITH {self.with_}\n{self.population}" if self.with_ else self.population

    @property
    def due_soon_query(self) -> str:
        """The rule's obligations (its ``due_soon`` expression), for the due-soon list."""
        return f"WITH {self.with_}\nSELECT * FROM {self.due_soon}"

    @property
    def exception_query(self) -> str:
        return f"WITH {self.with_}\n{self.sql}" if self.with_ else self.sql

    @field_validator("population", "sql")
    @classmethod
    def _read_only(cls, v: str) -> str:
        return _check_read_only(v)

    @field_validator("with_")
    @classmethod
    def _read_only_with(cls, v: str | None) -> str | None:
        if v is not None:
            _check_read_only(f"WITH {v} SELECT 1")
        return v



    @field_validator("parameters")
    @classmethod
    def _parameter_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        clash = [k for k in v if k in BUILTIN_PARAMETERS]
        if clash:
            raise ValueError(f"{', '.join(clash)} is provided by the engine and cannot be a rule parameter")
        return v

    @model_validator(mode="after")
    def _due_soon_cases_need_a_due_soon_list(self) -> Rule:
        if self.due_soon is None and any(c.due_soon is not None for c in self.tests):
            raise ValueError("a case expects due_soon items, but the rule has no due_soon expression")
        return self

    @model_validator(mode="after")
    def _due_soon_names_an_expression(self) -> Rule:
        if self.due_soon is not None and not re.search(rf"(^|,)\s*{re.escape(self.due_soon)}\s+AS\s*\(",
                                                       self.with_ or "", re.IGNORECASE | re.MULTILINE):
            raise ValueError(f"due_soon names '{self.due_soon}', which is not an expression in 'with'")
        return self

    @model_validator(mode="after")
    def _cases(self) -> Rule:
        if not any(c.expect for c in self.tests) or not any(not c.expect for c in self.tests):
            raise ValueError("tests need at least one failing case (expect not empty) and one passing "
                             "case (expect: [])")
        for name in (*_PARAM.findall(self.exception_query), *_PARAM.findall(self.population_query)):
            if name not in self.parameters and name not in BUILTIN_PARAMETERS:
                raise ValueError(f"the SQL uses ${name}, which is not in parameters")
        return self

    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else ""

    def bind(self, sql: str, values: dict[str, Any]) -> dict[str, Any]:
        """The parameters this SQL text uses, from ``values`` (DuckDB refuses extra ones)."""
        return {name: values[name] for name in dict.fromkeys(_PARAM.findall(sql))}


_PARSER: duckdb.DuckDBPyConnection | None = None


def _columns_named(queries: list[str]) -> frozenset[tuple[str, str]]:
    global _PARSER
    if _PARSER is None:
        _PARSER = duckdb.connect()
    tables: dict[str, set[str]] = {}  # alias (or name) -> contract tables
    refs: list[list[str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and node.get("table_name") in TABLES_BY_NAME:
                name = node["table_name"]
                for alias in {name, node.get("alias") or name}:
                    tables.setdefault(alias.lower(), set()).add(name)
            if node.get("class") == "COLUMN_REF":
                refs.append(node["column_names"])
            for k, v in node.items():
                if k == "orders":  # an ORDER BY only breaks ties: an absent column sorts as empty
                    continue
                if k == "select_list":  # a column passed through is read where it is used, not here
                    v = [item for item in v if item.get("class") != "COLUMN_REF"]
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for q in queries:
        tree = json.loads(_PARSER.execute("SELECT json_serialize_sql(?)", [q]).fetchone()[0])
        walk(tree.get("statements", []))
    read = set().union(*tables.values()) if tables else set()
    found = set()
    for names in refs:
        column = names[-1].upper()
        owners = tables.get(names[-2].lower(), set()) if len(names) > 1 else read
        found |= {(t, column) for t in owners if column in TABLES_BY_NAME[t].column_names}
    return frozenset(found)


def _check_read_only(v: str) -> str:
    try:
        statements = duckdb.extract_statements(v)
    except duckdb.Error as e:
        raise ValueError(f"is not valid SQL ({str(e).splitlines()[0]})") from None
    if len(statements) != 1:
        raise ValueError(f"must be exactly one SELECT statement (found {len(statements)})")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise ValueError("must be a read-only SELECT: rules may not write or change anything")
    m = _FORBIDDEN.search(v)
    if m:
        raise ValueError(f"may not call {m.group(1)}(): rules read only the loaded tables")
    return v


def _format_error(path: Path, e: ValidationError) -> list[Problem]:
    problems = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(file)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = f"'{loc}' is required"
            problems.append(Problem(f"{path.parent.name}/{path.name}", msg))
            continue
        problems.append(Problem(f"{path.parent.name}/{path.name}", f"{loc}: {msg}"))
    return problems


def read_mapping(path: Path) -> dict[str, Any]:
    """A rule file's YAML as a mapping of fields, or an ``InputError`` naming the file (and line)."""
    where = f"{path.parent.name}/{path.name}"
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(Problem(where, "is not valid YAML", line=mark.line + 1 if mark else None)) from None
    if not isinstance(raw, dict):
        raise InputError(Problem(where, "must be a YAML mapping of fields"))
    return raw


def validated(model: type[BaseModel], raw: dict[str, Any], path: Path, name: str) -> Any:
    """``raw`` checked by ``model``; its ``name`` (id or code) must be the file's name. Problems name the
    file and the field."""
    try:
        rule = model.model_validate(raw)
    except ValidationError as e:
        raise InputError(_format_error(path, e)) from None
    if getattr(rule, name) != path.stem:
        raise InputError(Problem(f"{path.parent.name}/{path.name}",
                                 f"{name}: '{getattr(rule, name)}' must match the file name '{path.stem}'"))
    rule.path = path
    return rule


def read_rule(path: Path) -> Rule:
    return validated(Rule, read_mapping(path), path, "id")


def load_rules(folder: Path = DEFAULT_RULES_DIR, select: list[str] | None = None) -> list[Rule]:
    """Read and check every rule in ``folder``; all problems are reported together.

    A pack that passed these checks before, byte for byte and with the same engine, is read back from
    the cache (``rule_cache``) instead: start-up then costs the same for 30 rules or 300.
    """
    if not folder.is_dir():
        raise InputError(Problem(str(folder), "is not a folder of rules"))
    paths = [p for p in sorted(folder.glob("*.y*ml")) if not p.name.startswith("_")]  # _notes beside the rules
    from . import rule_cache

    key = rule_cache.key(paths)
    cached = rule_cache.get(key)
    if cached is not None and [r.path for r in cached] == paths:
        return select_rules(cached, select)
    rules = _read_and_check(folder, paths)
    rule_cache.put(key, rules)
    return select_rules(rules, select)


def _read_and_check(folder: Path, paths: list[Path]) -> list[Rule]:
    problems: list[Problem] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            rule = read_rule(path)
        except InputError as e:
            problems.extend(e.problems)
            continue
        if rule.id in seen:
            problems.append(Problem(f"{folder.name}/{path.name}", f"id: '{rule.id}' is also used by {seen[rule.id]}"))
        seen[rule.id] = path.name
        rules.append(rule)
    if not problems:
        problems.extend(check_sql(rules))
    if problems:
        raise InputError(problems)
    return rules


def select_rules(rules: list[Rule], select: list[str] | None) -> list[Rule]:
    """The rules named in ``--select`` (all when None); an unknown name is an error naming it."""
    if not select:
        return rules
    unknown = [s for s in select if s not in {r.id for r in rules}]
    if unknown:
        raise InputError(Problem("--select", f"no rule called {', '.join(unknown)}"))
    return [r for r in rules if r.id in select]


def check_sql(rules: list[Rule]) -> list[Problem]:
    """Run each rule's SQL on an empty database of the contract's tables: catches unknown tables
    and columns, syntax errors and missing result columns before any data is loaded."""
    from .engine import lock_down, prepare_database

    con = duckdb.connect(":memory:")
    prepare_database(con)
    lock_down(con)  # planning a query can read a file (a CSV's header): not a rule's
    problems = []
    for rule in rules:
        where = f"{rule.path.parent.name}/{rule.path.name}" if rule.path else rule.id
        values = {**dict(rule.parameters), "as_of": dt.date(2025, 3, 31), "period_start": dt.date(2024, 4, 1),
                  "period_end": dt.date(2025, 3, 31)}
        queries = [("sql", rule.exception_query, EXCEPTION_COLUMNS),
                   ("population", rule.population_query, POPULATION_COLUMNS)]
        if rule.due_soon:
            queries.append(("due_soon", rule.due_soon_query, ()))
        for field, sql, needed in queries:
            try:
                cur = con.execute(f"SELECT * FROM ({sql}) LIMIT 0", rule.bind(sql, values))
            except duckdb.Error as e:
                problems.append(Problem(where, f"{field}: {str(e).splitlines()[0]}"))
                continue
            got = [d[0] for d in cur.description]
            rule._planned[sql] = got
            missing = [c for c in needed if c not in got]
            if missing:
                problems.append(Problem(where, f"{field}: the query must return column(s) {', '.join(missing)}"))
    con.close()
    return problems
