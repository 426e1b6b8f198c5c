"""The data-quality checks in a process of their own, beside the rules rather than in front of them.

Importing Great Expectations takes some 4 s of Python work, and Python work in one process shares one
interpreter lock: in a thread it would still hold up reading, loading and the rules. So a night starts
this worker first (``QualityWorker.start``); it imports GX while the extract is read and loaded. The
loaded tables are then written to private temporary Parquet files, the worker runs the checks on them
(``quality.validate``) on the second core while the rules run, and the night collects the findings
(``result``) before it writes the history and the report. The findings are the same as in one process.

The worker reads one request line (JSON) on stdin and writes one answer line on stdout; the temporary
folder (owner-only) is removed when the night is done, whatever happens.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from .errors import ident, literal


class QualityWorker:
    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._dir: Path | None = None

    def start(self) -> QualityWorker:
        """Start the worker process now, so that its import of GX overlaps the load."""
        self._proc = subprocess.Popen([sys.executable, "-m", "careplan_checks.quality_worker"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return self

    def submit(self, con: duckdb.DuckDBPyConnection, present: set[str], year: str | None) -> None:
        """Copy the loaded tables to private Parquet files and hand them to the worker: it checks them while the
        caller goes on with the rules."""
        if self._proc is None:
            raise RuntimeError("the quality worker was not started")
        self._dir = Path(tempfile.mkdtemp(prefix="careplan-quality-"))  # 0700
        # Parquet: DuckDB writes it in parallel, in half the time of a database file of the same tables
        # (2.4 s against 4.7 s for 100,000 children's 11 million rows), and this copy is on the night's path.
        for table in sorted(present):
            path = literal(str(self._dir / f"{table}.parquet"))
            con.execute(f"COPY main.{ident(table)} TO {path} (FORMAT parquet)")
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"folder": str(self._dir), "present": sorted(present), "year": year}) + "\n")
        self._proc.stdin.flush()  # the request is complete; ``result`` closes stdin and waits

    def result(self) -> list[tuple]:
        """Wait for the worker's findings (rows of ``quality_results``)."""
        if self._proc is None:
            raise RuntimeError("the quality worker was not started")
        out, err = self._proc.communicate()
        self.close()
        try:
            answer = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        except ValueError:
            answer = {}
        if self._proc.returncode != 0 or "rows" not in answer:
            reason = answer.get("error") or (err.strip().splitlines() or ["no answer"])[-1]
            raise RuntimeError(f"the data-quality checks failed: {reason}")
        return [tuple(r) for r in answer["rows"]]

    def close(self) -> None:
        """Stop the worker if it still runs, and remove the temporary copy of the tables."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def _serve() -> int:
    import great_expectations  # noqa: F401  (the slow part: done while the night loads the extract)

    from . import gx_compat  # noqa: F401  (GX's analytics off before it is imported)
    from .quality import validate

    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the night ended before it needed the checks
    request: dict[str, Any] = json.loads(line)
    try:
        con = duckdb.connect()
        for table in request["present"]:  # the checks read the copy where it lies
            path = Path(request["folder"]) / f"{table}.parquet"
            con.execute(f"CREATE VIEW {ident(table)} AS SELECT * FROM read_parquet({literal(str(path))})")
        rows = validate(con, set(request["present"]), year=request["year"])
        con.close()
    except Exception as e:  # the night reports it; never a cell's value
        print(json.dumps({"error": f"{type(e).__name__}"}), flush=True)
        return 1
    print(json.dumps({"rows": [list(r) for r in rows]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
