"""The sweeps nobody should have to remember, run by `onemap serve` itself.

Every ``maintenance_interval_s`` (60 s by default; 0 turns it off), one server process,
whichever takes the PostgreSQL advisory lock first, escalates the events not handled by
their deadline (as ``onemap events escalate`` does), counts the patrol tracks stored since
the last sweep into the buildings, streets and cells patrolled (as ``onemap patrols
refresh`` does) and deletes idempotency keys past their keeping time and the rate-limit
counters of past minutes. The lock is a session
lock on one pooled connection, held only for the sweep, so with several workers or
several machines on one database the sweep runs once per interval, not once per process.
A database that cannot be reached is tried again at the next interval.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import psycopg
from psycopg_pool import AsyncConnectionPool

from gis import rate_limits
from gis.events import idempotency
from gis.events.deadlines import escalate_overdue
from gis.people import scope

# pg_try_advisory_lock key: "onemap maintenance" (any fixed bigint no other lock uses)
LOCK_KEY = 0x6F6E656D6170_01
log = logging.getLogger("onemap.maintenance")


async def sweep(pool: AsyncConnectionPool) -> tuple[int, int, int] | None:
    """One sweep if this process gets the lock: (events escalated, keys deleted, patrol
    tracks counted); None when another process holds it."""
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
        row = await cursor.fetchone()
        if not (row and row[0]):
            return None
        try:
            # onemap itself acts: row-level security lets it escalate any county's events
            await scope.apply_system(conn)
            now = datetime.now(UTC)
            escalated = await escalate_overdue(conn, now=now)
            pruned = await idempotency.prune(conn, now=now)
            await rate_limits.prune(conn)
            async with conn.transaction():
                cursor = await conn.execute("SELECT tracks FROM refresh_patrol_coverage()")
                counted = await cursor.fetchone()
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return len(escalated), pruned, counted[0] if counted else 0


async def run_forever(pool: AsyncConnectionPool, interval_s: float) -> None:
    """Sweep every ``interval_s`` until cancelled."""
    while True:
        try:
            done = await sweep(pool)
            if done and any(done):
                log.info(
                    "escalated %d event(s), deleted %d idempotency key(s),"
                    " counted %d patrol track(s)",
                    *done,
                )
        except psycopg.Error as error:
            log.warning("maintenance sweep skipped: %s", error)
        await asyncio.sleep(interval_s)
