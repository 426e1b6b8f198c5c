"""SSDA903 code lists by DfE collection year.

The DfE revises the 903 code lists between collection years (a collection year
runs 1 April to 31 March and is labelled by its two calendar years, ``2024-25``).
An extract is rarely one year's return: it holds episodes that began under older
lists, and authorities' systems move to a new list at different times. So the
contract (``contract.py``) accepts any code valid in *some* supported year
(``all_codes``), and a code that is valid in another year but not in the run's
year is a data-quality finding (``quality.validate(..., year=...)``), not a
dropped row.

Each list below names its source. They were checked against the DfE's own
validation rules as encoded, one rule set per collection year, in the public
Data to Insight 903 validator (``data-to-insight/csc-validator-be-903``,
``lac_validator/rules/lac<year>/rule_<DfE rule number>.py``; a year inherits
the previous year's rule unless it overrides it, and so does a list here) and
against Social Finance's ``liia-tools`` 903 schemas. A year with no entry in a
list's ``_from({...})`` keeps the list of the year before it.
"""

from __future__ import annotations

import datetime as dt

#: The collection years whose code lists are known here, oldest first.
SUPPORTED_YEARS: tuple[str, ...] = ("2022-23", "2023-24", "2024-25", "2025-26", "2026-27")

CodeLists = dict[str, tuple[str, ...]]


def _from(changes: dict[str, str]) -> CodeLists:
    """Every supported year's list, given the years in which the list changed.

    A year takes the list of the latest change on or before it, as the validator's
    rule sets inherit the previous year's rule unless they override it.
    """
    unknown = set(changes) - set(SUPPORTED_YEARS)
    if unknown or SUPPORTED_YEARS[0] not in changes:
        raise ValueError(f"code list changes must start in {SUPPORTED_YEARS[0]} and name supported years: {unknown}")
    out: CodeLists = {}
    current: tuple[str, ...] = ()
    for year in SUPPORTED_YEARS:
        if year in changes:
            current = tuple(changes[year].split())
        out[year] = current
    return out


def _every_year(codes: str) -> CodeLists:
    return _from({SUPPORTED_YEARS[0]: codes})


# Source: D2I validator rule 101, lac2022_23 ["1", "2"] and lac2024_25 ["M", "F", "U"] (no override in
# 2023-24, 2025-26 or 2026-27); liia-tools SSDA903_schema_2024.yml (the 2023-24 return) still has 1/2.
# Reading taken: the UASC file's SEX follows the header's list (the DfE has one sex code list for the
# return; the validator checks only the header's).
_SEX = _from({"2022-23": "1 2", "2024-25": "M F U"})

CODE_LISTS: dict[tuple[str, str], CodeLists] = {
    ("header", "SEX"): _SEX,
    ("uasc", "SEX"): _SEX,
    # Source: D2I rule 103, lac2022_23 and lac2024_25 (identical lists); liia-tools SSDA903_schema_2024.yml.
    ("header", "ETHNIC"): _every_year(
        "WBRI WIRI WOTH WIRT WROM MWBC MWBA MWAS MOTH AIND APKN ABAN AOTH BCRB BAFR BOTH CHNE OOTH REFU NOBT"),
    # Source: D2I rule 143 (lac2022_23, not overridden later).
    ("episodes", "RNE"): _every_year("S L P T B U"),
    # Source: D2I rule 144 (lac2022_23, not overridden later).
    ("episodes", "LS"): _every_year("C1 C2 D1 E1 V2 V3 V4 L1 L2 L3 J1 J2 J3"),
    # Source: D2I rule 145 (lac2022_23, not overridden later).
    ("episodes", "CIN"): _every_year("N1 N2 N3 N4 N5 N6 N7 N8"),
    # Source: D2I rule 146: lac2022_23 (inherited unchanged by lac2023_24: no K3 yet; lac2023_24 rule 230
    # instead asks for a URN on H5 placements from 28 October 2023), lac2024_25 (adds K3, registered
    # supported accommodation; the file spells it "k3", a typo we read as K3, and keeps H5, P2 and Z1),
    # lac2025_26 (retires H5, P2 and Z1; Z1 is split into Z11-Z14; inherited by lac2026_27).
    # liia-tools SSDA903_schema_2024.yml (2023-24) agrees: H5, P2, Z1 and no K3.
    ("episodes", "PLACE"): _from({
        "2022-23": "A3 A4 A5 A6 H5 K1 K2 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1",
        "2024-25": "A3 A4 A5 A6 H5 K1 K2 K3 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1",
        "2025-26": "A3 A4 A5 A6 K1 K2 K3 P1 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z11 Z12 Z13 Z14",
    }),
    # Source: D2I rule 178, lac2022_23 and lac2025_26 (same provider codes; only the placements that need
    # none changed, Z1 to Z11-Z14).
    ("episodes", "PLACE_PROVIDER"): _every_year("PR0 PR1 PR2 PR3 PR4 PR5"),
    # Source: D2I rule 149 (lac2022_23, not overridden later); liia-tools SSDA903_schema_2024.yml.
    ("episodes", "REC"): _every_year(
        "X1 E11 E12 E2 E3 E4A E4B E13 E41 E45 E46 E47 E48 E5 E6 E7 E8 E9 E14 E15 E16 E17"),
    # Source: liia-tools SSDA903_schema_2024.yml (the D2I validator has no code-list rule for this column;
    # its lac2025_26 rules 226 and 234 use CUSTOD and the list unchanged).
    ("episodes", "REASON_PLACE_CHANGE"): _every_year(
        "CARPL CLOSE ALLEG STAND APPRR CREQB CREQO CHILD LAREQ PLACE CUSTOD OTHER"),
    # Source: D2I rule 167 (lac2022_23, not overridden later).
    ("reviews", "REVIEW_CODE"): _every_year("PN0 PN1 PN2 PN3 PN4 PN5 PN6 PN7"),
    # Source: D2I rule 196 (SDQ1-SDQ5); liia-tools SSDA903_schema_2024.yml.
    ("oc2", "SDQ_REASON"): _every_year("SDQ1 SDQ2 SDQ3 SDQ4 SDQ5"),
    # Source: D2I rule 131 (lac2022_23, not overridden later).
    ("oc3", "IN_TOUCH"): _every_year("YES NO DIED REFU NREQ RHOM"),
    # Source: D2I rule 132 (lac2022_23, not overridden later); liia-tools changed this list last for its
    # 2022 schema, before the supported years, so it is the same in every supported year.
    ("oc3", "ACTIV"): _every_year("F1 P1 F2 P2 F4 P4 F5 P5 G4 G5 G6 0"),
    # Source: D2I rule 133 (lac2022_23, not overridden later): no fixed abode (S) and custody (X) are valid
    # only as unsuitable, S2 and X2; S1 and X1 are not codes in any supported year. Reading taken: the
    # validator's list, over liia-tools SSDA903_schema_2024.yml, which also lists S1 and X1 (a loading
    # schema, not the DfE's validation rule).
    ("oc3", "ACCOM"): _every_year(
        "B1 B2 C1 C2 D1 D2 E1 E2 G1 G2 H1 H2 K1 K2 R1 R2 S2 T1 T2 U1 U2 V1 V2 W1 W2 X2 Y1 Y2 Z1 Z2 0"),
    # Source: liia-tools SSDA903_schema_2024.yml.
    ("missing", "MISSING"): _every_year("M A"),
    # Source: D2I rule SW13STG1, lac2023_24 and lac2024_25 (identical lists). The social worker file is
    # new in the 2023-24 return; reading taken: its list is not narrower in 2022-23 (that year has no such
    # file to check), so it is the same list in every supported year.
    ("sw_episodes", "SW_REASON"): _every_year("MANAGE FCONTA LEFTRL ORGRST TSPROC ABSENC CHCHAN PCCHAN SWDIED OTHERS"),
}


def _lists(table: str, column: str) -> CodeLists:
    try:
        return CODE_LISTS[(table, column)]
    except KeyError:
        raise KeyError(f"no SSDA903 code list for {table}.{column}") from None


def codes_for(table: str, column: str, year: str) -> tuple[str, ...]:
    """The codes valid for ``table.column`` in collection year ``year`` (e.g. ``2024-25``)."""
    if year not in SUPPORTED_YEARS:
        raise ValueError(f"collection year {year!r} is not supported: {', '.join(SUPPORTED_YEARS)}")
    return _lists(table, column)[year]


def all_codes(table: str, column: str) -> tuple[str, ...]:
    """The union over the supported years: the latest year's codes, then the codes only older years had
    (newest first), so a list reads current codes first and retired ones last."""
    out: list[str] = []
    for year in reversed(SUPPORTED_YEARS):
        out += [c for c in _lists(table, column)[year] if c not in out]
    return tuple(out)


def years_valid(table: str, column: str, code: str) -> tuple[str, ...]:
    """The supported years in which ``code`` is valid for ``table.column``, oldest first."""
    return tuple(y for y in SUPPORTED_YEARS if code in _lists(table, column)[y])


def varies_by_year(table: str, column: str) -> bool:
    """Whether some supported year's list for ``table.column`` is narrower than the union."""
    return (table, column) in CODE_LISTS and any(
        len(codes_for(table, column, y)) < len(all_codes(table, column)) for y in SUPPORTED_YEARS)


def collection_year_of(date: dt.date) -> str:
    """The label of the collection year containing ``date``: 1 April starts a year, 31 March ends it."""
    first = date.year if date.month >= 4 else date.year - 1
    return f"{first}-{(first + 1) % 100:02d}"
