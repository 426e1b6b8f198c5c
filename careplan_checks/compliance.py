"""The compliance rate and its red/amber/green rating: defined once, for SQL and for Python.

A rate is the share of a rule's population that is not an exception. Every
exception belongs to its population (the engine refuses a rule whose exceptions
do not), so a rate is always between 0 and 1; one that is not is a fault to see,
never a value to clamp.
"""

from __future__ import annotations

import duckdb

#: Below the target by less than this is amber; further below is red.
AMBER_BAND = 0.1

MACROS = f"""
CREATE OR REPLACE TEMP MACRO compliance_rate(population, exceptions) AS
    CASE WHEN population > 0 THEN 1 - exceptions / population END;
CREATE OR REPLACE TEMP MACRO rag(rate, target) AS
    CASE WHEN rate IS NULL OR target IS NULL THEN NULL WHEN rate >= target THEN 'green'
         WHEN rate >= target - {AMBER_BAND} THEN 'amber' ELSE 'red' END;
"""


def install(con: duckdb.DuckDBPyConnection) -> None:
    """``compliance_rate(population, exceptions)`` and ``rag(rate, target)`` as SQL macros."""
    con.execute(MACROS)


def rate(population: int, exceptions: int) -> float | None:
    """The compliance rate, None without a population; a rate outside 0-1 raises."""
    if population == 0:
        return None
    value = 1 - exceptions / population
    if not 0 <= value <= 1:
        raise ValueError(f"{exceptions} exceptions in a population of {population}")
    return value


def rag(value: float | None, target: float | None) -> str | None:
    if value is None or target is None:
        return None
    return "green" if value >= target else "amber" if value >= target - AMBER_BAND else "red"
