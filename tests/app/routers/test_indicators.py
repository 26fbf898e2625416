"""GET /api/v1/indicators/events: the scripted scenario of tests/planters/event_scenario.py
served over HTTP with its definitions, and every bad parameter answered 400 by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis.events.indicators import DEFINITIONS
from tests.planters.event_places import WEST_SOUTH, planted_database
from tests.planters.event_scenario import BY_GRID, TOTAL, play

URL = "/api/v1/indicators/events"
PERIOD = {"from": "2026-06-01T09:00:00+08:00", "to": "2026-06-06T09:00:00+08:00"}


@pytest.fixture(scope="module")
def api(admin_url: str, migrated_template: str) -> Iterator[TestClient]:
    with planted_database(admin_url, migrated_template, "indicators_api") as (url, _tokens):
        play(url)
        app = create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=2))
        with TestClient(app) as client:
            yield client


def test_grid_indicators_with_their_definitions(api: TestClient) -> None:
    answer = api.get(URL, params={"group_by": "grid", **PERIOD})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["definitions"] == DEFINITIONS
    assert body["total"] == TOTAL
    groups = {group.pop("key"): group for group in body["groups"]}
    assert groups == BY_GRID
    assert groups[WEST_SOUTH]["closure_rate"] == 1.0
    assert (body["group_by"], body["from"], body["to"]) == (
        "grid",
        PERIOD["from"],
        PERIOD["to"],
    )


def test_dates_are_china_midnights(api: TestClient) -> None:
    # 2026-06-01 00:00 +08 to 2026-06-06 00:00 +08 holds the same events as PERIOD: the
    # latest, e7, was reported on 5 June at 09:00; e9 on 31 May.
    body = api.get(URL, params={"group_by": "source", "from": "2026-06-01", "to": "2026-06-06"})
    assert body.status_code == 200, body.text
    assert body.json()["total"]["reported"] == TOTAL["reported"]
    assert body.json()["from"] == "2026-06-01T00:00:00+08:00"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "group_by"),
        ({"group_by": "street"}, "group_by"),
        ({"group_by": "grid", "from": "last week"}, "from"),
        ({"group_by": "grid", "to": "2026-06-01T09:00"}, "to"),
        ({"group_by": "grid", "from": "2026-06-02", "to": "2026-06-01"}, "to"),
        ({"group_by": "grid", "county": "450105"}, "county"),
    ],
)
def test_bad_parameters_answer_400_naming_them(
    api: TestClient, params: dict[str, str], parameter: str
) -> None:
    answer = api.get(URL, params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["description"].startswith(f"{parameter}:")
