"""Reference documents generated from the code: the extract contract (and, with the
rule engine, the rule reference). Tests fail when a committed copy is stale."""

from __future__ import annotations

from pathlib import Path

import yaml

from .codes import SUPPORTED_YEARS, all_codes, varies_by_year, years_valid
from .contract import CONTRACT_VERSION, KIND_HELP, TABLES


def contract_markdown() -> str:
    out = [
        f"# Extract contract, version {CONTRACT_VERSION}",
        "",
        "Generated from `careplan_checks/contract.py` by `careplan-checks docs`; do not edit by hand.",
        "",
        "An extract is a folder of files, one table per file: CSV (UTF-8, with or without BOM, comma-separated), "
        "XLSX (one sheet, or a sheet named after the table) or Parquet. A file is recognised by its name "
        "(`episodes.csv`, `Episodes.xlsx`) or, failing that, by its exact set of headers. Column names and codes "
        "are case-insensitive; dates are `dd/mm/yyyy` or `yyyy-mm-dd`. Every table may be absent: a rule that "
        "needs an absent table is reported as not run. A value that cannot be typed in a key or required column "
        "drops its row; in any other column it empties the cell and the row is kept. Each is listed in "
        "`rejected_rows` with file, line, column, reason and the action taken (`row dropped`, `cell emptied`). "
        "Dates may carry a time part, which is ignored; codes and numbers written as `1.0` are read as `1`.",
        "",
        "Extracts must be anonymised: names, addresses, NHS numbers, real UPNs and full postcodes are refused.",
        "",
        f"SSDA903 code lists are those of the DfE collection years {SUPPORTED_YEARS[0]} to {SUPPORTED_YEARS[-1]} "
        "together: a code valid in any of them loads. Where a list changed between years, the table says in which "
        "years each code is valid; a code valid in another year but not in the run's is a data-quality finding.",
        "",
        "The column *SSD source* says where `careplan-checks from-ssd` takes each column from in the Standard "
        "Safeguarding Dataset (v1.4.5), or, where SSD has none, why; such columns (and tables) are not written "
        "by `from-ssd`, so the rules that read them are reported as not run.",
        "",
    ]
    from .ssd import coverage

    for group, title in (("ssda903", "SSDA903 tables"), ("supplement", "Care-plan supplement")):
        out += [f"## {title}", ""]
        for t in (t for t in TABLES if t.group == group):
            out += [f"### `{t.name}`", "", t.description, ""]
            if t.key:
                out += [f"One row per {' + '.join(t.key)}.", ""]
            if t.name not in coverage.WRITTEN_TABLES:
                out += [f"SSD: not supplied ({coverage.reason_missing(t.name, None)}).", ""]
            out += ["| column | required | type | codes / range | meaning | SSD source |",
                    "|---|---|---|---|---|---|"]
            for c in t.columns:
                kind = KIND_HELP[c.kind].format(max_length=c.max_length)
                if c.codes:
                    allowed = " ".join(f"`{x}`" for x in c.codes)
                elif c.kind == "int":
                    allowed = f"{c.minimum}–{c.maximum}"
                else:
                    allowed = ""
                ssd = coverage.source_of(t.name, c.name) or (
                    f"— ({coverage.reason_missing(t.name, c.name)})" if t.name in coverage.WRITTEN_TABLES else "—")
                out.append(f"| {c.name} | {'yes' if c.required else ''} | {kind} | {allowed} | {c.description} "
                           f"| {ssd} |")
            for c in t.columns:
                if varies_by_year(t.name, c.name):
                    out.append(f"\n{c.name} codes by collection year: {_codes_by_year(t.name, c.name)}.")
            for later, earlier in t.date_order:
                out.append(f"\n{later} must not be before {earlier} (a data-quality finding, not a rejection).")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _span(years: tuple[str, ...]) -> str:
    """``2022-23 to 2023-24``, ``from 2024-25`` (to the last supported year), or a list of years."""
    i = SUPPORTED_YEARS.index(years[0])
    if years != SUPPORTED_YEARS[i:i + len(years)]:
        return ", ".join(years)
    if years[-1] == SUPPORTED_YEARS[-1]:
        return f"from {years[0]}"
    return years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"


def _codes_by_year(table: str, column: str) -> str:
    """The codes not valid in every supported year, grouped by the years they are valid in."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for code in all_codes(table, column):
        years = years_valid(table, column, code)
        if years != SUPPORTED_YEARS:
            groups.setdefault(years, []).append(code)
    ordered = sorted(groups.items(), key=lambda g: (SUPPORTED_YEARS.index(g[0][0]), -len(g[0])))
    parts = [f"{' '.join(f'`{x}`' for x in codes)} {_span(years)}" for years, codes in ordered]
    if sum(map(len, groups.values())) < len(all_codes(table, column)):
        parts.append("the others in every supported year")
    return "; ".join(parts)


def rules_markdown(rules: list, not_checkable: list[dict] | None = None) -> str:
    """The rule reference, for QA officers: what each rule asks, where it comes from, its settings."""
    out = ["# Rule reference", "",
           "Generated from `rules/*.yml` by `careplan-checks rules docs`; do not edit by hand.", "",
           verified_summary(rules), "",
           "| rule | severity | area | title | source read |", "|---|---|---|---|---|"]
    out += [f"| [{r.id}](#{r.id.lower()}) | {r.severity} | {r.area} | {r.title} | "
            f"{'yes' if r.source.verified else 'not all of it'} |" for r in rules]
    for r in rules:
        out += ["", f"## {r.id}", "", f"**{r.title}** — severity {r.severity}, area {r.area}, "
                f"target {r.target:.0%}, counted in {r.counts}.", "", r.requirement.strip(), "",
                f"*Why it matters:* {r.rationale.strip()}", "",
                f"*Source:* {r.source.document}: {r.source.reference}"
                + ("" if r.source.verified else " (wording not verified against the text)"), "",
                f"*Tables:* {', '.join(r.tables)}"
                + (f"; also reads, when present: {', '.join(r.also_reads)}" if r.also_reads else ""),
                "*Due soon:* " + ("the items not yet done and due in the next `--due-within` days are listed"
                                  if r.due_soon else "none: the rule checks what is recorded, not an action owed "
                                                     "by a date")]
        if r.parameters:
            out.append("*Parameters* (override with `--param " + r.id + ".NAME=VALUE`): "
                       + ", ".join(f"`{k}` = {v}" for k, v in r.parameters.items()))
    if not_checkable:
        out += ["", "## Not yet checkable", "",
                "Catalogue items that need data the extract contract does not carry yet.", "",
                "| item | requirement | what is missing |", "|---|---|---|"]
        out += [f"| {n['id']} | {n['title']} | {n['reason']} |" for n in not_checkable]
    return "\n".join(out).rstrip() + "\n"


def verified_summary(rules: list) -> str:
    """How many rules quote the text they cite: the README states the same sentence."""
    n = sum(r.source.verified for r in rules)
    return (f"{n} of the {len(rules)} rules quote or closely paraphrase the text they cite, read in the source "
            f"(`verified: true`); the other {len(rules) - n} say which part of their source was not read.")


def not_checkable(folder: Path) -> list[dict]:
    """The catalogue items listed in ``_not_yet_checkable.yml`` beside the rules."""
    path = folder / "_not_yet_checkable.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []


def rules_reference(folder: Path) -> str:
    from .rules import load_rules

    return rules_markdown(load_rules(folder), not_checkable(folder))


def validation_reference(folder: Path) -> str:
    """The DfE 903 validation pack's reference: each code, its years, tables, fields and message, the
    reading taken where the DfE's text is ambiguous, what it cannot check, and the codes left out."""
    from .validation_rules import load_pack

    pack = load_pack(folder)
    out = ["# DfE SSDA903 validation pack", "",
           "Generated from `rules/dfe903/*.yml` by `careplan-checks docs`; do not edit by hand.", "",
           f"{len(pack)} DfE codes. Each applies in the collection years shown; *reading* is the reading taken "
           "where the DfE's text can be read more than one way, *not checked* what the extract cannot show.", "",
           "| code | years | tables | fields | message |", "|---|---|---|---|---|"]
    out += [f"| [{r.code}](#{r.code.lower()}) | {r.years} | {', '.join(r.tables)} | {', '.join(r.fields)} | "
            f"{r.message} |" for r in pack]
    for r in pack:
        out += ["", f"## {r.code}", "", f"**{r.message}** ({r.years}; {', '.join(r.tables)}: {', '.join(r.fields)})"]
        if r.reading:
            out += ["", f"*Reading:* {' '.join(r.reading.split())}"]
        if r.not_checked:
            out += ["", f"*Not checked:* {' '.join(r.not_checked.split())}"]
    left = folder / "_not_in_the_pack.yml"
    if left.exists():
        out += ["", "## Not in the pack", "", "| code | why |", "|---|---|"]
        out += [f"| {n['code']} | {n['reason']} |" for n in yaml.safe_load(left.read_text(encoding="utf-8"))]
    return "\n".join(out).rstrip() + "\n"
