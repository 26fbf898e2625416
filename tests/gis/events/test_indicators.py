"""Event indicators (gis.events.indicators) on a scripted scenario: events created through
intake and walked through the loop at fixed times, every indicator of every group
computed by hand; and sensible figures on the demo district, which has no history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

from gis.errors import InvalidParameter
from gis.events import indicators
from gis.events.intake import Report, create
from gis.events.loop import TransitionRequest, transition
from gis.events.stages import Actor
from tests.planters.event_places import (
    COUNTY,
    EAST,
    EAST_GRID,
    FAR,
    FAR_GRID,
    T0,
    WEST,
    WEST_NORTH,
    WEST_SOUTH,
    planted_database,
    run,
)

STAFF = Actor("staff", "指挥中心", token_id=1, county_code=COUNTY)
MEMBER = Actor("grid_member", "网格员甲", token_id=2, county_code=COUNTY, grid_code=WEST_SOUTH)
H = timedelta(hours=1)
START, END = T0, T0 + timedelta(days=5)

# name: (point, category, reported at (hours after T0), steps [(action, hours after T0)]).
# Points lie ≥ 100 m apart except e11, 10 m from e1: intake holds it as e1's duplicate.
# 0101 is dispatched to 城管局 with a 48 h deadline, 0701 to the grid with 72 h.
SCRIPT: dict[str, tuple[tuple[float, float], str, int, list[tuple[str, int]]]] = {
    # WEST_SOUTH
    "e1": ((108.305, 22.81), "0101", 0, [("accept", 1), ("handle", 10), ("close", 12)]),
    "e2": ((108.307, 22.81), "0101", 24, [("accept", 25), ("handle", 84), ("close", 94)]),
    "e10": ((108.309, 22.81), "0101", 0, [("settle", 2)]),
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


def _figures(
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
    WEST_SOUTH: _figures(4, 1, 3, 2, 3, 2, 3, 3, [10, 60, 2], [12, 70, 2], 0, 0, 1),
    WEST_NORTH: _figures(2, 1, 1, 1, 1, 1, 2, 1, [20], [30], 0, 0, 0),
    EAST_GRID: _figures(2, 0, 1, 1, 1, 1, 2, 2, [8], [9], 1, 1, 1),
    FAR_GRID: _figures(1, 0, 0, 0, 0, 0, 1, 1, [], [], 0, 0, 0),
    None: _figures(1, 0, 0, 0, 1, 1, 1, 1, [3], [], 0, 0, 0),
}
TOTAL = _figures(10, 2, 5, 4, 6, 5, 9, 8, [10, 60, 2, 20, 8, 3], [12, 70, 2, 30, 9], 1, 1, 2)


def _play(url: str) -> dict[str, int]:
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


@pytest.fixture(scope="module")
def url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planted_database(admin_url, migrated_template, "indicators") as (database, _tokens):
        _play(database)
        yield database


def _indicators(url: str, group_by: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("start", START)
    kw.setdefault("end", END)
    return run(url, lambda conn: indicators.event_indicators(conn, group_by, **kw))


def test_the_script_went_as_planned(url: str) -> None:
    with psycopg.connect(url) as conn:
        rows = dict(conn.execute("SELECT description, status FROM events").fetchall())
    assert rows == {
        "e1": "closed",
        "e2": "closed",
        "e10": "closed",
        "e11": "duplicate",
        "e3": "evaluated",
        "e4": "not_responsible",
        "e5": "closed",
        "e6": "dispatched",
        "e7": "dispatched",
        "e8": "handled",
        "e9": "closed",
    }


def test_every_indicator_of_every_grid_equals_the_hand_count(url: str) -> None:
    report = _indicators(url, "grid")
    got = {group.pop("key"): group for group in report["groups"]}
    assert got == BY_GRID
    assert report["total"] == TOTAL
    assert report["as_of"] == END.isoformat()
    assert set(report["definitions"]) >= set(TOTAL)


def test_community_and_subdistrict_add_up_their_grids(url: str) -> None:
    communities = {g.pop("key"): g for g in _indicators(url, "community")["groups"]}
    # WEST = WEST_SOUTH + WEST_NORTH; EAST = EAST_GRID + the gap event e8.
    assert communities[WEST] == _figures(
        6, 2, 4, 3, 4, 3, 5, 4, [10, 60, 2, 20], [12, 70, 2, 30], 0, 0, 1
    )
    assert communities[EAST] == _figures(3, 0, 1, 1, 2, 2, 3, 3, [8, 3], [9], 1, 1, 1)
    assert communities[FAR] == BY_GRID[FAR_GRID]
    subdistricts = {g["key"]: g for g in _indicators(url, "subdistrict")["groups"]}
    assert set(subdistricts) == {"450105001", "450105002"}
    assert subdistricts["450105001"]["reported"] == 9
    assert subdistricts["450105001"]["correct_dispatch_rate"] == round(7 / 8, 4)


def test_category_source_and_month(url: str) -> None:
    classes = {g.pop("key"): g for g in _indicators(url, "category")["groups"]}
    assert set(classes) == {"01", "07"}
    # e6 alone is 0701: dispatched to the grid, open past its 72 h deadline.
    assert classes["07"] == _figures(1, 0, 0, 0, 0, 0, 1, 1, [], [], 0, 0, 1)
    sources = _indicators(url, "source")["groups"]
    assert [g.pop("key") for g in sources] == ["hotline_12345"]
    assert sources[0] == TOTAL
    # Without a start: e9, the day before T0 (1 June), counts too, in May.
    months = _indicators(url, "month", start=None, end=END)["groups"]
    assert [(g["key"], g["reported"], g["closed"]) for g in months] == [
        ("2026-05", 1, 1),
        ("2026-06", 10, 5),
    ]


def test_an_open_event_is_overdue_only_once_its_deadline_has_passed(url: str) -> None:
    # as_of 100 h: e6 (deadline 72 h) overdue, e2 handled late; e7 (reported 96 h) not yet.
    early = _indicators(url, "grid", end=T0 + 100 * H)
    assert early["total"]["overdue"] == 2
    assert early["total"]["reported"] == 10
    # as_of 50 h: e6 not yet overdue. Stages are today's, not replayed at `to`: e2 (reported
    # 24 h) is already flagged overdue by its late handling, so it still counts.
    assert _indicators(url, "grid", end=T0 + 50 * H)["total"]["overdue"] == 1
    assert _indicators(url, "grid", end=T0 + 20 * H)["total"]["overdue"] == 0


def test_an_empty_period_gives_zeros_and_no_rates(url: str) -> None:
    report = _indicators(url, "grid", start=T0 + 1000 * H, end=T0 + 2000 * H)
    assert report["groups"] == []
    assert report["total"]["reported"] == 0
    assert report["total"]["closure_rate"] is None


@pytest.mark.parametrize(
    ("group_by", "start", "end", "parameter"),
    [
        ("street", None, None, "group_by"),
        ("grid", T0, T0, "to"),
        ("grid", T0, T0 - H, "to"),
    ],
)
def test_bad_parameters_are_named(
    url: str, group_by: str, start: datetime | None, end: datetime | None, parameter: str
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _indicators(url, group_by, start=start, end=end)
    assert caught.value.parameter == parameter


def test_demo_events_get_sensible_figures(database_url: str, demo_district: dict[str, int]) -> None:
    report = _indicators(database_url, "subdistrict", start=None, end=None)
    total = report["total"]
    with psycopg.connect(database_url) as conn:
        counts = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('closed', 'evaluated')),"
            " count(*) FILTER (WHERE status IN ('rejected', 'duplicate', 'not_responsible')),"
            " count(*) FILTER (WHERE dispatched_at IS NOT NULL) FROM events"
        ).fetchone()
    assert counts is not None
    reported, closed, excluded, dispatched = counts
    assert (total["reported"], total["closed"], total["excluded"]) == (reported, closed, excluded)
    assert total["closure_rate"] == round(closed / (reported - excluded), 4)
    # The demo's loop (gis/demo/sql/event_loop.sql) dispatches by the rules and never
    # has a department return an event.
    assert total["dispatched"] == total["dispatched_correctly"] == dispatched
    # Deadlines from the dispatch rules: some closed on time, some not.
    assert 0 < total["closed_on_time"] < total["closed"]
    assert total["average_closing_hours"] > 0
    assert sum(g["reported"] for g in report["groups"]) == reported
