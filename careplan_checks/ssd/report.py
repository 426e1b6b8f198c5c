"""The mapping report: what a data team acts on after ``from-ssd``.

``mapping_report/`` beside the extract holds:

* ``unmapped_values.csv``: each SSD value with no code (table, column, value, rows): add it to the
  authority's lookups file. The cell was left empty, never guessed. Counts only, never a person.
* ``not_supplied.csv``: the contract tables and columns SSD has no source for, and why.
* ``rules.csv``: for every rule, whether it can run on this extract and, if not, what it lacks.
* ``data_problems.csv``: counts of rows SSD holds in a shape the mapping cannot use (an episode whose
  placement is not in ``ssd_cla_placement``, an unreadable date, ...).
* ``summary.md``: the same in a page a person reads first.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ..rules import DEFAULT_RULES_DIR, load_rules
from . import coverage
from .spec import SSD_TABLES

if TYPE_CHECKING:
    from . import SsdResult


#: Named like dates but text in SSD's DDL: dd/MM/yyyy with zz for the parts not known, passed on as text.
TEXT_DATES = {"lapp_previous_permanence_order_date"}


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def unmapped(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """(table, column, value, rows) for every source value left without a code."""
    parts = []
    for table in coverage.WRITTEN_TABLES:
        cols = [d[0] for d in con.execute(f"SELECT * FROM ssd_out_{table} LIMIT 0").description]
        for raw in (c for c in cols if c.startswith("_RAW_")):
            col = raw.removeprefix("_RAW_")
            code = col if col in cols else None
            if code is None:
                continue
            parts.append(f"""SELECT '{table}' AS T, '{col}' AS C, "{raw}" AS V, count(*) AS N FROM ssd_out_{table}
                WHERE "{raw}" IS NOT NULL AND "{code}" IS NULL GROUP BY ALL""")
    # values that decide whether a row is kept at all: with no code the row is left out, so it is listed here
    parts.append("""SELECT 'episodes', 'LS', _RAW_LS, count(*) FROM ssd_legal
        WHERE _RAW_LS IS NOT NULL AND LS IS NULL GROUP BY ALL""")
    parts.append("""SELECT 'allocations', 'ROLE', _RAW_ROLE, count(*) FROM ssd_involved
        WHERE _RAW_ROLE IS NOT NULL AND ROLE IS NULL GROUP BY ALL""")
    parts.append("""SELECT 'uasc', '(immigration status)', ssd_text(immi_immigration_status), count(*)
        FROM ssd_immigration_status WHERE ssd_text(immi_immigration_status) IS NOT NULL
          AND ssd_code('immi_immigration_status', immi_immigration_status) IS NULL GROUP BY ALL""")
    sql = " UNION ALL ".join(parts)
    return con.execute(f"SELECT T, C, V, max(N) FROM ({sql}) GROUP BY T, C, V ORDER BY T, C, max(N) DESC, V").fetchall()


def data_problems(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(what, where, rows): rows whose shape the mapping cannot use, and unreadable dates."""
    out = []
    n = con.execute("SELECT count(*) FROM ssd_out_episodes WHERE _NO_PLACEMENT_ROW").fetchone()[0]
    if n:
        out.append(("episode whose placement is not in ssd_cla_placement (PLACE left empty, so the episode is "
                    "not loaded). SystemC's SSD script keeps only the placement types in its list, which "
                    "leaves out P3, K3, T2-T4 and Z11-Z14: extend that list", "ssd_cla_episodes", n))
    n = con.execute("SELECT count(*) FROM ssd_out_episodes WHERE _NO_LEGAL_STATUS").fetchone()[0]
    if n:
        out.append(("episode with no legal status in force on its start date in ssd_legal_status (LS left "
                    "empty, so the episode is not loaded)", "ssd_legal_status", n))
    for table, cols in SSD_TABLES.items():
        for c in cols:
            if (c.endswith(("_date", "_dob")) or c in ("pers_dob", "pers_expected_dob")) and c not in TEXT_DATES:
                n = con.execute(f"""SELECT count(*) FROM {table} WHERE ssd_text({c}) IS NOT NULL
                    AND ssd_date({c}) IS NULL AND left(ssd_text({c}), 10) <> '1900-01-01'""").fetchone()[0]
                if n:
                    out.append(("unreadable date (left empty)", f"{table}.{c}", n))
    return out


def rule_coverage(result: SsdResult, rules_dir: Path | None = None) -> list[tuple[str, str, str, str]]:
    """(rule, title, status, why) for every rule of the pack on this extract."""
    rows = []
    for rule in load_rules(rules_dir or DEFAULT_RULES_DIR):
        lacking = [t for t in rule.tables if t not in result.rows]
        if lacking:
            why = "; ".join(f"{t}: {coverage.reason_missing(t, None)}" for t in lacking)
            rows.append((rule.id, rule.title, "not run", why))
            continue
        gaps = sorted((t, c) for t, c in rule.columns_read if c in result.columns_absent.get(t, ()))
        if gaps:
            why = "; ".join(f"{t}.{c}: {coverage.reason_missing(t, c)}" for t, c in gaps)
            rows.append((rule.id, rule.title, "not run", why))
            continue
        notes = []
        if ("health_checks", "CHECK_TYPE") in rule.columns_read:
            notes.append("IHA and RHA inferred: a health assessment is the IHA when it is the first in the "
                         "period of care")
        without = [t for t in rule.also_reads if t not in result.rows]
        if without:
            reasons = "; ".join(coverage.reason_missing(t, None) for t in without)
            notes.append(f"runs without {', '.join(without)} ({reasons})")
        rows.append((rule.id, rule.title, "runs, with a caveat" if notes else "runs", "; ".join(notes)))
    return rows


def write(con: duckdb.DuckDBPyConnection, folder: Path, result: SsdResult, rules_dir: Path | None = None) -> int:
    """Write the report into ``folder``; return the number of distinct unmapped values."""
    folder.mkdir(parents=True, exist_ok=True)
    values = unmapped(con)
    _write_csv(folder / "unmapped_values.csv", ["TABLE", "COLUMN", "VALUE", "ROWS"], values)
    missing = coverage.not_supplied()
    missing = [(t, c, why) for t, c, why in missing if c is None or c in result.columns_absent.get(t, [])] + [
        (t, c, "the source holds only placeholders") for t, cols in result.columns_absent.items() for c in cols
        if coverage.source_of(t, c) is not None]
    _write_csv(folder / "not_supplied.csv", ["TABLE", "COLUMN", "REASON"], [(t, c or "(whole table)", w)
                                                                             for t, c, w in missing])
    rules = rule_coverage(result, rules_dir)
    _write_csv(folder / "rules.csv", ["RULE_ID", "TITLE", "FROM_SSD", "WHY"], rules)
    problems = data_problems(con)
    _write_csv(folder / "data_problems.csv", ["PROBLEM", "WHERE", "ROWS"], problems)
    (folder / "summary.md").write_text(_summary(result, values, missing, rules, problems), encoding="utf-8")
    return len(values)


def _summary(result: SsdResult, values: list, missing: list, rules: list, problems: list) -> str:
    runs = [r for r in rules if r[2].startswith("runs")]
    lines = [
        "# From the Standard Safeguarding Dataset: mapping report", "",
        f"Source: {result.staged.source}", "",
        f"- People in ssd_person: {result.people}; kept (looked after, or a care leaver): {result.cohort}.",
        f"- Rules that can run on this extract: {len(runs)} of {len(rules)} (rules.csv).",
        f"- Values with no code, left empty: {len(values)} distinct (unmapped_values.csv). Add them to your "
        "lookups file (--lookups) and run from-ssd again.",
        f"- Rows SSD holds in a shape the mapping cannot use: {sum(p[2] for p in problems)} (data_problems.csv).",
        "",
    ]
    if result.staged.absent_tables:
        lines += [f"- SSD tables not in the source (read as empty): {', '.join(result.staged.absent_tables)}.", ""]
    if result.staged.absent_columns:
        cols = ", ".join(f"{t}.{c}" for t, c in result.staged.absent_columns)
        lines += [f"- SSD columns not in the source (read as empty): {cols}.", ""]
    lines += ["## Rows written", "", "| table | rows |", "|---|---:|"]
    lines += [f"| {t} | {n} |" for t, n in result.rows.items()]
    lines += ["", "## What SSD cannot supply (a supplement extract would add it)", "",
              "| table | column | why |", "|---|---|---|"]
    lines += [f"| {t} | {c or '(whole table)'} | {w} |" for t, c, w in missing]
    lines += ["", "## Rules", "", "| rule | from SSD | why |", "|---|---|---|"]
    lines += [f"| {r[0]} | {r[2]} | {r[3]} |" for r in rules]
    return "\n".join(lines) + "\n"
