"""API tokens: who may call what.

A token is a random secret handed out once; the database keeps only its SHA-256, so a
leaked table grants nothing. Each token carries a role (admin, staff, department,
grid_member, auditor, planner, open311) and its scope: a grid member's grid, a department
handler's department, a patrol team's team (role ``team``: a phone or logger that uploads
the team's tracks, gis.patrols). A token may belong to a person (gis.people), whose grids
it then serves. It expires (90 days unless asked otherwise), and records who made it, who revoked
it and when it was last used.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from psycopg import AsyncConnection

from gis.errors import OnemapError

ROLES = (
    "admin",
    "staff",
    "department",
    "grid_member",
    "auditor",
    "planner",
    "open311",
    "team",
)
DEFAULT_DAYS = 90  # a token's life unless asked otherwise
MAX_DAYS = 3650


class TokenError(OnemapError):
    """A token that is missing, unknown or revoked, or lacks the role asked for."""


@dataclass(frozen=True)
class Caller:
    """Who calls with a valid token or session: name, role, county and scope (a grid
    member's grids, a department handler's department, a team token's patrol team), and
    what identified them."""

    name: str
    role: str
    county_code: str
    grids: tuple[str, ...] = ()
    department_id: int | None = None
    department_code: str | None = None
    token_id: int | None = None
    person_id: int | None = None
    session_id: int | None = None
    team_id: int | None = None

    @property
    def key(self) -> str:
        """One caller's key among many: the person's, else the token's."""
        return f"person:{self.person_id}" if self.person_id else f"token:{self.token_id}"


def grids_of(person_id: str) -> str:
    """SQL: the grids a person serves, as an array sorted by code (NULL when none), for
    the person whose id the SQL expression ``person_id`` gives."""
    return (
        "(SELECT array_agg(rtrim(g.grid_code) ORDER BY g.grid_code)"
        f" FROM person_grids AS g WHERE g.person_id = {person_id})"
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def department_named(conn: psycopg.Connection, county_code: str, code: str) -> int | None:
    """The id of the county's department ``code`` (a handler's scope), None if none."""
    row = conn.execute(
        "SELECT department_id FROM departments WHERE county_code = %s AND department_code = %s",
        (county_code, code),
    ).fetchone()
    return None if row is None else int(row[0])


def create(
    conn: psycopg.Connection,
    *,
    name: str,
    role: str,
    county_code: str = "450105",
    grid_code: str | None = None,
    department: str | None = None,
    person_id: int | None = None,
    team: str | None = None,
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
    grid_code : a grid member's grid (a person's token serves the person's grids).
    department : a department handler's department code.
    person_id : the person the token belongs to, whose role it must have.
    team : a team token's patrol team code (in ``county_code``).
    days : it expires this many days from now (1 to MAX_DAYS).
    created_by : who made it (recorded).

    Returns
    -------
    The secret, ``om_…``; only its SHA-256 is stored.
    """
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "grid_member" and not grid_code and person_id is None:
        raise TokenError("a grid member's token needs the grid code")
    if (role == "department") != (department is not None):
        raise TokenError("a department handler's token, and only theirs, names the department")
    if (role == "team") != (team is not None):
        raise TokenError("a team token, and only a team token, names its patrol team")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"days must be 1 to {MAX_DAYS}, not {days}")
    department_id = None
    if department is not None:
        department_id = department_named(conn, county_code, department)
        if department_id is None:
            raise TokenError(f"no department {department!r} in county {county_code}")
    team_id = None
    if team is not None:
        row = conn.execute(
            "SELECT team_id FROM patrol_teams WHERE county_code = %s AND team_code = %s"
            " AND disabled_at IS NULL",
            (county_code, team),
        ).fetchone()
        if row is None:
            raise TokenError(f"no patrol team {team!r} in county {county_code}")
        team_id = int(row[0])
    token = "om_" + secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO api_tokens (county_code, token_sha256, name, role, grid_code,"
        " department_id, person_id, team_id, expires_at, created_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now() + %s, %s)",
        (
            county_code,
            _digest(token),
            name,
            role,
            grid_code,
            department_id,
            person_id,
            team_id,
            timedelta(days=days),
            created_by,
        ),
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
    """The caller a token stands for, or TokenError (unknown, revoked or expired, or its
    person disabled). Its ``last_used_at`` is brought up to date, at most once a minute."""
    cursor = await conn.execute(
        f"""
        SELECT t.token_id, t.name, t.role, rtrim(t.county_code),
               coalesce({grids_of("t.person_id")},
                        array_remove(ARRAY[rtrim(t.grid_code)], NULL)),
               t.department_id, d.department_code, t.person_id,
               t.expires_at <= now(), t.expires_at,
               p.disabled_at IS NOT NULL OR pt.disabled_at IS NOT NULL, t.team_id
        FROM api_tokens AS t
        LEFT JOIN patrol_teams AS pt ON pt.team_id = t.team_id
        LEFT JOIN departments AS d ON d.department_id = t.department_id
        LEFT JOIN people AS p ON p.person_id = t.person_id
        WHERE t.token_sha256 = %s AND t.revoked_at IS NULL
        """,
        (_digest(token),),
    )
    row = await cursor.fetchone()
    if row is None:
        raise TokenError("unknown or revoked token")
    token_id, name, role, county, grids, department_id, department_code, person_id = row[:8]
    expired, expires_at, disabled, team_id = row[8:]
    if expired:
        raise TokenError(f"token expired at {expires_at:%Y-%m-%d %H:%M %Z}; ask for a new one")
    if disabled:
        raise TokenError("the token's holder may no longer sign in")
    await conn.execute(
        "UPDATE api_tokens SET last_used_at = now() WHERE token_id = %s"
        " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        (token_id,),
    )
    return Caller(
        name=name,
        role=role,
        county_code=county,
        grids=tuple(grids),
        department_id=department_id,
        department_code=department_code,
        token_id=token_id,
        person_id=person_id,
        team_id=team_id,
    )
