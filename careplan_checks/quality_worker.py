"""The data-quality checks in a process of their own, beside the rules rather than in front of them.

Importing Great Expectations takes some 4 s of Python work, and Python work in one process shares one
interpreter lock: in a thread it would still hold up reading, loading and the rules. So a night starts
this worker first (``QualityWorker.start``); it imports GX while the extract is read and loaded. The
loaded tables are then written to private temporary Parquet files (``worker.Worker``), the worker runs
the checks on them (``quality.validate``) on the second core while the rules run, and the night collects
the findings (``result``) before it writes the history and the report. The findings are the same as in
one process.
"""

from __future__ import annotations

import sys
from typing import Any

import duckdb

from .errors import ident
from .worker import Worker, serve


class QualityWorker(Worker):
    module = "careplan_checks.quality_worker"
    what = "the data-quality checks"

    def submit(self, con: duckdb.DuckDBPyConnection, present: set[str], year: str | None) -> None:
        """Hand the loaded tables to the worker: it checks them while the caller goes on with the rules."""
        # Parquet: DuckDB writes it in parallel, in half the time of a database file of the same tables
        # (2.4 s against 4.7 s for 100,000 children's 11 million rows), and this copy is on the night's path.
        self.send(con, {t: f"SELECT * FROM main.{ident(t)}" for t in present}, {"year": year})

    def result(self) -> list[tuple]:
        """Wait for the worker's findings (rows of ``quality_results``)."""
        answer = self.answer()
        if "rows" not in answer:
            raise RuntimeError(f"{self.what} failed: no answer")
        return [tuple(r) for r in answer["rows"]]


def _check(con: duckdb.DuckDBPyConnection, request: dict[str, Any]) -> dict[str, Any]:
    from .quality import validate

    rows = validate(con, set(request["tables"]), year=request["year"])
    return {"rows": [list(r) for r in rows]}


def _serve() -> int:
    import great_expectations  # noqa: F401  (the slow part: done while the night loads the extract)

    from . import gx_compat  # noqa: F401  (GX's analytics off before it is imported)

    return serve(_check)


if __name__ == "__main__":
    sys.exit(_serve())
