"""`onemap grids crosswalk` and `onemap grids delineate`, run as a planner would run
them, on a planted layout and on a module's own copy of the demo district."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest
import shapely

from gis.crs import wgs84_to_gcj02
from tests.planters import cli
from tests.planters import grid_planting as planting
from tests.planters.grid_planting import G1, G2, G3


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.onemap("grids", *args, env={"ONEMAP_DATABASE_URL": url, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def layout_url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planting.database_from(admin_url, migrated_template, "crosswalk_cli") as url:
        with psycopg.connect(url) as conn:
            planting.plant_crosswalk_layout(conn)
        yield url


def write_layer(path: Path, *, gcj02: bool = False, features: list | None = None) -> Path:
    layer = planting.legacy_layer()
    if features is None:
        geometries = layer.geometry.values
        if gcj02:

            def shift(xy: np.ndarray) -> np.ndarray:
                lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
                return np.column_stack([lon, lat])

            geometries = shapely.transform(geometries, shift)
        features = [
            {
                "type": "Feature",
                "properties": {"编码": code, "名称": f"{code}网格"},
                "geometry": shapely.geometry.mapping(geometry),
            }
            for code, geometry in zip(layer["编码"], geometries, strict=True)
        ]
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def legacy_by_id(report: dict) -> dict[str, dict]:
    return {g["legacy_id"]: g for g in report["legacy_grids"]}


def test_crosswalk_prints_json_with_the_shares(layout_url, tmp_path):
    result = run(
        layout_url,
        "crosswalk",
        str(write_layer(tmp_path / "城管.geojson")),
        "--system",
        "城管",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["system"] == "城管" and report["id_field"] == "编码"
    legacy = legacy_by_id(report)
    l2 = {p["grid_code"]: p for p in legacy["L2"]["grids"]}
    assert set(l2) == {G1, G2}
    assert abs(l2[G1]["share_of_legacy"] - 0.5) < 0.005
    assert abs(l2[G1]["share_of_grid"] - 0.25) < 0.0025
    assert legacy["L3"]["split_across_communities"] is True
    assert legacy["L4"]["partly_outside"] is True
    assert report["summary"]["split_across_communities"] == 1


def test_crosswalk_reads_gcj02_and_writes_csv(layout_url, tmp_path):
    out = tmp_path / "report.csv"
    result = run(
        layout_url,
        "crosswalk",
        str(write_layer(tmp_path / "l.geojson", gcj02=True)),
        "--system",
        "emergency_management",
        "--crs",
        "gcj02",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "legacy grids" in result.stdout and "split across communities" in result.stdout
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["system"] for row in rows} == {"应急管理"}
    l1 = [row for row in rows if row["legacy_id"] == "L1"]
    # GCJ-02 is about 500 m off here: read as WGS84 it would miss G1 entirely
    assert [row["grid_code"] for row in l1 if row["sliver"] == "False"] == [G1]
    assert abs(float(l1[0]["share_of_legacy"]) - 1.0) < 0.01
    # the GCJ-02 round trip moves edges by millimetres: at most slivers elsewhere
    assert all(float(row["overlap_m2"]) < 10 for row in l1[1:])
    l3 = [row for row in rows if row["legacy_id"] == "L3"]
    assert {row["grid_code"] for row in l3 if row["sliver"] == "False"} == {G2, G3}


def test_crosswalk_usage_errors_exit_2(layout_url, tmp_path):
    layer = str(write_layer(tmp_path / "l.geojson"))
    unknown = run(layout_url, "crosswalk", layer, "--system", "交通")
    assert unknown.returncode == 2 and "城管" in unknown.stderr
    bad_out = run(layout_url, "crosswalk", layer, "--system", "城管", "--out", "r.xlsx")
    assert bad_out.returncode == 2 and ".csv" in bad_out.stderr
    bad_crs = run(layout_url, "crosswalk", layer, "--system", "城管", "--crs", "EPSG:99999")
    assert bad_crs.returncode == 2 and "EPSG:99999" in bad_crs.stderr


def test_crosswalk_refuses_bad_layers_naming_the_records(layout_url, tmp_path):
    good = json.loads(write_layer(tmp_path / "g.geojson").read_text(encoding="utf-8"))
    features = good["features"]
    duplicate = [*features[:3], {**features[3], "properties": {"编码": "L1"}}]
    result = run(
        layout_url,
        "crosswalk",
        str(write_layer(tmp_path / "d.geojson", features=duplicate)),
        "--system",
        "城管",
    )
    assert result.returncode == 1
    assert "features[3]" in result.stderr and "repeats features[0]" in result.stderr

    point = [
        *features[:2],
        {**features[2], "geometry": {"type": "Point", "coordinates": [108.3, 22.78]}},
    ]
    result = run(
        layout_url,
        "crosswalk",
        str(write_layer(tmp_path / "p.geojson", features=point)),
        "--system",
        "城管",
    )
    assert result.returncode == 1 and "features[2] (L3): a Point" in result.stderr

    no_id = [{**f, "properties": {"备注": "x"}} for f in features]
    result = run(
        layout_url,
        "crosswalk",
        str(write_layer(tmp_path / "n.geojson", features=no_id)),
        "--system",
        "城管",
    )
    assert result.returncode == 1 and "--id-field" in result.stderr

    result = run(
        layout_url,
        "crosswalk",
        str(write_layer(tmp_path / "e.geojson", features=[])),
        "--system",
        "城管",
    )
    assert result.returncode == 1 and "no grids" in result.stderr


@pytest.fixture(scope="module")
def demo_url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planting.demo_database(admin_url, migrated_template, "delineate_cli") as url:
        yield url


def grids_of(url: str, community: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT grid_code, md5(ST_AsEWKB(geom)) FROM grids WHERE community_code = %s"
            " ORDER BY 1",
            (community,),
        ).fetchall()


def test_delineate_writes_the_proposal_and_nothing_else(demo_url, tmp_path):
    community = "450105003001"
    before = grids_of(demo_url, community)
    out = tmp_path / "proposal.geojson"
    result = run(demo_url, "delineate", "--community", community, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "nothing written to the database" in result.stdout
    assert "compactness" in result.stdout
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    households = [f["properties"]["households"] for f in collection["features"]]
    assert households and all(300 <= h <= 500 for h in households)
    assert grids_of(demo_url, community) == before


def test_delineate_apply_replaces_the_base_grids(demo_url, tmp_path):
    community = "450105105206"
    dedicated = [g for g in grids_of(demo_url, community) if int(g[0][-3:]) >= 800]
    out = tmp_path / "applied.geojson"
    result = run(demo_url, "delineate", "--community", community, "--out", str(out), "--apply")
    assert result.returncode == 0, result.stderr
    assert "applied:" in result.stdout
    proposed = [f["properties"]["grid_code"] for f in json.loads(out.read_text())["features"]]
    after = grids_of(demo_url, community)
    assert [g[0] for g in after if int(g[0][-3:]) < 800] == proposed
    assert [g for g in after if int(g[0][-3:]) >= 800] == dedicated


def test_delineate_errors(demo_url, tmp_path):
    out = str(tmp_path / "x.geojson")
    malformed = run(demo_url, "delineate", "--community", "45010500", "--out", out)
    assert malformed.returncode == 2 and "45010500" in malformed.stderr
    unknown = run(demo_url, "delineate", "--community", "450105999999", "--out", out)
    assert unknown.returncode == 1 and "does not exist" in unknown.stderr
