"""GET /api/v1/audit/grids: the grid audit document over HTTP, on the demo district and on
the planted layout, and its errors."""

from __future__ import annotations

import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis import tokens
from gis.grids import audit
from tests.planters import grid_layout as layout

pytestmark = pytest.mark.usefixtures("demo_district")


def test_the_demo_district_over_http(client, db, analyst):
    assert client.get("/api/v1/audit/grids").status_code == 401  # an analysis needs a token
    response = client.get("/api/v1/audit/grids", headers=analyst)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    report = response.json()
    assert report["audit"] == "grids" and report["community_code"] is None
    assert set(audit.FINDING_KINDS) <= set(report)
    summary = report["summary"]
    assert (summary["grids"], summary["communities"]) == (418, 120)
    unstaffed = db.execute("SELECT count(*) FROM grids WHERE leaders = 0 OR members = 0")
    assert summary["unstaffed_grids"] == unstaffed.fetchone()[0]
    assert summary["findings"] == summary["unstaffed_grids"]


def test_one_community(client, db, analyst):
    community, grids = db.execute(
        "SELECT rtrim(community_code), count(*) FROM grids GROUP BY 1 ORDER BY 1 LIMIT 1"
    ).fetchone()
    report = client.get(
        "/api/v1/audit/grids", params={"community": community}, headers=analyst
    ).json()
    assert report["community_code"] == community
    assert (report["summary"]["communities"], report["summary"]["grids"]) == (1, grids)


@pytest.mark.parametrize(
    ("query", "status", "names"),
    [
        ({"community": "4501050010"}, 400, "community"),
        ({"community": "45010500100a"}, 400, "community"),
        ({"community": "450105001001001"}, 400, "community"),
        ({"community": "450105999999"}, 404, "450105999999"),
        ({"district": "450105"}, 400, "district"),
    ],
)
def test_bad_requests_name_the_problem(client, query, status, names, analyst):
    response = client.get("/api/v1/audit/grids", params=query, headers=analyst)
    assert response.status_code == status
    body = response.json()
    assert names in body["description"]


def test_planted_findings_over_http(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        layout.plant(conn)
        secret = tokens.create(conn, name="auditor", role="auditor")
    with TestClient(create_app(Settings(database_url=scratch_database))) as planted:
        report = planted.get(
            "/api/v1/audit/grids", headers={"Authorization": f"Bearer {secret}"}
        ).json()
    assert report["summary"]["findings"] == 11
    assert [o["grid_codes"] for o in report["overlaps"]] == [[layout.A, layout.B]]
    # Every geometry is GeoJSON that Shapely reads, valid, and near Jiangnan.
    for kind in audit.FINDING_KINDS:
        for finding in report[kind]:
            shape = shapely.geometry.shape(finding["geometry"])
            assert shape.is_valid, (kind, finding)
            lon, lat = shape.representative_point().coords[0]
            assert 108.2 < lon < 108.4 and 22.7 < lat < 22.9
            assert finding["area_m2"] > 0
    gap = shapely.geometry.shape(report["gaps"][0]["geometry"])
    assert gap.geom_type == "Polygon"
