"""Event indicators (gis.events.indicators) on a scripted scenario
(tests/planters/event_scenario.py): events created through intake and walked through the
loop at fixed times, every indicator of every group computed by hand; and sensible figures
on the demo district, which has no history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest

from gis.errors import InvalidParameter
from gis.events import indicators
from tests.planters.event_places import (
    EAST,
    FAR,
    FAR_GRID,
    T0,
    WEST,
    planted_database,
    run,
)
from tests.planters.event_scenario import BY_GRID, END, START, TOTAL, H, figures, play


@pytest.fixture(scope="module")
def url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planted_database(admin_url, migrated_template, "indicators") as (database, _tokens):
        play(database)
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
    assert communities[WEST] == figures(
        6, 2, 4, 3, 4, 3, 5, 4, [10, 60, 2, 20], [12, 70, 2, 30], 0, 0, 1
    )
    assert communities[EAST] == figures(3, 0, 1, 1, 2, 2, 3, 3, [8, 3], [9], 1, 1, 1)
    assert communities[FAR] == BY_GRID[FAR_GRID]
    subdistricts = {g["key"]: g for g in _indicators(url, "subdistrict")["groups"]}
    assert set(subdistricts) == {"450105001", "450105002"}
    assert subdistricts["450105001"]["reported"] == 9
    assert subdistricts["450105001"]["correct_dispatch_rate"] == round(7 / 8, 4)


def test_category_source_and_month(url: str) -> None:
    classes = {g.pop("key"): g for g in _indicators(url, "category")["groups"]}
    assert set(classes) == {"01", "07"}
    # 0701 goes to the grid: e6, open past its 72 h deadline, and e10, settled at 2 h.
    assert classes["07"] == figures(2, 0, 1, 1, 1, 1, 2, 2, [2], [2], 0, 0, 1)
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
