"""POST /api/v1/import/{layer}: administrators only, the CLI's report as the answer, 422
with every problem listed for a refused file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis import tokens
from tests.planters.import_places import box, counts, feature, grid_features, seed, write_geojson


@pytest.fixture
def api(scratch_database: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client on a planted scratch database and tokens per role."""
    seed(scratch_database)
    with psycopg.connect(scratch_database) as conn:
        secrets = {
            role: tokens.create(conn, name=f"test {role}", role=role)
            for role in ("admin", "staff", "auditor")
        }
    app = create_app(Settings(database_url=scratch_database, pool_min_size=1, pool_max_size=4))
    with TestClient(app) as client:
        yield client, secrets


def _upload(path: Path) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (path.name, path.read_bytes(), "application/geo+json")}


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_only_administrators_may_import(api, tmp_path, scratch_database):
    client, secrets = api
    path = write_geojson(tmp_path / "grids.geojson", grid_features())
    anonymous = client.post("/api/v1/import/grids", files=_upload(path))
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    for role in ("staff", "auditor"):
        refused = client.post(
            "/api/v1/import/grids", files=_upload(path), headers=_bearer(secrets[role])
        )
        assert refused.status_code == 403, role
    wrong = client.post("/api/v1/import/grids", files=_upload(path), headers=_bearer("om_nope"))
    assert wrong.status_code == 401
    assert counts(scratch_database)["grids"] == 0


def test_an_administrator_imports_and_gets_the_report(api, tmp_path, scratch_database):
    client, secrets = api
    path = write_geojson(tmp_path / "grids.geojson", grid_features())
    answer = client.post(
        "/api/v1/import/grids", files=_upload(path), headers=_bearer(secrets["admin"])
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["layer"] == "grids" and report["file"] == "grids.geojson"
    assert (report["inserted"], report["updated"], report["written"]) == (2, 0, True)
    assert counts(scratch_database)["grids"] == 2


def test_options_as_form_fields_or_query_parameters(api, tmp_path, scratch_database):
    client, secrets = api
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [
                [108.300, 22.800],
                [108.310, 22.810],
                [108.310, 22.800],
                [108.300, 22.810],
                [108.300, 22.800],
            ]
        ],
    }
    path = write_geojson(
        tmp_path / "bowtie.geojson",
        [feature({"网格编码": "450105001001001", "名称": "蝴蝶"}, bowtie)],
    )
    as_query = client.post(
        "/api/v1/import/grids?repair=true&dry_run=true",
        files=_upload(path),
        headers=_bearer(secrets["admin"]),
    )
    assert as_query.status_code == 200, as_query.text
    assert as_query.json()["dry_run"] and len(as_query.json()["repairs"]) == 1
    assert counts(scratch_database)["grids"] == 0
    as_form = client.post(
        "/api/v1/import/grids",
        files=_upload(path),
        data={"repair": "true", "crs": "EPSG:4326"},
        headers=_bearer(secrets["admin"]),
    )
    assert as_form.status_code == 200, as_form.text
    assert as_form.json()["written"] and counts(scratch_database)["grids"] == 1


def test_a_refused_file_answers_422_with_every_problem(api, tmp_path, scratch_database):
    client, secrets = api
    features = [
        feature(
            {"grid_code": "450105001001001", "name": "好"}, box(108.300, 22.800, 108.305, 22.805)
        ),
        feature(
            {"grid_code": "4501050010010", "name": "短码"}, box(108.300, 22.800, 108.305, 22.805)
        ),
        feature(
            {"grid_code": "450105001001003", "name": "越界"}, box(108.315, 22.800, 108.330, 22.810)
        ),
    ]
    path = write_geojson(tmp_path / "bad.geojson", features)
    answer = client.post(
        "/api/v1/import/grids", files=_upload(path), headers=_bearer(secrets["admin"])
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "ImportRejected" and body["written"] is False
    named = {problem["record"]: problem["problem"] for problem in body["problems"]}
    assert set(named) == {"features[1]", "features[2]"}
    assert "13 digits" in named["features[1]"]
    assert "does not lie within its community" in named["features[2]"]
    assert counts(scratch_database)["grids"] == 0


def test_usage_errors_answer_400(api, tmp_path):
    client, secrets = api
    path = write_geojson(tmp_path / "grids.geojson", grid_features())
    admin = _bearer(secrets["admin"])
    unknown_layer = client.post("/api/v1/import/roads", files=_upload(path), headers=admin)
    assert unknown_layer.status_code == 400 and "layers are" in unknown_layer.json()["detail"]
    bad_crs = client.post(
        "/api/v1/import/grids", files=_upload(path), data={"crs": "EPSG:0"}, headers=admin
    )
    assert bad_crs.status_code == 400 and "crs" in bad_crs.json()["detail"]
    bad_flag = client.post(
        "/api/v1/import/grids?repair=perhaps", files=_upload(path), headers=admin
    )
    assert bad_flag.status_code == 400
    not_json = client.post(
        "/api/v1/import/grids",
        files={"file": ("grids.geojson", b"{not json", "application/geo+json")},
        headers=admin,
    )
    assert not_json.status_code == 422
    assert json.dumps(not_json.json()["problems"]).count("not JSON") == 1


def test_a_geopackage_of_several_layers_imports_as_one(api, tmp_path, scratch_database):
    import geopandas as gpd

    client, secrets = api
    path = tmp_path / "places.gpkg"
    gpd.GeoDataFrame(
        {"社区编码": ["450105001003"], "名称": ["新村"]},
        geometry=[box(108.30, 22.835, 108.32, 22.84)],
        crs="EPSG:4326",
    ).to_file(path, layer="communities")
    gpd.GeoDataFrame(
        {"网格编码": ["450105001003001"], "网格名称": ["新村一网格"]},
        geometry=[box(108.30, 22.836, 108.31, 22.84)],
        crs="EPSG:4326",
    ).to_file(path, layer="grids")
    answer = client.post(
        "/api/v1/import/all",
        files={"file": ("places.gpkg", path.read_bytes(), "application/geopackage+sqlite3")},
        headers=_bearer(secrets["admin"]),
    )
    assert answer.status_code == 200, answer.text
    assert [r["layer"] for r in answer.json()["layers"]] == ["communities", "grids"]
    assert counts(scratch_database)["grids"] == 1
