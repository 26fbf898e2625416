"""Properties a row keeps as the features API writes them (migration 0022,
gis/ogc/features.py KEPT_PROPERTIES): the kept text is, row for row, what the registry's
expression writes, and it follows the row when the row changes."""

from __future__ import annotations

import json

from gis.ogc import features
from gis.ogc.collections import COLLECTIONS


def test_kept_properties_are_the_registrys_row_for_row(demo_district, db):
    for collection_id, column in features.KEPT_PROPERTIES.items():
        source = COLLECTIONS[collection_id]
        written = features._properties(source).as_string(db)
        rows, differing = db.execute(
            f"""
            SELECT count(*), count(*) FILTER (WHERE {column} IS DISTINCT FROM {written}::text)
            FROM {source.table}
            """
        ).fetchone()
        assert rows > 1000 and differing == 0, (collection_id, rows, differing)


def test_kept_properties_follow_the_row(demo_district, db):
    code = db.execute(
        "SELECT building_code FROM buildings ORDER BY building_code LIMIT 1"
    ).fetchone()[0]
    # a name JSON must escape, and a new figure
    db.execute(
        "UPDATE buildings SET name = %s, households = households + 7 WHERE building_code = %s",
        ('3号楼 "东" \\ 单元', code),
    )
    kept, households = db.execute(
        "SELECT feature_properties, households FROM buildings WHERE building_code = %s", (code,)
    ).fetchone()
    db.rollback()
    properties = json.loads(kept)
    assert properties["name"] == '3号楼 "东" \\ 单元'
    assert properties["households"] == households
    assert properties["building_code"] == code.strip()
