"""OGC API – Tiles at /ogc: vector tiles of every collection and of the one map, their
tileset metadata and the WebMercatorQuad tile matrix set.

PostGIS builds the tiles (gis/ogc/tiles.py); the documents come from app/ogc/tilesets.py.
A restricted collection's tiles are read by the roles that read its features (401, 403),
and the events are the public view the features API serves. A tile with no feature in it
answers 204 No Content.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from psycopg import AsyncConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from app.deps import ReadConnection, read_connection
from app.ogc import caching, tilesets
from app.ogc.params import FORMAT_PARAMETERS, check_format, parse_datetime
from app.ogc.router import _checked, _json, _readable, _root
from app.params import check_known
from gis.errors import NotFound
from gis.ogc import features, tiles
from gis.ogc.collections import COLLECTIONS, Collection
from gis.ogc.selection import Interval
from gis.ogc.tiles import TileAddress

router = APIRouter(prefix="/ogc", tags=["OGC API Tiles"], include_in_schema=False)

# A public tile may sit in any cache for a minute; a restricted one only in the caller's.
PUBLIC_TILE_CACHE = "public, max-age=60"
PRIVATE_TILE_CACHE = "private, max-age=60"


def _tile_matrix_set(tile_matrix_set_id: str) -> None:
    if tile_matrix_set_id != tiles.TILE_MATRIX_SET:
        raise NotFound(
            f"no tile matrix set {tile_matrix_set_id!r}; tiles are in {tiles.TILE_MATRIX_SET}"
        )


# A tile's query: its format and, as OGC API – Tiles allows, the features' time.
TILE_PARAMETERS = ("f", "datetime")


def _tile_datetime(request: Request) -> Interval | None:
    """The tile request's ``datetime`` (None for all time); 400 for anything else."""
    params = check_known(request.query_params, TILE_PARAMETERS)
    check_format(params, "mvt")
    return parse_datetime(params.get("datetime"))


# How long a process trusts the versions it read when a tile is asked for again.
VERSION_FRESHNESS_S = 1.0


def _process_caches(request: Request) -> tuple[caching.RecentVersions, caching.BuiltTiles]:
    state = request.app.state
    if not hasattr(state, "tile_versions"):
        state.tile_versions = caching.RecentVersions(VERSION_FRESHNESS_S)
    if not hasattr(state, "built_tiles"):
        state.built_tiles = caching.BuiltTiles(state.settings.tile_cache_mb * 2**20)
    return state.tile_versions, state.built_tiles


def _tile_headers(etag: str, restricted: bool) -> dict[str, str]:
    headers = {"ETag": etag, "Cache-Control": PUBLIC_TILE_CACHE}
    if restricted:
        headers.update({"Cache-Control": PRIVATE_TILE_CACHE, "Vary": caching.VARY})
    return headers


def _tile_body(request: Request, etag: str, body: bytes, restricted: bool) -> Response:
    headers = _tile_headers(etag, restricted)
    if caching.fresh(request, etag):
        return caching.not_modified(headers)
    if not body:
        return Response(status_code=204, headers=headers)
    return Response(body, media_type=tiles.MVT, headers=headers)


def _recent_etag(request: Request, sources: list[Collection]) -> str | None:
    """The ETag of a public tile from the versions this process read within the last
    second; None for a restricted one (who asks is checked first) or when none is that
    recent."""
    if any(source.readers for source in sources):
        return None
    tag = _process_caches(request)[0].recent(sources)
    if tag is None:
        return None
    return caching.entity_tag(request, _root(request), *((s, tag) for s in sources))


async def _tile_answer(
    request: Request,
    sources: list[Collection],
    build: Callable[[AsyncConnection], Awaitable[bytes]],
) -> Response:
    """The tile's answer: MVT bytes, 204 when nothing is in it, or 304 when the client's
    If-None-Match names it.

    Its ETag is the collections' versions (the change counters) with the tile's URL, read
    before the tile is built: a change committed in between gives the client newer data
    under an older tag, which it replaces at its next revalidation, never the reverse.
    The process keeps the tiles it built by ETag, and trusts the versions it read for a
    second: a public tile asked for again within that second is answered from memory
    (304 or the bytes) without a database connection, and one it has not built is built
    under that second-old tag without reading the versions again (the same order: the
    versions read before the data)."""
    restricted = any(source.readers for source in sources)
    recent, built = _process_caches(request)
    etag = _recent_etag(request, sources)
    if etag is not None:
        body = built.get(etag)
        if body is not None:
            return _tile_body(request, etag, body, restricted)
    async with read_connection(request) as conn:
        for source in sources:
            await _readable(request, conn, source)
        if etag is None:
            tag = await recent.current(conn, sources)
            etag = caching.entity_tag(request, _root(request), *((s, tag) for s in sources))
        if caching.fresh(request, etag):
            return caching.not_modified(_tile_headers(etag, restricted))
        body = built.get(etag)
        if body is None:
            body = await build(conn)
            built.put(etag, body)
    return _tile_body(request, etag, body, restricted)


# The tile routes' paths: the one map's, or a collection's (its id in group 1).
TILE_PATH = re.compile(r"/ogc/(?:collections/([^/]+)/)?tiles/WebMercatorQuad/\d+/\d+/\d+")


class TileRevalidation:
    """Answers a public tile's revalidation before routing (pure ASGI, the app's outermost
    layer): a GET of a tile path whose If-None-Match names the ETag this process would give
    it now, from the versions it read within the last second, gets its 304 at once.

    Phones revalidate the tiles they hold every minute, thousands at a time; what the rest
    of the app would do for them (routing, parameters, middleware) is the whole cost of a
    304. Anything else, including a tag this process cannot vouch for, goes on to the
    routes. An ETag names its URL (query included), so only an URL the routes answered
    can match one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = self._not_modified(Request(scope))
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _not_modified(request: Request) -> Response | None:
        path = TILE_PATH.fullmatch(request.url.path)
        if path is None or not caching.asks_revalidation(request):
            return None
        if path.group(1) is None:
            sources = [COLLECTIONS[name] for name in tiles.MAP_LAYERS]
        elif path.group(1) in COLLECTIONS:
            sources = [COLLECTIONS[path.group(1)]]
        else:
            return None
        etag = _recent_etag(request, sources)
        if etag is None or not caching.fresh(request, etag):
            return None
        return caching.not_modified(_tile_headers(etag, restricted=False))


@router.get("/tileMatrixSets")
async def tile_matrix_sets(request: Request) -> JSONResponse:
    _checked(request, FORMAT_PARAMETERS, "json")
    return _json(tilesets.tile_matrix_sets(_root(request)))


@router.get("/tileMatrixSets/{tile_matrix_set_id}")
async def tile_matrix_set(tile_matrix_set_id: str, request: Request) -> JSONResponse:
    _tile_matrix_set(tile_matrix_set_id)
    _checked(request, FORMAT_PARAMETERS, "json")
    return _json(tilesets.tile_matrix_set(_root(request)))


@router.get("/tiles")
async def map_tilesets(request: Request) -> JSONResponse:
    _checked(request, FORMAT_PARAMETERS, "json")
    return _json(tilesets.tileset_list(_root(request), None))


@router.get("/tiles/{tile_matrix_set_id}")
async def map_tileset(tile_matrix_set_id: str, request: Request) -> JSONResponse:
    _tile_matrix_set(tile_matrix_set_id)
    _checked(request, FORMAT_PARAMETERS, "json")
    return _json(tilesets.tileset(_root(request), None))


@router.get("/tiles/{tile_matrix_set_id}/{z}/{x}/{y}")
async def map_tile(tile_matrix_set_id: str, z: str, x: str, y: str, request: Request) -> Response:
    _tile_matrix_set(tile_matrix_set_id)
    tile = TileAddress.parse(z, x, y)
    during = _tile_datetime(request)
    sources = [COLLECTIONS[name] for name in tiles.MAP_LAYERS]
    return await _tile_answer(
        request, sources, lambda conn: tiles.map_tile(conn, tile, datetime=during)
    )


@router.get("/collections/{collection_id}/tiles")
async def collection_tilesets(
    collection_id: str, request: Request, conn: ReadConnection
) -> JSONResponse:
    source = await _readable(request, conn, features.collection(collection_id))
    _checked(request, FORMAT_PARAMETERS, "json")
    return _json(tilesets.tileset_list(_root(request), source))


@router.get("/collections/{collection_id}/tiles/{tile_matrix_set_id}")
async def collection_tileset(
    collection_id: str, tile_matrix_set_id: str, request: Request, conn: ReadConnection
) -> JSONResponse:
    source = await _readable(request, conn, features.collection(collection_id))
    _tile_matrix_set(tile_matrix_set_id)
    _checked(request, FORMAT_PARAMETERS, "json")
    return _json(tilesets.tileset(_root(request), source))


@router.get("/collections/{collection_id}/tiles/{tile_matrix_set_id}/{z}/{x}/{y}")
async def collection_tile(
    collection_id: str, tile_matrix_set_id: str, z: str, x: str, y: str, request: Request
) -> Response:
    source = features.collection(collection_id)
    _tile_matrix_set(tile_matrix_set_id)
    tile = TileAddress.parse(z, x, y)
    during = _tile_datetime(request)
    return await _tile_answer(
        request,
        [source],
        lambda conn: tiles.collection_tile(conn, source.id, tile, datetime=during),
    )
