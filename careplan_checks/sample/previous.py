"""Last year's 903 return for the sample, in ``prev/``: what the authority submitted a year ago.

Worked out in DuckDB from the sample's own history, as an authority's system would have produced it at the
end of last collection year: the episodes, reviews, missing episodes and social-worker episodes of that
year, with what had not happened by its 31 March left empty (an episode still open then has no end, no
reason for ending and no reason for a placement change; a social worker's reason is known when the episode
starts, so it stays), the header and UASC rows of the children those
concern, and the adoption decisions made by then. So the validation rules that compare this year's
return with last year's (a date of birth that changed, an open episode that does not carry on) run on
the sample too, and find nothing the history does not hold.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from ..contract import TABLES_BY_NAME
from ..errors import literal

PREVIOUS_DIR = "prev"

#: Each table of last year's return: which rows, and the cells that had not happened by its end.
_CUT: dict[str, tuple[str, dict[str, str]]] = {
    "episodes": ("DECOM <= $end AND (DEC IS NULL OR DEC >= $start)",
                 {"DEC": "$end", "REC": "$end", "REASON_PLACE_CHANGE": "$end"}),
    "reviews": ("REVIEW BETWEEN $start AND $end", {}),
    "missing": ("MIS_START <= $end AND (MIS_END IS NULL OR MIS_END >= $start)", {"MIS_END": "$end"}),
    "sw_episodes": ("SW_DECOM <= $end AND (SW_DEC IS NULL OR SW_DEC >= $start)", {"SW_DEC": "$end"}),
    "placed_for_adoption": ("DATE_PLACED <= $end", {"DATE_PLACED_CEASED": "$end", "REASON_PLACED_CEASED": "$end"}),
}
#: The column whose date decides whether a cell above had happened by the year's end.
_WHEN = {"episodes": "DEC", "missing": "MIS_END", "sw_episodes": "SW_DEC", "placed_for_adoption": "DATE_PLACED_CEASED"}


def write_previous(out: Path, as_of: dt.date) -> dict[str, int]:
    """Write last year's return (the collection year before the one ``as_of`` falls in) to ``out/prev``,
    from the sample extract already written to ``out``; rows per table."""
    from ..validation_rules import current_year, year_bounds

    year = current_year(as_of)
    start, end = year_bounds(f"{int(year[:4]) - 1}-{int(year[:4]) % 100:02d}")
    target = out / PREVIOUS_DIR
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    values = {"start": start, "end": end}
    for name in ("header", "uasc", *_CUT):
        table = TABLES_BY_NAME[name]
        typed = ", ".join(f"strptime({c.name}, '%d/%m/%Y')::DATE AS {c.name}" if c.kind == "date" else c.name
                          for c in table.columns)
        con.execute(f"CREATE TABLE {name} AS SELECT {typed} FROM read_csv({literal(str(out / (name + '.csv')))}, "
                    "all_varchar = true, header = true)")
    for name, (rows, later) in _CUT.items():
        when = _WHEN.get(name)
        cells = ", ".join(f"CASE WHEN {when} > {bound} THEN NULL ELSE {c} END AS {c}" for c, bound in later.items())
        sql = (f"CREATE TABLE prev_{name} AS SELECT * REPLACE ({cells}) FROM {name} WHERE {rows}" if cells
               else f"CREATE TABLE prev_{name} AS SELECT * FROM {name} WHERE {rows}")
        con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})
    concerned = " UNION ".join(f"SELECT CHILD FROM prev_{name}" for name in _CUT)
    for name in ("header", "uasc"):  # sex as the year's list had it: 1 and 2 until 2023-24, then M, F and U
        sex = "CASE SEX WHEN 'M' THEN '1' WHEN 'F' THEN '2' ELSE SEX END" if year <= "2024-25" else "SEX"
        # a mother whose first child was born after last year's 31 March was not one then
        mother = (", CASE WHEN MC_DOB > $end THEN '0' ELSE MOTHER END AS MOTHER, "
                  "CASE WHEN MC_DOB > $end THEN NULL ELSE MC_DOB END AS MC_DOB") if name == "header" else ""
        sql = (f"CREATE TABLE prev_{name} AS SELECT * REPLACE ({sex} AS SEX{mother}) FROM {name} "
               f"WHERE CHILD IN ({concerned})")
        con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})
    counts = {}
    for name in ("header", "uasc", *_CUT):
        columns = ", ".join(f"strftime({c.name}, '%d/%m/%Y') AS {c.name}" if c.kind == "date" else c.name
                            for c in TABLES_BY_NAME[name].columns)
        path = target / f"{name}.csv"
        con.execute(f"COPY (SELECT {columns} FROM prev_{name}) TO {literal(str(path))} (HEADER)")
        counts[name] = con.execute(f"SELECT count(*) FROM prev_{name}").fetchone()[0]
    con.close()
    return counts
