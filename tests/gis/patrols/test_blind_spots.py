"""Blind spots: events of a period that no patrol passed within R metres of (30 m, the
county's standard) in the 7 days before. A scripted set of events in the visit grids of
tests/planters/visits.py, each with the walk that decides it (cut into chunks as it is
stored); the list must be exactly the scripted blind set, in order, with the nearest
patrol of each.

Each case has its own place, at least 160 m from any other case's walk, and the case with
no earlier walk (D) lies more than 500 m from every walk::

    WEST             EAST               FAR_BASE       FAR_SCHOOL
    START(-400,150)  C (150, 0)         E_IN (1100, 0) D (1800, 0)
    A (-400, 0)      E_OUT (400, 0)
    B (-150, 0)

Walks run along a street 10 m south of their event (C's: 50 m), at 1.2 m/s with a fix
every 10 s, 75 s either side of the moment they pass it: 16 fixes, one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
import pytest

from gis.errors import InvalidParameter
from gis.patrols import coverage
from gis.patrols.blind_spots import NEAREST_DAYS, NEAREST_M, blind_spot_layer, blind_spots
from gis.patrols.months import CHINA
from gis.sql import query
from tests.planters.event_places import plant_event
from tests.planters.patrols import fixes_along, plant_team
from tests.planters.visits import (
    EAST,
    FAR,
    FAR_BASE,
    FAR_SCHOOL,
    NEAR,
    WEST,
    plant_visit_grids,
    store_walk,
)
from tests.planters.walking import lonlat

OCTOBER = datetime(2026, 10, 1, tzinfo=CHINA)
NOVEMBER = datetime(2026, 11, 1, tzinfo=CHINA)
T = datetime(2026, 10, 20, 10, 0, tzinfo=CHINA)
WEEK = timedelta(days=7)
MINUTE = timedelta(minutes=1)
SPEED = 1.2
HALF_WALK_S = 75


@dataclass(frozen=True)
class Case:
    x: float
    y: float
    grid: str
    reported_at: datetime
    # the instant the case's walk passes the event, and how far south of it the walk runs
    passed_at: datetime | None = None
    track_m: float = 10.0


CASES = {
    # reported at the period's first instant; never passed: blind
    "START": Case(-400, 150, WEST, OCTOBER),
    # 10 m, 2 days before: patrolled
    "A": Case(-400, 0, WEST, T, passed_at=T - timedelta(days=2)),
    # 10 m, 8 days before: blind
    "B": Case(-150, 0, WEST, T + 5 * MINUTE, passed_at=T + 5 * MINUTE - timedelta(days=8)),
    # 50 m, a day before: blind
    "C": Case(150, 0, EAST, T, passed_at=T - timedelta(days=1), track_m=50),
    # 10 m, 7 days and a minute before; the walk's chunk runs on into the window: blind
    "E_OUT": Case(400, 0, EAST, T + 10 * MINUTE, passed_at=T + 10 * MINUTE - WEEK - MINUTE),
    # 10 m, 7 days less a minute before; the chunk began before the window: patrolled
    "E_IN": Case(1100, 0, FAR_BASE, T, passed_at=T - WEEK + MINUTE),
    # 10 m, an hour after: blind
    "D": Case(1800, 0, FAR_SCHOOL, T, passed_at=T + timedelta(hours=1)),
}
BLIND = ["START", "B", "C", "E_OUT", "D"]  # by grid, then time


def _walk_past(conn, team: int, x: float, y: float, passed_at: datetime) -> list[int]:
    """A walk along y, passing x at ``passed_at``."""
    reach = SPEED * HALF_WALK_S
    fixes = fixes_along(
        [(x - reach, y), (x + reach, y)],
        speed_mps=SPEED,
        start=passed_at.timestamp() - HALF_WALK_S,
    )
    return store_walk(conn, team, "walkers", fixes)


@pytest.fixture
def scripted(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_visit_grids(conn)
        team = plant_team(conn)
        conn.commit()
        ids = {}
        for name, case in CASES.items():
            ids[name] = plant_event(
                scratch_database,
                point=lonlat(case.x, case.y),
                grid=case.grid,
                reported_at=case.reported_at,
                reporter_phone="13912345678",
            )
            if case.passed_at is not None:
                _walk_past(conn, team, case.x, case.y - case.track_m, case.passed_at)
        # never shown: another period (the period's end, and just before its start), a
        # category the public may not see (婚姻家庭纠纷), an event a moderator hid
        left_out = [
            plant_event(scratch_database, point=lonlat(1800, 150), grid=FAR_SCHOOL, reported_at=at)
            for at in (NOVEMBER, OCTOBER - timedelta(microseconds=1))
        ]
        left_out.append(
            plant_event(
                scratch_database,
                point=lonlat(1800, -150),
                grid=FAR_SCHOOL,
                category="0702",
                reported_at=T,
            )
        )
        left_out.append(
            plant_event(
                scratch_database,
                point=lonlat(1900, -150),
                grid=FAR_SCHOOL,
                reported_at=T,
                hidden_at=T,
                hidden_by="moderator",
            )
        )
        conn.ids = ids  # type: ignore[attr-defined]
        conn.team = team  # type: ignore[attr-defined]
        conn.url = scratch_database  # type: ignore[attr-defined]
        yield conn


def _october(conn, **options):
    return blind_spots(conn, start=OCTOBER, end=NOVEMBER, **options)


def _names(conn, report) -> list[str]:
    by_id = {event_id: name for name, event_id in conn.ids.items()}
    return [by_id[spot.event_id] for spot in report.spots]


def test_the_list_is_the_scripted_blind_set_by_grid_then_time(scripted):
    report = _october(scripted)
    assert _names(scripted, report) == BLIND
    assert [spot.grid_code for spot in report.spots] == [WEST, WEST, EAST, EAST, FAR_SCHOOL]
    assert {spot.radius_m for spot in report.spots} == {30.0}
    assert report.spots[0].category_name == "暴露垃圾" and report.spots[0].grid_name == "网格001"
    assert (report.caveats.tracks_without_chunks, report.caveats.events_not_shown) == (0, 2)
    assert any("left out" in note for note in report.caveats.notes)


def test_each_blind_spot_has_the_nearest_earlier_patrol(scripted):
    spots = {name: spot for name, spot in zip(BLIND, _october(scripted).spots, strict=True)}
    for name, distance in (("B", 10), ("C", 50), ("E_OUT", 10)):
        spot, case = spots[name], CASES[name]
        assert spot.nearest_patrol_m == pytest.approx(distance, abs=0.05), name
        assert case.passed_at is not None
        assert spot.nearest_patrol_at is not None
        assert abs((spot.nearest_patrol_at - case.passed_at).total_seconds()) < 0.5, name
    # D's walk came after it; nothing came before the period's first instant
    assert spots["D"].nearest_patrol_m is None and spots["D"].nearest_patrol_at is None
    assert spots["START"].nearest_patrol_m is None
    assert spots["B"].as_dict()["nearest_patrol_m"] == 10


def test_the_window_edge_inside_a_chunk_is_cut_by_time(scripted):
    # E_OUT's chunk lies within 30 m of it and its time overlaps the window: only the cut
    # by M (the part walked inside the window is 72 m and more away) makes it blind
    case = CASES["E_OUT"]
    row = scripted.execute(
        """
        SELECT count(*) FROM patrol_track_chunks AS c, events AS e
        WHERE e.event_id = %s
          AND ST_DWithin(c.geom_4545, ST_Transform(e.geom, 4545), 30)
          AND c.during && tstzrange(e.reported_at - interval '7 days', e.reported_at)
          AND NOT c.during <@ tstzrange(e.reported_at - interval '7 days', e.reported_at)
        """,
        (scripted.ids["E_OUT"],),
    ).fetchone()
    assert row == (1,)
    assert case.passed_at is not None
    # the same walk two minutes later passes it inside the window: patrolled
    _walk_past(scripted, scripted.team, case.x, case.y - 10, case.passed_at + 2 * MINUTE)
    assert "E_OUT" not in _names(scripted, _october(scripted))


def test_the_window_is_days_long(scripted):
    assert "B" not in _names(scripted, _october(scripted, days=9))
    one_day = _names(scripted, _october(scripted, days=1))
    assert "A" in one_day and "C" in one_day and "E_IN" in one_day


def test_the_radius_is_the_countys_standard(scripted):
    assert "C" not in _names(scripted, _october(scripted, radius_m=60))
    scripted.execute(
        "UPDATE patrol_standards SET radius_m = 60 WHERE county_code = '450105'"
        " AND grid_kind = 'base'"
    )
    report = _october(scripted)
    assert "C" not in _names(scripted, report) and report.spots[0].radius_m == 60
    scripted.rollback()


def test_a_track_counts_as_it_is_stored(scripted):
    case = CASES["D"]
    _walk_past(scripted, scripted.team, case.x, case.y - 10, T - timedelta(days=1))
    assert "D" not in _names(scripted, _october(scripted))


def test_a_track_without_chunks_is_a_caveat_until_the_refresh(scripted):
    case = CASES["D"]
    (track,) = _walk_past(scripted, scripted.team, case.x, case.y - 10, T - timedelta(days=1))
    # as a track stored before migration 0017 is: queued, never cut into chunks
    scripted.execute("DELETE FROM patrol_track_chunks WHERE track_id = %s", (track,))
    scripted.commit()
    report = _october(scripted)
    assert "D" in _names(scripted, report)
    assert report.caveats.tracks_without_chunks == 1
    assert any("not yet cut into chunks" in note for note in report.caveats.notes)
    coverage.refresh(scripted)
    report = _october(scripted)
    assert "D" not in _names(scripted, report) and report.caveats.tracks_without_chunks == 0


def test_the_scope_keeps_its_own_events(scripted):
    assert _names(scripted, _october(scripted, scope=NEAR)) == ["START", "B", "C", "E_OUT"]
    assert _names(scripted, _october(scripted, scope=FAR)) == ["D"]
    assert _names(scripted, _october(scripted, scope="450103")) == []


def test_the_layer_shows_the_public_cell_and_no_personal_data(scripted):
    layer = blind_spot_layer(scripted, start=OCTOBER, end=NOVEMBER)
    assert layer["type"] == "FeatureCollection"
    assert [f["id"] for f in layer["features"]] == [scripted.ids[name] for name in BLIND]
    assert layer["numberMatched"] == layer["numberReturned"] == 5
    assert layer["caveats"]["events_not_shown"] == 2 and layer["days"] == 7
    cells = dict(
        scripted.execute(
            "SELECT event_id, ST_AsGeoJSON(geom, 6)::json -> 'coordinates' FROM public_events"
        ).fetchall()
    )
    for feature in layer["features"]:
        assert feature["geometry"]["coordinates"] == cells[feature["id"]]
    assert "13912345678" not in str(layer)
    b = layer["features"][1]["properties"]
    assert (b["nearest_patrol_m"], b["grid_code"], b["category_code"]) == (10, WEST, "0101")
    listed = _october(scripted).as_dict()
    assert [s["event_id"] for s in listed["blind_spots"]] == [f["id"] for f in layer["features"]]
    assert listed["blind_spots"][1]["reported_at"] == "2026-10-20T10:05:00+08:00"


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"days": 0}, "days"),
        ({"days": 366}, "days"),
        ({"radius_m": 0}, "radius_m"),
        ({"radius_m": 501}, "radius_m"),
        ({"start": NOVEMBER, "end": OCTOBER}, "to"),
        ({"start": OCTOBER, "end": OCTOBER + timedelta(days=367)}, "to"),
        ({"start": datetime(2026, 10, 1)}, "from"),
        ({"scope": "4501"}, "scope"),
    ],
)
def test_bad_options_are_named(scratch_database, options, parameter):
    with psycopg.connect(scratch_database) as conn, pytest.raises(InvalidParameter) as raised:
        blind_spots(conn, **options)
    assert raised.value.parameter == parameter


def test_the_default_period_is_this_month(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        report = blind_spots(conn)
    assert report.start.astimezone(CHINA).day == 1 and report.end - report.start >= timedelta(
        days=28
    )
    assert report.spots == []


def test_the_chunks_are_probed_by_place_and_time_in_one_index(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_visit_grids(conn)
        team = plant_team(conn)
        conn.commit()
        (track,) = _walk_past(conn, team, 0, 0, T)
        # a month of patrols over 5 × 4 km (20,000 chunks of 150 s) and 2,000 events
        conn.execute(
            """
            INSERT INTO patrol_track_chunks (track_id, chunk, county_code, month, during, track,
                                             geom_4545)
            SELECT %(track)s, i, '450105', DATE '2026-10-01', tstzrange(t, t + interval '150 s'),
                   line, ST_Transform(ST_Force2D(line), 4545)
            FROM generate_series(1, 20000) AS i,
                 LATERAL (SELECT %(october)s::timestamptz + (i %% 30) * interval '1 day'
                                 + (i %% 24) * interval '1 hour' AS t,
                                 108.28 + random() * 0.05 AS x, 22.78 + random() * 0.04 AS y
                         ) AS p,
                 LATERAL (SELECT ST_SetSRID(ST_MakeLine(
                                     ST_MakePointM(p.x, p.y, extract(epoch FROM p.t)),
                                     ST_MakePointM(p.x + 0.0015, p.y,
                                                   extract(epoch FROM p.t) + 150)), 4326) AS line
                         ) AS l
            """,
            {"track": track, "october": OCTOBER},
        )
        conn.execute(
            """
            INSERT INTO events (tracking_number, county_code, category_code, source, status,
                                reported_at, geom)
            SELECT 'SJ' || (30000000000 + i), '450105', '0101', 'qr', 'reported',
                   %s::timestamptz + i * interval '20 minutes',
                   ST_SetSRID(ST_MakePoint(108.28 + random() * 0.05,
                                           22.78 + random() * 0.04), 4326)
            FROM generate_series(1, 2000) AS i
            """,
            (OCTOBER,),
        )
        conn.execute("ANALYZE patrol_track_chunks")
        conn.execute("ANALYZE events")
        params = {"start": OCTOBER, "end": NOVEMBER, "scope": "", "days": 7, "radius_m": None}
        plan = conn.execute(
            "EXPLAIN " + query("patrols/blind_spots"),
            {**params, "nearest_m": NEAREST_M, "nearest_days": NEAREST_DAYS},
        ).fetchall()
        text = "\n".join(line[0] for line in plan)
        assert "patrol_track_chunks_geom_during_idx" in text, text
        assert len(blind_spots(conn, start=OCTOBER, end=NOVEMBER).spots) > 0
