"""The admin log: every change that is not an event transition, and every read of
personal data by staff — who, what, when, from where. Append-only: the service's
database role may insert and read it, never change it (migration 0013), and a trigger
refuses UPDATE and DELETE from anyone (sql/functions/admin_log_append_only.sql).

Actions are named ``thing.verb``: ``import``, ``token.create``, ``token.revoke``,
``person.add``, ``person.disable``, ``person.password``, ``session.open``,
``session.close``, ``session.refused``, ``event.hide``, ``event.show``, ``event.redact``,
``personal_data.read``, ``grids.redraw``, ``team.add``, ``team.member``.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from gis.tokens import Caller

_INSERT = (
    "INSERT INTO admin_log (county_code, actor, actor_role, person_id, token_id, action,"
    " target, detail, address) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
PAGE = 100


def _row(
    caller: Caller | None,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None,
    address: str | None,
    actor: str | None,
) -> tuple[Any, ...]:
    return (
        caller.county_code if caller else None,
        actor or (caller.name if caller else "anonymous"),
        caller.role if caller else "public",
        caller.person_id if caller else None,
        caller.token_id if caller else None,
        action,
        target,
        Jsonb(detail or {}),
        address,
    )


async def record(
    conn: AsyncConnection,
    caller: Caller | None,
    action: str,
    *,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    address: str | None = None,
) -> None:
    """Log what ``caller`` (None: someone not signed in) did over HTTP."""
    await conn.execute(_INSERT, _row(caller, action, target, detail, address, None))


def record_command(
    conn: psycopg.Connection,
    action: str,
    *,
    actor: str,
    county_code: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Log what someone did at the server's command line (``actor``: the OS user)."""
    conn.execute(
        _INSERT,
        (county_code, actor, "command", None, None, action, target, Jsonb(detail or {}), None),
    )


async def page(
    conn: AsyncConnection,
    *,
    county_code: str,
    action: str | None = None,
    limit: int = PAGE,
    before: int | None = None,
) -> list[dict[str, Any]]:
    """Entries of a county (and the command line's), newest first; ``before`` an
    entry id pages back."""
    cursor = await conn.execute(
        "SELECT entry_id, at, actor, actor_role, person_id, token_id, action, target,"
        " detail, host(address) FROM admin_log"
        " WHERE (county_code = %s OR county_code IS NULL)"
        " AND (%s::text IS NULL OR action = %s OR action LIKE %s || '.%%')"
        " AND (%s::bigint IS NULL OR entry_id < %s)"
        " ORDER BY entry_id DESC LIMIT %s",
        (county_code, action, action, action, before, before, limit),
    )
    keys = (
        "entry_id",
        "at",
        "actor",
        "actor_role",
        "person_id",
        "token_id",
        "action",
        "target",
        "detail",
        "address",
    )
    return [dict(zip(keys, row, strict=True)) for row in await cursor.fetchall()]
