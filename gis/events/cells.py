"""Events counted in cells, for a map zoomed out too far to show each one.

A city's year of events is tens of thousands of points: as GeoJSON they would be
megabytes on every view, and a map could only cluster them after loading them all. So
below ``POINTS_FROM_ZOOM`` the one map asks for counts instead: the events a listing
would give for the same filters and bbox, counted per square cell of the Web Mercator
plane ``CELL_PIXELS`` screen pixels across at the map's zoom. The answer is as big as the
view, not as the data. Counts are of public points (what a listing places), so a cell
never tells more than the listing does.
"""

from __future__ import annotations

import math
from typing import Any

from psycopg import AsyncConnection, sql

from gis.errors import InvalidParameter
from gis.events.queries import EventSelection, where_clause
from gis.ogc.tiles import EVENT_POINTS_FROM_ZOOM, HALF_WORLD_M
from gis.sql import query

# From this zoom the map shows each event: the zoom the events' vector tiles change at.
POINTS_FROM_ZOOM = EVENT_POINTS_FROM_ZOOM
# A cell is this many screen pixels across at its zoom: a count's marker fits in it.
CELL_PIXELS = 64
MAX_ZOOM = 22
# A view of more cells than this is refused: a screen holds a few hundred.
MAX_CELLS = 65_536
# Web Mercator's world, metres across, and the 256-pixel tile it is at zoom 0.
_WORLD_METRES = 2 * HALF_WORLD_M
_TILE_PIXELS = 256


def cell_size(zoom: int) -> float:
    """A cell's side in Web Mercator metres at ``zoom``."""
    return _WORLD_METRES / (_TILE_PIXELS * 2**zoom) * CELL_PIXELS


def _cells_across(bbox: tuple[float, float, float, float] | None, zoom: int) -> float:
    # How many cells the box spans (its sides on the Web Mercator plane, each rounded
    # up by a cell for the cells it cuts); without a box, the world.
    cells_on_world = _WORLD_METRES / cell_size(zoom)
    if bbox is None:
        return cells_on_world**2
    minx, miny, maxx, maxy = bbox

    def mercator_y(lat: float) -> float:
        lat = max(-85.0511, min(85.0511, lat))
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    wide = (maxx - minx) / 360 * cells_on_world + 1
    tall = (mercator_y(maxy) - mercator_y(miny)) / (2 * math.pi) * cells_on_world + 1
    return wide * tall


async def cells(conn: AsyncConnection, selection: EventSelection, zoom: int) -> dict[str, Any]:
    """The events ``selection`` picks, counted per cell at ``zoom``: a GeoJSON
    FeatureCollection of one Point per non-empty cell (the mean of its events' public
    points, with ``bbox`` the box they span), properties ``events``, ``overdue``,
    ``escalated`` and ``stages`` (status → count); the most events first.
    ``numberMatched`` is the number of events, ``numberReturned`` of cells."""
    if not 0 <= zoom <= MAX_ZOOM:
        raise InvalidParameter("zoom", f"must be 0–{MAX_ZOOM}, not {zoom}")
    spanned = _cells_across(selection.bbox, zoom)
    if spanned > MAX_CELLS:
        raise InvalidParameter(
            "bbox",
            f"spans about {spanned:,.0f} cells at zoom {zoom}, more than {MAX_CELLS:,};"
            " give a smaller bbox or a lesser zoom",
        )
    where, params = where_clause(selection)
    cursor = await conn.execute(
        sql.SQL(query("events/cells")).format(where=where),
        params | {"cell_size": cell_size(zoom), "zoom": zoom},
    )
    features = [row[0] for row in await cursor.fetchall()]
    return {
        "type": "FeatureCollection",
        "numberMatched": sum(feature["properties"]["events"] for feature in features),
        "numberReturned": len(features),
        "features": features,
    }
