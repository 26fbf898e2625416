"""The OGC API – Tiles part of the /ogc OpenAPI 3.0 document (app/ogc/openapi.py): the
tile matrix sets, the one map's tiles and each collection's, with every status a tile
route answers (200 MVT, 204 for an empty tile, 400, 401/403 for a restricted collection,
404)."""

from __future__ import annotations

from typing import Any

from gis.ogc import tiles
from gis.ogc.collections import COLLECTIONS, Collection

JSON = "application/json"

_F = {"$ref": "#/components/parameters/f"}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _path_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


_TILE_MATRIX_SET_ID = _path_parameter(
    "tileMatrixSetId",
    "The tile matrix set: WebMercatorQuad.",
    {"type": "string", "enum": [tiles.TILE_MATRIX_SET]},
)
_TILE_PARAMETERS = [
    _TILE_MATRIX_SET_ID,
    _path_parameter(
        "tileMatrix",
        f"Zoom level z, {tiles.MIN_ZOOM} to {tiles.MAX_ZOOM}.",
        {"type": "integer", "minimum": tiles.MIN_ZOOM, "maximum": tiles.MAX_ZOOM},
    ),
    _path_parameter(
        "tileCol",
        "Column x of the tile, from the west: 0 to 2^z − 1.",
        {"type": "integer", "minimum": 0},
    ),
    _path_parameter(
        "tileRow",
        "Row y of the tile, from the north: 0 to 2^z − 1.",
        {"type": "integer", "minimum": 0},
    ),
    # the features API's datetime: collections with an instant are narrowed to it
    {"$ref": "#/components/parameters/datetime"},
    {
        "name": "f",
        "in": "query",
        "required": False,
        "description": "Output format; tiles are Mapbox Vector Tiles.",
        "schema": {"type": "string", "enum": ["mvt"]},
        "style": "form",
        "explode": False,
    },
    {"$ref": "#/components/parameters/If-None-Match"},
]
_TILE_PATH = "{tileMatrixSetId}/{tileMatrix}/{tileCol}/{tileRow}"

_OBJECT = {"type": "object"}
_LINKS = {"type": "array", "items": _ref("schemas", "link")}
SCHEMAS: dict[str, dict[str, Any]] = {
    "tileMatrixSets": {
        "type": "object",
        "required": ["tileMatrixSets"],
        "properties": {
            "tileMatrixSets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "uri": {"type": "string"},
                        "links": _LINKS,
                    },
                },
            }
        },
    },
    "tileMatrixSet": {
        "type": "object",
        "required": ["id", "crs", "tileMatrices"],
        "properties": {
            "id": {"type": "string"},
            "uri": {"type": "string"},
            "crs": {"type": "string"},
            "orderedAxes": {"type": "array", "items": {"type": "string"}},
            "tileMatrices": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "scaleDenominator",
                        "cellSize",
                        "pointOfOrigin",
                        "tileWidth",
                        "tileHeight",
                        "matrixWidth",
                        "matrixHeight",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "scaleDenominator": {"type": "number"},
                        "cellSize": {"type": "number"},
                        "cornerOfOrigin": {"type": "string", "enum": ["topLeft"]},
                        "pointOfOrigin": {
                            "type": "array",
                            "minItems": 2,
                            "maxItems": 2,
                            "items": {"type": "number"},
                        },
                        "tileWidth": {"type": "integer"},
                        "tileHeight": {"type": "integer"},
                        "matrixWidth": {"type": "integer"},
                        "matrixHeight": {"type": "integer"},
                    },
                },
            },
        },
    },
    "tileSet": {
        "type": "object",
        "required": ["dataType", "crs", "links"],
        "properties": {
            "title": {"type": "string"},
            "dataType": {"type": "string", "enum": ["vector"]},
            "crs": {"type": "string"},
            "tileMatrixSetURI": {"type": "string"},
            "layers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "string"},
                        "dataType": {"type": "string"},
                        "minTileMatrix": {"type": "string"},
                        "maxTileMatrix": {"type": "string"},
                        "propertiesSchema": _OBJECT,
                    },
                },
            },
            "links": _LINKS,
        },
    },
    "tileSets": {
        "type": "object",
        "required": ["tilesets"],
        "properties": {
            "links": _LINKS,
            "tilesets": {"type": "array", "items": _ref("schemas", "tileSet")},
        },
    },
}


def _json_ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref("schemas", schema)}}}


def _errors(source: Collection | None, *, not_found: bool = True) -> dict[str, Any]:
    errors: dict[str, Any] = {
        "400": _ref("responses", "InvalidParameter"),
        "500": _ref("responses", "ServerError"),
    }
    if not_found:
        errors["404"] = _ref("responses", "NotFound")
    if source is not None and source.readers:
        errors["401"] = _ref("responses", "Unauthorized")
        errors["403"] = _ref("responses", "Forbidden")
    return errors


def _get(
    summary: str,
    operation_id: str,
    parameters: list[dict[str, Any]],
    responses: dict[str, Any],
    source: Collection | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": ["Tiles"],
        "summary": summary,
        "operationId": operation_id,
        "parameters": parameters,
        "responses": responses,
    }
    if source is not None and source.readers:
        operation["security"] = [{"bearer": []}]
        operation["description"] = f"Read by the roles {', '.join(source.readers)}."
    return {"get": operation}


# A tile's validators (app/ogc/tiles.py): kept a minute without asking, then revalidated.
_TILE_HEADERS = {
    "ETag": {
        "description": (
            "Strong entity tag of the tile: it changes when the collections' data change"
            " (their change counters)."
        ),
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "public, max-age=60; private, max-age=60 for a restricted collection",
        "schema": {"type": "string"},
    },
}


def _tile_responses(what: str, source: Collection | None) -> dict[str, Any]:
    headers = dict(_TILE_HEADERS)
    if source is not None and source.readers:
        headers["Vary"] = {
            "description": "Authorization, Cookie: the tile depends on who asks",
            "schema": {"type": "string"},
        }
    return {
        "200": {
            "description": f"the vector tile of {what}",
            "headers": headers,
            "content": {tiles.MVT: {"schema": {"type": "string", "format": "binary"}}},
        },
        "204": {"description": "no feature in the tile", "headers": headers},
        "304": {
            "description": "The tile the client holds (If-None-Match) is current; no body.",
            "headers": headers,
        },
        **_errors(source),
    }


def _collection_paths(source: Collection) -> dict[str, Any]:
    base = f"/collections/{source.id}/tiles"
    return {
        base: _get(
            f"vector tilesets of {source.title}",
            f"get_{source.id}_tilesets",
            [_F],
            {"200": _json_ok("the tilesets", "tileSets"), **_errors(source)},
            source,
        ),
        f"{base}/{{tileMatrixSetId}}": _get(
            f"the vector tileset of {source.title}",
            f"get_{source.id}_tileset",
            [_TILE_MATRIX_SET_ID, _F],
            {"200": _json_ok("the tileset", "tileSet"), **_errors(source)},
            source,
        ),
        f"{base}/{_TILE_PATH}": _get(
            f"a vector tile of {source.title}",
            f"get_{source.id}_tile",
            _TILE_PARAMETERS,
            _tile_responses(source.title, source),
            source,
        ),
    }


def paths() -> dict[str, Any]:
    """The paths of OGC API – Tiles, relative to /ogc."""
    found: dict[str, Any] = {
        "/tileMatrixSets": _get(
            "the tile matrix sets",
            "getTileMatrixSetsList",
            [_F],
            {
                "200": _json_ok("the tile matrix sets", "tileMatrixSets"),
                **_errors(None, not_found=False),
            },
        ),
        "/tileMatrixSets/{tileMatrixSetId}": _get(
            "a tile matrix set",
            "getTileMatrixSet",
            [_TILE_MATRIX_SET_ID, _F],
            {"200": _json_ok("the tile matrix set", "tileMatrixSet"), **_errors(None)},
        ),
        "/tiles": _get(
            "the one map's vector tilesets",
            "getDatasetVectorTileSetsList",
            [_F],
            {"200": _json_ok("the tilesets", "tileSets"), **_errors(None, not_found=False)},
        ),
        "/tiles/{tileMatrixSetId}": _get(
            "the one map's vector tileset",
            "getDatasetVectorTileSet",
            [_TILE_MATRIX_SET_ID, _F],
            {"200": _json_ok("the tileset", "tileSet"), **_errors(None)},
        ),
        f"/tiles/{_TILE_PATH}": _get(
            "a vector tile of the one map: " + ", ".join(tiles.MAP_LAYERS),
            "getDatasetVectorTile",
            _TILE_PARAMETERS,
            _tile_responses("the one map", None),
        ),
    }
    for source in COLLECTIONS.values():
        found.update(_collection_paths(source))
    return found
