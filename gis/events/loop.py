"""The closed loop: apply one transition of :data:`gis.events.stages.TRANSITIONS`.

:func:`transition` locks the event row, checks the caller (role, county, grid, reporter
key), the stage and the action's own members, updates the event and appends the step to
its history, all in one transaction. An illegal transition raises IllegalTransition
(409) and changes nothing; so does a stale ``expected_status``, which lets a client say
"close it if it is still handled" when two people work on one event.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from gis.errors import NotFound
from gis.events import dispatch, history, queries
from gis.events.errors import IllegalTransition, InvalidEvent, NotAllowed
from gis.events.stages import (
    ACTIONS,
    BY_ACTION,
    GRID_TASK_ACTIONS,
    Actor,
    Transition,
    allowed_actions,
)

_AT = "coalesce(%(at)s::timestamptz, now())"
# Escalation due again after rework: the same schedule as dispatch set (deadlines.py).
_RESCHEDULE = (
    "CASE WHEN deadline_at IS NOT NULL AND escalation_level < 2"
    " THEN deadline_at + make_interval(hours => deadline_hours * escalation_level) END"
)
_LATE = f"overdue OR coalesce({_AT} > deadline_at, false)"
# What each action changes besides status and updated_at ("dispatch" is dispatch.assign).
_CHANGES: dict[str, str] = {
    "file": "",
    "accept": "",
    "return": "assignee_kind = NULL, department_id = NULL, dispatch_rule_id = NULL",
    "handle": f"handled_at = {_AT}, overdue = {_LATE}, escalate_at = NULL",
    "close": f"closed_at = {_AT}",
    "rework": (
        "rework_count = rework_count + 1, handled_at = NULL, closed_at = NULL,"
        f" evaluated_at = NULL, rating = NULL, escalate_at = {_RESCHEDULE}"
    ),
    "evaluate": f"rating = %(rating)s, evaluated_at = {_AT}",
    "settle": f"handled_at = {_AT}, closed_at = {_AT}, overdue = {_LATE}, escalate_at = NULL",
    "merge": "duplicate_of = %(duplicate_of)s, escalate_at = NULL",
    "reject": "escalate_at = NULL",
    "not_responsible": "escalate_at = NULL",
}


@dataclass(frozen=True)
class TransitionRequest:
    """What the caller asks: the action and its members. ``note`` is internal unless
    ``note_public`` (then the public reads it, masked). ``rating`` (1–5) goes with
    evaluate; ``department`` (a code, or "grid") and ``deadline_hours`` with dispatch;
    ``duplicate_of`` (id or tracking number) with merge."""

    action: str
    note: str = ""
    note_public: bool = False
    rating: int | None = None
    department: str | None = None
    deadline_hours: int | None = None
    duplicate_of: int | str | None = None
    expected_status: str | None = None


@dataclass(frozen=True)
class _Event:
    event_id: int
    tracking_number: str
    status: str
    county_code: str
    grid_code: str | None
    assignee_kind: str | None
    department_code: str | None
    reporter_key_sha256: str | None
    duplicate_of: int | None
    reported_at: datetime
    deadline_at: datetime | None
    rework_count: int


async def transition(
    conn: AsyncConnection,
    ref: int | str,
    request: TransitionRequest,
    *,
    actor: Actor,
    reporter_key: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Apply ``request`` to the event ``ref`` (id or tracking number) as ``actor``.

    Parameters
    ----------
    reporter_key : the secret handed out on intake, when ``actor`` is the reporter.
    at : when it happened (imports of past records); default the transaction's clock.

    Returns
    -------
    event_id, tracking_number, action, from_status, to_status, history_id.

    Raises
    ------
    IllegalTransition (409) from the wrong stage; NotAllowed (403) for a role, county,
    grid or reporter key that may not act; InvalidEvent (422) for an unknown action or
    missing/extra members; NotFound (404) for an unknown event.
    """
    transition_ = BY_ACTION.get(request.action)
    if transition_ is None:
        raise InvalidEvent(
            "action", f"unknown {request.action!r}; one of {', '.join(ACTIONS)}", actions=ACTIONS
        )
    _check_members(request)
    async with conn.transaction():
        event = await _locked(conn, ref, transition_, actor, reporter_key)
        if request.expected_status is not None and request.expected_status != event.status:
            raise IllegalTransition(
                event.tracking_number,
                request.action,
                event.status,
                allowed_actions(event.status, actor.role),
                f"event {event.tracking_number} is {event.status}, not "
                f"{request.expected_status}: someone acted first; reload it",
            )
        if event.status not in transition_.sources:
            raise IllegalTransition(
                event.tracking_number,
                request.action,
                event.status,
                allowed_actions(event.status, actor.role),
            )
        if at is not None and at < event.reported_at:
            raise InvalidEvent("at", f"{at.isoformat()} is before the report itself")
        if request.action == "dispatch":
            assignment = await dispatch.named_assignment(
                conn,
                event.event_id,
                department=request.department,
                deadline_hours=request.deadline_hours,
            )
            history_id = await dispatch.assign(
                conn,
                event.event_id,
                assignment,
                actor=actor,
                from_status=event.status,
                at=at,
                note=request.note,
                note_public=request.note_public,
            )
        else:
            details = await _details(conn, event, request)
            params: dict[str, Any] = {
                "event_id": event.event_id,
                "at": at,
                "rating": request.rating,
                "duplicate_of": details.get("duplicate_of"),
                "status": transition_.target,
            }
            changes = _CHANGES[request.action]
            await conn.execute(
                f"UPDATE events SET status = %(status)s, updated_at = {_AT}"
                + (f", {changes}" if changes else "")
                + " WHERE event_id = %(event_id)s",
                params,
            )
            history_id = await history.append(
                conn,
                event.event_id,
                action=request.action,
                from_status=event.status,
                to_status=transition_.target,
                actor=actor,
                at=at,
                note=request.note,
                note_public=request.note_public,
                details=details,
            )
    return {
        "event_id": event.event_id,
        "tracking_number": event.tracking_number,
        "action": request.action,
        "from_status": event.status,
        "to_status": transition_.target,
        "history_id": history_id,
    }


def _check_members(request: TransitionRequest) -> None:
    if len(request.note) > history.MAX_NOTE:
        raise InvalidEvent("note", f"{len(request.note)} characters; at most {history.MAX_NOTE}")
    if "\x00" in request.note:
        raise InvalidEvent("note", "contains a NUL character")
    given = {
        "rating": request.rating is not None,
        "department": request.department is not None,
        "deadline_hours": request.deadline_hours is not None,
        "duplicate_of": request.duplicate_of is not None,
    }
    belongs = {
        "rating": "evaluate",
        "department": "dispatch",
        "deadline_hours": "dispatch",
        "duplicate_of": "merge",
    }
    for member, present in given.items():
        if present and belongs[member] != request.action:
            raise InvalidEvent(member, f"goes with {belongs[member]}, not {request.action}")
    if request.action == "evaluate" and (
        request.rating is None
        or isinstance(request.rating, bool)
        or not isinstance(request.rating, int)
        or not 1 <= request.rating <= 5
    ):
        raise InvalidEvent("rating", "evaluate needs a rating from 1 (poor) to 5 (very good)")


_EVENT_COLUMNS = (
    "SELECT e.event_id, e.tracking_number, e.status, rtrim(e.county_code),"
    " rtrim(e.grid_code), e.assignee_kind, d.department_code, e.reporter_key_sha256,"
    " e.duplicate_of, e.reported_at, e.deadline_at, e.rework_count"
    " FROM events AS e LEFT JOIN departments AS d ON d.department_id = e.department_id"
    " WHERE e.event_id = %s"
)


async def _locked(
    conn: AsyncConnection,
    ref: int | str,
    transition_: Transition,
    actor: Actor,
    reporter_key: str | None,
) -> _Event:
    """The event, locked for the transition, once the caller is found allowed to act on it.

    Under the service's database role, row-level security (gis/people/sql/functions/
    access_policies.sql) hides from ``FOR UPDATE`` an event outside the caller's scope:
    the event is then read without the lock, so that the refusal names the reason."""
    event_id = await queries.resolve(conn, ref)
    cursor = await conn.execute(_EVENT_COLUMNS + " FOR UPDATE OF e", (event_id,))
    row = await cursor.fetchone()
    if row is not None:
        event = _Event(*row)
        _check_actor(transition_, event, actor, reporter_key)
        return event
    cursor = await conn.execute(_EVENT_COLUMNS, (event_id,))
    row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"no event {ref!r}")
    event = _Event(*row)
    _check_actor(transition_, event, actor, reporter_key)
    raise NotAllowed(f"event {event.tracking_number} is outside the caller's scope")


def _check_actor(
    transition_: Transition, event: _Event, actor: Actor, reporter_key: str | None
) -> None:
    if actor.role not in transition_.roles:
        raise NotAllowed(
            f"{transition_.action} needs the role {' or '.join(transition_.roles)};"
            f" the caller is {actor.role}"
        )
    if actor.role == "reporter":
        digest = hashlib.sha256((reporter_key or "").encode()).hexdigest()
        if event.reporter_key_sha256 is None or not hmac.compare_digest(
            digest, event.reporter_key_sha256
        ):
            raise NotAllowed(f"the reporter key does not belong to event {event.tracking_number}")
        return
    if actor.county_code is not None and actor.county_code != event.county_code:
        raise NotAllowed(
            f"event {event.tracking_number} is in county {event.county_code};"
            f" the token is for {actor.county_code}"
        )
    if actor.role == "grid_member":
        if event.grid_code is None or event.grid_code not in actor.grids:
            raise NotAllowed(
                f"event {event.tracking_number} is in grid {event.grid_code or '(none)'};"
                f" a grid member acts only in their own grids ({', '.join(actor.grids)})"
            )
        if transition_.action in GRID_TASK_ACTIONS and event.assignee_kind != "grid":
            raise NotAllowed(
                f"event {event.tracking_number} was dispatched to"
                f" {event.department_code or 'no one'}, not to the grid"
            )
        if transition_.action == "settle" and event.assignee_kind == "department":
            raise NotAllowed(
                f"event {event.tracking_number} was dispatched to {event.department_code}:"
                " a grid member settles only what is the grid's"
            )
    if actor.role == "department" and (
        event.assignee_kind != "department" or event.department_code != actor.department_code
    ):
        raise NotAllowed(
            f"event {event.tracking_number} was dispatched to"
            f" {event.department_code or event.assignee_kind or 'no one'};"
            f" a department handler acts only on {actor.department_code}'s tasks"
        )


async def _details(
    conn: AsyncConnection, event: _Event, request: TransitionRequest
) -> dict[str, Any]:
    """What the step decided, for the history (and merge's target, checked)."""
    if request.action == "evaluate":
        return {"rating": request.rating}
    if request.action == "rework":
        return {"rework_count": event.rework_count + 1, "reopened_from": event.status}
    if request.action in ("handle", "settle") and event.deadline_at is not None:
        return {"deadline_at": event.deadline_at.isoformat()}
    if request.action == "return":
        return {"department": event.department_code, "assignee": event.assignee_kind}
    if request.action == "merge":
        return await _merge_target(conn, event, request.duplicate_of or event.duplicate_of)
    return {}


async def _merge_target(conn: AsyncConnection, event: _Event, ref: int | str | None) -> dict:
    if ref is None:
        raise InvalidEvent("duplicate_of", "name the event this one duplicates (id or SJ…)")
    try:
        target = await queries.resolve(conn, ref)
    except NotFound as error:
        raise InvalidEvent("duplicate_of", str(error)) from None
    # Merge into the original: follow merged events to the one they were merged into.
    row: tuple[Any, ...] | None = None
    for _ in range(100):
        cursor = await conn.execute(
            "SELECT event_id, tracking_number, status, rtrim(county_code), duplicate_of"
            " FROM events WHERE event_id = %s",
            (target,),
        )
        row = await cursor.fetchone()
        assert row is not None
        if row[2] != "duplicate" or row[4] is None:
            break
        target = row[4]
    assert row is not None
    target_id, tracking_number, _status, county_code, linked_to = row
    if target_id == event.event_id:
        raise InvalidEvent("duplicate_of", "an event cannot duplicate itself")
    if county_code != event.county_code:
        raise InvalidEvent("duplicate_of", f"{tracking_number} is in another county")
    if linked_to == event.event_id:
        raise InvalidEvent(
            "duplicate_of",
            f"{tracking_number} is itself linked as a likely duplicate of this event;"
            " merge that one into this instead",
        )
    return {"duplicate_of": target_id, "tracking_number": tracking_number}
