"""API tokens: who may call what.

A token is a random secret handed out once; the database keeps only its SHA-256, so a
leaked table grants nothing. Each token carries a role (admin, staff, grid_member,
auditor, open311) and, for grid members, their grid. It expires (90 days unless asked
otherwise), and records who made it, who revoked it and when it was last used.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from psycopg import AsyncConnection

from gis.errors import OnemapError

ROLES = ("admin", "staff", "grid_member", "auditor", "open311")
DEFAULT_DAYS = 90  # a token's life unless asked otherwise
MAX_DAYS = 3650


class TokenError(OnemapError):
    """A token that is missing, unknown or revoked, or lacks the role asked for."""


@dataclass(frozen=True)
class Caller:
    """Who holds a valid token: its id, name, role, county and (grid members) grid."""

    token_id: int
    name: str
    role: str
    county_code: str
    grid_code: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    conn: psycopg.Connection,
    *,
    name: str,
    role: str,
    county_code: str = "450105",
    grid_code: str | None = None,
    days: int = DEFAULT_DAYS,
    created_by: str | None = None,
) -> str:
    """Create a token and return it: the only time the secret is seen.

    Parameters
    ----------
    conn : a psycopg connection (the caller commits).
    name : who or what the token is for.
    role : one of ROLES.
    county_code : the county it acts in.
    grid_code : a grid member's grid.
    days : it expires this many days from now (1 to MAX_DAYS).
    created_by : who made it (recorded).

    Returns
    -------
    The secret, ``om_…``; only its SHA-256 is stored.
    """
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "grid_member" and not grid_code:
        raise TokenError("a grid member's token needs the grid code")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"days must be 1 to {MAX_DAYS}, not {days}")
    token = "om_" + secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO api_tokens (county_code, token_sha256, name, role, grid_code,"
        " expires_at, created_by) VALUES (%s, %s, %s, %s, %s, now() + %s, %s)",
        (county_code, _digest(token), name, role, grid_code, timedelta(days=days), created_by),
    )
    return token


def revoke(conn: psycopg.Connection, token_id: int, *, revoked_by: str | None = None) -> bool:
    """Revoke token ``token_id``; False when there is no such token or it was revoked already."""
    cursor = conn.execute(
        "UPDATE api_tokens SET revoked_at = now(), revoked_by = %s"
        " WHERE token_id = %s AND revoked_at IS NULL",
        (revoked_by, token_id),
    )
    return cursor.rowcount == 1


def listing(conn: psycopg.Connection) -> list[dict[str, object]]:
    """Every token, oldest first, without secrets: id, name, role, grid, created and revoked
    times."""
    cursor = conn.execute(
        "SELECT token_id, name, role, rtrim(grid_code), created_at, created_by, expires_at,"
        " last_used_at, revoked_at, revoked_by FROM api_tokens ORDER BY token_id"
    )
    keys = (
        "token_id",
        "name",
        "role",
        "grid_code",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )
    return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


async def identify(conn: AsyncConnection, token: str) -> Caller:
    """The caller a token stands for, or TokenError (unknown, revoked or expired). Its
    ``last_used_at`` is brought up to date, at most once a minute."""
    cursor = await conn.execute(
        "SELECT token_id, name, role, county_code, rtrim(grid_code), expires_at <= now(),"
        " expires_at FROM api_tokens WHERE token_sha256 = %s AND revoked_at IS NULL",
        (_digest(token),),
    )
    row = await cursor.fetchone()
    if row is None:
        raise TokenError("unknown or revoked token")
    if row[5]:
        raise TokenError(f"token expired at {row[6]:%Y-%m-%d %H:%M %Z}; ask for a new one")
    await conn.execute(
        "UPDATE api_tokens SET last_used_at = now() WHERE token_id = %s"
        " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        (row[0],),
    )
    return Caller(*row[:5])
