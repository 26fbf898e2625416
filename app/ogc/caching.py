"""HTTP caching of the OGC answers: strong ETags, 304 Not Modified, Cache-Control, Vary.

An ETag is a digest of what makes the body: the collections' versions (gis/ogc/versions.py,
read in the same snapshot as the data), the URL asked for (its links), the collections'
definitions and the database's function files (what a view or a property serves). A
client's If-None-Match is checked against the current version before any feature is
read, so an unchanged answer costs one small query.

Answers may be stored but must be revalidated (``no-cache``): data change at any moment,
and revalidation is cheap. An answer to a request with credentials, or of a collection
only some roles read, is ``private``; ``Vary`` keeps shared caches from handing an
anonymous answer to a signed-in caller or the other way round.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache

from fastapi import Request
from fastapi.responses import Response
from psycopg import AsyncConnection

from app.deps import SESSION_COOKIE
from gis import sql
from gis.ogc import versions
from gis.ogc.collections import Collection

VARY = "Authorization, Cookie"


@cache
def _function_files() -> str:
    # Views and property functions are part of what a collection serves; a deployment
    # that changes them must not answer 304 for bodies they made.
    digest = hashlib.sha256()
    for name in sql.functions():
        digest.update(name.encode())
        digest.update(sql.function(name).encode())
    return digest.hexdigest()


@cache
def _definition(source: Collection) -> str:
    return hashlib.sha256(repr(source).encode()).hexdigest()


def entity_tag(request: Request, root: str, *versions: tuple[Collection, str]) -> str:
    """The strong ETag of the answer to ``request`` built from these collections at these
    version tags."""
    digest = hashlib.sha256()
    for part in (root, request.url.path, request.url.query, _function_files()):
        digest.update(part.encode())
        digest.update(b"\x1f")
    for source, tag in versions:
        digest.update(f"{_definition(source)}\x1f{tag}\x1e".encode())
    return f'"{digest.hexdigest()[:40]}"'


def _client_tags(request: Request) -> list[str]:
    header = request.headers.get("if-none-match", "")
    # weak comparison, as RFC 9110 prescribes for If-None-Match
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def asks_revalidation(request: Request) -> bool:
    """Whether the client sent entity tags it holds (not just ``*``): worth reading the
    current version before doing the work."""
    return any(tag != "*" for tag in _client_tags(request))


def fresh(request: Request, etag: str) -> bool:
    """Whether the client's If-None-Match names ``etag`` (or ``*``): answer 304."""
    return any(tag in ("*", etag) for tag in _client_tags(request))


def _credentials(request: Request) -> bool:
    return "authorization" in request.headers or SESSION_COOKIE in request.cookies


def headers(request: Request, etag: str, *, restricted: bool) -> dict[str, str]:
    """ETag, Cache-Control and Vary of an answer; ``restricted``: it holds a collection
    only some roles may read."""
    scope = "private" if restricted or _credentials(request) else "public"
    return {"ETag": etag, "Cache-Control": f"{scope}, no-cache", "Vary": VARY}


def not_modified(validators: dict[str, str]) -> Response:
    """304: no body, the validators repeated."""
    return Response(status_code=304, headers=validators)


class RecentVersions:
    """The collections' versions as this process last read them, trusted for
    ``freshness_s`` seconds: a tile revalidated by a thousand phones a second costs no
    query (nor a pooled connection) while the version is that recent.

    A 304 may thus be up to ``freshness_s`` late after a change, well inside the minute
    a tile may be kept without asking at all (its Cache-Control max-age).
    """

    def __init__(self, freshness_s: float) -> None:
        self.freshness_s = freshness_s
        self._read: dict[tuple[str, ...], tuple[str, float]] = {}

    def recent(self, sources: Sequence[Collection]) -> str | None:
        """The sources' version tag if read within the freshness window, else None."""
        known = self._read.get(tuple(s.id for s in sources))
        if known is None or time.monotonic() - known[1] > self.freshness_s:
            return None
        return known[0]

    async def current(self, conn: AsyncConnection, sources: Sequence[Collection]) -> str:
        """The sources' version tag read now (and kept for the window)."""
        states = await versions.collection_states(conn, sources)
        tag = "+".join(states[source.id].tag for source in sources)
        # bounded by the collections and the one map: nothing else is ever a key
        self._read[tuple(s.id for s in sources)] = (tag, time.monotonic())
        return tag


# What keeping a tile costs beside its bytes (its key, the dictionary's entry): so that
# empty tiles (204), which have no bytes, are bounded too.
ENTRY_OVERHEAD = 200


class BuiltTiles:
    """Tiles this process built, by ETag (which names the tile's URL and its collections'
    versions, so a tile built from older data is never handed out for newer: it is just
    no longer asked for, and the least recently used go first beyond ``max_bytes``).

    Thousands of phones ask for the same few hundred tiles of their district; each is
    built once per change of its collections instead of once per request.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._bytes = 0
        self._tiles: OrderedDict[str, bytes] = OrderedDict()

    def get(self, etag: str) -> bytes | None:
        """The tile built under ``etag``, or None."""
        body = self._tiles.get(etag)
        if body is not None:
            self._tiles.move_to_end(etag)
        return body

    def put(self, etag: str, body: bytes) -> None:
        """Keep the tile built under ``etag`` (an empty body for a 204 too)."""
        size = len(body) + ENTRY_OVERHEAD
        if size > self.max_bytes // 16:
            return  # one huge low-zoom tile must not push out hundreds of others
        previous = self._tiles.pop(etag, None)
        if previous is not None:
            self._bytes -= len(previous) + ENTRY_OVERHEAD
        self._bytes += size
        self._tiles[etag] = body
        while self._bytes > self.max_bytes:
            _, dropped = self._tiles.popitem(last=False)
            self._bytes -= len(dropped) + ENTRY_OVERHEAD
