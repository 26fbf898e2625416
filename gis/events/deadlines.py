"""Deadlines and escalation 超期督办.

Dispatch sets ``deadline_at`` = dispatch time + the rule's ``deadline_hours``. An event not
handled by then is overdue: it is flagged (``overdue``) and escalated one level, from the
community station 社区站 (level 0) to the subdistrict sub-centre 街道分中心 (1); if it is
still not handled another ``deadline_hours`` later, to the district centre 城区中心 (2).
Handling after the deadline flags the event overdue too (the ``handle`` and ``settle``
transitions), so the flag is right even where no sweep ran.

:func:`escalate_overdue` is the sweep: a scheduler or ``onemap events escalate`` calls it;
tests pass a fixed ``now``. The level owed is computed from the time elapsed, so a late
sweep catches up and a repeated sweep changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection

from gis.events.stages import BEFORE_HANDLED, CENTRES
from gis.sql import query


@dataclass(frozen=True)
class Escalation:
    """An event escalated because it was not handled by its deadline: from one supervising level
    to the next (0 community station, 1 subdistrict sub-centre, 2 district centre)."""

    event_id: int
    tracking_number: str
    status: str
    from_level: int
    to_level: int
    deadline_at: datetime
    grid_code: str | None

    @property
    def supervised_by(self) -> str:
        """The centre now supervising the event (社区站, 街道分中心 or 城区中心)."""
        return CENTRES[self.to_level]


async def escalate_overdue(conn: AsyncConnection, *, now: datetime) -> list[Escalation]:
    """Flag and escalate every event not handled by its deadline, as of ``now``.

    Parameters
    ----------
    conn : an async psycopg connection; the sweep commits on return (or, inside a
        transaction the caller opened, leaves a released savepoint in it).
    now : the instant to judge deadlines by (timezone-aware).

    Returns
    -------
    The escalations made, by event id; each also has a history row (``escalate``, actor
    ``system``) and so a notification on the live channel.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    async with conn.transaction():
        cursor = await conn.execute(
            query("events/escalate"),
            {"now": now, "before_handled": list(BEFORE_HANDLED), "centres": list(CENTRES)},
        )
        rows = await cursor.fetchall()
    return [Escalation(*row) for row in rows]
