"""`onemap demo outline SOURCE` run as a maintainer runs it: it remakes the shipped outline
of Jiangnan from echarts' county outline (in ../shared/data beside the checkout) through the
districts import, and leaves the database as it found it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg
import shapely

from gis.demo.outline import jiangnan_outline
from tests.planters import cli
from tests.planters.import_places import counts, seed

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
ECHARTS = SHARED / "boundaries" / "echarts_counties_450105_jiangnan.geojson"
DATAV = SHARED / "boundaries" / "datav_450105_jiangnan.json"
SHIPPED = Path(__file__).resolve().parents[3] / "gis" / "data" / "jiangnan_450105_outline.geojson"


def outline(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.onemap("demo", "outline", *args, env={"ONEMAP_DATABASE_URL": url, "COLUMNS": "200"})


def districts(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT county_code, name, md5(ST_AsEWKB(geom)) FROM districts ORDER BY county_code"
        ).fetchall()


def test_remakes_the_shipped_outline_and_leaves_the_database_unchanged(scratch_database, tmp_path):
    seed(scratch_database)  # a stored 450105 the import updates, then rolls back
    before, tables = districts(scratch_database), counts(scratch_database)
    made = tmp_path / "outline.geojson"
    result = outline(scratch_database, str(ECHARTS), "--output", str(made))
    print(result.stderr)
    assert result.returncode == 0, result.stderr
    assert "repaired it: was invalid: Ring Self-intersection" in result.stderr
    assert "valid: True" in result.stderr and "km²" in result.stderr
    assert districts(scratch_database) == before and counts(scratch_database) == tables

    (feature,) = json.loads(made.read_text(encoding="utf-8"))["features"]
    (shipped,) = json.loads(SHIPPED.read_text(encoding="utf-8"))["features"]
    assert feature["properties"] == shipped["properties"]
    assert feature["properties"]["county_code"] == "450105"
    assert feature["properties"]["licence"] == "MIT"
    remade, expected = shapely.geometry.shape(feature["geometry"]), jiangnan_outline()
    assert remade.is_valid
    assert shapely.symmetric_difference(remade, expected).area < 1e-6 * expected.area


def test_a_source_that_is_not_echarts_jiangnan_is_a_usage_error(scratch_database, tmp_path):
    made = tmp_path / "outline.geojson"
    result = outline(scratch_database, str(DATAV), "--output", str(made))
    assert result.returncode == 2, result.stderr
    assert "source" in result.stderr and "Traceback" not in result.stderr
    assert not made.exists()
    assert districts(scratch_database) == []
