"""The documents of OGC API – Tiles: the WebMercatorQuad tile matrix set (OGC 17-083r4,
Two Dimensional Tile Matrix Set), the tileset lists and a tileset's metadata with its
layers and tile URL template, the conformance classes and the links the landing page and
each collection gain.

Built from the collection registry and gis.ogc.tiles; the routes are in app/ogc/tiles.py.
"""

from __future__ import annotations

from typing import Any

from gis.ogc import tiles
from gis.ogc.collections import COLLECTIONS, Collection

JSON = "application/json"
MVT = tiles.MVT
TMS = tiles.TILE_MATRIX_SET
TMS_URI = f"http://www.opengis.net/def/tilematrixset/OGC/1.0/{TMS}"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
# OGC link relations of OGC API – Tiles
TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
GEODATA = "http://www.opengis.net/def/rel/ogc/1.0/geodata"

_TILES = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf"
_TMS = "http://www.opengis.net/spec/tms/2.0/conf"
CONFORMANCE_CLASSES = [
    f"{_TILES}/core",
    f"{_TILES}/tileset",
    f"{_TILES}/tilesets-list",
    f"{_TILES}/geodata-tilesets",
    f"{_TILES}/dataset-tilesets",
    f"{_TILES}/mvt",
    f"{_TILES}/datetime",
    f"{_TILES}/oas30",
    f"{_TMS}/tilematrixset",
    f"{_TMS}/json-tilematrixset",
    f"{_TMS}/tilesetmetadata",
    f"{_TMS}/json-tilesetmetadata",
]

# The path template of a tile, after .../tiles/WebMercatorQuad/: zoom, column, row, the
# z/x/y order of the web's tile URLs (the template link tells OGC clients so).
TILE_TEMPLATE = "{tileMatrix}/{tileCol}/{tileRow}"

# WebMercatorQuad's tiles are 256 pixels of 0.28 mm (the standard's rendering pixel).
_TILE_PIXELS = 256
_PIXEL_M = 0.00028


def _link(href: str, rel: str, media_type: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"href": href, "rel": rel, "type": media_type, "title": title, **extra}


def landing_links(root: str) -> list[dict[str, Any]]:
    """The landing page's links to the tiles: the one map's tilesets and the tiling
    schemes."""
    return [
        _link(f"{root}/tiles", TILESETS_VECTOR, JSON, "vector tiles of the one map"),
        _link(f"{root}/tileMatrixSets", TILING_SCHEMES, JSON, "the tile matrix sets"),
    ]


def collection_links(root: str, source: Collection) -> list[dict[str, Any]]:
    """A collection's link to its vector tilesets."""
    return [
        _link(
            f"{root}/collections/{source.id}/tiles",
            TILESETS_VECTOR,
            JSON,
            f"vector tiles of {source.title}",
        )
    ]


def tile_matrix(z: int) -> dict[str, Any]:
    """Tile matrix ``z`` of WebMercatorQuad (the tiles of zoom z)."""
    cell_size = 2 * tiles.HALF_WORLD_M / _TILE_PIXELS / 2**z
    return {
        "id": str(z),
        "scaleDenominator": cell_size / _PIXEL_M,
        "cellSize": cell_size,
        "cornerOfOrigin": "topLeft",
        "pointOfOrigin": [-tiles.HALF_WORLD_M, tiles.HALF_WORLD_M],
        "tileWidth": _TILE_PIXELS,
        "tileHeight": _TILE_PIXELS,
        "matrixWidth": 2**z,
        "matrixHeight": 2**z,
    }


def tile_matrix_set(root: str) -> dict[str, Any]:
    """WebMercatorQuad as OGC 17-083r4 describes it, zooms 0 to MAX_ZOOM."""
    return {
        "id": TMS,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": EPSG_3857,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": [tile_matrix(z) for z in range(tiles.MIN_ZOOM, tiles.MAX_ZOOM + 1)],
        "links": [_link(f"{root}/tileMatrixSets/{TMS}", "self", JSON, "this tile matrix set")],
    }


def tile_matrix_sets(root: str) -> dict[str, Any]:
    """The tile matrix sets offered: WebMercatorQuad."""
    return {
        "tileMatrixSets": [
            {
                "id": TMS,
                "title": "Google Maps Compatible for the World",
                "uri": TMS_URI,
                "links": [_link(f"{root}/tileMatrixSets/{TMS}", "self", JSON, TMS)],
            }
        ]
    }


def _layer(source: Collection) -> dict[str, Any]:
    """A layer of a tileset: the collection it comes from, its zooms and what it carries
    at its most detailed (tiles of lower zooms may carry fewer properties)."""
    properties: dict[str, Any] = {
        p.name: {"type": "string" if p.json_type == "array" else p.json_type, "title": p.title}
        for p in tiles.attributes(source, tiles.MAX_ZOOM)
    }
    description = source.description
    if source.id == "events":
        counts = ", ".join(tiles.event_cell_attributes())
        description += (
            f" Below zoom {tiles.EVENT_POINTS_FROM_ZOOM} a point per cell of 1/{tiles.EVENT_CELLS}"
            f" of the tile, with the counts {counts}."
        )
    if source.id in tiles.AREAS:
        description += f" Below zoom {tiles.AREA_DETAILS_FROM_ZOOM} only code, name and statistics."
    geometry = {"Point": "points", "LineString": "curves"}.get(source.geometry_type, "surfaces")
    return {
        "id": source.id,
        "title": source.title,
        "description": description,
        "dataType": "vector",
        "geometryDimension": {"points": 0, "curves": 1, "surfaces": 2}[geometry],
        "featureType": source.id,
        "minTileMatrix": str(tiles.min_zoom(source)),
        "maxTileMatrix": str(tiles.MAX_ZOOM),
        "propertiesSchema": {"type": "object", "properties": properties},
    }


def _tileset_summary(base: str, title: str, root: str) -> dict[str, Any]:
    return {
        "title": title,
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            _link(f"{base}/{TMS}", "self", JSON, f"{title}, {TMS}"),
            _link(f"{root}/tileMatrixSets/{TMS}", TILING_SCHEME, JSON, TMS),
        ],
    }


def tileset_list(root: str, source: Collection | None) -> dict[str, Any]:
    """The tilesets of a collection (``source``) or of the one map (None)."""
    base = f"{root}/collections/{source.id}/tiles" if source else f"{root}/tiles"
    title = f"{source.title} vector tiles" if source else "the one map's vector tiles"
    return {
        "links": [_link(base, "self", JSON, "these tilesets")],
        "tilesets": [_tileset_summary(base, title, root)],
    }


def tileset(root: str, source: Collection | None) -> dict[str, Any]:
    """A tileset's metadata: its layers, zooms and the tile URL template."""
    base = f"{root}/collections/{source.id}/tiles" if source else f"{root}/tiles"
    title = f"{source.title} vector tiles" if source else "the one map's vector tiles"
    layers = [source] if source else [COLLECTIONS[name] for name in tiles.MAP_LAYERS]
    links = [
        _link(f"{base}/{TMS}", "self", JSON, "this tileset"),
        _link(f"{root}/tileMatrixSets/{TMS}", TILING_SCHEME, JSON, TMS),
        _link(f"{base}/{TMS}/{TILE_TEMPLATE}", "item", MVT, "a tile", templated=True),
    ]
    if source:
        links.append(_link(f"{root}/collections/{source.id}", GEODATA, JSON, source.title))
    return {
        "title": title,
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "layers": [_layer(layer) for layer in layers],
        "links": links,
    }
