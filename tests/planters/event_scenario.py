"""A scripted scenario for the event indicators: events created through intake at fixed
times and walked through the loop, with every indicator of every grid and the total
worked out by hand. Played on a database planted by tests/planters/event_places.py; the
gis and API tests of the indicators both check their answers against it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from gis.events.intake import Report, create
from gis.events.loop import TransitionRequest, transition
from gis.events.stages import Actor
from tests.planters.event_places import (
    COUNTY,
    EAST_GRID,
    FAR_GRID,
    T0,
    WEST_NORTH,
    WEST_SOUTH,
    run,
)

STAFF = Actor("staff", "指挥中心", token_id=1, county_code=COUNTY)
MEMBER = Actor("grid_member", "网格员甲", token_id=2, county_code=COUNTY, grids=(WEST_SOUTH,))
H = timedelta(hours=1)
START, END = T0, T0 + timedelta(days=5)

# name: (point, category, reported at (hours after T0), steps [(action, hours after T0)]).
# Points lie ≥ 100 m apart except e11, 10 m from e1: intake holds it as e1's duplicate.
# 0101 is dispatched to 城管局 with a 48 h deadline, 0701 to the grid with 72 h (a grid
# member settles only what was dispatched to the grid: e10).
SCRIPT: dict[str, tuple[tuple[float, float], str, int, list[tuple[str, int]]]] = {
    # WEST_SOUTH
    "e1": ((108.305, 22.81), "0101", 0, [("accept", 1), ("handle", 10), ("close", 12)]),
    "e2": ((108.307, 22.81), "0101", 24, [("accept", 25), ("handle", 84), ("close", 94)]),
    "e10": ((108.309, 22.81), "0701", 0, [("settle", 2)]),
    "e11": ((108.3051, 22.81), "0101", 0, [("merge", 1)]),
    # WEST_NORTH: e3 returned and dispatched again (deadline 3 + 48 = 51 h)
    "e3": (
        (108.305, 22.83),
        "0101",
        0,
        [
            ("return", 2),
            ("dispatch", 3),
            ("accept", 4),
            ("handle", 20),
            ("close", 30),
            ("evaluate", 31),
        ],
    ),
    "e4": ((108.308, 22.83), "0101", 0, [("not_responsible", 1)]),
    # EAST_GRID: e5 reworked once; e6 never acted on, past its 72 h deadline at `to`
    "e5": (
        (108.33, 22.81),
        "0101",
        0,
        [
            ("accept", 1),
            ("handle", 5),
            ("close", 6),
            ("rework", 7),
            ("handle", 8),
            ("close", 9),
        ],
    ),
    "e6": ((108.335, 22.81), "0701", 0, []),
    # FAR_GRID: open, deadline 96 + 48 h is after `to` (120 h): not overdue
    "e7": ((108.36, 22.82), "0101", 96, []),
    # the gap between grids (community EAST, no grid): handled, not closed
    "e8": ((108.33, 22.838), "0101", 0, [("accept", 1), ("handle", 3)]),
    # before the period: never counted
    "e9": ((108.315, 22.815), "0101", -24, [("accept", -23), ("handle", -22), ("close", -21)]),
}


def figures(
    reported: int,
    excluded: int,
    closed: int,
    closed_on_time: int,
    handled: int,
    handled_on_time: int,
    dispatched: int,
    dispatched_correctly: int,
    handling_hours: list[float],
    closing_hours: list[float],
    rework: int,
    reworked_events: int,
    overdue: int,
) -> dict[str, Any]:
    """Every indicator of one group, from the counts and hours worked out by hand."""
    due = reported - excluded

    def rate(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 2) if values else None

    return {
        "reported": reported,
        "excluded": excluded,
        "due": due,
        "closed": closed,
        "closed_on_time": closed_on_time,
        "handled": handled,
        "handled_on_time": handled_on_time,
        "dispatched": dispatched,
        "dispatched_correctly": dispatched_correctly,
        "closure_rate": rate(closed, due),
        "on_time_closure_rate": rate(closed_on_time, due),
        "handling_rate": rate(handled, due),
        "on_time_handling_rate": rate(handled_on_time, due),
        "correct_dispatch_rate": rate(dispatched_correctly, dispatched),
        "average_handling_hours": mean(handling_hours),
        "average_closing_hours": mean(closing_hours),
        "rework": rework,
        "reworked_events": reworked_events,
        "overdue": overdue,
    }


# By hand, from SCRIPT. e2 is handled at 84 h against a 72 h deadline (overdue, late);
# e3 was returned once; e4 and e11 left the loop; e11 was never dispatched.
BY_GRID = {
    WEST_SOUTH: figures(4, 1, 3, 2, 3, 2, 3, 3, [10, 60, 2], [12, 70, 2], 0, 0, 1),
    WEST_NORTH: figures(2, 1, 1, 1, 1, 1, 2, 1, [20], [30], 0, 0, 0),
    EAST_GRID: figures(2, 0, 1, 1, 1, 1, 2, 2, [8], [9], 1, 1, 1),
    FAR_GRID: figures(1, 0, 0, 0, 0, 0, 1, 1, [], [], 0, 0, 0),
    None: figures(1, 0, 0, 0, 1, 1, 1, 1, [3], [], 0, 0, 0),
}
TOTAL = figures(10, 2, 5, 4, 6, 5, 9, 8, [10, 60, 2, 20, 8, 3], [12, 70, 2, 30, 9], 1, 1, 2)


def play(url: str) -> dict[str, int]:
    """Create SCRIPT's events and walk each through its steps; their ids by name."""

    async def work(conn: psycopg.AsyncConnection) -> dict[str, int]:
        ids: dict[str, int] = {}
        for name, (point, category, reported, _steps) in SCRIPT.items():
            created = await create(
                conn,
                Report(category=category, description=name, source="hotline_12345", point=point),
                actor=STAFF,
                reported_at=T0 + reported * H,
            )
            ids[name] = created.event_id
        for name, (_point, _category, _reported, steps) in SCRIPT.items():
            for action, hours in steps:
                request = TransitionRequest(
                    action,
                    rating=5 if action == "evaluate" else None,
                    duplicate_of=ids["e1"] if action == "merge" else None,
                )
                actor = MEMBER if action == "settle" else STAFF
                await transition(conn, ids[name], request, actor=actor, at=T0 + hours * H)
        return ids

    return run(url, work)
