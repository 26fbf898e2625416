"""GET /api/v1/access/…: coverage, the areas and uncovered layers, and the standards on
the demo district, checked against the library and direct SQL; bad parameters answered
400 by name."""

from __future__ import annotations

import json

import pytest

from gis.access import coverage_report
from gis.access.siting import suggest_sites
from gis.access.standards import check_standards


def test_coverage_matches_the_library(client, db):
    answer = client.get("/api/v1/access/coverage", params={"minutes": 5, "group_by": "subdistrict"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = coverage_report(db, minutes=5, group_by="subdistrict").as_dict()
    assert body == expected
    assert len(body["groups"]) == 11
    assert 0 < body["total"]["households_pct"] < 100
    assert body["method"] == "network" and body["caveats"]["notes"] == []


def test_community_scope_and_levels(client, db):
    community = db.execute("SELECT min(community_code) FROM communities").fetchone()[0]
    answer = client.get(
        "/api/v1/access/coverage",
        params={"minutes": 10, "scope": community, "level": "community,compound"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [g["code"] for g in body["groups"]] == [community]
    assert body["levels"] == ["community", "compound"]


def test_areas_layer_counts_what_each_area_holds(client, db):
    answer = client.get("/api/v1/access/areas", params={"minutes": 5})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    layer = answer.json()
    centres = db.execute("SELECT count(*) FROM service_centers").fetchone()[0]
    assert layer["type"] == "FeatureCollection" and len(layer["features"]) == centres
    first = layer["features"][0]
    held = db.execute(
        "SELECT coalesce(sum(b.households), 0) FROM buildings b JOIN service_areas a"
        " ON ST_Intersects(a.geom, ST_PointOnSurface(b.geom))"
        " WHERE a.center_id = %s AND a.minutes = 5",
        (first["id"],),
    ).fetchone()[0]
    assert first["properties"]["households"] == held
    assert first["properties"]["method"] == "network"
    one = client.get("/api/v1/access/areas", params={"center_id": first["id"]}).json()
    assert [f["properties"]["minutes"] for f in one["features"]] == [15]


def test_uncovered_layer_lists_the_households_coverage_misses(client):
    coverage = client.get("/api/v1/access/coverage", params={"minutes": 5}).json()
    layer = client.get("/api/v1/access/uncovered", params={"minutes": 5, "limit": 50}).json()
    missed = coverage["total"]["households"] - coverage["total"]["covered_households"]
    assert layer["uncovered_households"] == missed > 0
    assert layer["numberReturned"] == 50 < layer["numberMatched"]
    households = [f["properties"]["households"] for f in layer["features"]]
    assert households == sorted(households, reverse=True)
    assert all(f["properties"]["nearest_center_m"] is not None for f in layer["features"])


def test_standards_answer_and_geojson(client, db):
    answer = client.get("/api/v1/access/standards", params={"compliant": "false"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    failing = [c for c in check_standards(db) if not c.compliant]
    assert [c["center_id"] for c in body["centres"]] == [c.center_id for c in failing]
    assert all(not c["compliant"] and c["reasons"] for c in body["centres"])
    points = client.get(
        "/api/v1/access/standards", params={"level": "community", "format": "geojson"}
    ).json()
    assert {f["properties"]["level"] for f in points["features"]} == {"community"}
    assert points["features"][0]["geometry"]["type"] == "Point"


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("coverage", {"minutes": 7}, "minutes"),
        ("coverage", {"minutes": "ten"}, "minutes"),
        ("coverage", {"group_by": "grid"}, "group_by"),
        ("coverage", {"scope": "45010"}, "scope"),
        ("coverage", {"level": "village"}, "level"),
        ("coverage", {"colour": "red"}, "colour"),
        ("areas", {"center_id": "x"}, "center_id"),
        ("uncovered", {"limit": -1}, "limit"),
        ("standards", {"compliant": "maybe"}, "compliant"),
        ("standards", {"format": "csv"}, "format"),
        ("standards", {"level": "street"}, "level"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, path, params, parameter):
    answer = client.get(f"/api/v1/access/{path}", params=params)
    assert answer.status_code == 400, answer.text
    assert parameter in answer.text


def test_sites_are_the_library_answer(client, db, analyst):
    params = {"k": 2, "minutes": 5, "level": "community"}
    answer = client.get("/api/v1/access/sites", params=params, headers=analyst)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = suggest_sites(db, k=2, minutes=5, levels=["community"]).as_dict()
    body.pop("seconds"), expected.pop("seconds")
    assert body == expected
    assert [s["rank"] for s in body["sites"]] == [1, 2]


def test_sites_target_out_of_reach_is_422(client, analyst):
    answer = client.get(
        "/api/v1/access/sites",
        params={"target_pct": 99, "minutes": 5, "level": "community"},
        headers=analyst,
    )
    assert answer.status_code == 422, answer.text
    assert "cannot be reached" in answer.text


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "k"),
        ({"k": "two"}, "k"),
        ({"target_pct": "most"}, "target_pct"),
        ({"k": 1, "candidate_uses": "castle"}, "candidate_uses"),
        ({"k": 1, "candidates": "45010599999999999"}, "45010599999999999"),
    ],
)
def test_sites_bad_parameters(client, params, parameter, analyst):
    answer = client.get("/api/v1/access/sites", params=params, headers=analyst)
    assert answer.status_code in (400, 404), answer.text
    assert parameter in answer.text


def test_areas_are_an_ogc_collection(client, db):
    """The stored areas as OGC API features: one per centre and minutes, id = centre ×
    100 + minutes, filtered by the centre's level, the geometry PostGIS stores."""
    answer = client.get(
        "/ogc/collections/service_areas/items",
        params={"level": "community", "minutes": 5, "limit": 1000},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = db.execute(
        "SELECT count(*) FROM service_areas AS a JOIN service_centers AS c USING (center_id)"
        " WHERE c.level = 'community' AND a.minutes = 5"
    ).fetchone()[0]
    assert body["numberMatched"] == len(body["features"]) == expected > 0
    first = body["features"][0]
    center_id = first["properties"]["center_id"]
    assert first["id"] == center_id * 100 + 5
    name, apart = db.execute(
        "SELECT c.name, ST_HausdorffDistance(a.geom, ST_GeomFromGeoJSON(%s))"
        " FROM service_areas AS a JOIN service_centers AS c USING (center_id)"
        " WHERE a.center_id = %s AND a.minutes = 5",
        (json.dumps(first["geometry"]), center_id),
    ).fetchone()
    assert first["properties"]["name"] == name
    assert apart < 1e-6  # served with 7 decimals (≈ 1 cm)
    one = client.get(f"/ogc/collections/service_areas/items/{center_id * 100 + 15}")
    assert one.status_code == 200 and one.json()["properties"]["minutes"] == 15


def test_layers_keep_to_a_bbox(client, db):
    """bbox keeps the areas whose box meets it and the uncovered buildings whose point
    lies in it, as the same filter in SQL counts them; a bad bbox is a 400 naming it."""
    west, south, east, north = db.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
        " FROM (SELECT ST_Extent(geom) AS e FROM communities) AS district"
    ).fetchone()
    # the north-east quarter: the urban streets, with centres and uncovered homes
    corner = [east - (east - west) / 4, north - (north - south) / 4, east, north]
    bbox = ",".join(f"{value:.6f}" for value in corner)
    envelope = "ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
    corners = tuple(float(value) for value in bbox.split(","))

    areas = client.get("/api/v1/access/areas", params={"minutes": 10, "bbox": bbox})
    assert areas.status_code == 200, areas.text
    expected = db.execute(
        f"SELECT count(*) FROM service_areas WHERE minutes = 10 AND geom && {envelope}", corners
    ).fetchone()[0]
    everything = db.execute("SELECT count(*) FROM service_areas WHERE minutes = 10").fetchone()[0]
    assert len(areas.json()["features"]) == expected
    assert 0 < expected < everything
    assert areas.json()["bbox"] == list(corners)

    missed = client.get("/api/v1/access/uncovered", params={"minutes": 5, "bbox": bbox})
    assert missed.status_code == 200, missed.text
    in_view = db.execute(
        f"""SELECT count(*) FROM buildings AS b
            WHERE b.households > 0 AND b.point && {envelope}
              AND NOT EXISTS (SELECT 1 FROM service_areas AS a WHERE a.minutes = 5
                              AND ST_Intersects(a.geom, b.point))""",
        corners,
    ).fetchone()[0]
    assert missed.json()["numberMatched"] == in_view > 0

    for bad, problem in (
        ("1,2,3", "expected 4 or 6"),
        ("108.3,22.8,108.2,22.9", "exceeds maximum"),
        ("108.2,95,108.3,96", "latitude out of range"),
    ):
        answer = client.get("/api/v1/access/areas", params={"minutes": 5, "bbox": bad})
        assert answer.status_code == 400, bad
        assert "bbox" in answer.text and problem in answer.text, answer.text


def test_sites_need_a_token_of_an_analysing_role(client):
    anonymous = client.get("/api/v1/access/sites", params={"k": 1})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    forged = client.get(
        "/api/v1/access/sites", params={"k": 1}, headers={"Authorization": "Bearer x"}
    )
    assert forged.status_code == 401
