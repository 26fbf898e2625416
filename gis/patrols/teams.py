"""Patrol teams: who walks (volunteers, police, couriers, grid members, backing units), who
is in each team and which grids it serves.

Made by administrators with the CLI (``onemap patrols teams …``), which connects as the
database's owner; the service only reads teams (migration 0014 revokes its writes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from gis.errors import OnemapError
from gis.vocabulary import TEAM_KINDS

KINDS = TEAM_KINDS.values()
_TEAM_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")


class TeamError(OnemapError):
    """A team that cannot be made, found or changed as asked."""


@dataclass(frozen=True)
class Team:
    """A patrol team: its id, county, code, name, kind and the grids it serves."""

    team_id: int
    county_code: str
    team_code: str
    name: str
    kind: str
    grids: tuple[str, ...]
    members: int
    disabled: bool


_COLUMNS = """
    t.team_id, rtrim(t.county_code), t.team_code, t.name, t.kind,
    coalesce((SELECT array_agg(rtrim(g.grid_code) ORDER BY g.grid_code)
              FROM patrol_team_grids AS g WHERE g.team_id = t.team_id), '{}'),
    (SELECT count(*) FROM patrol_team_members AS m WHERE m.team_id = t.team_id)::integer,
    t.disabled_at IS NOT NULL
"""


def _team(row: Sequence[Any]) -> Team:
    team_id, county, code, name, kind, grids, members, disabled = row
    return Team(team_id, county, code, name, kind, tuple(grids), members, disabled)


def create_team(
    conn: psycopg.Connection,
    *,
    county_code: str,
    team_code: str,
    name: str,
    kind: str,
    created_by: str,
    grids: Sequence[str] = (),
) -> Team:
    """A new team serving ``grids`` (which must be grids of its county)."""
    if not _TEAM_CODE.match(team_code):
        raise TeamError(
            f"team code {team_code!r}: 2–40 lower-case letters, digits, '-' or '_',"
            " starting with a letter or digit"
        )
    if kind not in KINDS:
        raise TeamError(f"team kind {kind!r}: one of {', '.join(KINDS)}")
    if not name.strip():
        raise TeamError(f"team {team_code}: a name is needed")
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO patrol_teams (county_code, team_code, name, kind, created_by)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (county_code, team_code) DO NOTHING"
            " RETURNING team_id",
            (county_code, team_code, name.strip(), kind, created_by),
        ).fetchone()
        if row is None:
            raise TeamError(f"team {team_code} already exists in county {county_code}")
        serve_grids(conn, team_code, grids, county_code=county_code)
    return team_named(conn, team_code, county_code=county_code)


def serve_grids(
    conn: psycopg.Connection, team_code: str, grids: Sequence[str], *, county_code: str
) -> None:
    """Add ``grids`` to those the team serves; unknown grids or grids of another county
    are refused, naming them."""
    if not grids:
        return
    team = team_named(conn, team_code, county_code=county_code)
    known = {
        code
        for (code,) in conn.execute(
            "SELECT rtrim(grid_code) FROM grids WHERE grid_code = ANY(%s) AND county_code = %s",
            (list(grids), county_code),
        )
    }
    unknown = sorted(set(grids) - known)
    if unknown:
        raise TeamError(f"no grid {', '.join(unknown)} in county {county_code}")
    conn.execute(
        "INSERT INTO patrol_team_grids (team_id, county_code, grid_code)"
        " SELECT %s, %s, g FROM unnest(%s::text[]) AS g ON CONFLICT DO NOTHING",
        (team.team_id, county_code, sorted(known)),
    )


def add_member(
    conn: psycopg.Connection,
    team_code: str,
    *,
    county_code: str,
    login: str | None = None,
    name: str | None = None,
) -> None:
    """Add a member: a person who signs in (``login``), or just a name (most volunteers
    have no account)."""
    team = team_named(conn, team_code, county_code=county_code)
    if login:
        row = conn.execute(
            "SELECT person_id, name FROM people WHERE login = %s AND county_code = %s",
            (login, county_code),
        ).fetchone()
        if row is None:
            raise TeamError(f"no person signs in as {login!r} in county {county_code}")
        person_id, person_name = row
        conn.execute(
            "INSERT INTO patrol_team_members (team_id, county_code, person_id, name)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (team_id, person_id) DO NOTHING",
            (team.team_id, county_code, person_id, name or person_name),
        )
    elif name and name.strip():
        conn.execute(
            "INSERT INTO patrol_team_members (team_id, county_code, name) VALUES (%s, %s, %s)",
            (team.team_id, county_code, name.strip()),
        )
    else:
        raise TeamError("a member is a login or a name")


def team_named(conn: psycopg.Connection, team_code: str, *, county_code: str) -> Team:
    """The team of that code in the county, or TeamError naming it."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM patrol_teams AS t WHERE t.team_code = %s AND t.county_code = %s",
        (team_code, county_code),
    ).fetchone()
    if row is None:
        raise TeamError(f"no patrol team {team_code!r} in county {county_code}")
    return _team(row)


def teams(conn: psycopg.Connection, *, county_code: str, disabled: bool = False) -> list[Team]:
    """The teams of the county that may upload (``disabled``: every team), by code."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM patrol_teams AS t WHERE t.county_code = %s"
        " AND (%s OR t.disabled_at IS NULL) ORDER BY t.team_code",
        (county_code, disabled),
    ).fetchall()
    return [_team(r) for r in rows]
