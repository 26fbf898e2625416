"""Telling PostgreSQL who is calling, for the row-level security of the service's role.

The service connects as ``onemap_service`` (migration 0013), which is subject to the
policies of sql/functions/access_policies.sql. They read the caller from settings of the
connection: :func:`apply` writes them once a caller is known; a pooled connection given
back is cleared by :func:`forget`, so that the next request on it starts as the public.
Only connections that were given a caller are cleared (a reporter's report costs no extra
round trip).
"""

from __future__ import annotations

import hashlib
from weakref import WeakSet

from psycopg import AsyncConnection

from gis.tokens import Caller

SETTINGS = (
    "onemap.role",
    "onemap.county",
    "onemap.grids",
    "onemap.department_id",
    "onemap.team_id",
    "onemap.person_id",
    "onemap.reporter_key_sha256",
)
_scoped: WeakSet[AsyncConnection] = WeakSet()


async def _set(conn: AsyncConnection, **values: str) -> None:
    """Every setting, those not given empty."""
    given = tuple(values.get(name.removeprefix("onemap."), "") for name in SETTINGS)
    await conn.execute(
        "SELECT " + ", ".join(f"set_config('{name}', %s, false)" for name in SETTINGS),
        given,
    )


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


async def apply(conn: AsyncConnection, caller: Caller) -> None:
    """The connection acts for ``caller`` until :func:`forget`."""
    _scoped.add(conn)
    await _set(
        conn,
        role=caller.role,
        county=caller.county_code,
        grids=",".join(caller.grids),
        department_id=_text(caller.department_id),
        team_id=_text(caller.team_id),
        person_id=_text(caller.person_id),
    )


async def apply_reporter(conn: AsyncConnection, reporter_key: str) -> None:
    """The connection acts for whoever holds ``reporter_key``: the database lets it change
    only the event whose key that is."""
    _scoped.add(conn)
    digest = hashlib.sha256(reporter_key.encode()).hexdigest()
    await _set(conn, role="reporter", reporter_key_sha256=digest)


async def apply_system(conn: AsyncConnection) -> None:
    """The connection acts for onemap itself (the sweeps)."""
    _scoped.add(conn)
    await _set(conn, role="system")


async def forget(conn: AsyncConnection) -> None:
    """Back to the anonymous public, if the connection was given a caller."""
    if conn in _scoped:
        _scoped.discard(conn)
        await _set(conn)
