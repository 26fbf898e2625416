"""GET /api/v1/patrols/blind-spots: the visit grids of tests/planters/visits.py with one
walk and three events, served to the analysts as a GeoJSON layer (the default) or a list
(``format=json``); the caller's county bounds the scope; bad parameters answer 400 by name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis import tokens
from gis.patrols.months import CHINA
from tests.planters.databases import database
from tests.planters.event_places import plant_event
from tests.planters.patrols import fixes_along, plant_team
from tests.planters.visits import EAST, FAR, FAR_BASE, NEAR, plant_visit_grids, store_walk
from tests.planters.walking import lonlat

BLIND_SPOTS = "/api/v1/patrols/blind-spots"
OCTOBER = {"from": "2026-10-01", "to": "2026-11-01"}
T = datetime(2026, 10, 20, 10, 0, tzinfo=CHINA)


@pytest.fixture(scope="module")
def api(admin_url: str, migrated_template: str) -> Iterator[dict[str, Any]]:
    with database(admin_url, "onemap_patrol_blind_spots_api", template=migrated_template) as url:
        with psycopg.connect(url) as conn:
            plant_visit_grids(conn)
            team = plant_team(conn, "walkers", grids=[EAST])
            conn.commit()
            # along y = -10 m through EAST, a day before the events
            start = (T - timedelta(days=1)).timestamp()
            store_walk(conn, team, "walkers", fixes_along([(20, -10), (200, -10)], start=start))
            secrets = {
                role: tokens.create(conn, name=f"test {role}", role=role)
                for role in ("auditor", "planner", "staff", "admin")
            }
            secrets["foreign"] = tokens.create(
                conn, name="other", role="staff", county_code="450103"
            )
            secrets["member"] = tokens.create(
                conn, name="member", role="grid_member", grid_code=EAST
            )
            conn.commit()
        events = {
            # 10 m from the walk: patrolled
            "walked": plant_event(url, point=lonlat(100, 0), grid=EAST, reported_at=T),
            # 110 m from it: blind, the walk the nearest patrol
            "near": plant_event(
                url, point=lonlat(100, 100), grid=EAST, reported_at=T, reporter_phone="13912345678"
            ),
            # in FAR, 1 km away: blind, no patrol within 500 m
            "far": plant_event(url, point=lonlat(1200, 0), grid=FAR_BASE, reported_at=T),
        }
        app = create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=2))
        headers = {name: {"Authorization": f"Bearer {secret}"} for name, secret in secrets.items()}
        with TestClient(app) as client:
            yield {"client": client, "headers": headers, "events": events}


def _get(api: dict[str, Any], caller: str = "auditor", **params: str) -> Any:
    return api["client"].get(BLIND_SPOTS, params=params, headers=api["headers"].get(caller, {}))


def test_the_layer_by_grid_then_time(api):
    answer = _get(api, **OCTOBER)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    layer = answer.json()
    assert layer["type"] == "FeatureCollection"
    events = api["events"]
    assert [f["id"] for f in layer["features"]] == [events["near"], events["far"]]
    near = layer["features"][0]
    assert near["geometry"]["type"] == "Point"
    assert near["properties"]["grid_code"] == EAST
    assert 105 <= near["properties"]["nearest_patrol_m"] <= 115
    assert layer["features"][1]["properties"]["nearest_patrol_m"] is None
    assert (layer["scope"], layer["days"], layer["numberMatched"]) == ("450105", 7, 2)
    assert layer["caveats"]["notes"] == []
    assert "13912345678" not in answer.text


def test_the_list(api):
    answer = _get(api, "planner", format="json", scope=NEAR, **OCTOBER)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert [s["event_id"] for s in body["blind_spots"]] == [api["events"]["near"]]
    spot = body["blind_spots"][0]
    assert (spot["category_code"], spot["reported_at"]) == ("0101", "2026-10-20T10:00:00+08:00")
    assert spot["nearest_patrol_at"].startswith("2026-10-19T10:")
    assert body["from"] == "2026-10-01T00:00:00+08:00" and "R metres" in body["rule"]


def test_a_one_day_window_and_another_scope(api):
    # a window of a day still holds the walk; the FAR community has only its own event
    assert _get(api, days="1", format="json", **OCTOBER).json()["numberMatched"] == 2
    far = _get(api, scope=FAR, **OCTOBER).json()
    assert [f["id"] for f in far["features"]] == [api["events"]["far"]]


def test_the_default_period_is_this_month(api):
    body = _get(api, format="json").json()
    start = datetime.fromisoformat(body["from"])
    assert start.day == 1 and start.astimezone(CHINA).hour == 0 and body["blind_spots"] == []


@pytest.mark.parametrize(
    ("caller", "status"),
    [("public", 401), ("member", 403), ("staff", 200), ("admin", 200), ("planner", 200)],
)
def test_for_the_analysts(api, caller, status):
    assert _get(api, caller).status_code == status


def test_another_countys_staff_see_their_own_county_only(api):
    assert _get(api, "foreign", scope=NEAR).status_code == 403
    own = _get(api, "foreign", **OCTOBER).json()
    assert (own["scope"], own["features"]) == ("450103", [])


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"days": "0"}, "days"),
        ({"days": "366"}, "days"),
        ({"days": "a week"}, "days"),
        ({"format": "csv"}, "format"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-10-02", "to": "2026-10-01"}, "to"),
        ({"from": "2025-01-01", "to": "2026-11-01"}, "to"),
        ({"scope": "4501"}, "scope"),
        ({"radius_m": "60"}, "radius_m"),
    ],
)
def test_bad_parameters_are_named(api, params, parameter):
    answer = _get(api, **params)
    assert answer.status_code == 400, answer.text
    assert parameter in answer.text
