"""`onemap import LAYER FILE` run as a user runs it: exit codes 0 (imported), 1 (refused,
nothing written), 2 (usage), and the same report as the API with --json."""

from __future__ import annotations

import json
import subprocess

import geopandas as gpd
import psycopg
import shapely

from tests.planters import cli
from tests.planters.import_places import box, counts, feature, grid_features, seed, write_geojson


def onemap(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.onemap("import", *args, env={"ONEMAP_DATABASE_URL": url})


def test_import_prints_progress_and_a_summary(scratch_database, tmp_path):
    seed(scratch_database)
    path = write_geojson(tmp_path / "grids.geojson", grid_features())
    result = onemap(scratch_database, "grids", str(path))
    assert result.returncode == 0, result.stderr
    assert "validating" in result.stderr  # the progress bar's phases
    assert "imported 2 grids" in " ".join(result.stderr.split())
    assert counts(scratch_database)["grids"] == 2


def test_json_report_and_dry_run(scratch_database, tmp_path):
    seed(scratch_database)
    path = write_geojson(tmp_path / "grids.geojson", grid_features())
    result = onemap(scratch_database, "grids", str(path), "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] and report["inserted"] == 2 and not report["written"]
    assert counts(scratch_database)["grids"] == 0


def test_invalid_data_exits_1_naming_each_record(scratch_database, tmp_path):
    seed(scratch_database)
    features = [
        feature(
            {"grid_code": "450105001001001", "name": "好"}, box(108.300, 22.800, 108.305, 22.805)
        ),
        feature({"grid_code": "450105001001002"}, box(108.300, 22.800, 108.305, 22.805)),
        feature({"grid_code": "450105001001002", "name": "重"}, None),
    ]
    path = write_geojson(tmp_path / "bad.geojson", features)
    result = onemap(scratch_database, "grids", str(path), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    records = sorted({p["record"] for p in report["problems"]})
    assert records == ["features[1]", "features[2]"]
    human = onemap(scratch_database, "grids", str(path), "--no-progress")
    assert human.returncode == 1
    assert "features[1]" in human.stderr and "nothing" in human.stderr
    assert "Traceback" not in human.stderr
    assert counts(scratch_database)["grids"] == 0


def test_usage_errors_exit_2(scratch_database, tmp_path):
    seed(scratch_database)
    path = write_geojson(tmp_path / "grids.geojson", grid_features())
    assert onemap(scratch_database, "roads", str(path)).returncode == 2
    bad_crs = onemap(scratch_database, "grids", str(path), "--crs", "EPSG:0")
    assert bad_crs.returncode == 2 and "crs" in bad_crs.stderr
    assert onemap(scratch_database, "grids", str(tmp_path / "missing.geojson")).returncode == 2
    two_layers = tmp_path / "two.gpkg"
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(108.3, 22.8, 108.31, 22.81)], crs=4326)
    frame.to_file(two_layers, layer="one")
    frame.to_file(two_layers, layer="two")
    picked = onemap(scratch_database, "grids", str(two_layers))
    assert picked.returncode == 2 and "one, two" in picked.stderr


def test_service_centres_without_a_usable_area_are_refused(scratch_database, tmp_path):
    """A centre with no area, an empty one, zero, a negative or a non-numeric area: the
    file is refused naming each record and the problem, and nothing is written."""
    seed(scratch_database)
    point = shapely.Point(108.32, 22.82)

    def centre(name: str, **area: object) -> dict[str, object]:
        return feature({"name": name, "level": "district", "county_code": "450105", **area}, point)

    path = write_geojson(
        tmp_path / "centres.geojson",
        [
            centre("good", area_m2=800),
            centre("none"),
            centre("null", area_m2=None),
            centre("zero", area_m2=0),
            centre("negative", area_m2=-120),
            centre("words", area_m2="很大"),
        ],
    )
    result = onemap(scratch_database, "service_centers", str(path), "--json")
    assert result.returncode == 1, result.stderr
    problems = json.loads(result.stdout)["problems"]
    by_record = {p["record"]: p for p in problems}
    assert sorted(by_record) == [f"features[{i}]" for i in range(1, 6)]
    assert all(p["field"] == "area_m2" for p in problems), problems
    assert counts(scratch_database)["service_centers"] == 0


def test_imported_centres_get_their_service_areas(scratch_database, tmp_path):
    seed(scratch_database)
    path = write_geojson(
        tmp_path / "centres.geojson",
        [
            feature(
                {"name": "中心", "level": "district", "county_code": "450105", "area_m2": 800},
                shapely.Point(108.32, 22.82),
            )
        ],
    )
    result = onemap(scratch_database, "service_centers", str(path), "--no-progress")
    assert result.returncode == 0, result.stderr
    # no walking network yet: circles, and the summary says so
    summary = " ".join(result.stderr.split())
    assert "service areas recomputed for 1 centres (3 areas" in summary
    assert "straight-line circles" in summary
    with psycopg.connect(scratch_database) as conn:
        rows = conn.execute("SELECT minutes, method FROM service_areas ORDER BY 1").fetchall()
        assert rows == [(5, "straight_line"), (10, "straight_line"), (15, "straight_line")]
        assert conn.execute("SELECT count(*) FROM service_area_queue").fetchone() == (0,)
