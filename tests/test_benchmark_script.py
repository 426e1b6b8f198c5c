"""The benchmark script runs and writes its table (figures only: no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_benchmark_script_writes_a_results_table(tmp_path: Path):
    results = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "120",
                           "--results", str(results),
                           "--startup-rules", "40"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    text = results.read_text()
    assert "| 120 | 5 | all |" in text and "load ÷ plain read_csv" in text and "`careplan-checks --help`" in text
    assert "**Start-up** with 40 rule files" in text
