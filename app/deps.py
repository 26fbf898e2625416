"""Annotated dependencies shared by the routers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request
from psycopg import AsyncConnection

from gis import tokens
from gis.tokens import Caller


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.pool.connection() as conn:
        yield conn


Connection = Annotated[AsyncConnection, Depends(_connection)]


def _sync_connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.sync_pool.connection() as conn:
        yield conn


# For the domain's synchronous analyses (gis.access coverage and standards, the grid
# audit): a route declared with plain ``def`` runs on FastAPI's worker threads, and so
# does this dependency, so the event loop never waits on them.
SyncConnection = Annotated[psycopg.Connection, Depends(_sync_connection)]


def _presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def require_role(*roles: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting callers whose token has one of ``roles``: 401 without a
    valid token, 403 with a token of another role."""

    async def caller(request: Request, conn: Connection) -> Caller:
        token = _presented_token(request)
        if token is None:
            raise HTTPException(
                401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            found = await tokens.identify(conn, token)
        except tokens.TokenError as error:
            raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
        if found.role not in roles:
            raise HTTPException(403, f"needs the role {' or '.join(roles)}; token is {found.role}")
        return found

    return caller


Admin = Annotated[Caller, Depends(require_role("admin"))]
Staff = Annotated[Caller, Depends(require_role("admin", "staff"))]

# The costly analyses (siting's optimisation, the grid audit of a district): a token
# needed, and one at a time per token in this process, so that no caller can keep every
# worker thread and connection busy. (Each is also bounded by the statement timeout and,
# for siting, the solver's time limit.)
ANALYST_ROLES = ("admin", "staff", "auditor")
_analyses_running: set[int] = set()
_analyses_lock = threading.Lock()


def _one_analysis_at_a_time(
    caller: Annotated[Caller, Depends(require_role(*ANALYST_ROLES))],
) -> Iterator[Caller]:
    with _analyses_lock:
        if caller.token_id in _analyses_running:
            raise HTTPException(
                429,
                "one analysis at a time per token: wait for the one running to finish",
                headers={"Retry-After": "5"},
            )
        _analyses_running.add(caller.token_id)
    try:
        yield caller
    finally:
        with _analyses_lock:
            _analyses_running.discard(caller.token_id)


Analyst = Annotated[Caller, Depends(_one_analysis_at_a_time)]
