"""Benchmarks: the whole run, stage by stage, from one authority to national scale.

    python benchmarks/run.py            # 500 to 100,000 children, and 26,750 with the 903 tables only
    python benchmarks/run.py --quick    # up to 26,750 children
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
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: (children, years, tables): every table, or the SSDA903 tables alone (what every authority has)
FULL_SIZES = [(500, 5, "all"), (2_000, 5, "all"), (20_000, 5, "all"), (26_750, 10, "903"), (100_000, 10, "all")]
STARTUP_RULES = 300
#: children for the DfE 903 validation pack on the 903 tables alone: a large authority, ten, national scale
PACK_903_SIZES = [2_500, 25_000, 100_000]


def _fresh(*args: str, env: dict | None = None) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "stages.py"), *args], capture_output=True, text=True,
                          check=True, env=env)
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


def _only_903(extract: Path) -> None:
    """Leave the SSDA903 tables alone: the supplement files (and the answer key) are removed."""
    from careplan_checks.contract import TABLES_BY_NAME

    for f in extract.iterdir():
        table = TABLES_BY_NAME.get(f.stem)
        if f.is_file() and (table is None or table.group != "ssda903"):
            f.unlink()  # prev/, last year's return, is 903 tables only


def _pack_of(n: int, folder: Path) -> Path:
    """``n`` rule files: the pack's rules, copied under new ids (CP-01 becomes CPA-01, CPB-01, ...)."""
    import re

    folder.mkdir(parents=True, exist_ok=True)
    source = sorted(p for p in (HERE.parent / "rules").glob("*.yml") if not p.name.startswith("_"))
    made = 0
    for copy in range(26):
        for p in source:
            if made == n:
                return folder
            prefix, number = p.stem.split("-")
            new_id = f"{prefix}{chr(65 + copy)}-{number}"
            text = re.sub(r"^id: .*$", f"id: {new_id}", p.read_text(encoding="utf-8"), count=1, flags=re.M)
            (folder / f"{new_id}.yml").write_text(text, encoding="utf-8")
            made += 1
    return folder


def _startup(work: Path, n: int) -> dict:
    pack = _pack_of(n, work / "pack")
    cache = work / "rule-cache"
    cold = _fresh(str(pack), "startup", env={**os.environ, "CAREPLAN_CACHE_DIR": str(cache)})
    warm = _fresh(str(pack), "startup", env={**os.environ, "CAREPLAN_CACHE_DIR": str(cache)})
    return {"rules": warm["rules"], "cold_s": cold["times"]["total"], "warm_s": warm["times"]["total"],
            "warm_import_s": warm["times"]["import"], "warm_read_rules_s": warm["times"]["read_rules"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes up to 26,750 children")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--startup-rules", type=int, default=STARTUP_RULES, help="rule files for the start-up figure")
    parser.add_argument("--903-sizes", dest="sizes_903", type=lambda s: [int(x) for x in s.split(",") if x],
                        default=None, help="children for the DfE 903 pack's figures (default 2500,25000,100000)")
    args = parser.parse_args()
    sizes = [(n, 5, "all") for n in args.sizes] if args.sizes else [
        s for s in FULL_SIZES if not args.quick or s[0] <= 26_750]

    work = Path(tempfile.mkdtemp(prefix="careplan-bench-"))
    try:
        _measure(work, sizes, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the extracts: up to 300 MB at national scale


def _measure(work: Path, sizes: list[tuple[int, int, str]], args: argparse.Namespace) -> None:
    from careplan_checks.sample import generate

    rows = []
    for children, years, tables in sizes:
        extract = work / f"x{children}-{tables}"
        start = time.perf_counter()
        generate(extract, children=children, seed=3, years=years)
        gen = time.perf_counter() - start
        if tables == "903":
            _only_903(extract)
        size_mb = sum(f.stat().st_size for f in extract.iterdir()) / 1e6
        night = _fresh(str(extract), "night")  # the real run, quality beside the rules
        full = _fresh(str(extract), "full")  # the same stages one after another, to see each one's cost
        plain = _fresh(str(extract), "plain")
        t = full["times"]
        row = {
            "children": children, "years": years, "tables": tables, "rows": full["rows"], "csv_mb": round(size_mb, 1),
            "generate_s": round(gen, 1), **t, "peak_rss_mb": full["peak_rss_mb"],
            "night_s": night["times"]["total"], "night_peak_mb": night["peak_rss_mb"],
            "worker_peak_mb": night["worker_peak_rss_mb"],
            "without_gx_s": round(t["total"] - t.get("gx_import", 0) - t.get("quality", 0), 3),
            "plain_read_s": plain["times"]["plain_read_csv"],
            "load_ratio": round((t["read_and_guard"] + t["load"]) / max(plain["times"]["plain_read_csv"], 1e-3), 2),
            "quality_share": round(t.get("quality", 0) / t["total"], 2),  # the checks, GX's import aside
            "exceptions": full["exceptions"],
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    rows_903 = []
    for children in args.sizes_903 if args.sizes_903 is not None else (
            [n for n in PACK_903_SIZES if not args.quick or n <= 25_000] if not args.sizes else []):
        extract = work / f"v{children}"
        generate(extract, children=children, seed=3, years=5)
        _only_903(extract)
        size_mb = sum(f.stat().st_size for f in extract.rglob("*.csv")) / 1e6
        got = _fresh(str(extract), "dfe903")
        row = {"pack": "dfe903", "children": children, "rows": got["rows"], "csv_mb": round(size_mb, 1),
               **got["times"], "codes": got["codes"], "errors": got["errors"], "peak_rss_mb": got["peak_rss_mb"]}
        rows_903.append(row)
        print(json.dumps(row), flush=True)
    startup = _startup(work, args.startup_rules)
    print(json.dumps({"startup": startup}), flush=True)
    help_s = _help_time()
    print(json.dumps({"help_s": help_s}))
    _write(args.results, rows, startup, help_s, rows_903)


STAGES = ("import", "read_rules", "read_and_guard", "load", "gx_import", "quality", "views_and_calendar", "rules",
          "history", "reports", "total")


def _write(path: Path, rows: list[dict], startup: dict, help_s: float, rows_903: list[dict] | None = None) -> None:
    out = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/run.py` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores, "
        f"{_memory_gb()} GB of memory, Python {platform.python_version()}, {platform.machine()}. "
        "Each run is a fresh process; times are wall-clock seconds, memory the peak resident set.",
        "",
        "**The night** (`run_night`, as `careplan-checks run` does it: data quality in a worker process beside "
        "the rules, history and report written):",
        "",
        "| children | years | tables | rows | CSV MB | night s | peak MB (night) | peak MB (largest helper process) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(f"| {r['children']:,} | {r['years']} | {r['tables']} | {r['rows']:,} | {r['csv_mb']} | "
                   f"{r['night_s']} | {r['night_peak_mb']:,} | {r['worker_peak_mb']:,} |")
    out += [
        "",
        "**Stage by stage** (the same stages one after another in one process, data quality included, to see each "
        "one's cost; *gx_import* is importing Great Expectations, *quality* its checks; *without GX* is the total "
        "less both, *checks share* the checks' part of the total):",
        "",
        "| children | tables | " + " | ".join(STAGES) + " | without GX | peak MB | load ÷ plain read_csv "
        "| checks share |",
        "|" + "---|" * (len(STAGES) + 6),
    ]
    for r in rows:
        out.append(f"| {r['children']:,} | {r['tables']} | " + " | ".join(str(r.get(s, "")) for s in STAGES)
                   + f" | {r['without_gx_s']} | {r['peak_rss_mb']:,} | {r['load_ratio']} | {r['quality_share']} |")
    out += ["", f"**Start-up** with {startup['rules']} rule files (imports and reading the pack, before any data "
                f"is read; Great Expectations is imported by the quality worker): {startup['cold_s']} s the first "
                f"time, {startup['warm_s']} s once the checked pack is cached (imports {startup['warm_import_s']} s, "
                f"reading the pack {startup['warm_read_rules_s']} s).", "",
            f"`careplan-checks --help`: {help_s} s (best of three).", ""]
    if rows_903:
        out += ["**The DfE 903 validation pack** on the 903 tables alone (five years of history and last year's "
                "return in prev/; `careplan-checks run --pack dfe903`): reading the pack, loading the extract, "
                "setting aside later records, then every code of the collection year (*rules*):", "",
                "| children | rows | CSV MB | codes run | errors | read pack s | load s | prepare s | rules s | "
                "total s | peak MB |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows_903:
            out.append(f"| {r['children']:,} | {r['rows']:,} | {r['csv_mb']} | {r['codes']} | {r['errors']:,} | "
                       f"{r['read_pack']} | {r['load']} | {r['prepare']} | {r['rules']} | {r['total']} | "
                       f"{r['peak_rss_mb']:,} |")
        out.append("")
    notes = HERE / "NOTES.md"
    if notes.exists():
        out.append(notes.read_text(encoding="utf-8"))
    path.write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
