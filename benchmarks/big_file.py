"""A 1 GB table: does it load correctly, in what time and memory? (Figures, not a test.)

    python benchmarks/big_file.py [--gigabytes 1]

Writes a header.csv of about that size (36 million children a gigabyte) in a temporary
folder, runs ``careplan-checks validate --no-quality``-equivalent loading in a fresh
process, and prints rows, seconds and peak memory beside the file's size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOADER = """
import json, sys, time
from pathlib import Path
from careplan_checks.load import load_extract
start = time.perf_counter()
_, report = load_extract(Path(sys.argv[1]))
f = report.files[0]
print(json.dumps({"rows_read": f.rows_read, "rows_loaded": f.rows_loaded, "rows_rejected": f.rows_rejected,
                  "seconds": round(time.perf_counter() - start, 1),
                  # VmHWM, not getrusage: the latter keeps the peak of the process before its exec
                  "peak_rss_mb": next(int(l.split()[1]) for l in open("/proc/self/status")
                                      if l.startswith("VmHWM")) // 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gigabytes", type=float, default=1.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="careplan-bigfile-"))
    target = int(args.gigabytes * (1 << 30))
    start = time.perf_counter()
    rows = 0
    with (folder / "header.csv").open("w") as f:
        f.write("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n")
        while f.tell() < target:
            f.write("".join(f"C{rows + j},1,01/02/2010,WBRI,UN1,,\n" for j in range(100_000)))
            rows += 100_000
    size_mb = (folder / "header.csv").stat().st_size / 1e6
    print(f"wrote {rows:,} rows, {size_mb:,.0f} MB in {time.perf_counter() - start:.1f} s", flush=True)
    done = subprocess.run([sys.executable, "-c", LOADER, str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-3000:])
        sys.exit(done.returncode)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["file_mb"] = round(size_mb)
    print(json.dumps(result))
    (folder / "header.csv").unlink()


if __name__ == "__main__":
    main()
