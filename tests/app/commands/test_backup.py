"""`onemap db backup` and `onemap db restore`: a round trip equal row for row (an md5 of
every table's rows), restore all or nothing, and clear refusals."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.planters.cli import onemap
from tests.planters.databases import database
from tests.planters.event_places import plant, plant_event


def fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of the sorted rows of every table in the public schema."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            table: conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text),"
                f" '')) FROM \"{table}\" AS t"
            ).fetchone()
            for table in tables
        }


@pytest.fixture
def planted(admin_url: str, migrated_template: str) -> Iterator[str]:
    with database(admin_url, f"onemap_backup_{os.getpid()}", template=migrated_template) as url:
        plant(url)
        for category in ("0101", "1001", "0901"):
            plant_event(url, category=category, description="电梯 13912345678")
        yield url


def test_backup_and_restore_round_trip_row_for_row(planted, admin_url, tmp_path: Path):
    before = fingerprints(planted)
    assert before["events"][0] == 3 and before["grids"][0] > 0
    file = tmp_path / "onemap.dump"
    env = {"ONEMAP_DATABASE_URL": planted}
    made = onemap("db", "backup", str(file), env=env)
    assert made.returncode == 0, made.stderr
    assert file.stat().st_size > 0 and "backed up to" in made.stderr
    assert not list(tmp_path.glob(".*partial"))

    # changed after the backup, then restored: as it was
    with psycopg.connect(planted) as conn:
        conn.execute("DELETE FROM event_history")
        conn.execute("DELETE FROM events")
        conn.execute("UPDATE grids SET members = members + 1")
    assert fingerprints(planted) != before
    refused = onemap("db", "restore", str(file), env=env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    restored = onemap("db", "restore", str(file), "--yes", env=env)
    assert restored.returncode == 0, restored.stderr
    assert fingerprints(planted) == before

    # and into an empty database
    with database(admin_url, f"onemap_restored_{os.getpid()}") as empty:
        into_empty = onemap("db", "restore", str(file), "--yes", env={"ONEMAP_DATABASE_URL": empty})
        assert into_empty.returncode == 0, into_empty.stderr
        assert fingerprints(empty) == before


def test_a_bad_backup_changes_nothing(planted, tmp_path: Path):
    before = fingerprints(planted)
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"PGDMP this is not a backup")
    env = {"ONEMAP_DATABASE_URL": planted}
    failed = onemap("db", "restore", str(broken), "--yes", env=env)
    assert failed.returncode == 1 and "pg_restore failed" in failed.stderr
    missing = onemap("db", "restore", str(tmp_path / "none.dump"), "--yes", env=env)
    assert missing.returncode == 1 and "no such backup file" in missing.stderr
    assert fingerprints(planted) == before
