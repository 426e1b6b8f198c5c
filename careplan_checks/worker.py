"""A helper process for Python work that would otherwise hold the night's one interpreter lock.

The night has two such pieces of work: importing Great Expectations and running its checks
(``quality_worker``), and writing the exceptions workbook cell by cell with xlsxwriter
(``reports.workbook_worker``). Each runs in a process of its own, started at the beginning of the night
so that its imports overlap the load, and given its work later: tables copied to private temporary
Parquet files (DuckDB writes them in parallel) and one request line (JSON) on stdin. It writes one
answer line (JSON) on stdout. The folder is owner-only and removed when the work is done or the
night stops, whatever happens; the process is killed if it still runs.
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

from . import spill
from .errors import ident, literal


class Worker:
    """One helper process running ``python -m <module>``, whose ``serve`` answers one request."""

    module = ""
    what = "the helper process"  # in the message when it fails

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._dir: Path | None = None

    def start(self) -> Worker:
        """Start the process now, so that its imports overlap the night's own work."""
        self._proc = subprocess.Popen([sys.executable, "-m", self.module], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return self

    def send(self, con: duckdb.DuckDBPyConnection, tables: dict[str, str], request: dict[str, Any]) -> None:
        """Copy ``tables`` (name in the worker: query on ``con``) to private Parquet files and hand the worker
        ``request`` with the folder: it works on them while the caller goes on."""
        if self._proc is None:
            raise RuntimeError(f"{self.what} was not started")
        # 0700, inside the night's private folder: removed by ``close``, or by the next run if this one is killed
        self._dir = Path(tempfile.mkdtemp(prefix="worker-", dir=spill.folder()))
        for name, query in sorted(tables.items()):
            con.execute(f"COPY ({query}) TO {literal(str(self._dir / f'{name}.parquet'))} (FORMAT parquet)")
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps({**request, "folder": str(self._dir), "tables": sorted(tables)}) + "\n")
            self._proc.stdin.flush()  # the request is complete; ``answer`` closes stdin and waits
        except BrokenPipeError:  # the worker has stopped already: say why, not that a pipe broke
            self.answer()
            raise RuntimeError(f"{self.what} failed: the helper process stopped") from None

    def answer(self) -> dict[str, Any]:
        """Wait for the worker's answer; a worker that failed raises, naming only the kind of error."""
        if self._proc is None:
            raise RuntimeError(f"{self.what} was not started")
        out, err = self._proc.communicate()
        self.close()
        try:
            answer = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        except ValueError:
            answer = {}
        if self._proc.returncode != 0 or "error" in answer or not answer:
            reason = answer.get("error") or (err.strip().splitlines() or ["no answer"])[-1]
            raise RuntimeError(f"{self.what} failed: {reason}")
        return answer

    def close(self) -> None:
        """Stop the worker if it still runs, and remove the temporary copy of the tables."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def serve(work: Any) -> int:
    """The worker's side: read the request, open the tables where they lie as views of their names, and print
    ``work(con, request)`` (a JSON-able dict) as the answer. An error is answered with its kind only: never
    a message, which may quote a cell."""
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the night ended before it needed the worker
    request: dict[str, Any] = json.loads(line)
    try:
        # spill, if it must, beside the copy of the tables: a private folder the night removes
        con = spill.connect(inside=Path(request["folder"]))
        for table in request["tables"]:
            path = Path(request["folder"]) / f"{table}.parquet"
            con.execute(f"CREATE VIEW {ident(table)} AS SELECT * FROM read_parquet({literal(str(path))})")
        answer = work(con, request)
        con.close()
    except Exception as e:
        print(json.dumps({"error": f"{type(e).__name__}"}), flush=True)
        return 1
    print(json.dumps(answer), flush=True)
    return 0
