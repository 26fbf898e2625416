"""Sessions: what a page's cookie stands for once a person has signed in.

The cookie holds a random secret; the database keeps only its SHA-256. A session lasts
:data:`SESSION_HOURS` from sign-in whatever happens, and ends earlier when the person
signs out, changes their password or is disabled.
"""

from __future__ import annotations

import hashlib
import secrets

from psycopg import AsyncConnection

from gis.errors import OnemapError
from gis.people import directory
from gis.people.directory import Person
from gis.tokens import Caller

SESSION_HOURS = 12


class SessionError(OnemapError):
    """A session cookie that is unknown, ended or expired."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def open_session(conn: AsyncConnection, person: Person, *, address: str | None) -> str:
    """Open a session for ``person`` and return its secret (for the cookie)."""
    secret = "os_" + secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO sessions (person_id, county_code, secret_sha256, expires_at, address)"
        " VALUES (%s, %s, %s, now() + make_interval(hours => %s), %s)",
        (person.person_id, person.county_code, _digest(secret), SESSION_HOURS, address),
    )
    return secret


async def identify(conn: AsyncConnection, secret: str) -> Caller:
    """The signed-in person a session cookie stands for, or SessionError."""
    cursor = await conn.execute(
        f"SELECT s.session_id, s.expires_at <= now(), {directory.PERSON_COLUMNS}"
        f" FROM sessions AS s JOIN ({directory.PEOPLE}) ON p.person_id = s.person_id"
        " WHERE s.secret_sha256 = %s AND s.revoked_at IS NULL AND p.disabled_at IS NULL",
        (_digest(secret),),
    )
    row = await cursor.fetchone()
    if row is None:
        raise SessionError("unknown or ended session: sign in again")
    session_id, expired = row[:2]
    if expired:
        raise SessionError("the session has expired: sign in again")
    await conn.execute(
        "UPDATE sessions SET last_used_at = now() WHERE session_id = %s"
        " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        (session_id,),
    )
    return directory.person_of(row[2:]).caller(session_id=session_id)


async def close(conn: AsyncConnection, session_id: int, *, closed_by: str) -> None:
    """End a session (signing out)."""
    await conn.execute(
        "UPDATE sessions SET revoked_at = now(), revoked_by = %s"
        " WHERE session_id = %s AND revoked_at IS NULL",
        (closed_by, session_id),
    )
