"""Annotated dependencies shared by the routers."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request
from psycopg import AsyncConnection

from app.reads import ReadRouting, wrote_position
from gis import tokens
from gis.people import scope, sessions
from gis.tokens import Caller


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.pool.connection() as conn:
        if request.method in UNSAFE_METHODS and request.app.state.read_routing is not None:
            # app/reads.py asks it, once the answer starts, where the write ended
            request.state.writer = conn
        try:
            yield conn
        finally:
            request.state.writer = None


Connection = Annotated[AsyncConnection, Depends(_connection)]


@contextlib.asynccontextmanager
async def read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection for a read: the standby when there is one and it has replayed the
    client's own last write, else the primary. For routes that may answer without the
    database (a 304 from what the process knows) and so take it only when they need it."""
    routing: ReadRouting | None = request.app.state.read_routing
    replica = await routing.connection(wrote_position(request)) if routing else None
    if routing is None or replica is None:
        async with request.app.state.pool.connection() as conn:
            yield conn
        return
    request.state.replica = replica
    try:
        yield replica
    except psycopg.OperationalError as error:
        routing.gone(replica, error)
        raise
    finally:
        request.state.replica = None
        await routing.pool.putconn(replica)


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with read_connection(request) as conn:
        yield conn


# For the reads that may be answered by the standby (ONEMAP_READ_DATABASE_URL, app/reads.py):
# the feature collections and the analyses' reports. The standby when there is one and it
# has replayed the client's own last write, else the primary, as Connection.
ReadConnection = Annotated[AsyncConnection, Depends(_read_connection)]


def _sync_connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.sync_pool.connection() as conn:
        yield conn


# For the domain's synchronous analyses (gis.access coverage and standards, the grid
# audit): a route declared with plain ``def`` runs on FastAPI's worker threads, and so
# does this dependency, so the event loop never waits on them.
SyncConnection = Annotated[psycopg.Connection, Depends(_sync_connection)]


def _sync_read_connection(request: Request) -> Iterator[psycopg.Connection]:
    routing: ReadRouting | None = request.app.state.read_routing
    replica = routing.sync_connection(wrote_position(request)) if routing else None
    if routing is None or replica is None:
        with request.app.state.sync_pool.connection() as conn:
            yield conn
        return
    try:
        yield replica
    except psycopg.OperationalError as error:
        routing.gone(replica, error)
        raise
    finally:
        routing.sync_pool.putconn(replica)


# SyncConnection for the analyses that only read (no temporary tables: a standby refuses
# them), as ReadConnection.
SyncReadConnection = Annotated[psycopg.Connection, Depends(_sync_read_connection)]


SESSION_COOKIE = "onemap_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def client_address(request: Request) -> str | None:
    """The IP address the request came from (the proxy's, behind one), for the admin log;
    None when there is none (an in-process test client)."""
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _same_origin(request: Request) -> bool:
    """Whether a cookie-carrying request comes from onemap's own pages: a browser names
    the page's origin on every POST; another site's form or script is refused even if
    its browser sent the cookie (SameSite=Strict already keeps it from doing so)."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    return origin.partition("://")[2].rstrip("/") == request.headers.get("host", "")


async def identify_caller(request: Request, conn: AsyncConnection) -> Caller | None:
    """Who calls: a bearer token's holder, else a session cookie's person, else None (the
    public). 401 for a bad token or session; the connection is told the caller, for the
    database's row-level security (gis/people/scope.py).

    Identified on the primary even for a read on the standby: a token revoked a moment ago
    is refused at once, and identifying writes (its last use)."""
    if not hasattr(request.state, "caller"):
        if conn is getattr(request.state, "replica", None):
            async with request.app.state.pool.connection() as primary:
                request.state.caller = await _identify(request, primary)
        else:
            request.state.caller = await _identify(request, conn)
    found: Caller | None = request.state.caller
    # every connection the request reads with acts for the caller (the standby's too)
    told: list[AsyncConnection] = getattr(request.state, "told_caller", [])
    request.state.told_caller = told
    if found is not None and not any(known is conn for known in told):
        await scope.apply(conn, found)
        told.append(conn)
    return found


async def _identify(request: Request, conn: AsyncConnection) -> Caller | None:
    token = _presented_token(request)
    found = None
    if token is not None:
        try:
            found = await tokens.identify(conn, token)
        except tokens.TokenError as error:
            raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    elif (secret := request.cookies.get(SESSION_COOKIE)) is not None:
        if request.method in UNSAFE_METHODS and not _same_origin(request):
            raise HTTPException(403, "a signed-in page may only be sent from onemap's own pages")
        try:
            found = await sessions.identify(conn, secret)
        except sessions.SessionError as error:
            raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    return found


def require_role(*roles: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting callers (token or session) with one of ``roles``: 401 without
    a valid token or session, 403 with another role."""

    async def caller(request: Request, conn: Connection) -> Caller:
        found = await identify_caller(request, conn)
        if found is None:
            raise HTTPException(
                401,
                "a bearer token or a signed-in session is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if found.role not in roles:
            raise HTTPException(
                403, f"needs the role {' or '.join(roles)}; the caller is {found.role}"
            )
        return found

    return caller


Admin = Annotated[Caller, Depends(require_role("admin"))]
Staff = Annotated[Caller, Depends(require_role("admin", "staff"))]
# Who reads the admin log: administrators and auditors.
LogReader = Annotated[Caller, Depends(require_role("admin", "auditor"))]

# The costly analyses (siting's optimisation, the grid audit of a district): a token or
# session needed, and one at a time per caller across every server process: a session
# advisory lock on the analysis's own connection, keyed by the caller, taken before the
# analysis and given back after it. No caller can keep every worker thread and connection
# busy. (Each analysis is also bounded by the statement timeout and, for siting, the
# solver's time limit.)
ANALYST_ROLES = ("admin", "staff", "auditor", "planner")


def _holding_the_analysis_lock(caller: Caller, conn: psycopg.Connection) -> Iterator[Caller]:
    key = f"onemap analysis {caller.key}"
    row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)).fetchone()
    if not (row and row[0]):
        raise HTTPException(
            429,
            "one analysis at a time per caller: wait for the one running to finish",
            headers={"Retry-After": "5"},
        )
    try:
        yield caller
    finally:
        # a connection lost meanwhile took its lock with it
        with contextlib.suppress(psycopg.Error):
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))


def _one_analysis_at_a_time(
    caller: Annotated[Caller, Depends(require_role(*ANALYST_ROLES))],
    conn: SyncConnection,
) -> Iterator[Caller]:
    yield from _holding_the_analysis_lock(caller, conn)


def _one_read_analysis_at_a_time(
    caller: Annotated[Caller, Depends(require_role(*ANALYST_ROLES))],
    conn: SyncReadConnection,
) -> Iterator[Caller]:
    yield from _holding_the_analysis_lock(caller, conn)


Analyst = Annotated[Caller, Depends(_one_analysis_at_a_time)]
# Analyst for the analyses that only read (SyncReadConnection): the lock is taken on the
# connection the analysis runs on, the standby's when it answers (advisory locks work
# on a hot standby), so it is one at a time per caller on each database.
ReadAnalyst = Annotated[Caller, Depends(_one_read_analysis_at_a_time)]
