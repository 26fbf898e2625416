"""`onemap patrols coverage`, `stale` and `refresh-visits` run as an auditor or
administrator runs them, on the visit grids of tests/planters/visits.py with one walk of
two 10-minute stays in EAST."""

from __future__ import annotations

import json
import subprocess

import psycopg
import pytest

from tests.planters import cli
from tests.planters.patrols import START, plant_team
from tests.planters.visits import EAST, NEAR, WEST, crossing_walk, plant_visit_grids, store_walk

OCTOBER = ("--from", "2026-10-01", "--to", "2026-11-01")


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.onemap(*args, env={"ONEMAP_DATABASE_URL": url, "COLUMNS": "200"})


@pytest.fixture
def url(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_visit_grids(conn)
        team = plant_team(conn, "unit-7", kind="units", grids=[EAST])
        conn.commit()
        walk = crossing_walk(
            START, [START + 100, START + 700, START + 1000, START + 1600], START + 1800
        )
        store_walk(conn, team, "unit-7", walk)
    return scratch_database


def test_coverage_as_json_and_as_a_table(url):
    done = run(url, "patrols", "coverage", *OCTOBER, "--scope", NEAR, "--json")
    # no grid meets 2 visits and 4 hours: findings
    assert done.returncode == 1, done.stderr
    grids = {g["grid_code"]: g for g in json.loads(done.stdout)["groups"]}
    assert (grids[EAST]["visits"], grids[EAST]["hours"]) == (2, 0.33)
    table = run(url, "patrols", "coverage", *OCTOBER, "--group-by", "team")
    assert table.returncode == 1, table.stderr
    assert "unit-7" in table.stdout and EAST in table.stdout and "✗ below" in table.stdout
    assert "0 of 1 (0%) grids meet the standard" in table.stderr


def test_a_bad_option_is_a_usage_error(url):
    done = run(url, "patrols", "coverage", "--group-by", "county")
    assert done.returncode == 2 and "group_by" in done.stderr


def test_stale_grids_and_refreshed_visits(url):
    done = run(url, "patrols", "stale", "--days", "3", "--scope", NEAR, "--json")
    assert done.returncode == 1, done.stderr
    assert [g["grid_code"] for g in json.loads(done.stdout)] == [EAST, WEST]
    refreshed = run(url, "patrols", "refresh-visits", "--county", "450105")
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.stdout.strip() == "5 stretches in 1 tracks (replacing 5)"
