"""Turn a raw SSDA903 export (and supplement) into an extract the guard accepts.

* CHILD (and SIBLING, which names a child) and every worker identifier become a keyed
  pseudonym: HMAC-SHA-256 with a key the authority keeps, shown as 10 characters (50 bits).
  The same input and key always give the same pseudonym, so the history keeps working across
  nights; another key gives unrelated ones. The HMAC is computed in DuckDB SQL (sha256 over
  the padded key, as RFC 2104 defines it), so no row is handled in Python.
* UPN becomes its UN code, or KNOWN; postcodes are cut to the district (outward code).
* Columns the contract does not know (names, addresses, notes) are dropped.

The key never leaves this process except in the key file itself, which is created
readable by its owner only when it does not exist.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import duckdb

from .contract import Table
from .errors import InputError, Problem
from .extract import SourceFile, stage_folder

log = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no I, O, 0 or 1 to misread
ID_COLUMNS = ("CHILD", "SIBLING", "WORKER_ID", "SW_ID")  # SIBLING names a CHILD: the same pseudonym


def read_key(path: Path) -> bytes:
    """The authority's key; a missing key file is created (0600) with a warning."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        log.warning("created a new key in %s: keep it safe and use it every night, or pseudonyms will change", path)
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError(Problem(str(path), "the key file must hold the key as hexadecimal")) from None
    if len(key) < 16:
        raise InputError(Problem(str(path), "the key is too short: use at least 16 bytes (32 hex digits)"))
    if path.stat().st_mode & 0o077:
        log.warning("the key file %s can be read by other users: chmod 600 it", path)
    return key


def install_pseudonym(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """A temporary macro ``pseudonym(v)``: HMAC-SHA-256(key, v) as 10 characters."""
    block = (key if len(key) <= 64 else __import__("hashlib").sha256(key).digest()).ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    con.execute(f"""CREATE OR REPLACE TEMP MACRO _hmac(v) AS
        sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(v))))""")
    con.execute(f"""CREATE OR REPLACE TEMP MACRO pseudonym(v) AS CASE WHEN v IS NULL THEN NULL ELSE
        array_to_string(list_transform(range(10), lambda i: substr('{ALPHABET}',
            ((('0x' || substr(_hmac(v), 1, 13))::BIGINT >> (5 * i)) & 31)::INTEGER + 1, 1)), '') END""")


def _select(f: SourceFile) -> str:
    table: Table = f.table
    present = {h.strip().upper() for h in f.headers}
    cols = []
    for c in table.columns:
        src = f'nullif(trim("{c.name}"), \'\')' if c.name in present else "NULL"
        if c.name == "SW_ID":  # the DfE's SW or XX prefix says what kind of id it is (903 code SW02STG1)
            expr = (f"CASE WHEN upper(left({src}, 2)) IN ('SW', 'XX') THEN upper(left({src}, 2)) || pseudonym({src}) "
                    f"ELSE pseudonym({src}) END")
        elif c.name in ID_COLUMNS:
            expr = f"pseudonym({src})"
        elif c.kind == "upn":
            expr = (f"CASE WHEN {src} IS NULL THEN NULL WHEN regexp_full_match(upper({src}), 'UN[1-5]') "
                    f"THEN upper({src}) ELSE 'KNOWN' END")
        elif c.kind == "district":
            expr = f"nullif(regexp_extract(upper({src}), '^([A-Z]{{1,2}}[0-9][A-Z0-9]?)', 1), '')"
        else:
            expr = src
        cols.append(f'{expr} AS "{c.name}"')
    return f'SELECT {", ".join(cols)} FROM "raw_{table.name}" ORDER BY _LINE'


def anonymise(raw: Path, out: Path, key_file: Path) -> list[tuple[str, int, list[str]]]:
    """Write an anonymised copy of each recognised table; return (file, rows, dropped columns)."""
    raw_r, out_r = raw.resolve(), out.resolve()
    if out_r == raw_r or raw_r in out_r.parents:
        raise InputError(Problem(str(out), "refusing to write into the raw export's folder: choose another"))
    key = read_key(key_file)
    # no memory budget: the load's is for the night, which loads again without it if it must; here the
    # raw export is read once, and DuckDB spills beyond its own limit only into the private folder
    con, found = stage_folder(raw, budget=False)
    install_pseudonym(con, key)
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for f in found.files:
        target = out / f"{f.table.name}.csv"
        con.execute(f"COPY ({_select(f)}) TO '{str(target).replace(chr(39), chr(39) * 2)}' (FORMAT csv, HEADER)")
        os.chmod(target, 0o600)
        dropped = sorted({h.strip().upper() for h in f.headers} - set(f.table.column_names))
        written = con.execute(f'SELECT count(*) FROM "raw_{f.table.name}"').fetchone()[0]
        if written < f.rows_read:
            log.warning("%s: %d row(s) could not be parsed and were not copied (see their lines with "
                        "'careplan-checks validate')", f.name, f.rows_read - written)
        done.append((f.name, written, dropped))
    clash = con.execute("""SELECT count(*) FROM (SELECT pseudonym(CHILD) AS p FROM (SELECT DISTINCT CHILD FROM
        raw_header) GROUP BY p HAVING count(*) > 1)""").fetchone()[0] if "header" in {
        f.table.name for f in found.files} else 0
    if clash:
        raise InputError(Problem("header", "two children received the same pseudonym: use a new key"))
    return done
