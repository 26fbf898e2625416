"""OGC API – Features (Part 1 Core + GeoJSON, Part 2 CRS) at /ogc.

The collections come from the registry in gis/ogc/collections.py; the queries from
gis/ogc/features.py, where PostGIS serializes the features. This module only parses the
query string, adds the links and sets the media types. Its own OpenAPI 3.0 document is
built in app/ogc/openapi.py: FastAPI's is 3.1, which OGC clients do not read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.deps import Connection, ReadConnection, identify_caller
from app.ogc import caching, openapi, tilesets
from app.ogc.params import (
    FORMAT_PARAMETERS,
    ITEM_PARAMETERS,
    ITEMS_PARAMETERS,
    check_format,
    items_parameters,
    parse_crs,
    parse_datetime,
)
from app.params import check_known, parse_bbox, parse_paging
from gis.crs import CRS84, STORAGE_CRS, Crs
from gis.ogc import features, versions
from gis.ogc.collections import COLLECTIONS, Collection
from gis.ogc.selection import SUPPORTED_CRS

# The routes are described by the OGC OpenAPI 3.0 document at /ogc/api, not FastAPI's.
router = APIRouter(prefix="/ogc", tags=["OGC API Features"], include_in_schema=False)

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
HTML = "text/html"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

CONFORMANCE_CLASSES = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *tilesets.CONFORMANCE_CLASSES,
]


def _root(request: Request) -> str:
    """Absolute URL of /ogc; the configured public URL wins behind a proxy."""
    public = request.app.state.settings.public_url
    base = public or str(request.base_url)
    return base.rstrip("/") + "/ogc"


def _link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": media_type}
    if title:
        link["title"] = title
    return link


def _json(body: Any) -> JSONResponse:
    return JSONResponse(body, media_type=JSON)


def _rfc3339(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _checked(request: Request, allowed: tuple[str, ...], *formats: str) -> dict[str, str]:
    params = check_known(request.query_params, allowed)
    check_format(params, *formats)
    return params


@router.get("")
@router.get("/")
async def landing_page(request: Request) -> JSONResponse:
    _checked(request, FORMAT_PARAMETERS, "json")
    root = _root(request)
    return _json(
        {
            "title": "onemap – Jiangnan grid governance features",
            "description": (
                "Subdistricts, communities, grids, compounds, buildings, service centres, "
                "events and patrol tracks of the one map (一张图), as OGC API – Features."
            ),
            "links": [
                _link(root, "self", JSON, "this document"),
                _link(f"{root}/api", "service-desc", OPENAPI_JSON, "the API definition"),
                _link(f"{root}/api.html", "service-doc", HTML, "the API documentation"),
                _link(f"{root}/conformance", "conformance", JSON, "conformance classes"),
                _link(f"{root}/collections", "data", JSON, "the feature collections"),
                *tilesets.landing_links(root),
            ],
        }
    )


@router.get("/conformance")
async def conformance(request: Request) -> JSONResponse:
    _checked(request, FORMAT_PARAMETERS, "json")
    return _json({"conformsTo": CONFORMANCE_CLASSES})


@router.get("/api")
async def api_definition(request: Request) -> JSONResponse:
    _checked(request, FORMAT_PARAMETERS, "json")
    return JSONResponse(openapi.document(_root(request)), media_type=OPENAPI_JSON)


@router.get("/api.html")
async def api_documentation(request: Request) -> HTMLResponse:
    _checked(request, FORMAT_PARAMETERS, "html")
    return HTMLResponse(openapi.html(_root(request)))


async def _may_read(request: Request, conn: Connection, source: Collection) -> bool:
    """Whether the caller may read the collection: anyone a public one; a restricted one
    only a token or session of one of its reader roles."""
    if not source.readers:
        return True
    caller = await identify_caller(request, conn)
    return caller is not None and caller.role in source.readers


async def _readable(request: Request, conn: Connection, source: Collection) -> Collection:
    """The collection, or 401 (no token or session) / 403 (another role) for a restricted
    one."""
    if await _may_read(request, conn, source):
        return source
    if await identify_caller(request, conn) is None:
        raise HTTPException(
            401,
            f"collection {source.id} needs a bearer token or a signed-in session",
            headers={"WWW-Authenticate": "Bearer"},
        )
    raise HTTPException(
        403, f"collection {source.id} is read by the roles {', '.join(source.readers)}"
    )


def _collection_document(source: Collection, extent: features.Extent, root: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": source.id,
        "title": source.title,
        "description": source.description,
        "itemType": "feature",
        "crs": list(SUPPORTED_CRS),
        "storageCrs": STORAGE_CRS.uri,
        "links": [
            _link(f"{root}/collections/{source.id}", "self", JSON, source.title),
            _link(f"{root}/collections/{source.id}/items", "items", GEOJSON, "the features"),
            *tilesets.collection_links(root, source),
        ],
    }
    if source.keywords:
        document["keywords"] = list(source.keywords)
    spatial_temporal: dict[str, Any] = {}
    if extent.bbox is not None:
        spatial_temporal["spatial"] = {"bbox": [list(extent.bbox)], "crs": CRS84.uri}
    if source.temporal_column and extent.first_instant is not None:
        interval = [_rfc3339(extent.first_instant), _rfc3339(extent.last_instant)]
        spatial_temporal["temporal"] = {"interval": [interval], "trs": GREGORIAN}
    if spatial_temporal:
        document["extent"] = spatial_temporal
    return document


@router.get("/collections")
async def collections(request: Request, conn: ReadConnection) -> Response:
    _checked(request, FORMAT_PARAMETERS, "json")
    root = _root(request)
    # a restricted collection is listed only to those who may read it
    listed = [source for source in COLLECTIONS.values() if await _may_read(request, conn, source)]
    restricted = any(source.readers for source in listed)
    states = await versions.collection_states(conn, listed)
    if caching.asks_revalidation(request):
        etag = caching.entity_tag(request, root, *((s, states[s.id].tag) for s in listed))
        if caching.fresh(request, etag):
            return caching.not_modified(caching.headers(request, etag, restricted=restricted))
    # The extents are kept per version: computed again only for a collection that changed
    # (then at the version they were computed at, which the ETag names).
    documents, tags = [], []
    for source in listed:
        tag, extent = await features.cached_extent(conn, source, states[source.id].tag)
        documents.append(_collection_document(source, extent, root))
        tags.append((source, tag))
    body = {
        "links": [_link(f"{root}/collections", "self", JSON, "the feature collections")],
        "collections": documents,
    }
    return _validated(request, _json(body), caching.entity_tag(request, root, *tags), restricted)


@router.get("/collections/{collection_id}")
async def collection(collection_id: str, request: Request, conn: ReadConnection) -> Response:
    source = await _readable(request, conn, features.collection(collection_id))
    _checked(request, FORMAT_PARAMETERS, "json")
    root = _root(request)
    state = await versions.collection_state(conn, source)
    tag, extent = await features.cached_extent(conn, source, state.tag)
    body = _json(_collection_document(source, extent, root))
    return _validated(
        request, body, caching.entity_tag(request, root, (source, tag)), bool(source.readers)
    )


def _validated(request: Request, answer: Response, etag: str, restricted: bool) -> Response:
    """``answer`` with its validators, or 304 when the client holds it already."""
    validators = caching.headers(request, etag, restricted=restricted)
    if caching.fresh(request, etag):
        return caching.not_modified(validators)
    answer.headers.update(validators)
    return answer


def _page_url(items_url: str, params: dict[str, str], limit: int, **token: str) -> str:
    # Keep the client's filters in order; replace only the paging parameters.
    query = {k: v for k, v in params.items() if k not in ("limit", "after", "before")}
    query["limit"] = str(limit)
    query.update(token)
    return f"{items_url}?{urlencode(query)}"


def _items_links(
    root: str, source: Collection, params: dict[str, str], page: features.FeaturePage
) -> list[dict[str, str]]:
    items_url = f"{root}/collections/{source.id}/items"
    token = {k: params[k] for k in ("after", "before") if k in params}
    links = [
        _link(_page_url(items_url, params, page.limit, **token), "self", GEOJSON, "this page"),
        _link(f"{root}/collections/{source.id}", "collection", JSON, source.title),
    ]
    if page.has_next and page.last_id is not None:
        next_url = _page_url(items_url, params, page.limit, after=page.last_id)
        links.append(_link(next_url, "next", GEOJSON, "next page"))
    if page.has_previous and page.first_id is not None:
        previous_url = _page_url(items_url, params, page.limit, before=page.first_id)
        links.append(_link(previous_url, "prev", GEOJSON, "previous page"))
    return links


def _geojson(body: str | bytes, crs: Crs) -> Response:
    # Part 2: the CRS of the coordinates in the body, also when it is the default.
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{crs.uri}>"})


@router.get("/collections/{collection_id}/items")
async def items(collection_id: str, request: Request, conn: ReadConnection) -> Response:
    source = await _readable(request, conn, features.collection(collection_id))
    params = _checked(request, items_parameters(source), "json", "geojson")
    query = features.page_query(
        source.id,
        bbox=parse_bbox("bbox", params.get("bbox")),
        bbox_crs=parse_crs(params, "bbox-crs"),
        datetime=parse_datetime(params.get("datetime")),
        filters={name: value for name, value in params.items() if name not in ITEMS_PARAMETERS},
        crs=parse_crs(params, "crs"),
        # A limit above the maximum is clamped by the query, as OGC API Features allows.
        limit=parse_paging(params, default_limit=features.DEFAULT_LIMIT, max_limit=None).limit,
        after=params.get("after"),
        before=params.get("before"),
    )
    root = _root(request)
    restricted = bool(source.readers)
    if caching.asks_revalidation(request):
        state = await versions.collection_state(conn, source, query.counties)
        etag = caching.entity_tag(request, root, (source, state.tag))
        if caching.fresh(request, etag):
            return caching.not_modified(caching.headers(request, etag, restricted=restricted))
    page = await features.read_page(conn, query)
    # The features arrive serialized by PostGIS and are spliced in, never re-parsed. No
    # timeStamp (optional in OGC API Features, and the time the answer was made): the same
    # data must give the same bytes, as a strong ETag promises.
    envelope: dict[str, Any] = {
        "type": "FeatureCollection",
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
    }
    envelope["links"] = _items_links(root, source, params, page)
    head = json.dumps(envelope, ensure_ascii=False)[:-1].encode()
    answer = _geojson(b"".join((head, b', "features": ', page.features, b"}")), page.crs)
    etag = caching.entity_tag(request, root, (source, page.version.tag))
    return _validated(request, answer, etag, restricted)


@router.get("/collections/{collection_id}/items/{feature_id}")
async def item(
    collection_id: str, feature_id: str, request: Request, conn: ReadConnection
) -> Response:
    source = await _readable(request, conn, features.collection(collection_id))
    params = _checked(request, ITEM_PARAMETERS, "json", "geojson")
    crs = parse_crs(params, "crs")
    root = _root(request)
    restricted = bool(source.readers)
    if caching.asks_revalidation(request):
        state = await versions.collection_state(conn, source)
        etag = caching.entity_tag(request, root, (source, state.tag))
        if caching.fresh(request, etag):
            return caching.not_modified(caching.headers(request, etag, restricted=restricted))
    self_url = f"{root}/collections/{source.id}/items/{quote(feature_id, safe='')}"
    if "crs" in params:
        self_url += "?" + urlencode({"crs": crs.uri})
    links = [
        _link(self_url, "self", GEOJSON, "this feature"),
        _link(f"{root}/collections/{source.id}", "collection", JSON, source.title),
    ]
    tag, body = await features.versioned_item(conn, source.id, feature_id, crs=crs, links=links)
    etag = caching.entity_tag(request, root, (source, tag))
    return _validated(request, _geojson(body, crs), etag, restricted)
