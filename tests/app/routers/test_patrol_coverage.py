"""GET /api/v1/patrols/coverage and /api/v1/patrols/stale: the visit grids of
tests/planters/visits.py with one scripted walk, served to the analysts; the caller's
county bounds the scope; every bad parameter answered 400 by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis import tokens
from gis.patrols import coverage
from tests.planters.databases import database
from tests.planters.patrols import START, plant_team
from tests.planters.visits import (
    EAST,
    FAR,
    NEAR,
    SUBDISTRICT,
    WEST,
    crossing_walk,
    plant_visit_grids,
    store_walk,
)

COVERAGE = "/api/v1/patrols/coverage"
STALE = "/api/v1/patrols/stale"
OCTOBER = {"from": "2026-10-01", "to": "2026-11-01"}


@pytest.fixture(scope="module")
def api(admin_url: str, migrated_template: str) -> Iterator[dict[str, Any]]:
    with database(admin_url, "onemap_patrol_coverage_api", template=migrated_template) as url:
        with psycopg.connect(url) as conn:
            plant_visit_grids(conn)
            team = plant_team(conn, "unit-7", kind="units", grids=[EAST])
            conn.commit()
            # two 10-minute stays in EAST on 12 October, five minutes apart
            walk = crossing_walk(
                START, [START + 100, START + 700, START + 1000, START + 1600], START + 1800
            )
            store_walk(conn, team, "unit-7", walk)
            coverage.rebuild_targets(conn, "450105")  # the grids' ground listed and counted
            secrets = {
                role: tokens.create(conn, name=f"test {role}", role=role)
                for role in ("auditor", "planner", "staff")
            }
            secrets["foreign"] = tokens.create(
                conn, name="other", role="staff", county_code="450103"
            )
            secrets["member"] = tokens.create(
                conn, name="member", role="grid_member", grid_code=EAST
            )
            conn.commit()
        app = create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=2))
        headers = {name: {"Authorization": f"Bearer {secret}"} for name, secret in secrets.items()}
        with TestClient(app) as client:
            yield {"client": client, "headers": headers}


def _get(api: dict[str, Any], path: str, caller: str = "auditor", **params: str) -> Any:
    return api["client"].get(path, params=params, headers=api["headers"].get(caller, {}))


def test_visits_and_hours_per_grid(api):
    answer = _get(api, COVERAGE, **OCTOBER)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["group_by"], body["scope"], body["months"]) == ("grid", "450105", ["2026-10"])
    grids = {g["grid_code"]: g for g in body["groups"]}
    assert set(grids) == {NEAR + "001", EAST, FAR + "001", FAR + "801"}
    east = grids[EAST]
    assert (east["visits"], east["hours"], east["meets_standard"]) == (2, 0.33, False)
    assert east["months"] == [
        {"month": "2026-10", "visits": 2, "hours": 0.33, "meets_standard": False}
    ]
    assert east["last_patrolled_at"] == "2026-10-12T09:26:40+08:00"
    assert grids[WEST]["visits"] == 0 and grids[WEST]["hours"] > 0
    assert body["total"]["grids"] == 4 and body["total"]["grids_unpatrolled"] == 2
    assert "calendar month" in body["rule"]
    assert body["caveats"]["notes"] == []
    # the walk wanders along y = 0 across both grids: some of each grid's cells, no
    # buildings or streets there to pass
    ground = east["ground"]
    assert (ground["buildings"], ground["buildings_pct"], ground["street_pct"]) == (0, None, None)
    assert 0 < ground["cells_patrolled"] < ground["cells"] == 100
    assert body["total"]["ground"]["cells_patrolled"] > ground["cells_patrolled"]


def test_summed_per_community_and_per_team(api):
    by_community = _get(api, COVERAGE, group_by="community", scope=SUBDISTRICT, **OCTOBER).json()
    assert [(g["code"], g["grids"], g["visits"]) for g in by_community["groups"]] == [
        (NEAR, 2, 2),
        (FAR, 2, 0),
    ]
    by_team = _get(api, COVERAGE, "planner", group_by="team", **OCTOBER).json()
    assert [(g["team_code"], g["grid_code"], g["visits"]) for g in by_team["groups"]] == [
        ("unit-7", EAST, 2)
    ]


def test_the_default_period_is_this_month(api):
    body = _get(api, COVERAGE).json()
    assert len(body["months"]) == 1 and body["caveats"]["month_in_progress"]


def test_stale_grids(api):
    answer = _get(api, STALE, days="3", scope=NEAR)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # the walk was in October; it is later than that now
    assert [g["grid_code"] for g in body["grids"]] == [EAST, WEST]
    assert body["numberMatched"] == 2 and body["days"] == 3
    never = _get(api, STALE, scope=FAR).json()
    assert [g["last_patrolled_at"] for g in never["grids"]] == [None, None]
    assert [g["days"] for g in never["grids"]] == [14, 14]


@pytest.mark.parametrize(
    ("path", "caller", "status"),
    [
        (COVERAGE, "public", 401),
        (COVERAGE, "member", 403),
        (COVERAGE, "staff", 200),
        (STALE, "public", 401),
        (STALE, "planner", 200),
    ],
)
def test_for_the_analysts(api, path, caller, status):
    assert _get(api, path, caller).status_code == status


def test_another_countys_staff_see_their_own_county_only(api):
    assert _get(api, COVERAGE, "foreign", scope=NEAR).status_code == 403
    own = _get(api, COVERAGE, "foreign", **OCTOBER).json()
    assert (own["scope"], own["groups"]) == ("450103", [])


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        (COVERAGE, {"group_by": "county"}, "group_by"),
        (COVERAGE, {"from": "2026-13-01"}, "from"),
        (COVERAGE, {"from": "2026-10-02", "to": "2026-10-01"}, "to"),
        (COVERAGE, {"from": "2026-10-01T08:00:00"}, "from"),
        (COVERAGE, {"scope": "4501"}, "scope"),
        (COVERAGE, {"minutes": "15"}, "minutes"),
        (STALE, {"days": "0"}, "days"),
        (STALE, {"days": "x"}, "days"),
        (STALE, {"grid": EAST}, "grid"),
    ],
)
def test_bad_parameters_are_named(api, path, params, parameter):
    answer = _get(api, path, **params)
    assert answer.status_code == 400, answer.text
    assert parameter in answer.text
