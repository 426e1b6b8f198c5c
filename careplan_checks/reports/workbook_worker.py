"""The exceptions workbook written in a process of its own, beside the night's other outputs.

xlsxwriter writes a workbook cell by cell in Python: 0.7 s for 2,000 children's exceptions, some 5 s for
100,000 children's, on one core while the other is idle at the end of the night. So a night that writes a
report starts this worker at its beginning (its imports overlap the load); the report's tables are copied
to private Parquet files once they are built (``worker.Worker``), the worker writes the workbook from them
with the same code (``files.exceptions_workbook``) while the night writes the CSV, JSON and HTML files, and
the night waits for it before the manifest. The workbook is the same, byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import duckdb

from ..worker import Worker, serve

#: The report's tables the workbook reads (``files.exceptions_workbook``).
TABLES = ("report_rules", "report_exceptions", "report_due_soon", "report_validation_summary", "report_validation")


class WorkbookWorker(Worker):
    module = "careplan_checks.reports.workbook_worker"
    what = "the exceptions workbook"

    def submit(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """Hand the report's tables to the worker, to write the workbook at ``path`` while the caller goes on."""
        self.send(con, {t: f"SELECT * FROM {t}" for t in TABLES}, {"path": str(path)})

    def wait(self) -> None:
        """Wait until the workbook is written."""
        self.answer()


def _write(con: duckdb.DuckDBPyConnection, request: dict[str, Any]) -> dict[str, Any]:
    from .files import exceptions_workbook

    exceptions_workbook(con, Path(request["path"]))
    return {"written": True}


def _serve() -> int:
    import xlsxwriter  # noqa: F401  (imported while the night loads the extract)

    from ..history import ACTIONS  # noqa: F401
    from . import files  # noqa: F401

    return serve(_write)


if __name__ == "__main__":
    sys.exit(_serve())
