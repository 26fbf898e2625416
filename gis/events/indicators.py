"""The GB/T 30428 indicators of the closed loop, per grid, community, subdistrict,
category class, source or month, computed in one SQL statement (GROUP BY GROUPING SETS)
in gis/events/sql/indicators.sql.

The population is the events *reported* in the period ``[from, to)`` (either end open),
judged by their stage today: the period chooses the events, it does not replay the loop
as it stood at ``to`` (an event closed after ``to`` counts as closed).
Definitions, also served as ``definitions`` by ``GET /api/v1/indicators/events``:

- ``excluded``: events that left the loop — rejected 不予受理, duplicate 重复 (merged),
  not responsible 非职责范围. They are not cases to close and leave every denominator.
- ``due`` 应结案数 = reported − excluded.
- ``closed`` = events now closed or evaluated. 结案率 ``closure_rate`` = closed / due.
  An event reworked after closing is open again and not counted.
- ``closed_on_time``: closed with ``closed_at`` ≤ its deadline. 按期结案率
  ``on_time_closure_rate`` = closed_on_time / due.
- ``handled`` = events now handled, closed or evaluated (the result was reported back).
  处置率 ``handling_rate`` = handled / due. The handling time is ``handled_at`` (for
  records without it, ``closed_at``). 按期处置率 ``on_time_handling_rate`` = handled at or
  before the deadline / due.
- The deadline is ``deadline_at`` (set by dispatch). Records loaded without the loop (no
  history besides their report: the demo, hotline imports) get the deadline the
  county-wide dispatch rule of their category would have set: ``reported_at`` + its
  ``deadline_hours`` (subclass rule over class rule). An event of the loop never
  dispatched has no deadline and is never on time.
- ``dispatched``: events with a ``dispatch`` step in their history; for records loaded
  without the loop, those whose stage lies past dispatch (dispatched … evaluated).
  ``dispatched_correctly``: dispatched and never returned 退回 (a ``return`` step can only
  follow a dispatch). 准确派遣率 ``correct_dispatch_rate`` = dispatched_correctly /
  dispatched. Records loaded without the loop have no return on record.
- ``average_handling_hours`` / ``average_closing_hours``: mean hours from the report to
  the handling time / to ``closed_at``, over the handled / closed events.
- ``rework`` 返工: the number of reworks (sum of ``rework_count``); ``reworked_events``:
  events reworked at least once.
- ``overdue`` 超期: events not excluded that were flagged overdue by the loop, or handled
  after their deadline, or not handled and past their deadline at ``as_of`` (``to`` or
  now, whichever is earlier).

Rates are fractions 0–1 rounded to 4 places, ``null`` when the denominator is 0; hours are
rounded to 2 places. The group key of events in no grid (a gap) is ``null``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection, sql

from gis.errors import InvalidParameter
from gis.sql import query

# group_by → the SQL expression over `e` (events) that keys a group.
GROUPS: dict[str, str] = {
    "grid": "rtrim(e.grid_code)",
    "community": "rtrim(e.community_code)",
    "subdistrict": "rtrim(e.subdistrict_code)",
    "category": "left(e.category_code, 2)",
    "source": "e.source",
    "month": "to_char(e.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
}

DEFINITIONS: dict[str, str] = {
    "reported": "events reported in [from, to)",
    "excluded": "reported events now rejected, duplicate or not_responsible",
    "due": "应结案数: reported − excluded",
    "closed": "events now closed or evaluated",
    "closed_on_time": "closed with closed_at ≤ deadline",
    "handled": "events now handled, closed or evaluated",
    "handled_on_time": "handled with handling time (handled_at, else closed_at) ≤ deadline",
    "dispatched": "events with a dispatch step (loaded without the loop: stage past dispatch)",
    "dispatched_correctly": "dispatched and never returned (退回)",
    "closure_rate": "结案率 = closed / due",
    "on_time_closure_rate": "按期结案率 = closed_on_time / due",
    "handling_rate": "处置率 = handled / due",
    "on_time_handling_rate": "按期处置率 = handled_on_time / due",
    "correct_dispatch_rate": "准确派遣率 = dispatched_correctly / dispatched",
    "average_handling_hours": "mean hours from report to handling time, handled events",
    "average_closing_hours": "mean hours from report to closed_at, closed events",
    "rework": "返工: number of reworks (sum of rework_count)",
    "reworked_events": "events reworked at least once",
    "overdue": (
        "超期: not excluded and flagged overdue, or handled after the deadline, or not "
        "handled and past the deadline at as_of (the earlier of `to` and now)"
    ),
    "deadline": (
        "deadline_at; records loaded without the loop (no history but the report: demo, "
        "hotline imports): reported_at + the "
        "county-wide dispatch rule's deadline_hours for the category"
    ),
}

_NUMBERS = (
    "reported",
    "excluded",
    "due",
    "closed",
    "closed_on_time",
    "handled",
    "handled_on_time",
    "dispatched",
    "dispatched_correctly",
)
_RATES = (
    "closure_rate",
    "on_time_closure_rate",
    "handling_rate",
    "on_time_handling_rate",
    "correct_dispatch_rate",
    "average_handling_hours",
    "average_closing_hours",
)


async def event_indicators(
    conn: AsyncConnection,
    group_by: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The indicators of events reported in ``[start, end)``, per group and in total.

    Parameters
    ----------
    conn : an async psycopg connection.
    group_by : one of :data:`GROUPS` (grid, community, subdistrict, category — the class,
        source, month — in China time).
    start, end : the period (timezone-aware; None leaves that end open).
    now : the clock for open events past their deadline (default: the real one).

    Returns
    -------
    ``group_by``, ``from``, ``to``, ``as_of``, ``definitions``, ``groups`` (one per key,
    ordered by key, null last) and ``total``; counts, rates (0–1) and hours (see the
    module docstring).

    Raises
    ------
    InvalidParameter (400) for an unknown ``group_by`` or ``start`` not before ``end``.
    """
    expression = GROUPS.get(group_by)
    if expression is None:
        raise InvalidParameter("group_by", f"must be one of {', '.join(GROUPS)}, not {group_by!r}")
    if start is not None and end is not None and start >= end:
        raise InvalidParameter("to", f"{end.isoformat()} is not after from {start.isoformat()}")
    as_of = now or datetime.now(UTC)
    if end is not None and end < as_of:
        as_of = end
    statement = sql.SQL(query("events/indicators")).format(group_key=sql.SQL(expression))
    cursor = await conn.execute(statement, {"from": start, "to": end, "as_of": as_of})
    names = [column.name for column in cursor.description or ()]
    groups: list[dict[str, Any]] = []
    total: dict[str, Any] = {name: 0 for name in _NUMBERS} | {"rework": 0, "overdue": 0}
    total |= {name: None for name in _RATES} | {"reworked_events": 0}
    for row in await cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        is_total = record.pop("is_total")
        key = record.pop("group_key")
        figures = {
            name: (float(value) if name in _RATES and value is not None else value)
            for name, value in record.items()
        }
        if is_total:
            total = figures
        else:
            groups.append({"key": key, **figures})
    return {
        "group_by": group_by,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "as_of": as_of.isoformat(),
        "definitions": DEFINITIONS,
        "groups": groups,
        "total": total,
    }
