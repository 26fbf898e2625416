"""Rate limits every server process shares: counters per bucket (``report:<address>``,
``sign_in:<address>``, ``sign_in:<login>``) and minute, in the unlogged table
``rate_limit_hits`` (migration 0013). A fixed window: at most ``per_minute`` hits in each
calendar minute, one round trip per hit. The maintenance sweep deletes past minutes.
"""

from __future__ import annotations

import math

from psycopg import AsyncConnection

KEEP_MINUTES = 2


async def hit(conn: AsyncConnection, bucket: str, per_minute: int) -> int | None:
    """Count one hit in ``bucket``; None when it is within the limit, else the seconds
    until the next minute begins (for Retry-After)."""
    cursor = await conn.execute(
        "INSERT INTO rate_limit_hits AS r (bucket, window_start, hits)"
        " VALUES (%s, date_trunc('minute', clock_timestamp()), 1)"
        " ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1"
        " RETURNING r.hits, extract(epoch FROM r.window_start + interval '1 minute'"
        " - clock_timestamp())",
        (bucket,),
    )
    row = await cursor.fetchone()
    assert row is not None
    hits, seconds_left = row
    if hits <= per_minute:
        return None
    return max(1, math.ceil(float(seconds_left)))


async def prune(conn: AsyncConnection) -> int:
    """Delete the counters of past minutes; returns how many."""
    cursor = await conn.execute(
        "DELETE FROM rate_limit_hits WHERE window_start"
        " < date_trunc('minute', clock_timestamp()) - make_interval(mins => %s)",
        (KEEP_MINUTES,),
    )
    return cursor.rowcount
