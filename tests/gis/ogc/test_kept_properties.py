"""Buildings keep their features' properties as text (migration 0022,
gis/ogc/sql/functions/building_feature_properties.sql): the kept text is what the features
API would build from the row, for every row and after every kind of write, and a page
reading it is the page building it."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import psycopg
import pytest
from psycopg import sql

from gis import sql as project_sql
from gis.ogc import features
from gis.ogc.collections import COLLECTIONS

BUILDINGS = COLLECTIONS["buildings"]
# What the features API builds from a row's columns (the row aliased feature_row).
BUILT = sql.SQL("{}::text").format(features._properties(BUILDINGS))


def stale_rows(conn: psycopg.Connection) -> tuple[int, int]:
    """(rows whose kept text is not the built one, rows)."""
    statement = sql.SQL(
        "SELECT count(*) FILTER (WHERE feature_properties IS DISTINCT FROM {}), count(*)"
        " FROM buildings AS feature_row"
    ).format(BUILT)
    stale, rows = conn.execute(statement).fetchone()
    return stale, rows


def test_every_building_keeps_what_the_features_api_builds(db, demo_district):
    stale, rows = stale_rows(db)
    assert rows > 10_000
    assert stale == 0
    # Key for key, in the collection's order: the text is served as it is.
    (kept,) = db.execute("SELECT feature_properties FROM buildings LIMIT 1").fetchone()
    assert list(json.loads(kept)) == [p.name for p in BUILDINGS.properties]


def test_the_kept_text_follows_every_write(db, demo_district):
    code, community = db.execute(
        "SELECT building_code, community_code FROM buildings ORDER BY building_code LIMIT 1"
    ).fetchone()
    # An update of each kind of column, a name JSON must escape, a NULL.
    db.execute(
        "UPDATE buildings SET name = %s, floors = floors + 1, compound_id = NULL,"
        " households = 7 WHERE building_code = %s",
        ('楼 "A"\\\n\t', code),
    )
    (kept,) = db.execute(
        "SELECT feature_properties FROM buildings WHERE building_code = %s", (code,)
    ).fetchone()
    assert json.loads(kept)["name"] == '楼 "A"\\\n\t'
    assert json.loads(kept)["compound_id"] is None
    assert json.loads(kept)["households"] == 7
    # An INSERT, and a COPY, whose writers say nothing of the text (or say it wrong).
    new_code = community.strip() + "99998"
    db.execute(
        "INSERT INTO buildings (building_code, community_code, county_code, building_use,"
        " floors, units, households, population, geom, feature_properties)"
        " SELECT %s, community_code, county_code, building_use, floors, units, households,"
        " population, geom, 'not the properties' FROM buildings WHERE building_code = %s",
        (new_code, code),
    )
    row = db.execute(
        "SELECT community_code, county_code, building_use, floors, geom FROM buildings"
        " WHERE building_code = %s",
        (code,),
    ).fetchone()
    with db.cursor().copy(
        "COPY buildings (building_code, community_code, county_code, building_use, floors,"
        " geom)"
        " FROM STDIN"
    ) as copy:
        copy.write_row((community.strip() + "99999", *row))
    assert stale_rows(db)[0] == 0
    # And a delete leaves nothing behind to go stale.
    db.execute("DELETE FROM buildings WHERE building_code = %s", (new_code,))
    assert stale_rows(db)[0] == 0


def test_applying_the_file_mends_stale_rows_and_leaves_right_ones_alone(db, demo_district):
    # Rows written with the trigger off, as under an earlier text of the file.
    db.execute("ALTER TABLE buildings DISABLE TRIGGER building_feature_properties")
    db.execute(
        "UPDATE buildings SET feature_properties = NULL WHERE building_code IN"
        " (SELECT building_code FROM buildings ORDER BY building_code LIMIT 5)"
    )
    db.execute(
        "UPDATE buildings SET feature_properties = '{}' WHERE building_code IN"
        " (SELECT building_code FROM buildings ORDER BY building_code DESC LIMIT 3)"
    )
    db.execute("ALTER TABLE buildings ENABLE TRIGGER building_feature_properties")
    assert stale_rows(db)[0] == 8
    # A row written again moves (a new ctid); one left alone stays where it was.
    places = dict(db.execute("SELECT building_code, ctid::text FROM buildings").fetchall())

    db.execute(project_sql.function("ogc/building_feature_properties").encode())

    assert stale_rows(db)[0] == 0
    rewritten = [
        code
        for code, ctid in db.execute("SELECT building_code, ctid::text FROM buildings")
        if places[code] != ctid
    ]
    assert len(rewritten) == 8


@pytest.mark.parametrize(
    "crs",
    ["http://www.opengis.net/def/crs/OGC/1.3/CRS84", "http://www.opengis.net/def/crs/EPSG/0/4326"],
)
def test_a_page_reading_the_kept_text_is_the_page_building_it(
    database_url, demo_district, monkeypatch, crs
):
    bbox = (108.30, 22.78, 108.33, 22.81)

    async def page() -> dict:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            found = await features.items(conn, "buildings", bbox=bbox, limit=1000, crs=crs)
        return json.loads(found.features)

    kept = asyncio.run(page())
    built_collection = dataclasses.replace(BUILDINGS, properties_column=None)
    monkeypatch.setitem(COLLECTIONS, "buildings", built_collection)
    built = asyncio.run(page())
    assert len(kept) > 100
    assert kept == built


def test_a_page_reads_the_kept_text(db):
    text = features.feature_text(BUILDINGS, features.CRS84).as_string(db)
    assert '"feature_row"."feature_properties"' in text
    assert "json_build_object" not in text
