"""The night's outputs on the sample, byte for byte, as they were before the speed work of this round.

The digests in ``golden/sample_outputs.sha256`` were taken with the code as it stood before the quality
checks moved beside the rules, became composite expectations, and before the rules' due-soon lists were
folded into their main statement. An optimisation must not change a byte of what officers read. A change
that is meant to change the outputs (a new rule, a corrected one, new wording) regenerates the file:

    careplan-checks run sample_data --as-of 2025-03-31 --out /tmp/o && (cd /tmp/o && sha256sum \\
        due_soon.csv exceptions.csv exceptions.json rejected_rows.csv report.html summary.csv) \\
        > tests/golden/sample_outputs.sha256

(The workbooks carry their creation time and the manifest the run's; both are compared elsewhere.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import REPO, SAMPLE


def test_the_sample_night_writes_the_same_bytes(cli, tmp_path: Path):
    out = tmp_path / "report"
    result = cli("run", SAMPLE, "--as-of", "2025-03-31", "--out", out, "--db", tmp_path / "h.duckdb")
    assert result.exit_code in (0, 1), result.output
    golden = [line.split() for line in (REPO / "tests" / "golden" / "sample_outputs.sha256").read_text().splitlines()]
    assert len(golden) == 6
    changed = [name for digest, name in golden if hashlib.sha256((out / name).read_bytes()).hexdigest() != digest]
    assert not changed, f"outputs changed: {changed}"
