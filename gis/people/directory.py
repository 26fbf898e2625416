"""People: who may sign in, in which role and scope.

Made and changed by administrators through the CLI (``onemap people …``), which connects
as the database's owner; the service only reads them, to sign people in.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection

from gis.errors import OnemapError
from gis.people import passwords
from gis.tokens import Caller, department_named, grids_of

ROLES = ("admin", "staff", "department", "grid_member", "auditor", "planner")
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class PersonError(OnemapError):
    """A person that cannot be added or changed as asked."""


@dataclass(frozen=True)
class Person:
    """Someone who signs in: login, name, role, county and scope."""

    person_id: int
    login: str
    name: str
    role: str
    county_code: str
    grids: tuple[str, ...]
    department_id: int | None
    department_code: str | None

    def caller(self, *, session_id: int | None = None) -> Caller:
        """The caller this person is when signed in (``session_id``: by which session)."""
        return Caller(
            name=self.name,
            role=self.role,
            county_code=self.county_code,
            grids=self.grids,
            department_id=self.department_id,
            department_code=self.department_code,
            person_id=self.person_id,
            session_id=session_id,
        )


# A person's columns, in the order of Person, and the tables they come from (people as p);
# sessions join these to their own.
PERSON_COLUMNS = (
    "p.person_id, p.login, p.name, p.role, rtrim(p.county_code),"
    f" coalesce({grids_of('p.person_id')}, '{{}}'), p.department_id, d.department_code"
)
PEOPLE = "people AS p LEFT JOIN departments AS d ON d.department_id = p.department_id"


def person_of(row: Sequence[Any]) -> Person:
    """The Person of a row of :data:`PERSON_COLUMNS`."""
    person_id, login, name, role, county_code, grids, department_id, department_code = row
    return Person(
        person_id, login, name, role, county_code, tuple(grids), department_id, department_code
    )


def add(
    conn: psycopg.Connection,
    *,
    login: str,
    name: str,
    role: str,
    password: str,
    county_code: str = "450105",
    grids: tuple[str, ...] = (),
    department: str | None = None,
    created_by: str | None = None,
) -> int:
    """Add a person and return their id (the caller commits).

    A grid member names one or more grids of the county; a department handler, their
    department's code; nobody else names either."""
    if not _LOGIN.fullmatch(login):
        raise PersonError(
            f"login {login!r}: 2–40 lower-case letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    if role not in ROLES:
        raise PersonError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if (role == "grid_member") != bool(grids):
        raise PersonError("a grid member, and only a grid member, names their grids")
    if (role == "department") != (department is not None):
        raise PersonError("a department handler, and only they, name their department")
    if not 1 <= len(name) <= 50:
        raise PersonError("a name has 1 to 50 characters")
    if conn.execute("SELECT 1 FROM people WHERE login = %s", (login,)).fetchone():
        raise PersonError(f"login {login!r} is taken")
    department_id = None
    if department is not None:
        department_id = department_named(conn, county_code, department)
        if department_id is None:
            raise PersonError(f"no department {department!r} in county {county_code}")
    known = {
        code
        for (code,) in conn.execute(
            "SELECT rtrim(grid_code) FROM grids WHERE grid_code = ANY (%s)"
            " AND left(grid_code, 6) = %s",
            (list(grids), county_code),
        )
    }
    unknown = sorted(set(grids) - known)
    if unknown:
        raise PersonError(f"no grid {', '.join(unknown)} in county {county_code}")
    row = conn.execute(
        "INSERT INTO people (county_code, login, name, role, department_id, password_hash,"
        " created_by) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING person_id",
        (
            county_code,
            login,
            name,
            role,
            department_id,
            passwords.hash_password(password),
            created_by,
        ),
    ).fetchone()
    assert row is not None
    for grid_code in sorted(set(grids)):
        conn.execute(
            "INSERT INTO person_grids (person_id, county_code, grid_code) VALUES (%s, %s, %s)",
            (row[0], county_code, grid_code),
        )
    return int(row[0])


def find(conn: psycopg.Connection, login: str) -> Person:
    """The person with ``login``; PersonError when there is none."""
    row = conn.execute(
        f"SELECT {PERSON_COLUMNS} FROM {PEOPLE} WHERE p.login = %s", (login,)
    ).fetchone()
    if row is None:
        raise PersonError(f"no person with login {login!r}")
    return person_of(row)


def set_password(conn: psycopg.Connection, login: str, password: str) -> None:
    """Give ``login`` a new password; their open sessions end."""
    person = find(conn, login)
    conn.execute(
        "UPDATE people SET password_hash = %s WHERE person_id = %s",
        (passwords.hash_password(password), person.person_id),
    )
    conn.execute(
        "UPDATE sessions SET revoked_at = now(), revoked_by = 'password changed'"
        " WHERE person_id = %s AND revoked_at IS NULL",
        (person.person_id,),
    )


def disable(conn: psycopg.Connection, login: str, *, disabled_by: str | None = None) -> bool:
    """Stop ``login`` from signing in, and end their sessions and tokens; False when they
    were disabled already."""
    person = find(conn, login)
    cursor = conn.execute(
        "UPDATE people SET disabled_at = now(), disabled_by = %s"
        " WHERE person_id = %s AND disabled_at IS NULL",
        (disabled_by, person.person_id),
    )
    conn.execute(
        "UPDATE sessions SET revoked_at = now(), revoked_by = %s"
        " WHERE person_id = %s AND revoked_at IS NULL",
        (disabled_by, person.person_id),
    )
    conn.execute(
        "UPDATE api_tokens SET revoked_at = now(), revoked_by = %s"
        " WHERE person_id = %s AND revoked_at IS NULL",
        (disabled_by, person.person_id),
    )
    return cursor.rowcount == 1


def listing(conn: psycopg.Connection) -> list[dict[str, object]]:
    """Everyone, in order of login: role, scope, when made and by whom, whether disabled."""
    cursor = conn.execute(
        "SELECT p.login, p.name, p.role, rtrim(p.county_code),"
        f" coalesce(array_to_string({grids_of('p.person_id')}, ','), ''),"
        " coalesce(d.department_code, ''), p.created_at, p.created_by, p.disabled_at"
        f" FROM {PEOPLE} ORDER BY p.login"
    )
    keys = (
        "login",
        "name",
        "role",
        "county_code",
        "grids",
        "department",
        "created_at",
        "created_by",
        "disabled_at",
    )
    return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


async def authenticate(conn: AsyncConnection, login: str, password: str) -> Person | None:
    """The person whose login and password these are, None otherwise (unknown login, wrong
    password, disabled). Takes as long for an unknown login as for a wrong password."""
    cursor = await conn.execute(
        f"SELECT p.password_hash, p.disabled_at, {PERSON_COLUMNS} FROM {PEOPLE} WHERE p.login = %s",
        (login,),
    )
    row = await cursor.fetchone()
    # argon2 takes tens of milliseconds of CPU on purpose: off the event loop
    if row is None:
        await asyncio.to_thread(passwords.verify, passwords.UNKNOWN_LOGIN_HASH, password)
        return None
    if not await asyncio.to_thread(passwords.verify, row[0], password) or row[1] is not None:
        return None
    return person_of(row[2:])
