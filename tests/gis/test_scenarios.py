"""Scenario layers written from a notebook with GeoDataFrame.to_postgis (GeoAlchemy2): the
SRID and spatial index every onemap geometry has, read back as written, refusals that name
the problem and write nothing."""

from __future__ import annotations

import geopandas as gpd
import psycopg
import pytest
from shapely.geometry import Point

from gis import scenarios
from gis.errors import InvalidParameter

SITES = gpd.GeoDataFrame(
    {"rank": [1, 2, 3], "households": [678, 601, 354]},
    geometry=[Point(108.29, 22.78), Point(108.30, 22.79), Point(108.31, 22.77)],
    crs="EPSG:4326",
)


def _tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'scenario'"
        ).fetchall()
    return sorted(row[0] for row in rows)


def test_a_layer_is_stored_with_its_srid_and_a_spatial_index_and_reads_back(
    scratch_database: str,
) -> None:
    assert scenarios.save_layer(SITES, "new_centres", dsn=scratch_database) == 3
    with psycopg.connect(scratch_database) as conn:
        column = conn.execute(
            "SELECT type, srid FROM geometry_columns "
            "WHERE f_table_schema = 'scenario' AND f_table_name = 'new_centres'"
        ).fetchone()
        indexes = [
            row[0]
            for row in conn.execute(
                "SELECT indexdef FROM pg_indexes "
                "WHERE schemaname = 'scenario' AND tablename = 'new_centres'"
            )
        ]
    assert column == ("POINT", 4326)
    assert any("USING gist" in index for index in indexes), indexes
    again = scenarios.read_layer("new_centres", dsn=scratch_database)
    assert again.crs.to_epsg() == 4326
    assert list(again["households"]) == [678, 601, 354]
    assert [(p.x, p.y) for p in again.geometry] == [(p.x, p.y) for p in SITES.geometry]


def test_a_layer_in_another_crs_is_refused_and_nothing_is_written(scratch_database: str) -> None:
    projected = SITES.to_crs(4545)
    with pytest.raises(InvalidParameter) as refused:
        scenarios.save_layer(projected, "projected", dsn=scratch_database)
    assert "EPSG:4545" in str(refused.value) and "to_crs(4326)" in str(refused.value)
    assert _tables(scratch_database) == []


def test_an_existing_layer_is_replaced_only_when_asked(scratch_database: str) -> None:
    scenarios.save_layer(SITES, "sites", dsn=scratch_database)
    with pytest.raises(InvalidParameter, match="exists: pass replace=True"):
        scenarios.save_layer(SITES.iloc[:1], "sites", dsn=scratch_database)
    assert len(scenarios.read_layer("sites", dsn=scratch_database)) == 3
    assert scenarios.save_layer(SITES.iloc[:1], "sites", dsn=scratch_database, replace=True) == 1
    assert len(scenarios.read_layer("sites", dsn=scratch_database)) == 1


@pytest.mark.parametrize("name", ["Sites", "1sites", "sites; DROP TABLE events", ""])
def test_a_name_that_is_not_a_plain_identifier_is_refused(scratch_database: str, name: str) -> None:
    with pytest.raises(InvalidParameter, match="not a layer name"):
        scenarios.save_layer(SITES, name, dsn=scratch_database)
    with pytest.raises(InvalidParameter, match="not a layer name"):
        scenarios.read_layer(name, dsn=scratch_database)


def test_reading_a_missing_layer_names_it(scratch_database: str) -> None:
    with pytest.raises(InvalidParameter, match="no scenario layer 'nowhere'"):
        scenarios.read_layer("nowhere", dsn=scratch_database)
