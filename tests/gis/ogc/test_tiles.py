"""Vector tiles built by PostGIS (gis/ogc/tiles.py), read back by real decoders on the demo
district: GDAL's MVT driver finds exactly the features PostGIS says intersect the tile,
and mapbox-vector-tile decodes each geometry within one tile unit (a pixel of the
4096-unit grid) of its source projected into tile space."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import mapbox_vector_tile
import psycopg
import pytest
from shapely import wkb
from shapely.affinity import affine_transform
from shapely.geometry import shape

from gis.errors import InvalidParameter
from gis.ogc import tiles
from gis.ogc.tiles import TileAddress

# the tile's square in the 4326 storage, as the tile queries filter by it
IN_TILE = "ST_Intersects(geom, ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326))"


# A table's CHECK that one code is the first digits of another, as pg_get_constraintdef shows it.
PREFIX_CHECK = r'"left"\(\((?P<code>\w+)\)::text, (?P<digits>\d+)\) = \((?P<parent>\w+)\)::text'


def busiest_tile(db: psycopg.Connection, table: str, z: int) -> TileAddress:
    """The tile of zoom ``z`` holding the most points on surface of ``table``'s features."""
    row = db.execute(
        f"""
        WITH placed AS (SELECT ST_Transform(ST_PointOnSurface(geom), 3857) AS point FROM {table})
        SELECT floor((ST_X(point) + %(half)s) / %(size)s)::int AS x,
               floor((%(half)s - ST_Y(point)) / %(size)s)::int AS y
        FROM placed GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1
        """,
        {"half": tiles.HALF_WORLD_M, "size": 2 * tiles.HALF_WORLD_M / 2**z},
    ).fetchone()
    assert row is not None, f"{table} is empty"
    return TileAddress(z, row[0], row[1])


def tile_bytes(database_url: str, collection_id: str | None, tile: TileAddress) -> bytes:
    async def fetch() -> bytes:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            if collection_id is None:
                return await tiles.map_tile(conn, tile)
            return await tiles.collection_tile(conn, collection_id, tile)

    return asyncio.run(fetch())


def sql_ids(db: psycopg.Connection, table: str, id_sql: str, tile: TileAddress) -> set[str]:
    rows = db.execute(
        f"SELECT {id_sql}::text FROM {table} WHERE {IN_TILE}",
        {"z": tile.z, "x": tile.x, "y": tile.y},
    )
    return {value for (value,) in rows}


def _open_options(tile: TileAddress) -> list[str]:
    # a lone tile file does not say where it is: GDAL is told its z/x/y
    return ["-oo", f"X={tile.x}", "-oo", f"Y={tile.y}", "-oo", f"Z={tile.z}"]


def gdal_features(body: bytes, tile: TileAddress, tmp_path: Path) -> dict[str, list[dict]]:
    """The tile's features as GDAL's MVT driver reads them, by layer (GeoJSON in 3857)."""
    ogr2ogr = shutil.which("ogr2ogr")
    assert ogr2ogr, "ogr2ogr (GDAL) is not installed; install gdal-bin"
    source = tmp_path / f"{tile.z}-{tile.x}-{tile.y}.mvt"
    source.write_bytes(body)
    layers: dict[str, list[dict]] = {}
    for layer in mapbox_vector_tile.decode(body):
        target = tmp_path / f"{layer}.geojson"
        completed = subprocess.run(
            [ogr2ogr, "-f", "GeoJSON", str(target), str(source), layer, *_open_options(tile)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stderr
        layers[layer] = json.loads(target.read_text())["features"]
    return layers


@pytest.mark.parametrize(
    ("collection_id", "table", "id_sql", "z"),
    [
        ("grids", "grids", "rtrim(grid_code)", 14),
        ("communities", "communities", "rtrim(community_code)", 13),
        ("buildings", "buildings", "rtrim(building_code)", 16),
        ("events", "public_events", "event_id", 15),
        ("walk_edges", "walk_edges", "edge_id", 15),
    ],
)
def test_gdal_reads_exactly_the_features_postgis_says_intersect_the_tile(
    database_url, demo_district, db, tmp_path, collection_id, table, id_sql, z
):
    tile = busiest_tile(db, table, z)
    body = tile_bytes(database_url, collection_id, tile)
    layers = gdal_features(body, tile, tmp_path)
    assert list(layers) == [collection_id]
    id_column = tiles.COLLECTIONS[collection_id].id_column
    read = [str(feature["properties"][id_column]) for feature in layers[collection_id]]
    expected = sql_ids(db, table, id_sql, tile)
    print(f"{collection_id} {tile}: GDAL read {len(read)}, PostGIS says {len(expected)}")
    assert len(expected) > 5
    assert len(read) == len(set(read))
    assert set(read) == expected


def _tile_space(tile: TileAddress):
    """A shapely transform from EPSG:3857 metres to the tile's units (y downwards)."""
    min_x, _, max_x, max_y = tile.bounds_3857
    scale = tiles.EXTENT / (max_x - min_x)
    return lambda geometry: affine_transform(
        geometry, [scale, 0, 0, -scale, -min_x * scale, max_y * scale]
    )


@pytest.mark.parametrize(
    ("collection_id", "id_column", "z"),
    [
        ("grids", "grid_code", 15),
        ("buildings", "building_code", 17),
        ("buildings", "building_code", 15),  # from the outlines
        ("events", "event_id", 16),
    ],
)
def test_geometry_decodes_within_one_unit_of_the_source(
    database_url, demo_district, db, collection_id, id_column, z
):
    source = tiles.COLLECTIONS[collection_id]
    tile = busiest_tile(db, source.table, z)
    body = tile_bytes(database_url, collection_id, tile)
    decoded = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    layer = decoded[collection_id]
    assert layer["extent"] == tiles.EXTENT
    # features wholly inside the tile, so nothing of them is clipped at its edge
    rows = db.execute(
        f"""SELECT {id_column}::text, ST_AsBinary(ST_Transform(geom, 3857)) FROM {source.table}
            WHERE ST_Within(geom, ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326))""",
        {"z": tile.z, "x": tile.x, "y": tile.y},
    ).fetchall()
    sources = {key.rstrip(): wkb.loads(bytes(geometry)) for key, geometry in rows}
    assert len(sources) > 3
    to_tile = _tile_space(tile)
    worst = 0.0
    for feature in layer["features"]:
        key = str(feature["properties"].get(id_column, feature.get("id")))
        if key not in sources:
            continue  # crosses the tile's edge
        drawn = shape(feature["geometry"])
        expected = to_tile(sources.pop(key))
        worst = max(worst, drawn.hausdorff_distance(expected))
    print(f"{collection_id} {tile}: worst Hausdorff distance {worst:.3f} tile units")
    assert not sources, f"missing from the tile: {sorted(sources)[:5]}"
    assert worst <= 1.0


def test_buildings_appear_from_zoom_15(database_url, demo_district, db):
    tile = busiest_tile(db, "buildings", 15)
    assert mapbox_vector_tile.decode(tile_bytes(database_url, "buildings", tile))["buildings"]
    parent = TileAddress(14, tile.x // 2, tile.y // 2)
    assert tile_bytes(database_url, "buildings", parent) == b""


def test_events_are_counted_per_cell_below_zoom_14(database_url, demo_district, db):
    for z in (0, 10, 13):
        tile = busiest_tile(db, "public_events", z)
        cells = mapbox_vector_tile.decode(tile_bytes(database_url, "events", tile))["events"]
        stages = [s for s in tiles.event_cell_attributes() if s not in ("events", "overdue")]
        expected = db.execute(
            f"SELECT count(*), count(*) FILTER (WHERE overdue) FROM public_events WHERE {IN_TILE}",
            {"z": tile.z, "x": tile.x, "y": tile.y},
        ).fetchone()
        counted = [cell["properties"] for cell in cells["features"]]
        assert sum(c["events"] for c in counted) == expected[0] > 0
        assert sum(c["overdue"] for c in counted) == expected[1]
        for cell in counted:
            assert set(cell) == set(tiles.event_cell_attributes())
            assert sum(cell[stage] for stage in stages) == cell["events"]
        assert len(counted) <= tiles.EVENT_CELLS**2
        if z == 13:  # cells, not events: fewer features than events
            assert len(counted) < expected[0]


def test_areas_carry_the_choropleth_figures_at_every_zoom(database_url, demo_district, db):
    for z, detailed in ((10, False), (14, True)):
        tile = busiest_tile(db, "grids", z)
        grids = mapbox_vector_tile.decode(tile_bytes(database_url, "grids", tile))["grids"]
        grid = grids["features"][0]["properties"]
        assert {"grid_code", "name", "grid_type", "households", "population", "buildings"} <= set(
            grid
        )
        assert ("members" in grid) is detailed
        households = db.execute(
            "SELECT households FROM grid_statistics WHERE grid_code = %s", (grid["grid_code"],)
        ).fetchone()[0]
        assert grid["households"] == households


def test_a_place_leaves_out_only_the_codes_its_own_code_begins_with(
    database_url, demo_district, db
):
    from gis.ogc.collections import COLLECTIONS

    for source in COLLECTIONS.values():
        carried = {p.name for z in (10, 16) for p in tiles.attributes(source, z)}
        for parent, digits in tiles.PARENT_CODES.items():
            has = any(p.name == parent for p in source.properties)
            if not has or parent == source.id_column or source.id_column not in tiles.PLACE_CODES:
                assert parent in carried or not has, (source.id, parent)
                continue
            assert parent not in carried, (source.id, parent)
            # the table holds every row to it: CHECKs making the parent the code's prefix,
            # directly or through another parent (a building's county through its community)
            prefixes = {
                found["parent"]: (found["code"], int(found["digits"]))
                for (definition,) in db.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conrelid = %s::regclass AND contype = 'c'",
                    (source.table,),
                )
                for found in re.finditer(PREFIX_CHECK, definition)
            }
            column, length = parent, digits
            while column != source.id_column:
                assert column in prefixes, (source.id, parent, prefixes)
                column, length = prefixes[column]
                assert length >= digits
    building = busiest_tile(db, "buildings", 16)
    decoded = mapbox_vector_tile.decode(tile_bytes(database_url, "buildings", building))
    first = decoded["buildings"]["features"][0]["properties"]
    assert "building_code" in first and "community_code" not in first, first


def test_the_one_map_tile_has_a_layer_each(database_url, demo_district, db):
    tile = busiest_tile(db, "grids", 14)
    layers = mapbox_vector_tile.decode(tile_bytes(database_url, None, tile))
    assert list(layers) == list(tiles.MAP_LAYERS)
    for name in tiles.MAP_LAYERS:
        alone = mapbox_vector_tile.decode(tile_bytes(database_url, name, tile))[name]
        assert len(layers[name]["features"]) == len(alone["features"]), name


@pytest.mark.parametrize(
    ("z", "indexes"),
    [(14, {"grids_geom_idx"}), (12, {"grids_geom_idx", "grids_tile_outline_z12_idx"})],
)
def test_one_statement_per_tile_filtered_by_the_spatial_index(
    database_url, demo_district, db, z, indexes
):
    tile = busiest_tile(db, "grids", z)
    statement, params = tiles.tile_query([tiles.COLLECTIONS["grids"]], tile)
    plan = "\n".join(row[0] for row in db.execute(b"EXPLAIN " + statement, params))
    assert any(index in plan for index in indexes), plan


def _drawn(body: bytes, layer: str, id_column: str) -> dict[str, object]:
    """The tile's features by id, as shapely geometries in tile units."""
    decoded = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    features = decoded.get(layer, {"features": []})["features"]
    return {
        str(feature["properties"].get(id_column, feature.get("id"))): shape(feature["geometry"])
        for feature in features
    }


@pytest.mark.parametrize(
    ("collection_id", "z"),
    [("grids", 10), ("grids", 11), ("grids", 12), ("communities", 13), ("buildings", 15),
     ("buildings", 16)],
)  # fmt: skip
def test_a_tile_from_the_kept_outlines_is_the_tile_built_on_the_fly(
    database_url, demo_district, db, monkeypatch, collection_id, z
):
    source = tiles.COLLECTIONS[collection_id]
    assert z in tiles.OUTLINE_ZOOMS[collection_id]
    tile = busiest_tile(db, source.table, z)
    kept = _drawn(tile_bytes(database_url, collection_id, tile), collection_id, source.id_column)
    # the same tile with no kept outlines: every outline projected, snapped, validated now
    monkeypatch.setattr(tiles, "OUTLINE_ZOOMS", {})
    tiles._statement.cache_clear()
    try:
        built = _drawn(
            tile_bytes(database_url, collection_id, tile), collection_id, source.id_column
        )
    finally:
        monkeypatch.undo()
        tiles._statement.cache_clear()
    print(f"{collection_id} {tile}: {len(kept)} features from the outlines, {len(built)} built")
    assert len(built) > 5
    assert set(kept) == set(built)
    if z >= tiles.SIMPLIFY_BELOW_ZOOM:
        # the very same snapping: the same vertices
        unequal = [key for key in kept if not kept[key].equals(built[key])]
        assert not unequal, unequal[:5]
    else:
        # simplified in metres rather than degrees beforehand: within a unit
        worst = max(kept[key].hausdorff_distance(built[key]) for key in kept)
        assert worst <= 1.0, worst


@pytest.mark.parametrize(("collection_id", "z"), [("grids", 11), ("buildings", 16)])
def test_the_features_of_kept_outlines_are_those_meeting_the_tile(
    database_url, demo_district, db, collection_id, z
):
    # the busiest tile and its eight neighbours: features wholly inside (taken by the
    # outline's box alone) and cut by every edge (their geometry tested)
    source = tiles.COLLECTIONS[collection_id]
    centre = busiest_tile(db, source.table, z)
    inside = on_edge = 0
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            tile = TileAddress(z, centre.x + dx, centre.y + dy)
            drawn = _drawn(tile_bytes(database_url, collection_id, tile), collection_id,
                           source.id_column)  # fmt: skip
            assert set(drawn) == sql_ids(db, source.table, f"rtrim({source.id_column})", tile)
            whole = [g for g in drawn.values() if g.bounds[0] > 2 and g.bounds[2] < 4094]
            inside += len(whole)
            on_edge += len(drawn) - len(whole)
    assert inside > 10 and on_edge > 10, (inside, on_edge)


def test_the_kept_outlines_follow_the_geometry(database_url, demo_district, db):
    tile = busiest_tile(db, "buildings", 16)
    statement, params = tiles.tile_query([tiles.COLLECTIONS["buildings"]], tile)
    before = _drawn(
        bytes(db.execute(statement, params).fetchone()[0]), "buildings", "building_code"
    )
    moved = sorted(before)[0]
    # 0.0001 degree east: 11.1 Web Mercator metres, 74.5 units of a zoom-16 tile (0.149 m)
    db.execute(
        "UPDATE buildings SET geom = ST_Translate(geom, 0.0001, 0) WHERE building_code = %s",
        (moved,),
    )
    after = _drawn(bytes(db.execute(statement, params).fetchone()[0]), "buildings", "building_code")
    shift = after[moved].centroid.x - before[moved].centroid.x if moved in after else None
    db.rollback()
    assert shift is not None and 73 < shift < 76, shift
    assert all(after[key].equals(before[key]) for key in before if key != moved)


def test_the_kept_outlines_are_the_zooms_tiles_read_them_at(db):
    path = Path(__file__).parents[3] / "migrations" / "versions" / "0021_tile_outlines.py"
    spec = importlib.util.spec_from_file_location("tile_outlines_migration", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.OUTLINES == tiles.OUTLINE_ZOOMS
    for collection_id, zooms in tiles.OUTLINE_ZOOMS.items():
        table = tiles.COLLECTIONS[collection_id].table
        kept = {
            name
            for (name,) in db.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
                " AND attname LIKE 'tile_outline_z%%' AND NOT attisdropped",
                (table,),
            )
        }
        assert kept == {tiles.outline_column(z) for z in zooms}, table


@pytest.mark.parametrize(
    ("z", "x", "y", "parameter"),
    [
        ("23", "0", "0", "tileMatrix"),
        ("-1", "0", "0", "tileMatrix"),
        ("z", "0", "0", "tileMatrix"),
        ("1", "2", "0", "tileCol"),
        ("3", "0", "8", "tileRow"),
        ("14", "1e3", "0", "tileCol"),
        ("14", "0", "", "tileRow"),
        ("14", "٣", "0", "tileCol"),
        ("14", "0", "99999999999999999999", "tileRow"),
    ],
)
def test_a_bad_tile_address_names_its_parameter(z, x, y, parameter):
    with pytest.raises(InvalidParameter) as refused:
        TileAddress.parse(z, x, y)
    assert refused.value.parameter == parameter


def test_tile_bounds_are_postgis_tile_envelope(db):
    for z, x, y in ((0, 0, 0), (14, 13119, 7127), (22, 3358512, 1824680)):
        tile = TileAddress.parse(str(z), str(x), str(y))
        row = db.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
            " FROM ST_TileEnvelope(%s, %s, %s) AS e",
            (z, x, y),
        ).fetchone()
        assert tile.bounds_3857 == pytest.approx(row, abs=1e-6)


def test_a_service_area_carries_its_centres_name_and_level(database_url, demo_district, db):
    # read by joining the centres once (tiles.COLUMN_OF_TABLE), not a lookup a feature
    tile = busiest_tile(db, "service_areas", 12)
    layer = mapbox_vector_tile.decode(tile_bytes(database_url, "service_areas", tile))
    areas = layer["service_areas"]["features"]
    centres = {
        center_id: (name, level)
        for center_id, name, level in db.execute(
            "SELECT center_id, name, level FROM service_centers"
        )
    }
    assert len(areas) > 5
    for area in areas:
        properties = area["properties"]
        expected = centres[properties["center_id"]]
        assert (properties["name"], properties["level"]) == expected, properties
