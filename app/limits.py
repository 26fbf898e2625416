"""Request bodies, limited before any work is done for them.

:class:`BodyLimits` is the outermost layer of the app (pure ASGI). For every request with
a body it counts the bytes, whether the client declared a Content-Length or sends chunks:

- a declared length over the route's limit is refused at once (413), nothing read;
- otherwise the body is read in full, up to the limit, before the application sees the
  request. No route's code, no database connection and no multipart parser waits on a
  slow client trickling its body, and a chunked body over the limit is refused (413) the
  moment it passes it;
- the imports, which take large files and need an administrator's token, are streamed to
  the route as they come, still counted, and refused (401) without a bearer token before
  a byte of the upload is read.

The limits per route are in :data:`ROUTE_LIMITS`; everything else may send 1 MiB.

:class:`PublicReportLimit` holds anonymous reporters to a number of reports a minute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout, TooManyRequests
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.problems import problem
from gis import rate_limits
from gis.events.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from gis.patrols.reading import MAX_FILE_BYTES

MiB = 1024 * 1024
DEFAULT_LIMIT = 1 * MiB
# A report: three photos and the feature.
REPORT_LIMIT = MAX_PHOTOS * MAX_PHOTO_BYTES + MiB
IMPORT_LIMIT = 256 * MiB
# A patrol file: a day's walk at one fix a second is about 10 MB of GPX.
TRACK_LIMIT = MAX_FILE_BYTES


# Open311's form: text fields only (media are sent as a URL).
OPEN311_FORM_LIMIT = 64 * 1024


@dataclass(frozen=True)
class RouteLimit:
    """The largest body a route takes; whether it is streamed to it (and then must carry
    a bearer token first); whether it is a report anyone may send (rate-limited)."""

    method: str
    path: re.Pattern[str]
    limit: int
    streamed: bool = False
    public_report: bool = False


ROUTE_LIMITS = (
    RouteLimit("POST", re.compile(r"^/api/v1/events/?$"), REPORT_LIMIT, public_report=True),
    RouteLimit(
        "POST",
        re.compile(r"^/open311/v2/requests(\.json)?$"),
        OPEN311_FORM_LIMIT,
        public_report=True,
    ),
    RouteLimit("POST", re.compile(r"^/api/v1/import/[^/]+$"), IMPORT_LIMIT, streamed=True),
    RouteLimit("POST", re.compile(r"^/api/v1/patrols/tracks/?$"), TRACK_LIMIT),
)


class BodyTooLarge(Exception):
    """A streamed body went past its route's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit:,} bytes, this route's limit")
        self.limit = limit


def limit_for(method: str, path: str) -> RouteLimit:
    """The limit that applies to a request."""
    for route in ROUTE_LIMITS:
        if route.method == method and route.path.match(path):
            return route
    return RouteLimit(method, re.compile(""), DEFAULT_LIMIT)


class BodyLimits:
    """See the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        route = limit_for(scope["method"], scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > route.limit:
            await _refuse(scope, send, 413, "BodyTooLarge", BodyTooLarge(route.limit).args[0])
            return
        if route.streamed:
            scheme = headers.get(b"authorization", b"").split(b" ", 1)[0].lower()
            if scheme != b"bearer":
                await _refuse(
                    scope, send, 401, "Unauthorized", "a bearer token is required",
                    {"WWW-Authenticate": "Bearer"},
                )  # fmt: skip
                return
            await self.app(scope, _counting(receive, route.limit), send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before it finished sending: nothing to answer
            body += message.get("body", b"")
            if len(body) > route.limit:
                await _refuse(scope, send, 413, "BodyTooLarge", BodyTooLarge(route.limit).args[0])
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replaying(bytes(body), receive), send)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the application the body already read, then passes on what
    the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise BodyTooLarge(limit)
        return message

    return counted


async def _refuse(
    scope: Scope,
    send: Send,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    # The problem shape of every error (Open311's own under /open311/); the connection is
    # closed, since the rest of the body is not read.
    closing = {**(headers or {}), "Connection": "close"}
    if scope["path"].startswith("/open311/"):
        response = JSONResponse(
            [{"code": status, "description": detail}], status_code=status, headers=closing
        )
    else:
        response = problem(status, title, detail, headers=closing)
    await response(scope, _nothing_more, send)


async def _nothing_more() -> Message:
    # a response sent without reading the request's body again
    return {"type": "http.disconnect"}


class PublicReportLimit:
    """At most ``per_minute`` reports a minute from one address without a token (POST
    /api/v1/events and Open311's POST requests): the next is 429 with Retry-After, the
    seconds until the minute is over. Counted in the database (gis/rate_limits.py), so
    every server process and machine shares the count. ``per_minute`` 0 turns the limit
    off. Should the database not answer, the report goes on to its route, which says so."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.per_minute = per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.per_minute and self._is_public_report(scope):
            address = (scope.get("client") or ("unknown", 0))[0]
            try:
                async with scope["app"].state.pool.connection() as conn:
                    wait = await rate_limits.hit(conn, f"report:{address}", self.per_minute)
            except (psycopg.Error, PoolTimeout, TooManyRequests):
                wait = None
            if wait is not None:
                await _refuse(
                    scope,
                    send,
                    429,
                    "TooManyRequests",
                    f"at most {self.per_minute} reports a minute from one address;"
                    f" try again in {wait} s",
                    {"Retry-After": str(wait)},
                )
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _is_public_report(scope: Scope) -> bool:
        if scope["method"] != "POST":
            return False
        if any(name == b"authorization" for name, _ in scope["headers"]):
            return False  # staff and machine clients answer for their own volume
        return limit_for("POST", scope["path"]).public_report
