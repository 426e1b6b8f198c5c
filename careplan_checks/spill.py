"""Where DuckDB may write what does not fit in memory, and how much memory the load may use.

DuckDB spills to disk when a query outgrows its memory limit. Left to itself, an in-memory
connection spills into ``.tmp`` in the current folder, and a database file into ``<file>.tmp``
beside it: folders other users may read, left behind if the process is killed, holding the rows
of an extract that the anonymisation guard may not yet have passed. Every connection that holds
children's records is therefore made by ``connect``, which gives it a folder of its own inside
one private folder (0700) a process, removed when the process exits.

The load holds the extract's text and its typed copy side by side, so unchecked its peak grows
with the largest file (7.7 GB for a 1 GB table of 32 million rows). ``limit_load`` caps DuckDB's
memory while the extract is read, guarded and typed, and DuckDB writes the rest to that private
folder; the rules run afterwards with DuckDB's own limit (``end_load``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

#: The least memory the load is allowed, whatever the extract's size: the load of 100,000 children's ten
#: years (380 MB of files) needs 1.5 to 1.6 GB unchecked; with 1 GiB it spilled and took 2 to 4 s longer.
LOAD_FLOOR_BYTES = 3 << 29  # 1.5 GiB
#: Beyond the floor, the load may use this multiple of the extract's size in files before it spills.
LOAD_PER_BYTE = 1.5

_root: Path | None = None


_PREFIX = "careplan-checks-spill-"


def folder() -> Path:
    """This process's private spill folder (0700), made the first time it is needed and removed at exit.

    Its name carries the process id: a process killed outright (``kill -9``, the machine losing power) cannot
    remove its folder, so the next one removes every such folder of this user whose process is gone.
    """
    global _root
    if _root is None or not _root.is_dir():
        _remove_stale(Path(tempfile.gettempdir()))
        _root = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))  # mkdtemp makes it 0700
        atexit.register(shutil.rmtree, _root, ignore_errors=True)
    return _root


def _remove_stale(tmp: Path) -> None:
    for d in tmp.glob(f"{_PREFIX}*-*"):
        pid = d.name[len(_PREFIX):].split("-", 1)[0]
        try:
            mine = d.is_dir() and not d.is_symlink() and d.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def connect(database: str | Path = ":memory:", read_only: bool = False,
            inside: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that spills only into a folder of its own inside ``folder()`` (or inside
    ``inside``, a private folder its owner removes); two database instances never share one (their
    temporary files would collide)."""
    own = tempfile.mkdtemp(prefix="db-", dir=inside or folder())
    con = duckdb.connect(str(database), read_only=read_only, config={"temp_directory": own})
    con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would leak onto the terminal
    return con


def load_budget(extract_bytes: int) -> int:
    """The memory, in bytes, the load may use for an extract of this many bytes of files."""
    return max(LOAD_FLOOR_BYTES, int(LOAD_PER_BYTE * extract_bytes))


def limit_load(con: duckdb.DuckDBPyConnection, extract_bytes: int) -> None:
    """Cap DuckDB's memory for the load at ``load_budget``, unless its own limit is lower already."""
    budget = load_budget(extract_bytes)
    if budget < _bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0]):
        con.execute(f"SET memory_limit = '{budget}B'")


def end_load(con: duckdb.DuckDBPyConnection) -> None:
    """Give the connection DuckDB's own memory limit back, for the rules and reports."""
    con.execute("RESET memory_limit")


def _bytes(size: str) -> int:
    """DuckDB's spelling of a size ("18.8 GiB") in bytes."""
    units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
             "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "bytes": 1}
    number, _, unit = size.strip().partition(" ")
    return int(float(number) * units.get(unit or "B", 1))
