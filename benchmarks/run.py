"""Benchmarks: the whole run, stage by stage, from one authority to national scale.

    python benchmarks/run.py            # 500, 2,000, 20,000 and 100,000 children (10 years at the largest)
    python benchmarks/run.py --quick    # up to 20,000 children
    python benchmarks/run.py --sizes 300 --results /tmp/r.md

Each extract is generated with the sample generator, then each measurement runs in a
fresh Python process: the stages of a full run (stages.py), a plain DuckDB read of the
same CSV files (the floor for the load stage), and ``careplan-checks --help``. Figures
go to stdout and to benchmarks/RESULTS.md; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FULL_SIZES = [(500, 5), (2_000, 5), (20_000, 5), (100_000, 10)]


def _fresh(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "stages.py"), *args], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _help_time() -> float:
    best = 99.0
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "careplan_checks.cli", "--help"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def _memory_gb() -> float:
    try:
        with open("/proc/meminfo") as f:
            return round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes up to 20,000 children")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    sizes = [(n, 5) for n in args.sizes] if args.sizes else [s for s in FULL_SIZES if not args.quick or s[0] <= 20_000]
    from careplan_checks.sample import generate

    rows = []
    work = Path(tempfile.mkdtemp(prefix="careplan-bench-"))
    for children, years in sizes:
        extract = work / f"x{children}"
        start = time.perf_counter()
        generate(extract, children=children, seed=3, years=years)
        gen = time.perf_counter() - start
        size_mb = sum(f.stat().st_size for f in extract.iterdir()) / 1e6
        full = _fresh(str(extract), "full")
        plain = _fresh(str(extract), "plain")
        t = full["times"]
        row = {
            "children": children, "years": years, "rows": full["rows"], "csv_mb": round(size_mb, 1),
            "generate_s": round(gen, 1), **t, "peak_rss_mb": full["peak_rss_mb"],
            "plain_read_s": plain["times"]["plain_read_csv"],
            "load_ratio": round((t["read_and_guard"] + t["load"]) / max(plain["times"]["plain_read_csv"], 1e-3), 2),
            "rows_per_s": int(full["rows"] / max(t["total"] - t["import"], 1e-3)),
            "quality_share": round(t.get("quality", 0) / t["total"], 2),
            "exceptions": full["exceptions"],
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    help_s = _help_time()
    print(json.dumps({"help_s": help_s}))
    _write(args.results, rows, help_s)


STAGES = ("import", "read_rules", "read_and_guard", "load", "quality", "views_and_calendar", "rules", "history",
          "reports", "total")


def _write(path: Path, rows: list[dict], help_s: float) -> None:
    out = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/run.py` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores, "
        f"{_memory_gb()} GB of memory, Python {platform.python_version()}, {platform.machine()}. "
        "Each run is a fresh process; times are wall-clock seconds, memory the peak resident set.",
        "",
        "| children | years | rows | CSV MB | " + " | ".join(STAGES) + " | peak MB | rows/s | load ÷ plain read_csv "
        "| quality share |",
        "|" + "---|" * (len(STAGES) + 9),
    ]
    for r in rows:
        out.append(f"| {r['children']:,} | {r['years']} | {r['rows']:,} | {r['csv_mb']} | "
                   + " | ".join(str(r.get(s, "")) for s in STAGES)
                   + f" | {r['peak_rss_mb']:,} | {r['rows_per_s']:,} | {r['load_ratio']} | {r['quality_share']} |")
    out += ["", f"`careplan-checks --help`: {help_s} s (best of three).", ""]
    notes = HERE / "NOTES.md"
    if notes.exists():
        out.append(notes.read_text(encoding="utf-8"))
    path.write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
