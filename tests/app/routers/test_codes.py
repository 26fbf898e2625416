"""/api/v1/codes/{code} and /api/v1/search on the demo district (read-only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def building(database_url: str, demo_district: dict[str, int]) -> tuple[str, int]:
    with psycopg.connect(database_url) as conn:
        code, units = conn.execute(
            "SELECT building_code, units FROM buildings WHERE units >= 2 "
            "ORDER BY building_code LIMIT 1"
        ).fetchone()
    return code, units


@pytest.fixture(scope="module")
def grid(database_url: str, demo_district: dict[str, int]) -> str:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT grid_code FROM grids WHERE grid_type = 'base' ORDER BY grid_code LIMIT 1"
        ).fetchone()[0]


def _problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["description"]


def test_a_code_answers_its_place_as_geojson(client, grid):
    response = client.get(f"/api/v1/codes/{grid}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    feature = response.json()
    assert feature["id"] == grid and feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["level"] == "grid"
    assert [p["code"] for p in feature["properties"]["parents"]] == [
        grid[:6],
        grid[:9],
        grid[:12],
    ]
    legacy = client.get(f"/api/v1/codes/{grid[:12]}{grid[13:]}")
    assert legacy.status_code == 200 and legacy.json()["id"] == grid


def test_units_unknown_and_malformed_codes(client, building):
    code, units = building
    inside = client.get(f"/api/v1/codes/{code}{units:02d}")
    assert inside.status_code == 200
    assert inside.json()["properties"]["unit"] == units
    beyond = f"{code}{units + 1:02d}"
    assert beyond in _problem(client.get(f"/api/v1/codes/{beyond}"), 404)
    assert "450105999" in _problem(client.get("/api/v1/codes/450105999"), 404)
    for malformed in ("abc", "4501", "450105001001000", "45010５"):
        assert malformed in _problem(client.get(f"/api/v1/codes/{malformed}"), 400)
    assert "crs" in _problem(client.get(f"/api/v1/codes/{code}?crs=x"), 400)


def test_search(client):
    response = client.get("/api/v1/search", params={"q": "福建园", "level": "township,community"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "福建园" and body["numberReturned"] == len(body["results"])
    assert body["results"][0]["name"] == "福建园街道"
    assert {r["level"] for r in body["results"]} == {"township", "community"}
    assert all(len(r["bbox"]) == 4 for r in body["results"])
    prefix = client.get("/api/v1/search", params={"q": "450105001", "limit": "5"}).json()
    assert prefix["numberReturned"] == 5 and prefix["results"][0]["code"] == "450105001"
    assert client.get("/api/v1/search", params={"q": "%"}).json()["numberReturned"] == 0


def test_search_finds_compounds_with_their_community(client, database_url):
    # a compound name shared by no other place, so its exact match decides the order
    with psycopg.connect(database_url) as conn:
        compound_id, name, community = conn.execute(
            "SELECT c.compound_id, c.name, m.name FROM compounds AS c "
            "JOIN communities AS m USING (community_code) "
            "WHERE NOT EXISTS (SELECT 1 FROM compounds AS o "
            "WHERE o.name LIKE '%' || c.name || '%' AND o.compound_id <> c.compound_id) "
            "ORDER BY c.compound_id LIMIT 1"
        ).fetchone()
    body = client.get("/api/v1/search", params={"q": name}).json()
    first = body["results"][0]
    assert (first["level"], first["code"], first["name"]) == ("compound", str(compound_id), name)
    assert first["path"].endswith(f" › {community}") and len(first["bbox"]) == 4
    # the code a result carries opens the compound's panel
    panel = client.get(f"/api/v1/places/compounds/{first['code']}").json()
    assert (panel["level"], panel["name"]) == ("compound", name)
    assert panel["bbox"] == pytest.approx(first["bbox"], abs=1e-7)
    # by id, and only compounds when asked
    by_id = client.get("/api/v1/search", params={"q": str(compound_id), "level": "compound"})
    assert [(r["level"], r["code"]) for r in by_id.json()["results"]] == [
        ("compound", str(compound_id))
    ]
    params = {"q": name[:2], "level": "compound,grid", "limit": "100"}
    pieces = client.get("/api/v1/search", params=params).json()["results"]
    assert {r["level"] for r in pieces} <= {"compound", "grid"}
    assert ("compound", str(compound_id)) in [(r["level"], r["code"]) for r in pieces]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "福" * 51}, "q"),
        ({"q": "福建园", "limit": "0"}, "limit"),
        ({"q": "福建园", "limit": "101"}, "limit"),
        ({"q": "福建园", "limit": "ten"}, "limit"),
        ({"q": "福建园", "level": "street"}, "level"),
        ({"q": "福建园", "bbox": "1,2,3,4"}, "bbox"),
    ],
)
def test_search_refuses_bad_parameters(client, params, parameter):
    description = _problem(client.get("/api/v1/search", params=params), 400)
    assert description.startswith(f"{parameter}:")


def test_the_area_names_the_demo_districts_one_county(client, db):
    name = db.execute("SELECT name FROM districts").fetchone()[0]
    answer = client.get("/api/v1/area")
    assert answer.status_code == 200
    assert answer.json() == {"level": "county", "code": "450105", "name": name, "counties": 1}
    assert _problem(client.get("/api/v1/area?city=4501"), 400).startswith("city")


def _squares(conn: psycopg.Connection, counties: list[tuple[str, str]], first: int = 0) -> None:
    for offset, (code, name) in enumerate(counties, start=first):
        west = 108.0 + offset * 0.2
        conn.execute(
            "INSERT INTO districts VALUES (%s, %s,"
            " ST_Multi(ST_MakeEnvelope(%s, 22.7, %s, 22.9, 4326)))",
            (code, name, west, west + 0.1),
        )


@pytest.fixture
def scratch_client(scratch_database: str) -> Iterator[tuple[TestClient, psycopg.Connection]]:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url=scratch_database, pool_min_size=1, pool_max_size=2))
    with psycopg.connect(scratch_database, autocommit=True) as conn, TestClient(app) as client:
        yield client, conn


def test_the_area_of_several_counties_is_their_city_or_their_count(scratch_client):
    client, conn = scratch_client
    # no county yet: nothing to name
    assert client.get("/api/v1/area").json() == {
        "level": None,
        "code": None,
        "name": None,
        "counties": 0,
    }
    # two of Nanning's counties: the city they share, by its name in the division codes
    _squares(conn, [("450102", "兴宁区"), ("450105", "江南区")])
    assert client.get("/api/v1/area").json() == {
        "level": "city",
        "code": "450100",
        "name": "南宁市",
        "counties": 2,
    }
    # and one of Liuzhou's besides: no one city, so how many counties
    _squares(conn, [("450202", "城中区")], first=2)
    assert client.get("/api/v1/area").json() == {
        "level": "counties",
        "code": None,
        "name": None,
        "counties": 3,
    }
