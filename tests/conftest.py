from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"


@pytest.fixture(scope="session", autouse=True)
def _work_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory):
    """Tests write only into temporary folders: a command's default output (``./careplan-report``,
    ``./docs``) lands in one made for the session, never in the working copy."""
    here = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    cache = tmp_path_factory.mktemp("rule-cache")
    cache.chmod(0o700)
    os.environ["CAREPLAN_CACHE_DIR"] = str(cache)  # the checked-rules cache: the session's own, never the user's
    yield
    os.chdir(here)


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    """A private copy of the built-in sample extract, to break in one place."""
    dest = tmp_path / "extract"
    shutil.copytree(SAMPLE, dest)
    return dest


@pytest.fixture
def cli():
    from careplan_checks.cli import main

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def write_csv(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"


def header_rule(rule_id: str, title: str, sql: str) -> str:
    """A minimal rule file on the header table (one passing and one failing case), for tests that
    need a rule of their own: ``sql`` returns the exceptions."""
    return f"""
id: {rule_id}
title: {title}
severity: low
area: data-quality
source: {{document: test, reference: test}}
rationale: test
requirement: test
tables: [header]
population: SELECT CHILD, DOB AS EVENT_DATE FROM header
sql: |
  {sql}
tests:
  - {{name: a, data: {{}}, expect: []}}
  - name: b
    data: {{header: [{{CHILD: C1, SEX: M, DOB: 2015-01-01}}]}}
    expect: [{{CHILD: C1, EVENT_DATE: 2015-01-01}}]
"""


#: A rule whose query runs for minutes: for tests that stop a run part-way.
SLOW_RULE = header_rule("SLOW-01", "A rule that takes a long time",
                        "SELECT h.CHILD, h.DOB AS EVENT_DATE, h.DOB AS DUE_DATE, sum(r.range)::VARCHAR AS DETAIL "
                        "FROM header h, range(40000000000) r GROUP BY h.CHILD, h.DOB")


def postgres_bin_or_skip() -> Path:
    """The PostgreSQL binaries' folder; without one, skip the test, unless CAREPLAN_REQUIRE_POSTGRES is set
    (CI sets it, as it sets CAREPLAN_REQUIRE_BROWSER for Chromium): then a missing server fails the run
    instead of skipping the database tests without anyone noticing."""
    import postgres

    found = postgres.find_pg_bin()
    if found is None:
        where = "no initdb/pg_ctl in /usr/lib/postgresql/*/bin or on PATH"
        if os.environ.get("CAREPLAN_REQUIRE_POSTGRES"):
            pytest.fail(f"CAREPLAN_REQUIRE_POSTGRES is set but PostgreSQL is missing ({where})")
        pytest.skip(f"PostgreSQL is not installed ({where}; .ci/run installs Debian's postgresql)")
    return found


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the session, reached only through its unix socket: ``.url`` is a libpq URI
    for its empty ``careplan`` database (as the superuser), ``.bin`` the folder with psql. Stopped, and its
    folder removed, when the session ends. The folder is made under /tmp, not pytest's temporary folders,
    because as root the server runs as the ``postgres`` user, who cannot enter /tmp/pytest-of-root."""
    postgres_bin_or_skip()
    from postgres import running_server

    with running_server(Path("/tmp")) as server:
        yield server


def new_pseudonyms(children: list[str], rnd: random.Random) -> dict[str, str]:
    """Each child a new, distinct pseudonym of random length, handed out in random order: the determinism
    tests' renaming (a result must not depend on the identifiers, or on how they sort)."""
    fresh: set[str] = set()
    while len(fresh) < len(children):
        fresh.add("".join(rnd.choices("0123456789ABCXYZ", k=rnd.randint(3, 10))))
    names = sorted(fresh)
    rnd.shuffle(names)
    return dict(zip(children, names, strict=True))
