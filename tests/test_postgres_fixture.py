"""The PostgreSQL test server (tests/postgres.py, the ``postgres_server`` fixture) does what the database
reader's tests rely on: a unix-socket-only server, CSV folders loaded with SSD's column types and NULLs, a URL
both ADBC and psycopg accept, a reader role that cannot write, and nothing left behind."""

from __future__ import annotations

import os
import pwd
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import adbc_driver_manager
import adbc_driver_postgresql.dbapi
import conftest
import postgres
import psycopg
import pyarrow as pa
import pytest
from postgres import load_folder, make_readonly_user, running_server


def _ssd_folder(tmp_path: Path) -> Path:
    """Two small SSD-like tables, with empty cells (plain and quoted), SQL Server's millisecond dates, the
    1900-01-01 placeholder date, a comma inside a quoted value, and a file that is not a CSV."""
    folder = tmp_path / "ssd"
    folder.mkdir()
    (folder / "ssd_person.csv").write_text(
        "pers_person_id,pers_sex,pers_dob,pers_upn\n"
        "P1,M,2024-03-01 00:00:00.000,A123\n"
        "P2,,1900-01-01 00:00:00,\n"
        '"P3","","","Smith, J"\n', encoding="utf-8")
    (folder / "ssd_cla_episodes.csv").write_text(
        "clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_entered_care_date_note\n"
        "E1,P1,2024-03-02 10:30:00,seen\n", encoding="utf-8")
    (folder / "README.txt").write_text("not a table")
    return folder


def _fetch(url: str, query: str) -> pa.Table:
    with adbc_driver_postgresql.dbapi.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetch_arrow_table()


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its parent to reap it does not count: it holds no socket,
    memory or files)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_server_listens_only_on_its_own_unix_socket(postgres_server):
    parts = urlsplit(postgres_server.url)
    query = parse_qs(parts.query)
    assert parts.scheme == "postgresql" and parts.netloc == "postgres@" and parts.path == "/careplan"
    socket_dir = Path(query["host"][0])
    assert socket_dir == postgres_server.folder and socket_dir.is_relative_to("/tmp")
    assert (socket_dir / f".s.PGSQL.{postgres_server.port}").is_socket()
    assert query["port"] == [str(postgres_server.port)]
    assert (postgres_server.bin / "initdb").exists() and (postgres_server.bin / "pg_ctl").exists()

    with psycopg.connect(postgres_server.url) as conn:
        row = conn.execute("SELECT current_user, current_database(), inet_server_addr(), "
                           "current_setting('listen_addresses'), current_setting('server_encoding')").fetchone()
    assert row == ("postgres", "careplan", None, "", "UTF8"), "no TCP: the connection came through the socket"
    if os.geteuid() == 0:  # CI: the server must not run as root
        assert (postgres_server.data / "postmaster.pid").stat().st_uid == pwd.getpwnam("postgres").pw_uid


def test_load_folder_types_nulls_and_adbc_read_back(postgres_server, tmp_path: Path):
    assert load_folder(postgres_server.url, _ssd_folder(tmp_path), "ssd_load") == ["ssd_cla_episodes", "ssd_person"]

    people = _fetch(postgres_server.url, "SELECT pers_person_id, pers_sex, pers_dob, pers_upn "
                                         "FROM ssd_load.ssd_person ORDER BY pers_person_id")
    assert people.schema.field("pers_dob").type == pa.timestamp("us")
    assert people.schema.field("pers_sex").type == pa.string()
    assert people.to_pylist() == [
        {"pers_person_id": "P1", "pers_sex": "M", "pers_dob": datetime(2024, 3, 1), "pers_upn": "A123"},
        {"pers_person_id": "P2", "pers_sex": None, "pers_dob": datetime(1900, 1, 1), "pers_upn": None},
        {"pers_person_id": "P3", "pers_sex": None, "pers_dob": None, "pers_upn": "Smith, J"},
    ]

    episodes = _fetch(postgres_server.url, "SELECT * FROM ssd_load.ssd_cla_episodes")
    assert episodes.column_names == ["clae_cla_episode_id", "clae_person_id", "clae_cla_episode_start_date",
                                     "clae_entered_care_date_note"]
    assert [f.type for f in episodes.schema] == [pa.string(), pa.string(), pa.timestamp("us"), pa.string()], \
        "only names ending in _date/_dob/_dttm are dates"
    assert episodes.column("clae_cla_episode_start_date").to_pylist() == [datetime(2024, 3, 2, 10, 30)]

    # Loading again replaces the tables rather than failing or doubling the rows.
    load_folder(postgres_server.url, tmp_path / "ssd", "ssd_load")
    assert _fetch(postgres_server.url, "SELECT count(*) AS n FROM ssd_load.ssd_person").to_pylist() == [{"n": 3}]


def test_load_folder_refuses_a_folder_without_csv_files(postgres_server, tmp_path: Path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"no \*\.csv files"):
        load_folder(postgres_server.url, tmp_path, "ssd_empty")


def test_readonly_user_reads_but_cannot_write(postgres_server, tmp_path: Path):
    load_folder(postgres_server.url, _ssd_folder(tmp_path), "ssd_ro")
    reader = make_readonly_user(postgres_server.url, "ssd_ro")
    assert urlsplit(reader).netloc == "ssd_reader@" and urlsplit(reader).query == urlsplit(postgres_server.url).query
    assert make_readonly_user(postgres_server.url, "ssd_ro") == reader, "calling it again is harmless"

    assert _fetch(reader, "SELECT count(*) AS n FROM ssd_ro.ssd_person").to_pylist() == [{"n": 3}]
    with pytest.raises(adbc_driver_manager.ProgrammingError, match="permission denied for table ssd_person") as err:
        _fetch(reader, "INSERT INTO ssd_ro.ssd_person (pers_person_id) VALUES ('P9')")
    assert err.value.sqlstate == "42501"  # insufficient_privilege

    for statement in ("UPDATE ssd_ro.ssd_person SET pers_sex = 'X'",
                      "CREATE TABLE ssd_ro.scratch (x int)",
                      "CREATE TABLE public.scratch (x int)",
                      "CREATE TEMPORARY TABLE scratch (x int)"):
        with psycopg.connect(reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    with psycopg.connect(reader) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("ssd_reader",)
    assert _fetch(postgres_server.url, "SELECT count(*) AS n FROM ssd_ro.ssd_person WHERE pers_sex = 'X' "
                                       "OR pers_person_id = 'P9'").to_pylist() == [{"n": 0}]


def test_running_server_stops_and_removes_its_folder_even_on_error(postgres_server):
    with pytest.raises(RuntimeError, match="the test failed"), running_server(Path("/tmp")) as server:
        pid = int((server.data / "postmaster.pid").read_text().split()[0])
        assert _alive(pid)
        assert server.folder != postgres_server.folder and server.url != postgres_server.url
        raise RuntimeError("the test failed")
    assert not _alive(pid)
    assert not server.folder.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.url, connect_timeout=5)


def test_missing_postgres_skips_unless_required(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(postgres, "find_pg_bin", lambda: None)
    monkeypatch.delenv("CAREPLAN_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not installed"):
        conftest.postgres_bin_or_skip()
    monkeypatch.setenv("CAREPLAN_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="CAREPLAN_REQUIRE_POSTGRES is set"):
        conftest.postgres_bin_or_skip()
