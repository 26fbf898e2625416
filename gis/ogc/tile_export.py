"""PMTiles archives of the one map over a place, for phones offline.

The archive holds, for each zoom asked, every WebMercatorQuad tile touching the place (a
district, subdistrict, community or grid, told by its code's length): the one map's
layers (:data:`gis.ogc.tiles.MAP_LAYERS`) and, from zoom 15, the buildings, each tile
built by the same single query the API serves, gzipped as PMTiles readers expect::

    with psycopg.connect(url) as conn:
        summary = export_pmtiles(conn, scope="450105001001", path=Path("community.pmtiles"))
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from psycopg import sql

from gis import codes
from gis.errors import InvalidParameter, NotFound
from gis.ogc import tiles
from gis.ogc.collections import COLLECTIONS, Collection
from gis.progress import SILENT, Progress
from gis.sql import query

# The one map's layers and the buildings (which start at their own zoom).
EXPORTED_LAYERS = (*tiles.MAP_LAYERS, "buildings")
DEFAULT_MIN_ZOOM = 10
DEFAULT_MAX_ZOOM = 16
# What a place's code names, by its level.
PLACES = {
    codes.Level.COUNTY: ("districts", "county_code"),
    codes.Level.TOWNSHIP: ("subdistricts", "subdistrict_code"),
    codes.Level.COMMUNITY: ("communities", "community_code"),
    codes.Level.GRID: ("grids", "grid_code"),
}


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: tiles addressed and written (empty tiles are left out), bytes,
    zooms and the place's bounds (west, south, east, north)."""

    scope: str
    path: Path
    tiles: int
    empty_tiles: int
    bytes: int
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]


def _statement(name: str, scope: str) -> sql.Composed:
    table, column = PLACES[codes.parse(scope).level]
    return sql.SQL(query(f"ogc/tiles/{name}")).format(
        table=sql.Identifier(table), code_column=sql.Identifier(column)
    )


def _metadata(scope: str, min_zoom: int, max_zoom: int) -> dict[str, object]:
    layers = []
    for name in EXPORTED_LAYERS:
        source = COLLECTIONS[name]
        fields = {p.name: p.json_type for p in tiles.attributes(source, tiles.MAX_ZOOM)}
        layers.append(
            {
                "id": name,
                "description": source.title,
                "minzoom": max(min_zoom, tiles.min_zoom(source)),
                "maxzoom": max_zoom,
                "fields": fields,
            }
        )
    return {
        "name": f"onemap {scope}",
        "description": "The one map (一张图) for offline use: " + ", ".join(EXPORTED_LAYERS),
        "vector_layers": layers,
    }


def _tile(conn: psycopg.Connection, sources: list[Collection], tile: tiles.TileAddress) -> bytes:
    built = tiles.tile_query(sources, tile)
    row = conn.execute(*built).fetchone() if built else None
    return bytes(row[0]) if row else b""


def _header(
    bounds: tuple[float, float, float, float], min_zoom: int, max_zoom: int
) -> dict[str, object]:
    """The header fields the writer leaves to its caller (it counts the rest)."""
    west, south, east, north = bounds
    return {
        "tile_type": TileType.MVT,
        "tile_compression": Compression.GZIP,
        "min_lon_e7": round(west * 1e7),
        "min_lat_e7": round(south * 1e7),
        "max_lon_e7": round(east * 1e7),
        "max_lat_e7": round(north * 1e7),
        "center_zoom": (min_zoom + max_zoom) // 2,
        "center_lon_e7": round((west + east) / 2 * 1e7),
        "center_lat_e7": round((south + north) / 2 * 1e7),
    }


def export_pmtiles(
    conn: psycopg.Connection,
    *,
    scope: str,
    path: Path,
    min_zoom: int = DEFAULT_MIN_ZOOM,
    max_zoom: int = DEFAULT_MAX_ZOOM,
    progress: Progress = SILENT,
) -> ExportSummary:
    """Write a PMTiles v3 archive of the one map over the place ``scope`` to ``path``.

    Parameters
    ----------
    scope
        A district (6 digits), subdistrict (9), community (12) or grid (15) code.
    min_zoom, max_zoom
        The zooms archived, 0 to 22; every tile of them touching the place's outline.

    Raises
    ------
    InvalidCode for a malformed code; InvalidParameter for another level's code or bad
    zooms; NotFound when no such place is in the database. Nothing is written then.
    """
    for name, zoom in (("minzoom", min_zoom), ("maxzoom", max_zoom)):
        if not tiles.MIN_ZOOM <= zoom <= tiles.MAX_ZOOM:
            raise InvalidParameter(name, f"must be {tiles.MIN_ZOOM} to {tiles.MAX_ZOOM}")
    if min_zoom > max_zoom:
        raise InvalidParameter("minzoom", f"{min_zoom} is above maxzoom {max_zoom}")
    place = codes.parse(scope)
    if place.level not in PLACES:
        raise InvalidParameter(
            "scope",
            f"{place.value} is a {place.level} code: export a district, subdistrict,"
            " community or grid",
        )
    code = place.value
    params = {"code": code, "min_zoom": min_zoom, "max_zoom": max_zoom}
    found = conn.execute(_statement("scope_bounds", code), params).fetchone()
    if found is None:
        raise NotFound(f"no place {code} to export")
    west, south, east, north = (float(value) for value in found)
    bounds = (west, south, east, north)
    progress.step(f"finding the tiles of {code}")
    addresses = conn.execute(_statement("scope_tiles", code), params).fetchall()
    # PMTiles stores tiles in the order of their tile ids (clustered)
    addresses.sort(key=lambda zxy: zxy_to_tileid(*zxy))
    sources = [COLLECTIONS[name] for name in EXPORTED_LAYERS]
    written = empty = 0
    progress.step(
        f"building {len(addresses):,} tiles, zoom {min_zoom} to {max_zoom}", len(addresses)
    )
    # written beside the target and renamed into place: no half-written archive is left
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as archive:
            writer = Writer(archive)
            for z, x, y in addresses:
                body = _tile(conn, sources, tiles.TileAddress(z, x, y))
                if body:
                    writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(body, mtime=0))
                    written += 1
                else:
                    empty += 1
                progress.advance()
            if not written:
                raise NotFound(f"nothing to map in {code} at zooms {min_zoom} to {max_zoom}")
            progress.step("writing the archive's directory")
            writer.finalize(
                _header(bounds, min_zoom, max_zoom), _metadata(code, min_zoom, max_zoom)
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportSummary(
        scope=code,
        path=path,
        tiles=written,
        empty_tiles=empty,
        bytes=path.stat().st_size,
        min_zoom=min_zoom,
        max_zoom=max_zoom,
        bounds=bounds,
    )
