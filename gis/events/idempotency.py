"""Idempotent reports: a repeated ``Idempotency-Key`` returns the first answer.

A phone on a weak network sends its report again when the answer does not arrive; the
second request must not create a second event. The key, a fingerprint of the request and
the answer are stored in the statement that stores the event (the database function
``intake_event``, gis/events/sql/functions/intake_event.sql), so either both exist or
neither does. Requests with the same key are serialised there by a transaction-level
advisory lock on the key: the second waits for the first to commit, then finds its
answer. A key sent again with a different request is refused (HTTP 422, as the IETF
Idempotency-Key draft recommends) and creates nothing.

Keys are scoped by caller and kept for :data:`KEEP_HOURS`; :func:`prune` deletes older
ones. A token's or a signed-in person's keys are theirs alone. Callers without a token
cannot be told apart, so two phones could pick the same key (a counter, a timestamp): an
anonymous key is scoped by the request it came with as well, so that another phone's
report under the same key is a report of its own, never refused and never answered with
someone else's reporter key. Only the same report sent again under the same key is
answered from the store.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from psycopg import AsyncConnection

from gis.events.errors import InvalidEvent
from gis.events.stages import Actor

KEEP_HOURS = 72
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def scope_of(actor: Actor, request_sha256: str) -> str:
    """Whose Idempotency-Keys a key is compared with: the token's, the person's, or, for
    callers without either (the public, the reporter), the role's and the request's."""
    if actor.token_id is not None:
        return f"token:{actor.token_id}"
    if actor.person_id is not None:
        return f"person:{actor.person_id}"
    return f"{actor.role}:{request_sha256}"


def check_key(key: str) -> str:
    """The key itself, or InvalidEvent when it is not 1–255 visible ASCII characters."""
    if not _KEY.fullmatch(key):
        raise InvalidEvent(
            "Idempotency-Key", "must be 1–255 visible ASCII characters (a UUID is a good key)"
        )
    return key


async def prune(conn: AsyncConnection, *, now: datetime, keep_hours: int = KEEP_HOURS) -> int:
    """Delete keys older than ``keep_hours`` before ``now``; returns how many."""
    cursor = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < %s",
        (now - timedelta(hours=keep_hours),),
    )
    return cursor.rowcount
