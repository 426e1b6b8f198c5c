"""Privacy: pseudonymising raw exports, and a full run that makes no network call."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO

from careplan_checks.anonymise import ALPHABET

RAW_HEADER = ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB,FORENAME,SURNAME\n"
              "LA-0000123456,1,01/02/2010,WBRI,A123456789012,,,Alice,Smith\n"
              "LA-0000123457,2,01/02/2011,WBRI,UN2,,,Bob,Jones\n")
RAW_EPISODES = ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
                "LA-0000123456,01/01/2024,S,C2,N1,U4,PR1,,,,EG19 7AB,EG1 2CD,\n"
                "LA-0000123457,01/01/2024,S,C2,N1,U4,PR1,,,,EG3,,\n")
RAW_ALLOC = "CHILD,ROLE,WORKER_ID,TEAM,START_DATE,END_DATE\nLA-0000123456,SW,jane.doe,North,2024-01-01,\n"


def _raw(folder: Path) -> Path:
    folder.mkdir()
    (folder / "header.csv").write_text(RAW_HEADER)
    (folder / "episodes.csv").write_text(RAW_EPISODES)
    (folder / "allocations.csv").write_text(RAW_ALLOC)
    return folder


def _expected_pseudonym(key: bytes, value: str) -> str:
    n = int(hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:13], 16)
    return "".join(ALPHABET[(n >> (5 * i)) & 31] for i in range(10))


def test_raw_export_is_refused_then_accepted_after_anonymise(tmp_path: Path, cli):
    raw = _raw(tmp_path / "raw")
    refused = cli("run", raw, "--as-of", "2025-03-31", "--no-quality", "--no-report")
    assert refused.exit_code == 2
    assert "column UPN: 1 value(s) look like real UPNs" in refused.output
    assert "column HOME_POST: 1 value(s) look like full postcodes" in refused.output
    assert "column FORENAME: the column's name shows it holds direct identifiers" in refused.output
    assert "Alice" not in refused.output and "EG19 7AB" not in refused.output

    key = tmp_path / "secret" / "key.hex"
    night1, night2 = tmp_path / "night1", tmp_path / "night2"
    result = cli("anonymise", raw, night1, "--key-file", key)
    assert result.exit_code == 0, result.output
    assert "header.csv: 2 rows; dropped FORENAME, SURNAME" in result.output
    assert key.stat().st_mode & 0o777 == 0o600
    assert cli("anonymise", raw, night2, "--key-file", key).exit_code == 0
    assert (night1 / "header.csv").read_bytes() == (night2 / "header.csv").read_bytes(), "same key, same pseudonyms"

    accepted = cli("run", night1, "--as-of", "2025-03-31", "--no-quality", "--no-report")
    assert accepted.exit_code == 0, accepted.output
    text = "".join(p.read_text() for p in night1.iterdir())
    for leaked in ("Alice", "Smith", "A123456789012", "EG19 7AB", "EG1 2CD", "LA-0000123456", "jane.doe"):
        assert leaked not in text
    lines = (night1 / "header.csv").read_text().splitlines()
    key_bytes = bytes.fromhex(key.read_text().strip())
    assert lines[1].split(",")[0] == _expected_pseudonym(key_bytes, "LA-0000123456")
    assert lines[1].split(",")[4] == "KNOWN" and lines[2].split(",")[4] == "UN2"
    assert (night1 / "episodes.csv").read_text().splitlines()[1].split(",")[10:12] == ["EG19", "EG1"]
    alloc = (night1 / "allocations.csv").read_text().splitlines()[1].split(",")
    assert alloc[0] == lines[1].split(",")[0] and alloc[2] == _expected_pseudonym(key_bytes, "jane.doe")


def test_another_key_gives_unrelated_pseudonyms(tmp_path: Path, cli):
    raw = _raw(tmp_path / "raw")
    (tmp_path / "k1").write_text("11" * 32)
    (tmp_path / "k2").write_text("22" * 32)
    assert cli("anonymise", raw, tmp_path / "a", "--key-file", tmp_path / "k1").exit_code == 0
    assert cli("anonymise", raw, tmp_path / "b", "--key-file", tmp_path / "k2").exit_code == 0
    a = {line.split(",")[0] for line in (tmp_path / "a" / "header.csv").read_text().splitlines()[1:]}
    b = {line.split(",")[0] for line in (tmp_path / "b" / "header.csv").read_text().splitlines()[1:]}
    assert len(a) == len(b) == 2 and not a & b


def test_anonymise_gives_a_brother_or_sister_the_pseudonym_of_their_own_records(tmp_path: Path, cli):
    """siblings.SIBLING names another child's CHILD: with the same key it must become the same pseudonym,
    or PLACE-11 and CP-09 could not find the sibling's episodes."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "siblings.csv").write_text("CHILD,SIBLING,SINCE,TOGETHER,REASON_DATE,CONTACT_DATE\n"
                                      "LA-0000000001,LA-0000000002,2024-05-01,N,,\n"
                                      "LA-0000000002,LA-0000000001,2024-05-01,N,,\n")
    key = tmp_path / "k"
    assert cli("anonymise", raw, tmp_path / "out", "--key-file", key).exit_code == 0
    rows = (tmp_path / "out" / "siblings.csv").read_text().splitlines()[1:]
    (a, b), (c, d) = (r.split(",")[:2] for r in rows)
    key_bytes = bytes.fromhex(key.read_text().strip())
    assert (a, b) == (_expected_pseudonym(key_bytes, "LA-0000000001"), _expected_pseudonym(key_bytes, "LA-0000000002"))
    assert (c, d) == (b, a)


def test_anonymise_refuses_to_write_into_the_raw_folder(tmp_path: Path, cli):
    raw = _raw(tmp_path / "raw")
    result = cli("anonymise", raw, raw / "clean", "--key-file", tmp_path / "k")
    assert result.exit_code == 2 and "refusing to write into the raw export's folder" in result.output
    assert not (raw / "clean").exists()


@pytest.mark.parametrize("content", ["not hex", "abcd"])
def test_a_bad_key_file_is_refused(tmp_path: Path, cli, content: str):
    raw = _raw(tmp_path / "raw")
    (tmp_path / "k").write_text(content)
    result = cli("anonymise", raw, tmp_path / "out", "--key-file", tmp_path / "k")
    assert result.exit_code == 2 and "k: the key" in result.output


GUARD = textwrap.dedent("""
    # Loaded by every Python process of the run (the night and its data-quality worker) through PYTHONPATH.
    import os, socket
    log = os.environ["NETWORK_LOG"]
    with open(log + ".processes", "a") as f:
        f.write(str(os.getpid()) + "\\n")
    def refuse(*args, **kwargs):
        with open(log, "a") as f:
            f.write(repr(args[:2]) + "\\n")
        raise OSError("network disabled in this test")
    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
""")


def test_a_full_run_makes_no_network_call(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "network.log"
    env = {**os.environ, "PYTHONPATH": str(site), "NETWORK_LOG": str(log)}
    done = subprocess.run([sys.executable, "-c", "from careplan_checks.cli import main; main()", "demo", "--out",
                           str(tmp_path / "report"), "--db", str(tmp_path / "h.duckdb")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not log.exists(), log.read_text()[:2000]
    processes = (tmp_path / "network.log.processes").read_text().split()
    assert len(processes) >= 2, "the data-quality worker ran under the guard too"
    rules = len(list((REPO / "rules").glob("[A-Z]*.yml")))
    assert f"exceptions in {rules} rules" in done.stdout and "data-quality findings" in done.stdout
    assert (tmp_path / "report" / "report.html").exists()
