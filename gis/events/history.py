"""The history of an event: one appended row per transition, never changed.

Each row says what was done (``action``), from which stage to which, by whom (``actor``,
``actor_role``, ``token_id``, ``person_id``), when (``at``), why (``note``: internal, or
for the public when ``note_public``) and what was decided
(``details``: department, rule, deadline, rating, duplicate, escalation levels). The table
refuses UPDATE and DELETE (gis/events/sql/functions/event_history_append_only.sql).

Every insert also sends a notification on :data:`CHANNEL` when its transaction commits
(a statement-level trigger, gis/events/sql/functions/event_history_notify.sql): a JSON
array of public summaries, one per row appended, at most 15 per notification:
history_id, event_id, tracking_number, county_code, action, from_status, to_status,
actor_role, at, category_code, grid/community/subdistrict codes, escalation_level, lon,
lat. A live feed LISTENs on it; a bulk load may ``SET LOCAL onemap.notify = 'off'``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from gis.events.stages import Actor

CHANNEL = "onemap_events"
MAX_NOTE = 2000


async def append(
    conn: AsyncConnection,
    event_id: int,
    *,
    action: str,
    from_status: str | None,
    to_status: str,
    actor: Actor,
    at: datetime | None = None,
    note: str = "",
    note_public: bool = False,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one transition to the history and return its ``history_id``.

    ``at`` None means the transaction's clock (``now()``), the same instant every
    statement of the transaction sees. A note is internal unless ``note_public``.
    """
    cursor = await conn.execute(
        "INSERT INTO event_history (event_id, county_code, action, from_status, to_status,"
        " actor, actor_role, token_id, person_id, at, note, note_public, details)"
        " SELECT event_id, county_code, %(action)s, %(from_status)s, %(to_status)s,"
        " %(actor)s, %(role)s, %(token_id)s, %(person_id)s,"
        " coalesce(%(at)s::timestamptz, now()), %(note)s, %(note_public)s, %(details)s"
        " FROM events WHERE event_id = %(event_id)s"
        " RETURNING history_id",
        {
            "event_id": event_id,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "actor": actor.name,
            "role": actor.role,
            "token_id": actor.token_id,
            "person_id": actor.person_id,
            "at": at,
            "note": note,
            "note_public": note_public,
            "details": Jsonb(details or {}),
        },
    )
    row = await cursor.fetchone()
    assert row is not None, f"event {event_id} vanished inside its own transaction"
    return int(row[0])


async def entries(conn: AsyncConnection, event_id: int) -> list[dict[str, Any]]:
    """The event's history, oldest first, with every column (for staff and tests)."""
    cursor = await conn.execute(
        "SELECT history_id, action, from_status, to_status, actor, actor_role, token_id, at,"
        " note, note_public, details FROM event_history WHERE event_id = %s ORDER BY history_id",
        (event_id,),
    )
    names = [column.name for column in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]
