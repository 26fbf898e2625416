"""Idempotent reports: a repeated ``Idempotency-Key`` returns the first answer.

A phone on a weak network sends its report again when the answer does not arrive; the
second request must not create a second event. The key, a fingerprint of the request and
the answer are stored in the transaction that stores the event, so either both exist or
neither does. Requests with the same key are serialised by a transaction-level advisory
lock on the key: the second waits for the first to commit, then finds its answer. A key
sent again with a different request is refused (HTTP 422, as the IETF Idempotency-Key
draft recommends) and creates nothing.

Keys are scoped by caller (the token, or ``public`` for reports without one) and kept
for :data:`KEEP_HOURS`; :func:`prune` deletes older ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from gis.events.errors import InvalidEvent
from gis.events.stages import Actor

KEEP_HOURS = 72
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class StoredAnswer:
    request_sha256: str
    status_code: int
    response: dict[str, Any]
    event_id: int


def scope_of(actor: Actor) -> str:
    return f"token:{actor.token_id}" if actor.token_id is not None else actor.role


def check_key(key: str) -> str:
    """The key itself, or InvalidEvent when it is not 1–255 visible ASCII characters."""
    if not _KEY.fullmatch(key):
        raise InvalidEvent(
            "Idempotency-Key", "must be 1–255 visible ASCII characters (a UUID is a good key)"
        )
    return key


async def claim(conn: AsyncConnection, scope: str, key: str) -> StoredAnswer | None:
    """Lock the key for this transaction and return the answer stored under it, if any.
    Must run inside the transaction that will store the event."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 7004))", (f"{scope}\x1f{key}",)
    )
    cursor = await conn.execute(
        "SELECT request_sha256, status_code, response, event_id FROM idempotency_keys"
        " WHERE scope = %s AND idempotency_key = %s",
        (scope, key),
    )
    row = await cursor.fetchone()
    return None if row is None else StoredAnswer(row[0], int(row[1]), row[2], int(row[3]))


async def store(
    conn: AsyncConnection,
    scope: str,
    key: str,
    *,
    request_sha256: str,
    event_id: int,
    status_code: int,
    response: dict[str, Any],
) -> None:
    """Keep the answer under the key (in the caller's transaction)."""
    await conn.execute(
        "INSERT INTO idempotency_keys (scope, idempotency_key, county_code, request_sha256,"
        " event_id, status_code, response)"
        " SELECT %s, %s, county_code, %s, event_id, %s, %s FROM events WHERE event_id = %s",
        (scope, key, request_sha256, status_code, Jsonb(response), event_id),
    )


async def prune(conn: AsyncConnection, *, now: datetime, keep_hours: int = KEEP_HOURS) -> int:
    """Delete keys older than ``keep_hours`` before ``now``; returns how many."""
    cursor = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < %s",
        (now - timedelta(hours=keep_hours),),
    )
    return cursor.rowcount
