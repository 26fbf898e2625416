"""The OpenAPI 3.0 definition of /ogc, built from the collection registry.

OGC API Features clients (GDAL, QGIS, the OGC test suites) read OpenAPI 3.0, and FastAPI
emits 3.1, so the OGC document is written here. Each collection gets its own concrete
paths: clients look up ``/collections/{id}/items`` to learn its parameters, and each
collection has its own filterable properties.
"""

from __future__ import annotations

import html as html_escape
from typing import Any

from app.ogc import openapi_tiles
from app.ogc.params import ITEMS_PARAMETERS
from gis.ogc.collections import COLLECTIONS, Collection, Property
from gis.ogc.features import DEFAULT_LIMIT, MAX_LIMIT
from gis.ogc.selection import SUPPORTED_CRS

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"

_REF = "#/components/{}/{}"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": _REF.format(kind, name)}


def _content(media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def _ok(description: str, media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": _content(media_type, schema)}


def _cached(description: str, media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The responses of a GET answered with validators: 200 with them, 304 without body."""
    return {
        "200": {**_ok(description, media_type, schema), "headers": _VALIDATORS},
        "304": _ref("responses", "NotModified"),
    }


_ERRORS = {"400": _ref("responses", "InvalidParameter"), "500": _ref("responses", "ServerError")}
_ERRORS_404 = {**_ERRORS, "404": _ref("responses", "NotFound")}

_CRS_SCHEMA = {"type": "string", "format": "uri", "enum": list(SUPPORTED_CRS)}

PARAMETERS: dict[str, dict[str, Any]] = {
    "f": {
        "name": "f",
        "in": "query",
        "required": False,
        "description": "Output format; only JSON is served.",
        "schema": {"type": "string", "enum": ["json"]},
        "style": "form",
        "explode": False,
    },
    "f-features": {
        "name": "f",
        "in": "query",
        "required": False,
        "description": "Output format; features are served as GeoJSON.",
        "schema": {"type": "string", "enum": ["json", "geojson"]},
        "style": "form",
        "explode": False,
    },
    # The fragment OGC API Features Part 1 prescribes, word for word.
    "bbox": {
        "name": "bbox",
        "in": "query",
        "required": False,
        "description": (
            "Only features whose geometry intersects the box: minx,miny,maxx,maxy in the "
            "axis order of bbox-crs (CRS84: longitude, latitude)."
        ),
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        "style": "form",
        "explode": False,
    },
    "bbox-crs": {
        "name": "bbox-crs",
        "in": "query",
        "required": False,
        "description": "CRS of the bbox numbers (default CRS84).",
        "schema": _CRS_SCHEMA,
        "style": "form",
        "explode": False,
    },
    "crs": {
        "name": "crs",
        "in": "query",
        "required": False,
        "description": "CRS of the returned coordinates (default CRS84).",
        "schema": _CRS_SCHEMA,
        "style": "form",
        "explode": False,
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Features per page; values above {MAX_LIMIT} are served as {MAX_LIMIT}.",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_LIMIT,
            "default": DEFAULT_LIMIT,
        },
        "style": "form",
        "explode": False,
    },
    # Keyset paging: the next and prev links carry these; a deep page costs no more.
    "after": {
        "name": "after",
        "in": "query",
        "required": False,
        "description": "Start the page after the feature with this id (see the next link).",
        "schema": {"type": "string"},
        "style": "form",
        "explode": False,
    },
    "before": {
        "name": "before",
        "in": "query",
        "required": False,
        "description": "End the page before the feature with this id (see the prev link).",
        "schema": {"type": "string"},
        "style": "form",
        "explode": False,
    },
    "datetime": {
        "name": "datetime",
        "in": "query",
        "required": False,
        "description": (
            "An RFC 3339 instant or interval (start/end, '..' for an open end); collections "
            "without a temporal property ignore it."
        ),
        "schema": {"type": "string"},
        "style": "form",
        "explode": False,
    },
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "Identifier of a feature.",
        "schema": {"type": "string"},
    },
    # Answers carry strong ETags (app/ogc/caching.py); one the client holds is not sent
    # again while the data it was made from are unchanged.
    "If-None-Match": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": (
            "Entity tags of answers the client holds (or *): 304 Not Modified, without a"
            " body, while the answer would be the same."
        ),
        "schema": {"type": "string"},
    },
}

# The validators every collection and feature answer carries, 200 or 304.
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": (
            "Strong entity tag of the answer: it changes when the data it was made from"
            " change (the collections' change counters)."
        ),
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": (
            "no-cache: may be stored, revalidated on every use (If-None-Match); private for"
            " a restricted collection or a request with credentials."
        ),
        "schema": {"type": "string"},
    },
    "Vary": {
        "description": "Authorization, Cookie: an anonymous answer is never a signed-in one.",
        "schema": {"type": "string"},
    },
}
_VALIDATORS = {name: _ref("headers", name) for name in HEADERS}

_LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "hreflang": {"type": "string"},
        "title": {"type": "string"},
        "length": {"type": "integer"},
    },
}
_LINKS = {"type": "array", "items": _ref("schemas", "link")}
_GEOMETRY = {
    "type": "object",
    "description": "A GeoJSON geometry.",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
            ],
        },
        "coordinates": {"type": "array", "items": {}},
    },
}
_EXTENT = {
    "type": "object",
    "properties": {
        "spatial": {
            "type": "object",
            "properties": {
                "bbox": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "array",
                        "minItems": 4,
                        "maxItems": 6,
                        "items": {"type": "number"},
                    },
                },
                "crs": {"type": "string", "enum": [next(iter(SUPPORTED_CRS))]},
            },
        },
        "temporal": {
            "type": "object",
            "properties": {
                "interval": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 2,
                        "items": {"type": "string", "format": "date-time", "nullable": True},
                    },
                },
                "trs": {"type": "string"},
            },
        },
    },
}
_COLLECTION = {
    "type": "object",
    "required": ["id", "links"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "links": _LINKS,
        "extent": _ref("schemas", "extent"),
        "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}},
        "storageCrs": {"type": "string"},
    },
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "link": _LINK,
    "landingPage": {
        "type": "object",
        "required": ["links"],
        "properties": {
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": _LINKS,
        },
    },
    "confClasses": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    },
    "extent": _EXTENT,
    "collection": _COLLECTION,
    "collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {
            "links": _LINKS,
            "collections": {"type": "array", "items": _ref("schemas", "collection")},
        },
    },
    "geometryGeoJSON": _GEOMETRY,
    "exception": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    },
}

RESPONSES = {
    "InvalidParameter": {
        "description": "A query parameter is unknown, malformed or out of range.",
        "content": _content(JSON, _ref("schemas", "exception")),
    },
    "NotFound": {
        "description": "No such collection or feature.",
        "content": _content(JSON, _ref("schemas", "exception")),
    },
    "Unauthorized": {
        "description": "The collection is not public: a bearer token or a signed-in session"
        " is required.",
        "content": _content(JSON, _ref("schemas", "exception")),
    },
    "Forbidden": {
        "description": "The collection is read by other roles than the caller's.",
        "content": _content(JSON, _ref("schemas", "exception")),
    },
    "ServerError": {
        "description": "A server error occurred.",
        "content": _content(JSON, _ref("schemas", "exception")),
    },
    "NotModified": {
        "description": "The answer the client holds (If-None-Match) is current; no body.",
        "headers": _VALIDATORS,
    },
}


def _property_schema(prop: Property) -> dict[str, Any]:
    # Any property may be unknown for a feature (a grid without a leader, an event not
    # yet handled): PostGIS serves it as null.
    if prop.json_type == "array":
        return {
            "type": "array",
            "items": {"type": "string"},
            "description": prop.title,
            "nullable": True,
        }
    schema: dict[str, Any] = {"type": prop.json_type, "description": prop.title, "nullable": True}
    if prop.name.endswith("_at"):
        schema["format"] = "date-time"
    return schema


def _feature_schema(source: Collection) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": source.id_type},
            "geometry": _ref("schemas", "geometryGeoJSON"),
            "properties": {
                "type": "object",
                "properties": {p.name: _property_schema(p) for p in source.properties},
            },
            "links": _LINKS,
        },
    }


def _filter_parameter(prop: Property) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": prop.json_type}
    if prop.values:
        schema["enum"] = list(prop.values)
    if prop.pattern:
        schema["pattern"] = f"^{prop.pattern}$"
    return {
        "name": prop.name,
        "in": "query",
        "required": False,
        "description": f"Only features whose {prop.name} ({prop.title}) equals the value.",
        "schema": schema,
        "style": "form",
        "explode": False,
    }


def _collection_paths(source: Collection) -> dict[str, Any]:
    feature = _ref("schemas", f"{source.id}Feature")
    collection_page = {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": feature},
            "links": _LINKS,
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
        },
    }
    filters = [_filter_parameter(p) for p in source.properties if p.filterable]
    base = f"/collections/{source.id}"
    # a restricted collection (its readers named) answers 401 and 403 too
    errors: dict[str, Any] = dict(_ERRORS_404)
    if source.readers:
        errors.update(
            {"401": _ref("responses", "Unauthorized"), "403": _ref("responses", "Forbidden")}
        )
    paths = {
        base: {
            "get": {
                "tags": ["Collections"],
                "summary": f"describe {source.title}",
                "operationId": f"describe_{source.id}",
                "parameters": [_ref("parameters", "f"), _ref("parameters", "If-None-Match")],
                "responses": {
                    **_cached(source.description, JSON, _ref("schemas", "collection")),
                    **errors,
                },
            }
        },
        f"{base}/items": {
            "get": {
                "tags": ["Features"],
                "summary": f"features of {source.title}",
                "description": source.description,
                "operationId": f"get_{source.id}_items",
                "parameters": [
                    _ref("parameters", "f-features" if name == "f" else name)
                    for name in ITEMS_PARAMETERS
                ]
                + filters
                + [_ref("parameters", "If-None-Match")],
                "responses": {
                    **_cached(f"a page of {source.id}", GEOJSON, collection_page),
                    **errors,
                },
            }
        },
        f"{base}/items/{{featureId}}": {
            "get": {
                "tags": ["Features"],
                "summary": f"one feature of {source.title}",
                "operationId": f"get_{source.id}_item",
                "parameters": [
                    _ref("parameters", "featureId"),
                    _ref("parameters", "f-features"),
                    _ref("parameters", "crs"),
                    _ref("parameters", "If-None-Match"),
                ],
                "responses": {**_cached("the feature", GEOJSON, feature), **errors},
            }
        },
    }
    for item in paths.values():
        if source.readers:
            operation = item["get"]
            operation["security"] = [{"bearer": []}]
            readers = f"Read by the roles {', '.join(source.readers)}."
            operation["description"] = f"{operation.get('description', '')} {readers}".strip()
    return paths


def _simple(tag: str, summary: str, operation: str, media: str, schema: dict[str, Any]):
    return {
        "get": {
            "tags": [tag],
            "summary": summary,
            "operationId": operation,
            "parameters": [_ref("parameters", "f")],
            "responses": {"200": _ok(summary, media, schema), **_ERRORS},
        }
    }


def document(root: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the API served at ``root`` (the absolute /ogc URL)."""
    paths: dict[str, Any] = {
        "/": _simple(
            "Capabilities", "landing page", "getLandingPage", JSON, _ref("schemas", "landingPage")
        ),
        "/conformance": _simple(
            "Capabilities",
            "conformance classes",
            "getConformance",
            JSON,
            _ref("schemas", "confClasses"),
        ),
        "/api": _simple(
            "Capabilities",
            "this API definition",
            "getApiDefinition",
            OPENAPI_JSON,
            {"type": "object"},
        ),
        "/api.html": {
            "get": {
                "tags": ["Capabilities"],
                "summary": "this API's documentation",
                "operationId": "getApiDocumentation",
                "responses": {"200": _ok("documentation", "text/html", {"type": "string"})},
            }
        },
        "/collections": {
            "get": {
                "tags": ["Collections"],
                "summary": "the feature collections",
                "operationId": "getCollections",
                "parameters": [_ref("parameters", "f"), _ref("parameters", "If-None-Match")],
                "responses": {
                    **_cached("the feature collections", JSON, _ref("schemas", "collections")),
                    **_ERRORS,
                },
            }
        },
    }
    schemas = dict(SCHEMAS)
    for source in COLLECTIONS.values():
        paths.update(_collection_paths(source))
        schemas[f"{source.id}Feature"] = _feature_schema(source)
    paths.update(openapi_tiles.paths())
    schemas.update(openapi_tiles.SCHEMAS)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "onemap OGC API – Features",
            "version": "1.0.0",
            "description": (
                "Grid governance features of Jiangnan district, Nanning: OGC API – Features "
                "Part 1 (Core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS by reference); "
                "their vector tiles by OGC API – Tiles."
            ),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "servers": [{"url": root}],
        "tags": [
            {"name": "Capabilities", "description": "what the API offers"},
            {"name": "Collections", "description": "the feature collections"},
            {"name": "Features", "description": "the features themselves"},
            {"name": "Tiles", "description": "vector tiles (OGC API – Tiles, Mapbox Vector Tiles)"},
        ],
        "paths": paths,
        "components": {
            "parameters": PARAMETERS,
            "schemas": schemas,
            "responses": RESPONSES,
            "headers": HEADERS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token"}
            },
        },
    }


def html(root: str) -> str:
    """A plain HTML rendering of the API definition (the service-doc), without scripts."""
    spec = document(root)
    rows = []
    for path, item in spec["paths"].items():
        operation = item["get"]
        names = []
        for parameter in operation.get("parameters", []):
            if "$ref" in parameter:
                parameter = PARAMETERS[parameter["$ref"].rsplit("/", 1)[1]]
            if parameter["in"] != "header":
                names.append(parameter["name"])
        rows.append(
            "<tr><td><code>GET {}</code></td><td>{}</td><td>{}</td></tr>".format(
                html_escape.escape(root + path),
                html_escape.escape(operation["summary"]),
                html_escape.escape(", ".join(names)),
            )
        )
    title = html_escape.escape(spec["info"]["title"])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>"
        f"<h1>{title}</h1><p>{html_escape.escape(spec['info']['description'])}</p>"
        f'<p>Machine-readable definition: <a href="{html_escape.escape(root)}/api">'
        "OpenAPI 3.0 (JSON)</a></p>"
        "<table><thead><tr><th>request</th><th>what</th><th>query parameters</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>"
    )
