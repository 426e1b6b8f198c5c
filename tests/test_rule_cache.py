"""The checked-rules cache: the same rules back for the same files, and never a stale or foreign entry."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from careplan_checks import rule_cache
from careplan_checks.errors import InputError
from careplan_checks.rules import load_rules


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CAREPLAN_CACHE_DIR", str(cache))
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("REV-01.yml", "VIS-01.yml", "CP-01.yml"):
        shutil.copy(REPO / "rules" / name, rules / name)
    return rules


def test_a_cached_pack_is_the_pack_read_afresh(pack: Path):
    first = load_rules(pack)
    assert len(list((pack.parent / "cache").glob("rules-*.pickle"))) == 1
    again = load_rules(pack)
    assert [r.model_dump() for r in again] == [r.model_dump() for r in first]
    assert [r.path for r in again] == [r.path for r in first]
    assert load_rules(pack, select=["VIS-01"])[0].id == "VIS-01"


def test_a_changed_rule_is_read_and_checked_again(pack: Path):
    load_rules(pack)
    path = pack / "REV-01.yml"
    path.write_text(path.read_text().replace("LEFT JOIN reviews r", "LEFT JOIN reviewz r", 1))
    with pytest.raises(InputError) as e:
        load_rules(pack)
    assert "REV-01.yml" in str(e.value.problems[0])


def test_a_new_rule_file_is_seen(pack: Path):
    assert len(load_rules(pack)) == 3
    shutil.copy(REPO / "rules" / "REV-02.yml", pack / "REV-02.yml")
    assert [r.id for r in load_rules(pack)] == ["CP-01", "REV-01", "REV-02", "VIS-01"]


def test_a_cache_others_can_write_to_is_not_read(pack: Path):
    load_rules(pack)
    cache = pack.parent / "cache"
    [entry] = cache.glob("rules-*.pickle")
    entry.write_bytes(b"not a pickle of rules")  # what another user could plant
    os.chmod(cache, 0o777)
    assert rule_cache.get(entry.name.removeprefix("rules-").removesuffix(".pickle")) is None
    assert len(load_rules(pack)) == 3  # read afresh, not from the planted entry
    os.chmod(cache, 0o700)


def test_a_damaged_entry_is_replaced(pack: Path):
    load_rules(pack)
    [entry] = (pack.parent / "cache").glob("rules-*.pickle")
    entry.write_bytes(b"\x80\x05garbage")
    assert len(load_rules(pack)) == 3
    assert rule_cache.get(entry.name.removeprefix("rules-").removesuffix(".pickle")) is not None


def test_the_cache_can_be_turned_off(pack: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAREPLAN_CACHE_DIR", "off")
    assert len(load_rules(pack)) == 3
    assert not (pack.parent / "cache").exists()
