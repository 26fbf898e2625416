"""`onemap patrols blind-spots` run as an auditor runs it: one walk through EAST of the
visit grids (tests/planters/visits.py) and two events, one beside the walk and one away
from it."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta

import psycopg
import pytest

from gis.patrols.months import CHINA
from tests.planters import cli
from tests.planters.event_places import plant_event
from tests.planters.patrols import fixes_along, plant_team
from tests.planters.visits import EAST, NEAR, plant_visit_grids, store_walk
from tests.planters.walking import lonlat

OCTOBER = ("--from", "2026-10-01", "--to", "2026-11-01")
T = datetime(2026, 10, 20, 10, 0, tzinfo=CHINA)


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.onemap(*args, env={"ONEMAP_DATABASE_URL": url, "COLUMNS": "200"})


@pytest.fixture
def url(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_visit_grids(conn)
        team = plant_team(conn)
        conn.commit()
        start = (T - timedelta(days=2)).timestamp()
        store_walk(conn, team, "walkers", fixes_along([(20, -10), (200, -10)], start=start))
    plant_event(scratch_database, point=lonlat(100, 0), grid=EAST, reported_at=T)
    blind = plant_event(scratch_database, point=lonlat(100, 100), grid=EAST, reported_at=T)
    return scratch_database, blind


def test_blind_spots_as_json_and_as_a_table(url):
    url, blind = url
    done = run(url, "patrols", "blind-spots", *OCTOBER, "--scope", NEAR, "--json")
    assert done.returncode == 1, done.stderr  # there are blind spots: findings
    spots = json.loads(done.stdout)["blind_spots"]
    assert [s["event_id"] for s in spots] == [blind]
    assert spots[0]["nearest_patrol_m"] == 110
    table = run(url, "patrols", "blind-spots", *OCTOBER)
    assert table.returncode == 1, table.stderr
    assert EAST in table.stdout and "暴露垃圾" in table.stdout
    assert "110 m, 2.0 days before" in table.stdout
    assert "1 blind spot(s) in 1 grid(s)" in table.stderr
    # a window of a day: the walk two days before no longer counts for either event
    wider = run(url, "patrols", "blind-spots", *OCTOBER, "--days", "1", "--json")
    assert json.loads(wider.stdout)["numberMatched"] == 2


def test_none_found_and_a_bad_option(url):
    url, _ = url
    done = run(url, "patrols", "blind-spots", "--from", "2026-09-01", "--to", "2026-10-01")
    assert done.returncode == 0, done.stderr
    assert "0 blind spot(s)" in done.stderr
    bad = run(url, "patrols", "blind-spots", "--from", "2026-10-02", "--to", "2026-10-01")
    assert bad.returncode == 2 and "to: must come after from" in bad.stderr
