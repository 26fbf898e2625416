"""Signing in and out, who am I, and the admin log.

- ``POST /api/v1/session``: ``{login, password}`` → the person, and a session cookie
  (HttpOnly, SameSite=Strict, Secure over HTTPS) for onemap's pages; 401 for a wrong
  login or password (the same answer for both), 429 after too many attempts a minute
  from one address or for one login.
- ``GET /api/v1/session``: who the token or cookie stands for.
- ``DELETE /api/v1/session``: sign out (the session ends at once).
- ``GET /api/v1/admin-log``: the admin log, newest first (administrators and auditors).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.deps import SESSION_COOKIE, Connection, LogReader, client_address, identify_caller
from app.problems import problem_responses
from gis import rate_limits
from gis.people import admin_log, directory, sessions
from gis.tokens import Caller

# Every route reads the database, which may be out of reach (503).
router = APIRouter(prefix="/api/v1", tags=["people"], responses=problem_responses(503))

# Attempts a minute to sign in, from one address and for one login: enough for a person
# who mistypes, far too few to guess a password.
SIGN_INS_PER_MINUTE = 10


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,39}$")
    password: str = Field(min_length=1, max_length=200)


def _whoami(caller: Caller) -> dict[str, Any]:
    return {
        "name": caller.name,
        "role": caller.role,
        "county_code": caller.county_code,
        "grids": list(caller.grids),
        "department_code": caller.department_code,
        "signed_in_with": "session" if caller.session_id else "token",
    }


@router.post(
    "/session", response_class=JSONResponse, responses=problem_responses(401, 413, 422, 429)
)
async def sign_in(body: SignIn, request: Request, conn: Connection) -> JSONResponse:
    """Sign in with login and password; the answer sets the session cookie."""
    address = client_address(request)
    buckets = [f"sign_in:{body.login}"] + ([f"sign_in:{address}"] if address else [])
    for bucket in buckets:
        wait = await rate_limits.hit(conn, bucket, SIGN_INS_PER_MINUTE)
        if wait is not None:
            raise HTTPException(
                429,
                f"too many attempts to sign in; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
    person = await directory.authenticate(conn, body.login, body.password)
    if person is None:
        await admin_log.record(conn, None, "session.refused", target=body.login, address=address)
        raise HTTPException(401, "wrong login or password")
    secret = await sessions.open_session(conn, person, address=address)
    caller = await sessions.identify(conn, secret)
    await admin_log.record(conn, caller, "session.open", target=person.login, address=address)
    answer = JSONResponse(_whoami(caller))
    answer.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=sessions.SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return answer


@router.get("/session", response_class=JSONResponse, responses=problem_responses(401))
async def whoami(request: Request, conn: Connection) -> JSONResponse:
    """Who the bearer token or session cookie stands for; 401 for neither."""
    caller = await identify_caller(request, conn)
    if caller is None:
        raise HTTPException(401, "not signed in", headers={"WWW-Authenticate": "Bearer"})
    return JSONResponse(_whoami(caller))


@router.delete("/session", status_code=204, responses=problem_responses(401, 403))
async def sign_out(request: Request, conn: Connection) -> Response:
    """End the cookie's session (a token is revoked with `onemap tokens revoke`)."""
    caller = await identify_caller(request, conn)
    if caller is None or caller.session_id is None:
        raise HTTPException(401, "not signed in with a session")
    await sessions.close(conn, caller.session_id, closed_by=caller.name)
    await admin_log.record(
        conn,
        caller,
        "session.close",
        target=str(caller.session_id),
        address=client_address(request),
    )
    answer = Response(status_code=204)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.get("/admin-log", response_class=JSONResponse, responses=problem_responses(400, 401, 403))
async def admin_log_page(
    caller: LogReader,
    conn: Connection,
    action: Annotated[
        str | None, Query(pattern=r"^[a-z_]+(\.[a-z_]+)?$", description="e.g. event or event.hide")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = admin_log.PAGE,
    before: Annotated[int | None, Query(ge=1, description="entries before this id")] = None,
) -> JSONResponse:
    """The admin log of the caller's county (and the command line's), newest first."""
    entries = await admin_log.page(
        conn, county_code=caller.county_code, action=action, limit=limit, before=before
    )
    return JSONResponse(jsonable_encoder({"entries": entries}))
