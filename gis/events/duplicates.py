"""Likely duplicates: the same matter reported twice.

A new report of the same category within 50 m and 72 hours after an open event (not yet
closed: reported … handled) is linked to it as a likely duplicate on intake
(``events.duplicate_of``) and held for staff instead of being dispatched a second time.
Staff then merge it (the ``merge`` transition: status duplicate) or dispatch it as an
event of its own (which drops the link). Distance is measured on the spheroid with
ST_DWithin on geography, which the expression index ``events_geog_idx`` serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import AsyncConnection

from gis.events.sqlfiles import query_text
from gis.events.stages import OPEN

RADIUS_M = 50.0
WINDOW_H = 72


@dataclass(frozen=True)
class LikelyDuplicate:
    event_id: int
    tracking_number: str
    metres: float


async def likely_duplicate(
    conn: AsyncConnection,
    event_id: int,
    *,
    radius_m: float = RADIUS_M,
    window_h: int = WINDOW_H,
) -> LikelyDuplicate | None:
    """The open event a stored report most likely repeats, or None.

    Parameters
    ----------
    event_id : the new report (already stored, so its point and time are in the table).
    radius_m : how far apart two reports of one matter may be, in metres.
    window_h : how much earlier the other report may have come, in hours.
    """
    cursor = await conn.execute(
        query_text("duplicate"),
        {"event_id": event_id, "metres": radius_m, "hours": window_h, "open": list(OPEN)},
    )
    row = await cursor.fetchone()
    return None if row is None else LikelyDuplicate(int(row[0]), row[1], float(row[2]))
