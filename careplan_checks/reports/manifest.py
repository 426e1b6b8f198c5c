"""``manifest.json``: enough for an auditor to prove later which data and which rules
produced a figure, and ``verify`` to check that the outputs are still those."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from .. import __version__
from ..errors import InputError, Problem
from ..extract import sha256_of

MANIFEST = "manifest.json"


def build(con: duckdb.DuckDBPyConnection, run_id: int, outputs: dict[str, Path]) -> dict[str, Any]:
    run = con.execute("SELECT AS_OF, PERIOD_START, PERIOD_END, STARTED, FINISHED FROM runs WHERE RUN_ID = ?",
                      [run_id]).fetchone()
    return {
        "tool": "careplan-checks",
        "version": __version__,
        "run_id": run_id,
        "as_of": run[0].isoformat(),
        "period": {"start": run[1].isoformat(), "end": run[2].isoformat()},
        "started": run[3].isoformat(timespec="seconds"),
        "finished": run[4].isoformat(timespec="seconds"),
        "rules": [{"id": r[0], "sha256": r[1], "status": r[2], "parameters": r[3]} for r in con.execute(
            "SELECT RULE_ID, RULE_HASH, STATUS, PARAMETERS FROM rule_results WHERE RUN_ID = ? ORDER BY RULE_ID",
            [run_id]).fetchall()],
        "inputs": [{"file": r[0], "table": r[1], "sha256": r[2], "rows_read": r[3], "rows_loaded": r[4],
                    "rows_dropped": r[5], "cells_emptied": r[6]} for r in con.execute(
            "SELECT FILE, TABLE_NAME, SHA256, ROWS_READ, ROWS_LOADED, ROWS_REJECTED, CELLS_EMPTIED FROM load_files "
            "ORDER BY FILE"
        ).fetchall()],
        "outputs": [{"file": name, "sha256": sha256_of(path)} for name, path in sorted(outputs.items())],
        **_validation(con, run_id),
    }


def _validation(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    """The DfE 903 codes the night ran (each with its file's SHA-256 and status) and last year's files."""
    codes = con.execute("SELECT CODE, RULE_HASH, STATUS, COLLECTION_YEAR FROM validation_results WHERE RUN_ID = ? "
                        "ORDER BY CODE", [run_id]).fetchall()
    if not codes:
        return {}
    out: dict[str, Any] = {"validation": {"collection_year": codes[0][3], "codes": [
        {"code": c, "sha256": h, "status": s} for c, h, s, _y in codes]}}
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'previous_files'").fetchone()[0]:
        out["validation"]["previous_inputs"] = [
            {"file": f"prev/{r[0]}", "table": r[1], "sha256": r[2], "rows_read": r[3], "rows_loaded": r[4]}
            for r in con.execute("SELECT FILE, TABLE_NAME, SHA256, ROWS_READ, ROWS_LOADED FROM previous_files "
                                 "ORDER BY FILE").fetchall()]
    return out


def verify(folder: Path) -> list[str]:
    """Recompute each output's SHA-256; return the files that differ or are missing."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        outputs = manifest["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(Problem(str(path), "is missing or is not a careplan-checks manifest")) from None
    bad = []
    for item in outputs:
        f = folder / item["file"]
        if not f.is_file():
            bad.append(f"{item['file']}: missing")
        elif sha256_of(f) != item["sha256"]:
            bad.append(f"{item['file']}: changed since the run (SHA-256 differs)")
    return bad
