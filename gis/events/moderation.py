"""Moderation: command staff hide an event from the public, or replace its description
for the public with a redacted text. Neither is an event transition: the event keeps its
stage and its history, and each step is written to the admin log (gis/people/admin_log.py)
in the same transaction. Staff, the grid's member and the department still see the event
and its original text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from gis.errors import NotFound
from gis.events.errors import InvalidEvent, NotAllowed
from gis.people import admin_log
from gis.tokens import Caller

MAX_REASON = 500
MAX_PUBLIC_DESCRIPTION = 2000
MODERATORS = ("admin", "staff")


@dataclass(frozen=True)
class ModerationRequest:
    """``hidden``: hide (true) or show again (false); ``reason`` says why (needed to hide);
    ``public_description``: the text the public reads instead of the description (an
    empty string takes a redaction back); None members leave that side as it is."""

    hidden: bool | None = None
    reason: str | None = None
    public_description: str | None = None


def _check(request: ModerationRequest) -> None:
    if request.hidden is None and request.public_description is None:
        raise InvalidEvent("body", "say what to do: hidden and/or public_description")
    if request.hidden and not (request.reason or "").strip():
        raise InvalidEvent("reason", "say why the event is hidden")
    if request.reason is not None and len(request.reason) > MAX_REASON:
        raise InvalidEvent("reason", f"{len(request.reason)} characters; at most {MAX_REASON}")
    text = request.public_description
    if text is not None and len(text) > MAX_PUBLIC_DESCRIPTION:
        raise InvalidEvent(
            "public_description", f"{len(text)} characters; at most {MAX_PUBLIC_DESCRIPTION}"
        )
    for member, value in (("reason", request.reason), ("public_description", text)):
        if value is not None and "\x00" in value:
            raise InvalidEvent(member, "contains a NUL character")


async def moderate(
    conn: AsyncConnection,
    event_id: int,
    request: ModerationRequest,
    *,
    caller: Caller,
    address: str | None = None,
) -> dict[str, Any]:
    """Apply ``request`` to the event as ``caller`` (command staff of its county) and log
    it; returns the event's moderation state."""
    _check(request)
    if caller.role not in MODERATORS:
        raise NotAllowed(f"moderation needs the role admin or staff; the caller is {caller.role}")
    async with conn.transaction():
        # read first, then lock: row-level security hides from FOR UPDATE an event the
        # caller may not change, and the refusal should say why
        select = (
            "SELECT tracking_number, rtrim(county_code), hidden_at IS NOT NULL"
            " FROM events WHERE event_id = %s"
        )
        row = await (await conn.execute(select, (event_id,))).fetchone()
        if row is None:
            raise NotFound(f"no event {event_id}")
        tracking_number, county_code, _ = row
        if county_code != caller.county_code:
            raise NotAllowed(
                f"event {tracking_number} is in county {county_code}; the caller's is"
                f" {caller.county_code}"
            )
        locked = await (await conn.execute(select + " FOR UPDATE", (event_id,))).fetchone()
        if locked is None:
            raise NotAllowed(f"event {tracking_number} is outside the caller's scope")
        was_hidden = locked[2]
        if request.hidden is not None and request.hidden != was_hidden:
            await conn.execute(
                "UPDATE events SET hidden_at = CASE WHEN %(hide)s THEN now() END,"
                " hidden_by = CASE WHEN %(hide)s THEN %(by)s END,"
                " hidden_reason = CASE WHEN %(hide)s THEN %(reason)s END"
                " WHERE event_id = %(event_id)s",
                {
                    "hide": request.hidden,
                    "by": caller.name,
                    "reason": request.reason,
                    "event_id": event_id,
                },
            )
            await admin_log.record(
                conn,
                caller,
                "event.hide" if request.hidden else "event.show",
                target=tracking_number,
                detail={"reason": request.reason},
                address=address,
            )
        if request.public_description is not None:
            text = request.public_description.strip() or None
            await conn.execute(
                "UPDATE events SET public_description = %s, redacted_by = %s WHERE event_id = %s",
                (text, caller.name if text else None, event_id),
            )
            await admin_log.record(
                conn,
                caller,
                "event.redact",
                target=tracking_number,
                detail={"public_description": text, "reason": request.reason},
                address=address,
            )
        cursor = await conn.execute(
            "SELECT hidden_at IS NOT NULL, hidden_at, hidden_by, hidden_reason,"
            " public_description, redacted_by FROM events WHERE event_id = %s",
            (event_id,),
        )
        state = await cursor.fetchone()
    assert state is not None
    keys = (
        "hidden",
        "hidden_at",
        "hidden_by",
        "hidden_reason",
        "public_description",
        "redacted_by",
    )
    return {"tracking_number": tracking_number} | dict(zip(keys, state, strict=True))
