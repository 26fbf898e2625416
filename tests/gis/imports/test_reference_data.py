"""Imports of real files nobody on the project wrote (../shared/data, never copied into
the repository): DataV and echarts outlines of Nanning, and geojsonhint's bad files."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from gis.imports.problems import ImportRejected
from tests.planters.import_places import counts, run_import, seed

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"


def rejected(url: str, layer: str, path: Path, **options: object) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run_import(url, layer, path, **options)
    return caught.value


def test_datav_nanning_districts_refused_then_repaired(scratch_database):
    path = SHARED / "boundaries" / "datav_450100_nanning_districts.json"
    error = rejected(scratch_database, "districts", path, crs="gcj02")
    assert [(p.record, p.key) for p in error.problems] == [("features[7]", "450123")]
    assert "Self-intersection" in error.problems[0].problem
    assert counts(scratch_database)["districts"] == 0
    report = run_import(scratch_database, "districts", path, crs="gcj02", repair=True)
    assert report["inserted"] == 12 and [r["key"] for r in report["repairs"]] == ["450123"]
    with psycopg.connect(scratch_database) as conn:
        (area_km2,) = conn.execute(
            "SELECT ST_Area(geom::geography) / 1e6 FROM districts WHERE county_code = '450105'"
        ).fetchone()
    assert 1100 < area_km2 < 1260  # Jiangnan is about 1,180 km²


def test_echarts_outline_is_invalid(scratch_database):
    path = SHARED / "boundaries" / "echarts_counties_450105_jiangnan.geojson"
    error = rejected(scratch_database, "districts", path)
    assert [p.record for p in error.problems] == ["features[0]"]
    assert "Self-intersection" in error.problems[0].problem


def test_every_geojsonhint_bad_file_is_refused_with_a_message(scratch_database):
    seed(scratch_database)
    files = sorted(
        (SHARED / "validators" / "geojsonhint" / "test" / "data" / "bad").glob("*.geojson")
    )
    assert len(files) > 30
    for path in files:
        error = rejected(scratch_database, "grids", path)
        assert error.problems and all(p.problem for p in error.problems), path.name
        json.dumps(error.report)  # the report is plain JSON
    assert counts(scratch_database)["grids"] == 0
