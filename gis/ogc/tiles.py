"""Vector tiles of the collections (OGC API – Tiles), built by PostGIS.

A tile is Mapbox Vector Tile bytes from one query: each layer is an ``ST_AsMVT`` of
``ST_AsMVTGeom`` over the features the GiST index finds in the tile
(gis/ogc/sql/tiles/), and the layers of a multi-layer tile are concatenated, as MVT
layers may be. What a layer carries depends on the zoom: buildings only from z15, events
counted per cell below z14 and as points from there, the areas (subdistricts,
communities, grids) their code, name and the figures a choropleth needs at every zoom
and all their properties close up. The properties come from the registry
(:mod:`gis.ogc.collections`), so a tile never carries what the features API would not
serve (the events are the coarsened, filtered ``public_events``)::

    async with await psycopg.AsyncConnection.connect(url) as conn:
        tile = await tiles.collection_tile(conn, "grids", TileAddress(14, 13119, 7127))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from psycopg import AsyncConnection, sql

from gis import vocabulary
from gis.crs import CRS84
from gis.errors import InvalidParameter
from gis.ogc.collections import COLLECTIONS, Collection, Property
from gis.ogc.features import collection
from gis.ogc.selection import Interval, where_clause
from gis.sql import query

TILE_MATRIX_SET = "WebMercatorQuad"
MIN_ZOOM = 0
MAX_ZOOM = 22
# Units across a tile (the MVT default) and the margin kept outside it, in those units.
EXTENT = 4096
BUFFER = 64
# Half the width of Web Mercator's square, metres (EPSG:3857).
HALF_WORLD_M = 20037508.342789244

BUILDINGS_FROM_ZOOM = 15
EVENT_POINTS_FROM_ZOOM = 14
# Below EVENT_POINTS_FROM_ZOOM events are counted in this many × this many cells a tile.
EVENT_CELLS = 64
# From this zoom the areas carry every property, below it only the choropleth's.
AREA_DETAILS_FROM_ZOOM = 14
# Below this zoom outlines and lines are simplified (to a quarter of a tile unit) before
# they are projected: fewer vertices to transform where many vertices fall in one unit.
SIMPLIFY_BELOW_ZOOM = 12
# Dense line networks are left out of small-scale tiles, where they would be one smear.
MIN_ZOOM_BY_COLLECTION = {
    "buildings": BUILDINGS_FROM_ZOOM,
    "walk_edges": 13,
    "street_patrols": 14,
}
AREAS = ("subdistricts", "communities", "grids")
# What the one map colours an area by at every zoom (web/layers/grids.js): a grid's type.
AREA_STYLED_BY = ("grid_type",)
# The codes of the places a place lies in, which its own code begins with (the tables'
# CHECK constraints, e.g. left(building_code, 12) = community_code): a tile leaves them
# out of the places whose code it carries (a client reads them as the code's first 6, 9
# or 12 digits). For a thousand buildings a tile they were an eighth of its time.
PARENT_CODES = {"county_code": 6, "subdistrict_code": 9, "community_code": 12}
PLACE_CODES = ("subdistrict_code", "community_code", "grid_code", "building_code")
# The zooms at which a collection's rows keep their outline as the tile draws it
# (migration 0021, the columns tile_outline_z<zoom>): where one tile holds thousands of
# them, so that a tile is not spent projecting, snapping and validating each again. Other
# zooms build the outlines on the fly (layer.sql); the tiles are the same either way.
OUTLINE_ZOOMS: dict[str, range] = {
    "subdistricts": range(10, 14),
    "communities": range(10, 14),
    "grids": range(10, 14),
    "service_areas": range(10, 14),
    "buildings": range(15, 17),
}
# How far inside a tile (in its units) a kept outline's box must lie for its feature to
# be taken as meeting the tile without testing the geometry: twice the farthest an
# outline strays from its geometry (half a unit's diagonal snapped, a quarter simplified).
OUTLINE_MARGIN = 2
# The one map's tile: its layers, bottom to top.
MAP_LAYERS = ("communities", "grids", "service_centers", "events")

MVT = "application/vnd.mapbox-vector-tile"

Params = dict[str, Any]


@dataclass(frozen=True)
class TileAddress:
    """A tile of WebMercatorQuad: zoom ``z``, column ``x`` (from the west), row ``y`` (from
    the north)."""

    z: int
    x: int
    y: int

    @classmethod
    def parse(cls, z: str | int, x: str | int, y: str | int) -> TileAddress:
        """The tile named by path segments; InvalidParameter naming the bad one.

        The parameters are named as OGC API – Tiles names them: ``tileMatrix`` (z),
        ``tileCol`` (x), ``tileRow`` (y).
        """
        zoom = _whole("tileMatrix", "z", z, MIN_ZOOM, MAX_ZOOM)
        last = 2**zoom - 1
        column = _whole("tileCol", "x", x, 0, last, zoom)
        row = _whole("tileRow", "y", y, 0, last, zoom)
        return cls(zoom, column, row)

    @property
    def bounds_3857(self) -> tuple[float, float, float, float]:
        """The tile's square in EPSG:3857 metres: min x, min y, max x, max y."""
        size = 2 * HALF_WORLD_M / 2**self.z
        min_x = -HALF_WORLD_M + self.x * size
        max_y = HALF_WORLD_M - self.y * size
        return min_x, max_y - size, min_x + size, max_y


def _whole(
    name: str, letter: str, raw: str | int, low: int, high: int, zoom: int | None = None
) -> int:
    text = str(raw).strip()
    at_zoom = f" at zoom {zoom}" if zoom is not None else ""
    problem = f"{letter} must be a whole number from {low} to {high}{at_zoom}, got {str(raw)!r}"
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise InvalidParameter(name, problem)
    value = int(text)
    if not low <= value <= high:
        raise InvalidParameter(name, problem)
    return value


def min_zoom(source: Collection) -> int:
    """The lowest zoom at which the collection's layer has features."""
    return MIN_ZOOM_BY_COLLECTION.get(source.id, MIN_ZOOM)


def attributes(source: Collection, z: int) -> tuple[Property, ...]:
    """The properties a tile of zoom ``z`` carries for the collection's features.

    The areas carry their code, name and the figures a choropleth is drawn from (the
    statistics) below AREA_DETAILS_FROM_ZOOM, everything from there; every other layer
    carries all its properties wherever it has features. A place (an area, a building)
    never carries the codes its own code begins with (PARENT_CODES).
    """
    if source.id_column in PLACE_CODES:
        own = source.id_column
        carried = tuple(p for p in source.properties if p.name == own or p.name not in PARENT_CODES)
    else:
        carried = source.properties
    if source.id not in AREAS or z >= AREA_DETAILS_FROM_ZOOM:
        return carried
    # the statistics are the integer figures kept by triggers (collections._statistics)
    return tuple(
        p
        for p in carried
        if p.name in (source.id_column, "name", *AREA_STYLED_BY)
        or "_statistics_of(" in (p.expression or "")
    )


def event_cell_attributes() -> tuple[str, ...]:
    """The attributes of an events cell below EVENT_POINTS_FROM_ZOOM: how many events, how
    many at each stage, how many overdue."""
    return ("events", *vocabulary.EVENT_STATUSES.values(), "overdue")


# A property read as a field of a function's composite result, e.g. the registry's
# ``(grid_statistics_of(grid_code)).households``: the function and its column argument.
_FIELD_OF_CALL = re.compile(r"\((?P<function>\w+)\((?P<argument>\w+)\)\)\.(?P<field>\w+)")


def _lateral_calls(chosen: tuple[Property, ...]) -> tuple[sql.Composable, dict[str, str]]:
    """One LATERAL join per distinct source the properties read, and each such property's
    expression rewritten to read the join's result: a ``(function(column)).field`` call
    once per feature (PostgreSQL would call it once per field), and a table's row by its
    key where a function only reads that row (ROW_OF_TABLE) or one column of it
    (COLUMN_OF_TABLE); the properties reading one table by one key share its row."""
    joins: dict[tuple[str, str, str], str] = {}  # (kind, function or table, column) → alias
    rewritten: dict[str, str] = {}
    for prop in chosen:
        expression = prop.expression or ""
        field = _FIELD_OF_CALL.fullmatch(expression)
        lookup = _CALL.fullmatch(expression)
        if field is not None:
            function, argument, read = field["function"], field["argument"], field["field"]
            row_of = ROW_OF_TABLE.get(function)
            if row_of is not None and row_of[1] == argument:
                source = ("row", row_of[0], argument)
            else:
                source = ("call", function, argument)
        elif lookup is not None and lookup["function"] in COLUMN_OF_TABLE:
            table, key, read = COLUMN_OF_TABLE[lookup["function"]]
            if lookup["argument"] != key:
                continue
            source = ("row", table, key)
        else:
            continue
        alias = joins.setdefault(source, f"call_{len(joins)}")
        rewritten[prop.name] = f"({alias}.result).{read}"
    lateral = sql.SQL(" ").join(_lateral_join(*source, alias) for source, alias in joins.items())
    return lateral, rewritten


# A property that is one function call on one column, e.g. ``service_center_name(center_id)``.
_CALL = re.compile(r"(?P<function>\w+)\((?P<argument>\w+)\)")

# Functions that read one row of a table by its key: a tile joins the table instead of
# calling the function per feature (a city's z10 tile of 3,464 grids: 74 → 51 ms).
ROW_OF_TABLE = {"grid_statistics_of": ("grid_statistics", "grid_code")}
# Functions that read one column of a table's row by its key (SQL functions PostgreSQL
# cannot inline, run once per call): a tile joins the table once for all of them (a
# district's z12 tile of 497 service areas with their centre's name and level, kept
# outlines: 63 → 36 ms in the database).
COLUMN_OF_TABLE = {
    "service_center_name": ("service_centers", "center_id", "name"),
    "service_center_level": ("service_centers", "center_id", "level"),
}


def _lateral_join(kind: str, name: str, column: str, alias: str) -> sql.Composable:
    """The join giving ``alias.result``: the row of table ``name`` whose ``column`` is the
    feature's (kind "row"), or function ``name`` called on the feature's ``column``
    (kind "call"). The result is one composite column, so that its fields cannot shadow
    the table's columns."""
    if kind == "row":
        # a plain subquery the planner pulls up into a join: the same row the function
        # returns (NULL when there is none), found by the table's key
        return sql.SQL(
            "LEFT JOIN LATERAL (SELECT row_of AS result FROM {table} AS row_of"
            " WHERE row_of.{key} = feature_row.{key}) AS {alias} ON true"
        ).format(
            table=sql.Identifier(name), key=sql.Identifier(column), alias=sql.Identifier(alias)
        )
    # OFFSET 0 keeps the planner from folding the call back into each field
    return sql.SQL(
        "LEFT JOIN LATERAL (SELECT {}(feature_row.{}) AS result OFFSET 0) AS {} ON true"
    ).format(sql.Identifier(name), sql.Identifier(column), sql.Identifier(alias))


def _mvt_value(prop: Property, expression_sql: str | None = None) -> sql.Composable:
    """The property as an MVT value: ST_AsMVT keeps text, integers, floats and booleans,
    and would write anything else in PostgreSQL's text form; instants are written as the
    features API writes them (RFC 3339), arrays as comma-separated text."""
    expression = sql.SQL(expression_sql or prop.sql)
    value: sql.Composable
    if prop.name.endswith("_at"):
        value = sql.SQL("to_json({}) #>> '{{}}'").format(expression)
    elif prop.json_type == "array":
        value = sql.SQL("array_to_string({}, ',')").format(expression)
    elif prop.json_type == "number":
        value = sql.SQL("({})::float8").format(expression)
    else:
        value = expression
    return sql.SQL("{} AS {}").format(value, sql.Identifier(prop.name))


def _geometry(source: Collection, z: int) -> sql.Composable:
    column = sql.SQL("feature_row.geom")
    if z >= SIMPLIFY_BELOW_ZOOM or source.geometry_type == "Point":
        return column
    # a quarter of a tile unit, in degrees of longitude (latitude's are shorter still)
    tolerance = 360 / 2**z / EXTENT / 4
    return sql.SQL("ST_Simplify({}, {}, true)").format(column, sql.Literal(tolerance))


def _narrowing(source: Collection, during: Interval | None) -> tuple[sql.Composable, Params]:
    """What a layer's features must also be: in the time asked (the features API's
    ``datetime``, ignored by timeless collections), and for the public events, near the
    tile by their stored point."""
    conditions, params = where_clause(
        source, bbox=None, bbox_crs=CRS84, datetime=during, filters=None
    )
    if source.table == "public_events":
        near = sql.SQL(query("ogc/tiles/public_events_near"))
        conditions = sql.SQL("{} AND {}").format(near, conditions)
    return conditions, params


def _feature_layer(
    source: Collection, z: int, during: Interval | None
) -> tuple[sql.Composable, Params]:
    narrowing, params = _narrowing(source, during)
    chosen = attributes(source, z)
    lateral_calls, rewritten = _lateral_calls(chosen)
    columns = [_mvt_value(p, rewritten.get(p.name)) for p in chosen]
    feature_id: sql.Composable = sql.SQL("")
    if source.id_type == "integer":
        # MVT feature ids are integers: codes stay properties only
        columns.append(
            sql.SQL("feature_row.{} AS mvt_feature_id").format(sql.Identifier(source.id_column))
        )
        feature_id = sql.SQL(", 'mvt_feature_id'")
    extent, buffer = sql.Literal(EXTENT), sql.Literal(BUFFER)
    near: sql.Composable = sql.SQL("true")
    inside: sql.Composable = sql.SQL("false")
    if z in OUTLINE_ZOOMS.get(source.id, ()):
        outline = sql.Identifier(outline_column(z))
        drawn = sql.SQL(query("ogc/tiles/drawn_from_outline")).format(
            outline=outline, extent=extent, buffer=buffer
        )
        # an outline is within a unit of its geometry: one whose box misses the tile
        # grown by a unit has a feature that misses the tile
        near = sql.SQL(
            "feature_row.{} && ST_MakeEnvelope(%(tile_left)s - 1, %(tile_top)s - 1,"
            " %(tile_left)s + {extent} + 1, %(tile_top)s + {extent} + 1)"
        ).format(outline, extent=extent)
        inside = sql.SQL(query("ogc/tiles/outline_inside")).format(
            outline=outline, extent=extent, margin=sql.Literal(OUTLINE_MARGIN)
        )
    else:
        drawn = sql.SQL(query("ogc/tiles/drawn_on_the_fly")).format(
            geometry=_geometry(source, z), extent=extent, buffer=buffer
        )
    layer = sql.SQL(query("ogc/tiles/layer")).format(
        layer_name=sql.Literal(source.id),
        extent=extent,
        buffer=buffer,
        feature_id=feature_id,
        drawn=drawn,
        attributes=sql.SQL(", ").join(columns),
        table=sql.Identifier(source.table),
        lateral_calls=lateral_calls,
        near=near,
        inside=inside,
        narrowing=narrowing,
    )
    return layer, params


def outline_column(z: int) -> str:
    """The column keeping a row's outline as tiles of zoom ``z`` draw it."""
    return f"tile_outline_z{z}"


def _event_cells_layer(
    source: Collection, during: Interval | None
) -> tuple[sql.Composable, Params]:
    narrowing, params = _narrowing(source, during)
    stages = vocabulary.EVENT_STATUSES.values()
    counts = [
        sql.SQL("count(*) FILTER (WHERE status = {}) AS {}").format(
            sql.Literal(stage), sql.Identifier(stage)
        )
        for stage in stages
    ]
    layer = sql.SQL(query("ogc/tiles/event_cells")).format(
        extent=sql.Literal(EXTENT),
        cells=sql.Literal(EVENT_CELLS),
        last_cell=sql.Literal(EVENT_CELLS - 1),
        stage_counts=sql.SQL(", ").join(counts),
        narrowing=narrowing,
    )
    return layer, params


def _layer(
    source: Collection, z: int, during: Interval | None
) -> tuple[sql.Composable, Params] | None:
    """The SQL of the collection's layer at zoom ``z`` and its parameters; None when it has
    none there."""
    if z < min_zoom(source):
        return None
    if source.id == "events" and z < EVENT_POINTS_FROM_ZOOM:
        return _event_cells_layer(source, during)
    return _feature_layer(source, z, during)


# Stands in for the bounds of a datetime while a statement is composed: only whether an
# interval has a start and an end shapes the SQL, their values are bound parameters.
_SOME_INTERVAL = Interval(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))


@cache
def _statement(source_ids: tuple[str, ...], z: int, *, since: bool, until: bool) -> bytes | None:
    """The tile statement of the collections at zoom ``z``, composed and rendered once per
    process: its shape depends on nothing else (not x, y, nor the interval's values)."""
    during = None
    if since or until:
        during = Interval(
            _SOME_INTERVAL.start if since else None, _SOME_INTERVAL.end if until else None
        )
    sources = [COLLECTIONS[source_id] for source_id in source_ids]
    layers = [layer for source in sources if (layer := _layer(source, z, during))]
    if not layers:
        return None
    joined = sql.SQL(" || ").join(layer for layer, _ in layers)
    return sql.SQL(query("ogc/tiles/tile")).format(layers=joined).as_bytes(None)


def tile_query(
    sources: list[Collection], tile: TileAddress, *, during: Interval | None = None
) -> tuple[bytes, Params] | None:
    """The one statement building the tile of ``sources`` (one layer each) and its
    parameters; None when none of them has a layer at the tile's zoom. ``during`` keeps
    the features of collections with a temporal column whose instant lies in it."""
    statement = _statement(
        tuple(source.id for source in sources),
        tile.z,
        since=during is not None and during.start is not None,
        until=during is not None and during.end is not None,
    )
    if statement is None:
        return None
    min_x, min_y, max_x, _ = tile.bounds_3857
    params: Params = {
        "z": tile.z,
        "x": tile.x,
        "y": tile.y,
        "min_x": min_x,
        "min_y": min_y,
        "cell_size": (max_x - min_x) / EVENT_CELLS,
        # the tile's north-west corner in its zoom's units (drawn_from_outline.sql)
        "tile_left": tile.x * EXTENT,
        "tile_top": tile.y * EXTENT,
    }
    for source in sources:  # the interval's bounds, named as the features API names them
        params.update(_narrowing(source, during)[1])
    return statement, params


async def _tile(
    conn: AsyncConnection,
    sources: list[Collection],
    tile: TileAddress,
    during: Interval | None,
) -> bytes:
    built = tile_query(sources, tile, during=during)
    if built is None:
        return b""
    cursor = await conn.execute(*built)
    row = await cursor.fetchone()
    assert row is not None  # a SELECT without FROM returns one row
    return bytes(row[0])


async def collection_tile(
    conn: AsyncConnection,
    collection_id: str,
    tile: TileAddress,
    *,
    datetime: Interval | None = None,
) -> bytes:
    """The collection's vector tile (one layer named after it) as MVT bytes; empty bytes
    when no feature of it is in the tile. ``datetime`` keeps the features whose instant
    lies in it, as the features API does (timeless collections ignore it). NotFound for
    an unknown collection."""
    return await _tile(conn, [collection(collection_id)], tile, datetime)


async def map_tile(
    conn: AsyncConnection, tile: TileAddress, *, datetime: Interval | None = None
) -> bytes:
    """The one map's tile: communities, grids, service centres and events, one layer each
    (MAP_LAYERS); empty bytes when none has a feature in the tile. ``datetime`` narrows
    the events."""
    return await _tile(conn, [COLLECTIONS[name] for name in MAP_LAYERS], tile, datetime)
