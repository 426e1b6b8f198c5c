"""The night's outputs on the sample, byte for byte, as they were before the speed work of this round.

The digests in ``golden/sample_outputs.sha256`` were taken with the code as it stood before the quality
checks moved beside the rules, became composite expectations, and before the rules' due-soon lists were
folded into their main statement. An optimisation must not change a byte of what officers read. A change
that is meant to change the outputs (a new rule, a corrected one, new wording) regenerates the file:

    careplan-checks run sample_data --as-of 2025-03-31 --out /tmp/o && (cd /tmp/o && sha256sum \\
        due_soon.csv exceptions.csv exceptions.json rejected_rows.csv report.html summary.csv validation.csv \\
        validation_summary.csv) \\
        > tests/golden/sample_outputs.sha256

(The workbooks carry their creation time and the manifest the run's; both are compared elsewhere.)
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE


@pytest.mark.parametrize("process", ["fresh", "this"])
def test_the_sample_night_writes_the_same_bytes(cli, tmp_path: Path, process: str):
    """In a fresh process the checks run in their worker beside the rules; in this one (which has
    imported Great Expectations) in process before them: the same bytes either way."""
    out = tmp_path / "report"
    args = ["run", str(SAMPLE), "--as-of", "2025-03-31", "--out", str(out), "--db", str(tmp_path / "h.duckdb")]
    if process == "fresh":
        done = subprocess.run([sys.executable, "-c", "from careplan_checks.cli import main; main()", *args],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 1), done.stderr[-2000:]
    else:
        import great_expectations  # noqa: F401

        result = cli(*args)
        assert result.exit_code in (0, 1), result.output
    golden = [line.split() for line in (REPO / "tests" / "golden" / "sample_outputs.sha256").read_text().splitlines()]
    assert len(golden) == 8
    changed = [name for digest, name in golden if hashlib.sha256((out / name).read_bytes()).hexdigest() != digest]
    assert not changed, f"outputs changed: {changed}"
