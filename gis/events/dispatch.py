"""Dispatch 任务派遣: who handles an event and by when.

A dispatch rule maps a category (a class such as 09 物业管理 or a subclass such as 0901
电梯故障) in an area (the county, a subdistrict or a community) to a department or to the
event's own grid, with a deadline in hours. The most specific rule wins: a subclass rule
over a class rule, and for the same category a community rule over a subdistrict rule
over a county-wide one. Category comes first because a subclass rule is an explicit
statement about that kind of matter (fire 0503 goes to fire and rescue even where a
community sends its other emergencies to the grid).

Rules are applied on intake, in the transaction that stores the event, and again when
staff dispatch a filed event (after a department returned it, or a likely duplicate
turned out to be distinct). Staff may name the department instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from gis.events import history
from gis.events.errors import InvalidEvent
from gis.events.stages import Actor
from gis.sql import query

# The code of the note onemap writes itself on a dispatch (details.note_code): the page
# says it in its language as the interface word note_dispatched.
NOTE_DISPATCHED = "dispatched"


@dataclass(frozen=True)
class Assignment:
    """Where an event goes: a department (code and name) or the event's grid, with the
    deadline in hours and the rule that decided it (None when staff named it)."""

    assignee_kind: str
    department_id: int | None
    department_code: str | None
    department_name: str | None
    deadline_hours: int
    rule_id: int | None = None
    rule_category: str | None = None
    rule_area: str | None = None

    def details(self) -> dict[str, Any]:
        """The assignment as JSON for an event's history: assignee, deadline in hours, the
        department if any and the rule that decided it (None when staff named it)."""
        found: dict[str, Any] = {
            "assignee": self.assignee_kind,
            "deadline_hours": self.deadline_hours,
        }
        if self.department_code:
            found["department"] = self.department_code
            found["department_name"] = self.department_name
        if self.rule_id is not None:
            found["rule"] = {
                "rule_id": self.rule_id,
                "category_code": self.rule_category,
                "area_code": self.rule_area,
            }
        else:
            found["rule"] = None
        return found

    def describe(self) -> str:
        """The assignment in words: to whom, within how many hours."""
        who = self.department_name if self.assignee_kind == "department" else "the grid (网格)"
        return f"to {who}, within {self.deadline_hours} h"


async def matching_rule(conn: AsyncConnection, event_id: int) -> Assignment | None:
    """The most specific dispatch rule for a stored event, or None when none applies."""
    cursor = await conn.execute(query("events/dispatch_rule"), {"event_id": event_id})
    row = await cursor.fetchone()
    if row is None:
        return None
    rule_id, kind, department_id, code, name, hours, category, area = row
    return Assignment(kind, department_id, code, name, int(hours), rule_id, category, area)


async def named_assignment(
    conn: AsyncConnection,
    event_id: int,
    *,
    department: str | None,
    deadline_hours: int | None,
) -> Assignment:
    """The assignment staff asked for: ``department`` a department code of the event's
    county, or ``"grid"`` for the event's own grid; ``deadline_hours`` overrides the
    rule's. Without a department the rules decide.

    Raises
    ------
    InvalidEvent for an unknown department, a deadline out of range, or no rule and no
    department.
    """
    if deadline_hours is not None and not 1 <= deadline_hours <= 8760:
        raise InvalidEvent("deadline_hours", f"must be 1–8760 hours, not {deadline_hours}")
    rule = await matching_rule(conn, event_id)
    if department is None:
        if rule is None:
            raise InvalidEvent(
                "department",
                "no dispatch rule covers this event's category and area; name a department",
                departments=await department_codes(conn, event_id),
            )
        return _with_deadline(rule, deadline_hours)
    hours = deadline_hours or (rule.deadline_hours if rule else None)
    if hours is None:
        raise InvalidEvent("deadline_hours", "no rule gives a deadline here; give deadline_hours")
    if department == "grid":
        cursor = await conn.execute(
            "SELECT grid_code IS NOT NULL FROM events WHERE event_id = %s", (event_id,)
        )
        row = await cursor.fetchone()
        if not row or not row[0]:
            raise InvalidEvent("department", "the event lies in no grid; name a department")
        return Assignment("grid", None, None, None, hours)
    cursor = await conn.execute(
        "SELECT d.department_id, d.name FROM departments AS d JOIN events AS e"
        " ON e.county_code = d.county_code"
        " WHERE e.event_id = %s AND d.department_code = %s",
        (event_id, department),
    )
    found = await cursor.fetchone()
    if found is None:
        raise InvalidEvent(
            "department",
            f"no department {department!r} in this county",
            departments=await department_codes(conn, event_id),
        )
    return Assignment("department", found[0], department, found[1], hours)


def _with_deadline(rule: Assignment, hours: int | None) -> Assignment:
    if hours is None:
        return rule
    return Assignment(
        rule.assignee_kind,
        rule.department_id,
        rule.department_code,
        rule.department_name,
        hours,
        rule.rule_id,
        rule.rule_category,
        rule.rule_area,
    )


async def department_list(
    conn: AsyncConnection, county_code: str | None = None
) -> list[dict[str, str]]:
    """The departments events are dispatched to, of one county when ``county_code`` is
    given: each ``{code, name, name_en, county_code}``, by county then code. The grid
    (``"grid"``) is not a department but a dispatch target too: see :func:`department_codes`.
    """
    cursor = await conn.execute(
        "SELECT json_build_object('code', department_code, 'name', name, 'name_en', name_en,"
        " 'county_code', county_code) FROM departments"
        " WHERE %(county)s::text IS NULL OR county_code = %(county)s"
        " ORDER BY county_code, department_code",
        {"county": county_code},
    )
    return [row[0] for row in await cursor.fetchall()]


async def department_codes(conn: AsyncConnection, event_id: int) -> list[str]:
    """Department codes of the event's county, and "grid"."""
    cursor = await conn.execute(
        "SELECT d.department_code FROM departments AS d JOIN events AS e"
        " ON e.county_code = d.county_code WHERE e.event_id = %s ORDER BY 1",
        (event_id,),
    )
    return [row[0] for row in await cursor.fetchall()] + ["grid"]


async def assign(
    conn: AsyncConnection,
    event_id: int,
    assignment: Assignment,
    *,
    actor: Actor,
    from_status: str,
    at: datetime | None = None,
    note: str = "",
    note_public: bool = False,
    details: dict[str, Any] | None = None,
) -> int:
    """Dispatch the (locked) event: set the assignee and the deadline, counted from
    ``at`` (``now()`` when None), and append the ``dispatch`` step. A link to a likely
    duplicate is dropped: dispatching says the event stands on its own.

    Returns
    -------
    The history_id of the dispatch step.
    """
    cursor = await conn.execute(
        """
        WITH old AS (SELECT duplicate_of FROM events WHERE event_id = %(event_id)s)
        UPDATE events AS e
        SET status = 'dispatched',
            assignee_kind = %(kind)s,
            department_id = %(department_id)s,
            dispatch_rule_id = %(rule_id)s,
            dispatched_at = coalesce(%(at)s::timestamptz, now()),
            deadline_hours = %(hours)s,
            deadline_at = coalesce(%(at)s::timestamptz, now())
                          + make_interval(hours => %(hours)s),
            escalate_at = CASE WHEN e.escalation_level < 2 THEN
                              coalesce(%(at)s::timestamptz, now())
                              + make_interval(hours => %(hours)s * (1 + e.escalation_level))
                          END,
            duplicate_of = NULL,
            updated_at = coalesce(%(at)s::timestamptz, now())
        FROM old
        WHERE e.event_id = %(event_id)s
        RETURNING e.deadline_at, old.duplicate_of
        """,
        {
            "event_id": event_id,
            "kind": assignment.assignee_kind,
            "department_id": assignment.department_id,
            "rule_id": assignment.rule_id,
            "hours": assignment.deadline_hours,
            "at": at,
        },
    )
    row = await cursor.fetchone()
    assert row is not None
    deadline_at, unlinked = row
    step = {**assignment.details(), "deadline_at": deadline_at.isoformat(), **(details or {})}
    if not note:
        # onemap writes the note: the page says it in its own language from the code
        step["note_code"] = NOTE_DISPATCHED
    if unlinked is not None:
        step["not_duplicate_of"] = unlinked
    return await history.append(
        conn,
        event_id,
        action="dispatch",
        from_status=from_status,
        to_status="dispatched",
        actor=actor,
        at=at,
        note=note or f"dispatched {assignment.describe()}",
        # onemap's own note says only where the task went: the public reads it
        note_public=note_public or not note,
        details=step,
    )
