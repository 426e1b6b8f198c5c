"""A cache of checked rule packs, so start-up does not grow with the number of rules.

Reading a rule means parsing its YAML, validating it and planning its SQL against an empty database of
the contract (so that a broken rule stops the run before any data is touched): some 30 ms a rule. A
night reads the same pack as the night before, so the checked rules are kept, keyed by a SHA-256 of
everything the checks depend on: each rule file's name and bytes, and the code that reads and plans
them (this package's version, the contract, the code lists, the engine's views and macros). Change one
byte of any and the pack is read and checked afresh.

The cache lives in ``$CAREPLAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/careplan-checks``, else
``~/.cache/careplan-checks``, in a folder only its owner can use; one that others can write to is never
read (the entries are pickles). Set ``CAREPLAN_CACHE_DIR=off`` to turn it off. A cache that cannot be
written is skipped, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .rules import Rule

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parent
#: The code whose change can change what reading and checking a rule gives.
_DEPENDS_ON = ("__init__.py", "rules.py", "rule_cache.py", "contract.py", "codes.py", "engine.py", "calendar.py",
               "validation_rules.py", "validation.py",
               "views.sql")
_KEEP = 8  # entries kept: a few packs (say, two authorities' or a test's) without growing for ever


def folder() -> Path | None:
    setting = os.environ.get("CAREPLAN_CACHE_DIR")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "careplan-checks"


def key(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for name in _DEPENDS_ON:
        h.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes() + b"\0")
    for p in paths:
        h.update(str(p.resolve()).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _private(d: Path) -> bool:
    """The folder is ours and no one else can write to it."""
    try:
        st = d.stat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


def get(digest: str) -> list[Rule] | None:
    d = folder()
    if d is None or not _private(d):
        return None
    entry = d / f"rules-{digest}.pickle"
    try:
        with entry.open("rb") as f:
            rules = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception as e:  # a damaged entry is read afresh, and replaced
        log.debug("rule cache entry %s unreadable (%s): reading the rules", entry.name, type(e).__name__)
        return None
    log.debug("rules read from the cache (%s)", entry.name)
    return rules


def put(digest: str, rules: list[Rule]) -> None:
    d = folder()
    if d is None:
        return
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(d):
            log.debug("rule cache %s can be written by others: not used", d)
            return
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".rules-")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(rules, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / f"rules-{digest}.pickle")
        entries = sorted(d.glob("rules-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as e:
        log.debug("rule cache not written (%s)", type(e).__name__)
