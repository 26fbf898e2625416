"""What patrols cover on the ground: buildings, street segments and 50 m cells a track
passed within 30 m of, per month; the queue and its refresh (adding tracks one by one
gives what a full recount gives); periods read from the month sets or counted live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from gis.patrols import coverage
from gis.patrols.months import CHINA
from gis.patrols.visits import coverage_report
from tests.planters.coverage import plant_building
from tests.planters.patrols import START, fixes_along, plant_team
from tests.planters.visits import EAST, NEAR, WEST, plant_visit_grids, store_walk
from tests.planters.walking import COUNTY, lonlat

OCTOBER = datetime(2026, 10, 1, tzinfo=CHINA)
NOVEMBER = datetime(2026, 11, 1, tzinfo=CHINA)
# footprint distances from the track along y = 0 of 10 m square buildings centred at y
NEAR_BUILDINGS = {5.0: 10.0, 20.0: 25.0, 29.9: 34.9}
FAR_BUILDINGS = {30.1: 35.1, 45.0: 50.0}


def _street(conn: psycopg.Connection, points: list[tuple[float, float]]) -> None:
    line = ", ".join(f"{lon!r} {lat!r}" for lon, lat in (lonlat(x, y) for x, y in points))
    conn.execute(
        "INSERT INTO streets (county_code, name, street_class, geom)"
        f" VALUES (%s, 'test', 'residential', ST_GeomFromText('LINESTRING({line})', 4326))",
        (COUNTY,),
    )


@pytest.fixture
def conn(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_visit_grids(conn)
        codes = {}
        for serial, (distance, y) in enumerate({**NEAR_BUILDINGS, **FAR_BUILDINGS}.items()):
            codes[distance] = plant_building(conn, NEAR, serial + 1, 100 + 60 * serial, y, 10)
        conn.codes = codes  # type: ignore[attr-defined]
        # (not whole multiples of 50 m: EPSG:4545 lengthens a metre by 0.01 mm here)
        _street(conn, [(0, 0), (490, 0)])  # along the track: 10 segments of 49 m
        _street(conn, [(200, 0), (200, 190)])  # a side street: 4 of 47.5 m, midpoints 23.75…
        conn.commit()
        coverage.rebuild_targets(conn, COUNTY)
        conn.team = plant_team(conn)  # type: ignore[attr-defined]
        conn.commit()
        yield conn


def _walk(conn, start: float = START, y: float = 0.0) -> list[int]:
    """A walk along y from x = 50 to 450 m in EAST, at 1.2 m/s, a fix every 10 s."""
    return store_walk(conn, conn.team, "walkers", fixes_along([(50, y), (450, y)], start=start))


def _patrolled(conn, kind: str, month: datetime = OCTOBER) -> dict[str, int]:
    rows = conn.execute(
        "SELECT t.ref, p.passes FROM patrolled_targets AS p JOIN patrol_targets AS t"
        " USING (target_id) WHERE t.kind = %s AND p.month = %s",
        (kind, month.date()),
    ).fetchall()
    return dict(rows)


def test_targets_are_listed_with_their_grid(conn):
    rows = dict(
        conn.execute(
            "SELECT kind, count(DISTINCT grid_code) || ':' || count(*) FROM patrol_targets"
            " GROUP BY kind"
        ).fetchall()
    )
    assert rows["building"] == "1:5" and rows["street"] == "1:14"
    # 50 m cells with centres in the four grids: 2,000 × 500 m of them, 400 cells
    cells = conn.execute("SELECT count(*) FROM patrol_targets WHERE kind = 'cell'").fetchone()[0]
    assert 395 <= cells <= 405


def test_a_track_patrols_what_lies_within_30_m(conn):
    _walk(conn)
    assert conn.execute("SELECT count(*) FROM patrol_coverage_queue").fetchone() == (1,)
    counted = coverage.refresh(conn)
    assert counted["tracks"] == 1 and counted["chunks"] >= 2
    assert conn.execute("SELECT count(*) FROM patrol_coverage_queue").fetchone() == (0,)
    buildings = _patrolled(conn, "building")
    assert set(buildings) == {conn.codes[d] for d in NEAR_BUILDINGS}
    streets = _patrolled(conn, "street")
    side = {ref for ref in streets if ref.startswith("street 2 ")}
    assert len(streets) == 11 and side == {"street 2 segment 0"}
    # every cell whose centre is within 30 m of the track (as geodesic distance: another
    # measure than the planar one the count uses), and none further
    distances = conn.execute(
        """
        SELECT t.ref IN (SELECT ref FROM patrol_targets JOIN patrolled_targets USING (target_id)),
               ST_Distance(ST_Transform(t.probe_4545, 4326)::geography, p.geom::geography)
        FROM patrol_targets AS t, patrol_tracks AS p
        WHERE t.kind = 'cell' AND t.grid_code = %s
        """,
        (EAST,),
    ).fetchall()
    inside = [d for passed, d in distances if passed]
    outside = [d for passed, d in distances if not passed]
    assert inside and max(inside) <= 30.01 and min(outside) >= 29.99


def test_two_tracks_of_a_month_count_a_building_once(conn):
    _walk(conn)
    _walk(conn, start=START + 86400)
    coverage.refresh(conn)
    assert set(_patrolled(conn, "building").values()) == {2}
    report = coverage_report(conn, start=OCTOBER, end=NOVEMBER, scope=NEAR, now=NOVEMBER)
    (east,) = [g for g in report.grids if g.grid_code == EAST]
    assert east.ground is not None
    assert (east.ground.buildings, east.ground.buildings_patrolled) == (5, 3)
    assert east.ground.buildings_pct == 60.0
    assert east.ground.street_m == pytest.approx(680, abs=0.5)
    assert east.ground.street_m_patrolled == pytest.approx(537.5, abs=0.5)
    (west,) = [g for g in report.grids if g.grid_code == WEST]
    assert west.ground is not None and west.ground.cells_patrolled == 0


def _snapshot(conn) -> list[tuple]:
    return conn.execute(
        "SELECT month, target_id, grid_code, first_at, last_at, passes FROM patrolled_targets"
        " ORDER BY month, target_id"
    ).fetchall()


def test_adding_tracks_one_by_one_gives_what_a_full_recount_gives(conn):
    _walk(conn)
    coverage.refresh(conn)
    _walk(conn, start=START + 3600, y=20)
    _walk(conn, start=START + 7200, y=-25)
    coverage.refresh(conn)
    added = _snapshot(conn)
    recounted = coverage.refresh(conn, county=COUNTY, full=True)
    assert recounted["tracks"] == 0 and recounted["patrolled"] == len(added)
    assert _snapshot(conn) == added
    assert max(row[5] for row in added) == 3


def test_a_month_counts_its_own_tracks(conn):
    _walk(conn)
    # 70 m north: 29.9 m from the footprint 30.1 m from y = 0, 15 m from the last
    _walk(conn, start=NOVEMBER.timestamp() + 3600, y=70)
    coverage.refresh(conn)
    october, november = _patrolled(conn, "building"), _patrolled(conn, "building", NOVEMBER)
    assert set(october) == {conn.codes[d] for d in NEAR_BUILDINGS}
    assert set(november) == {conn.codes[d] for d in FAR_BUILDINGS}


def test_a_period_that_is_not_whole_months_is_counted_from_the_tracks(conn):
    _walk(conn)
    coverage.refresh(conn)
    walked = datetime.fromtimestamp(START, UTC)
    week = coverage.ground_covered(
        conn, start=walked - timedelta(days=3), end=walked + timedelta(days=4), scope=NEAR
    )[0]
    month = coverage.ground_covered(conn, start=OCTOBER, end=NOVEMBER, scope=NEAR)[0]
    assert week[EAST][0] == month[EAST][0]
    assert week[EAST][0].buildings_patrolled == 3
    before = coverage.ground_covered(
        conn, start=walked - timedelta(days=3), end=walked - timedelta(hours=1), scope=NEAR
    )[0]
    assert before[EAST][0].buildings_patrolled == 0


def test_tracks_not_yet_counted_are_a_caveat(conn):
    _walk(conn)
    report = coverage_report(conn, start=OCTOBER, end=NOVEMBER, scope=NEAR, now=NOVEMBER)
    assert report.caveats.tracks_not_counted == 1
    assert any("not yet in the buildings" in note for note in report.caveats.notes)
    coverage.refresh(conn)
    report = coverage_report(conn, start=OCTOBER, end=NOVEMBER, scope=NEAR, now=NOVEMBER)
    assert report.caveats.tracks_not_counted == 0


def test_deleted_tracks_leave_the_counts_at_a_full_recount(conn):
    (track,) = _walk(conn)
    coverage.refresh(conn)
    conn.execute("DELETE FROM patrol_tracks WHERE track_id = %s", (track,))
    conn.commit()
    assert _patrolled(conn, "building")  # still counted until recounted
    coverage.refresh(conn, county=COUNTY, full=True)
    assert _patrolled(conn, "building") == {}
