"""The one expectation the data-quality suite is made of: a composite query that finds nothing.

Great Expectations' ``UnexpectedRowsExpectation`` asks for two metrics of its query, the rows and
their count, and each is a query of its own: the whole query runs twice. Our composite queries
(``quality.composite_query``) scan whole tables, up to 9 million visits at 100,000 children, and
return one row per check that finds something, some thirty at most; so the count is the number of
rows returned, and running the query a second time for it doubled the checks' cost (2.9 s of DuckDB
time instead of 1.4 s at 100,000 children). This expectation asks for the rows only and counts them.
It is GX's expectation in every other respect (its query, batch, validation and result), and reports
the same observed value and rows.

Imported only where GX is (``quality.validate``): importing GX takes seconds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.constants import MAX_RESULT_RECORDS
from great_expectations.expectations import UnexpectedRowsExpectation


class CompositeChecksFindNothing(UnexpectedRowsExpectation):
    """No row from ``unexpected_rows_query``, whose rows are few (one per check that finds something)."""

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.table",)

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict[str, Any]:
        rows = metrics["unexpected_rows_query.table"]
        if len(rows) >= MAX_RESULT_RECORDS:  # GX fetches this many rows at most: the count would be short
            raise ValueError(f"a composite query returned {MAX_RESULT_RECORDS} rows or more: too many checks in it")
        return {"success": not rows, "result": {"observed_value": len(rows), "details": {"unexpected_rows": rows}}}
