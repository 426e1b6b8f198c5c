"""A throw-away PostgreSQL server for the tests, run with the binaries already on the machine.

Why not a fixture library: all we need is ``initdb`` + ``pg_ctl`` in a temporary folder, and doing it by hand
keeps the two things that bite in CI visible here:

* The server listens **only** on a unix socket inside its own folder (``listen_addresses = ''``), so it never
  clashes with another server on the machine, needs no free TCP port and is unreachable from the network. The
  port number only names the socket file (``.s.PGSQL.<port>``).
* CI runs the tests as root, and PostgreSQL refuses to run as root. Then every server command runs as Debian's
  ``postgres`` system user (through ``runuser``), and the folder is made for, and owned by, that user.

The database superuser is always named ``postgres`` (``initdb --username``), whoever runs the tests, so URLs look
the same everywhere::

    postgresql://postgres@/careplan?host=/tmp/careplan-pg-abc123&port=23456

That is a libpq URI: libpq reads ``host`` (a directory: a unix socket) and ``port`` from the query string, and
both psycopg and the ADBC PostgreSQL driver hand the URI to libpq unchanged.

Loading uses psycopg's ``COPY ... FROM STDIN`` (streamed, never a file path on the server, which the server's
user might not be allowed to read).
"""

from __future__ import annotations

import csv
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

#: Debian's binaries, one folder per major version (``/usr/lib/postgresql/15/bin``).
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
#: The system user that runs the server when the tests run as root (created by Debian's ``postgresql`` package).
SYSTEM_USER = "postgres"
#: The database superuser ``initdb`` creates, and the user in :attr:`PostgresServer.url`.
SUPERUSER = "postgres"
#: The database :func:`running_server` creates for the tests.
DATABASE = "careplan"
#: The role :func:`make_readonly_user` creates.
READER = "ssd_reader"

#: Columns stored as ``timestamp``: SSD's DDL declares its dates ``datetime`` (and nearly everything else
#: ``nvarchar``, stored as ``text``). The named ones are covered by the suffixes; they are listed because the
#: SSD specification names them as its date-of-birth columns.
DATE_SUFFIXES = ("_date", "_dob", "_dttm")
DATE_COLUMNS = frozenset({"pers_dob", "pers_expected_dob", "moth_childs_dob"})
#: Named like dates but text in SSD's DDL (dd/MM/yyyy with zz for unknown parts).
TEXT_COLUMNS = frozenset({"lapp_previous_permanence_order_date"})

_TIMEOUT = 120  # seconds for any one server command: a hung command fails the test instead of the CI job


@dataclass(frozen=True)
class PostgresServer:
    """A running server, as :func:`running_server` yields it."""

    url: str  #: libpq URI of the test database, as the superuser (see the module docstring)
    bin: Path  #: the folder with ``initdb``, ``pg_ctl``, ``psql``
    folder: Path  #: the private folder: ``data/`` (the cluster), ``server.log`` and the socket
    port: int  #: names the socket file ``folder/.s.PGSQL.<port>``; nothing listens on TCP

    @property
    def data(self) -> Path:
        """The cluster's data directory (holds ``postmaster.pid`` while the server runs)."""
        return self.folder / "data"


def find_pg_bin() -> Path | None:
    """The folder holding both ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed.

    Debian's versioned folders come first, newest major version first: Debian puts only a version-picking
    wrapper on PATH (and ``/usr/local/bin/pg_ctl`` may be a wrapper or a link), while ``psql``, ``pg_isready``
    and the server must all come from one version's folder. PATH is the fallback for other systems, and a
    PATH folder counts only if it has both programs.
    """
    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", folder.parent.name)) or (0,)

    for folder in sorted(DEBIAN_PG_ROOT.glob("*/bin"), key=version, reverse=True):
        if _has_server_programs(folder):
            return folder
    initdb = shutil.which("initdb")
    if initdb:
        for folder in (Path(initdb).parent, Path(initdb).resolve().parent):
            if _has_server_programs(folder):
                return folder
    return None


def _has_server_programs(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def _as_server_user() -> list[str]:
    """The command prefix that runs a program as the server's user: nothing normally; as root (CI), the
    ``postgres`` system user, because ``initdb`` and ``postgres`` refuse to run as root."""
    if os.geteuid() != 0:
        return []
    if runuser := shutil.which("runuser"):
        return [runuser, "-u", SYSTEM_USER, "--"]
    if setpriv := shutil.which("setpriv"):
        return [setpriv, f"--reuid={SYSTEM_USER}", f"--regid={SYSTEM_USER}", "--init-groups"]
    raise RuntimeError("running as root, but neither runuser nor setpriv is installed to run PostgreSQL as "
                       f"the {SYSTEM_USER!r} user")


def _run(cmd: list[str | Path], cwd: Path, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a server command as the server's user, from ``cwd`` (the tests' own working folder may not be
    readable by that user, and initdb/pg_ctl look up the current folder). A failure says what the command
    printed, and the end of the server's log when there is one, since that is where a refusal to start is
    explained."""
    full = [*_as_server_user(), *map(str, cmd)]
    done = subprocess.run(full, cwd=cwd, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        raise RuntimeError(f"{' '.join(full)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
                           + (f"\n--- {log} ---\n{tail}" if tail else ""))
    return done


@contextmanager
def running_server(tmp: Path) -> Iterator[PostgresServer]:
    """Start a private server in a new folder under ``tmp`` and yield it; stop it and remove the folder on
    the way out, whether the block succeeded or raised.

    ``tmp`` must be a folder the server's user can reach: as root that is the ``postgres`` user, so pass
    ``/tmp``, not pytest's ``tmp_path`` (under ``/tmp/pytest-of-root``, mode 0700). The new folder is made
    mode 0755 and, as root, owned by ``postgres``.

    The server is tuned for tests (``fsync = off``): data that a crash would lose is thrown away anyway.
    """
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH")
    folder = Path(tempfile.mkdtemp(prefix="careplan-pg-", dir=tmp))
    data, log = folder / "data", folder / "server.log"
    try:
        folder.chmod(0o755)
        if os.geteuid() == 0:
            user = pwd.getpwnam(SYSTEM_USER)  # KeyError: the postgresql package is not installed properly
            os.chown(folder, user.pw_uid, user.pw_gid)
        _run([pg_bin / "initdb", "-D", data, f"--username={SUPERUSER}", "--auth=trust", "--encoding=UTF8",
              "--no-locale", "--no-sync"], cwd=folder)
        # Any port will do (it only names the socket in our own folder); the pid keeps logs of parallel
        # runs apart.
        port = 20000 + os.getpid() % 40000
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\n# careplan-checks tests\nlisten_addresses = ''\nunix_socket_directories = '{folder}'\n"
                       f"port = {port}\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        server = PostgresServer(url=_url(SUPERUSER, DATABASE, folder, port), bin=pg_bin, folder=folder, port=port)
        try:
            # -w: pg_ctl polls until the server accepts connections (or fails), so no sleeping here.
            _run([pg_bin / "pg_ctl", "start", "-D", data, "-l", log, "-w", "-t", str(_TIMEOUT)], cwd=folder,
                 log=log)
            _run([pg_bin / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", folder, "-p", str(port),
                  "-U", SUPERUSER, "-d", "postgres", "-c", f'CREATE DATABASE "{DATABASE}"'], cwd=folder, log=log)
            yield server
        finally:
            _stop(pg_bin, data, folder)
    finally:
        shutil.rmtree(folder)


def _stop(pg_bin: Path, data: Path, folder: Path) -> None:
    """Stop the server at once (``-m immediate``: nothing in it is worth a clean shutdown). If pg_ctl cannot,
    kill the server by the pid it recorded, so that no test run ever leaves one behind."""
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return  # never started
    try:
        _run([pg_bin / "pg_ctl", "stop", "-D", data, "-m", "immediate", "-w", "-t", "30"], cwd=folder)
    except (RuntimeError, subprocess.TimeoutExpired):
        if pid_file.exists():
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        raise


def _url(user: str, dbname: str, socket_dir: Path, port: int) -> str:
    return f"postgresql://{quote(user)}@/{quote(dbname)}?host={quote(str(socket_dir), safe='/')}&port={port}"


def _date_column(name: str) -> bool:
    lowered = name.lower()
    return (lowered.endswith(DATE_SUFFIXES) or lowered in DATE_COLUMNS) and lowered not in TEXT_COLUMNS


def load_folder(url: str, folder: Path, schema: str) -> list[str]:
    """Create ``schema`` and load each ``*.csv`` file in ``folder`` into the table ``schema.<file stem>``;
    return the table names, sorted.

    Columns keep the header's names (quoted, so their case is kept). A column is ``timestamp`` when its name
    marks a date (see :data:`DATE_SUFFIXES`), else ``text``, as in SSD's own tables. Empty cells, quoted or
    not, become NULL (``FORCE_NULL``), as they are NULL in the database the extract came from. Files are
    read as UTF-8 (a byte-order mark is allowed) and streamed, never held in memory. Ambiguous dates such as
    ``01/03/2024`` read day first (``DateStyle = ISO, DMY``), as English local authorities write them.

    A table of the same name is replaced, so a folder can be loaded again. A folder with no CSV file is an
    error: a test that loads nothing by mistake would otherwise pass for the wrong reason.
    """
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise ValueError(f"no *.csv files in {folder}")
    with psycopg.connect(url) as conn:  # one transaction: the schema appears complete or not at all
        conn.execute("SET client_encoding TO 'UTF8'")
        conn.execute("SET DateStyle TO 'ISO, DMY'")
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for path in files:
            with open(path, encoding="utf-8-sig", newline="") as f:
                header = next(csv.reader(f), None)
            if not header:
                raise ValueError(f"{path} has no header row")
            table = sql.Identifier(schema, path.stem)
            names = sql.SQL(", ").join(map(sql.Identifier, header))
            columns = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL("timestamp" if _date_column(c) else "text"))
                for c in header)
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(table, columns))
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, HEADER, FORCE_NULL ({}))")
            with conn.cursor() as cur, cur.copy(copy_sql.format(table, names, names)) as copy, \
                    open(path, "rb") as raw:
                while chunk := raw.read(1 << 16):
                    copy.write(chunk)
    return [path.stem for path in files]


def make_readonly_user(url: str, schema: str) -> str:
    """Create (once) the login role ``ssd_reader`` with USAGE on ``schema`` and SELECT on the tables in it
    now, and return ``url`` with that user: a test connecting with it proves the code under test only reads.

    So that the role has nothing else, the database's default grants to PUBLIC that would let it write are
    revoked: TEMPORARY (temporary tables) on the database and CREATE on the ``public`` schema (PostgreSQL 15
    no longer grants the latter; older servers do). The superuser is not affected. Call this after loading:
    tables created later are not granted.
    """
    with psycopg.connect(url) as conn:
        dbname = conn.info.dbname
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [READER]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(READER)))
        for statement in ("REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC",
                          "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                          "GRANT CONNECT ON DATABASE {db} TO {reader}",
                          "GRANT USAGE ON SCHEMA {schema} TO {reader}",
                          "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader}"):
            conn.execute(sql.SQL(statement).format(db=sql.Identifier(dbname), reader=sql.Identifier(READER),
                                                   schema=sql.Identifier(schema)))
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(READER)}@{host}"))
