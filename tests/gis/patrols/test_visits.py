"""Visits to grids: stretches of tracks inside grids with entry and exit times
interpolated on the crossing segment (patrol_stretches_of, run by the trigger on
patrol_tracks), visits after the grace, hours, the monthly standard, stale grids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from gis.errors import InvalidParameter
from gis.patrols import coverage
from gis.patrols.visits import CHINA, GridVisits, coverage_report, refresh_visits, stale_grids
from tests.planters.patrols import START, plant_team
from tests.planters.visits import (
    EAST,
    FAR,
    FAR_BASE,
    FAR_SCHOOL,
    NEAR,
    SUBDISTRICT,
    WEST,
    crossing_walk,
    plant_visit_grids,
    store_walk,
)
from tests.planters.walking import ORIGIN, lonlat

OCTOBER = datetime(2026, 10, 1, tzinfo=CHINA)
NOVEMBER = datetime(2026, 11, 1, tzinfo=CHINA)
DECEMBER = datetime(2026, 12, 1, tzinfo=CHINA)


@pytest.fixture
def conn(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_visit_grids(conn)
        yield conn


@pytest.fixture
def team(conn) -> tuple[int, str]:
    team_id = plant_team(conn, "walkers", grids=[EAST])
    conn.commit()
    return team_id, "walkers"


def _stretches(conn, grid: str | None = None) -> list[tuple[str, float, float]]:
    """(grid, entered, left) in seconds after START, in order of entry."""
    rows = conn.execute(
        "SELECT grid_code, extract(epoch FROM entered_at)::float8 - %s,"
        " extract(epoch FROM left_at)::float8 - %s FROM patrol_stretches"
        " WHERE %s::text IS NULL OR grid_code = %s ORDER BY entered_at, grid_code",
        (START, START, grid, grid),
    ).fetchall()
    return [(g.strip(), round(e, 3), round(left, 3)) for g, e, left in rows]


def _east(conn, **period) -> GridVisits:
    """EAST in October (or the period given), reported when the period is over."""
    period = {"start": OCTOBER, "end": NOVEMBER, **period}
    report = coverage_report(conn, scope=NEAR, now=datetime(2027, 3, 1, tzinfo=UTC), **period)
    return next(g for g in report.grids if g.grid_code == EAST)


def _stay(conn, team, seconds: float, *, at: float = START) -> None:
    """A walk that spends ``seconds`` in EAST, entering 100 s after ``at``."""
    store_walk(conn, *team, crossing_walk(at, [at + 100, at + 100 + seconds], at + seconds + 200))


def test_entry_falls_where_the_segment_crosses_the_edge(conn, team):
    # fixes at x = −10 m (t = 0) and x = +10 m (t = 20 s): in at t = 10 s exactly
    fixes = [(*lonlat(-10, 0), START), (*lonlat(10, 0), START + 20), (*lonlat(30, 0), START + 40)]
    store_walk(conn, *team, fixes)
    assert _stretches(conn) == [(WEST, 0.0, 10.0), (EAST, 10.0, 40.0)]
    (inside,) = conn.execute("SELECT inside_s FROM patrol_stretches WHERE grid_code = %s", (EAST,))
    assert inside[0] == pytest.approx(30.0, abs=1e-3)


def test_ten_minutes_inside_is_a_visit_and_a_second_less_is_not(conn, team):
    _stay(conn, team, 600)
    assert _stretches(conn, EAST) == [(EAST, 100.0, 700.0)]
    assert _east(conn).visits == 1
    conn.execute("DELETE FROM patrol_tracks")
    _stay(conn, team, 599)
    assert _stretches(conn, EAST) == [(EAST, 100.0, 699.0)]
    east = _east(conn)
    assert east.visits == 0
    assert east.hours == pytest.approx(599 / 3600, abs=1e-6)


def test_two_stays_five_minutes_apart_are_two_visits(conn, team):
    walk = crossing_walk(
        START, [START + 100, START + 700, START + 1000, START + 1600], START + 1800
    )
    store_walk(conn, *team, walk)
    assert _stretches(conn, EAST) == [(EAST, 100.0, 700.0), (EAST, 1000.0, 1600.0)]
    east = _east(conn)
    assert (east.visits, east.hours) == (2, pytest.approx(1200 / 3600))


@pytest.mark.parametrize(("away_s", "visits"), [(30, 1), (90, 2)])
def test_a_short_step_out_is_forgiven_and_a_longer_one_is_not(conn, team, away_s, visits):
    # 10 min in, a step out into WEST, 10 min in: one visit when the grace (60 s) joins them
    out = START + 100 + 600
    walk = crossing_walk(START, [START + 100, out, out + away_s, out + away_s + 600], out + 900)
    store_walk(conn, *team, walk)
    east = _east(conn)
    assert east.visits == visits
    # the time outside never counts as hours
    assert east.hours == pytest.approx(1200 / 3600)


@pytest.mark.parametrize(("second_stay_s", "meets"), [(7140, False), (7200, True)])
def test_the_standard_needs_two_visits_and_four_hours(conn, team, second_stay_s, meets):
    _stay(conn, team, 7200)
    _stay(conn, team, second_stay_s, at=START + 86400)
    east = _east(conn, start=OCTOBER, end=NOVEMBER)
    assert east.visits == 2
    assert east.hours == pytest.approx((7200 + second_stay_s) / 3600)
    assert east.meets_standard is meets
    assert [m.meets_standard for m in east.months] == [meets]


def test_a_walk_back_over_its_own_path_enters_at_each_crossing(conn, team):
    # along y = 0 east into EAST, back west over the same street into WEST, east again
    walk = crossing_walk(START, [START + 100, START + 400, START + 700], START + 900)
    store_walk(conn, *team, walk)
    assert _stretches(conn, EAST) == [(EAST, 100.0, 400.0), (EAST, 700.0, 900.0)]
    # the closest point of the whole track to the second entry is on the first pass, so
    # ST_InterpolatePoint gives the first crossing's time for both
    (naive,) = conn.execute(
        "SELECT ST_InterpolatePoint(track, ST_Point(%s, %s, 4326)) - %s FROM patrol_tracks",
        (*lonlat(0.0, 0), START),
    ).fetchone()
    assert naive in (pytest.approx(100.0, abs=1), pytest.approx(400.0, abs=1))


def test_a_fix_on_the_shared_edge_belongs_to_the_lower_code(conn, team):
    # a patrol walking north along the edge x = 0 between WEST (001) and EAST (002)
    south, north = lonlat(0, -200)[1], lonlat(0, 200)[1]
    fixes = [(ORIGIN[0], south + (north - south) * i / 30, START + 10 * i) for i in range(31)]
    store_walk(conn, *team, fixes)
    assert _stretches(conn) == [(WEST, 0.0, 300.0)]


def test_a_stretch_counts_in_the_month_it_started_in_china(conn, team):
    # in at 30 Nov 23:50 China time (15:50 UTC), out at 00:10 on 1 December
    evening = datetime(2026, 11, 30, 23, 48, 20, tzinfo=CHINA).timestamp()
    _stay(conn, team, 1200, at=evening)
    (month,) = conn.execute("SELECT month FROM patrol_stretches WHERE grid_code = %s", (EAST,))
    assert month[0].isoformat() == "2026-11-01"
    november = _east(conn, start=NOVEMBER, end=DECEMBER)
    december = _east(conn, start=DECEMBER, end=DECEMBER + timedelta(days=31))
    assert (november.visits, december.visits) == (1, 0)
    both = _east(conn, start=NOVEMBER, end=DECEMBER + timedelta(days=31))
    assert [(m.month, m.visits) for m in both.months] == [("2026-11", 1), ("2026-12", 0)]


def test_two_teams_at_once_are_one_presence(conn, team):
    _stay(conn, team, 1800)
    other = plant_team(conn, "riders", kind="couriers", grids=[EAST, FAR_BASE])
    conn.commit()
    _stay(conn, (other, "riders"), 1800, at=START + 600)
    east = _east(conn)
    # 09:01:40–09:31:40 and 09:11:40–09:41:40: one visit, 40 minutes
    assert (east.visits, east.hours) == (1, pytest.approx(2400 / 3600))
    by_team = coverage_report(
        conn, start=OCTOBER, end=NOVEMBER, scope=SUBDISTRICT, group_by="team", now=DECEMBER
    )
    rows = {(g.team_code, g.grid_code): (g.visits, round(g.hours, 3)) for g in by_team.grids}
    assert rows == {
        ("riders", EAST): (1, 0.5),
        ("riders", FAR_BASE): (0, 0.0),
        ("walkers", EAST): (1, 0.5),
    }


def test_groups_count_the_grids_that_meet_the_standard(conn, team):
    for day in (0, 1):
        _stay(conn, team, 7200, at=START + day * 86400)
    coverage.rebuild_targets(conn, "450105")  # the grids' cells listed, the tracks counted
    report = coverage_report(
        conn, start=OCTOBER, end=NOVEMBER, group_by="community", scope="450105", now=DECEMBER
    )
    groups = {g.code: g for g in report.groups}
    assert set(groups) == {NEAR, FAR}
    # EAST meets the standard; WEST was patrolled (the walk starts there) but too briefly
    assert (groups[NEAR].grids, groups[NEAR].grids_meeting, groups[NEAR].visits) == (2, 1, 2)
    assert (groups[FAR].grids, groups[FAR].grids_unpatrolled) == (2, 2)
    assert report.total.grids == 4 and report.total.grids_meeting == 1
    assert not report.caveats.notes
    subdistricts = coverage_report(conn, start=OCTOBER, end=NOVEMBER, group_by="subdistrict")
    assert [(g.code, g.grids_meeting) for g in subdistricts.groups] == [(SUBDISTRICT, 1)]
    kinds = {g.grid_code: g.grid_kind for g in report.grids}
    assert kinds[FAR_SCHOOL] == "school" and kinds[EAST] == "base"


def test_the_default_period_is_the_current_month_in_china(conn, team):
    _stay(conn, team, 600)
    # 1 Nov 07:00 China time is still 31 October in UTC
    report = coverage_report(conn, now=datetime(2026, 10, 31, 23, tzinfo=UTC))
    assert (report.start, report.end) == (NOVEMBER, DECEMBER)
    assert report.caveats.month_in_progress
    assert coverage_report(conn, now=datetime(2026, 10, 20, tzinfo=UTC)).total.visits == 1
    # one end given: the rest of its month, or its month so far
    mid_october = datetime(2026, 10, 12, tzinfo=CHINA)
    assert coverage_report(conn, start=mid_october).end == NOVEMBER
    assert coverage_report(conn, end=mid_october).start == OCTOBER


def test_redrawn_grids_leave_stale_stretches_until_refreshed(conn, team):
    _stay(conn, team, 600)
    conn.execute("UPDATE grids SET grid_code = %s WHERE grid_code = %s", (NEAR + "003", EAST))
    conn.commit()
    report = coverage_report(conn, start=OCTOBER, end=NOVEMBER, scope=NEAR, now=DECEMBER)
    assert report.caveats.stretches_in_lost_grids == 1
    assert "refresh-visits" in report.caveats.notes[0]
    counts = refresh_visits(conn, county="450105")
    assert counts == {"removed": 3, "stretches": 3, "tracks": 1}
    assert [s[0] for s in _stretches(conn)] == [WEST, NEAR + "003", WEST]


def test_stale_grids_are_those_nobody_entered_for_days(conn, team):
    _stay(conn, team, 600)
    # the walk leaves EAST 700 s after START and ends in WEST at 800 s
    left = datetime.fromtimestamp(START + 800, UTC)
    stale = stale_grids(conn, days=3, scope=NEAR, now=left + timedelta(days=3, minutes=1))
    assert [(g.grid_code, g.days_since) for g in stale] == [(EAST, 3.0), (WEST, 3.0)]
    fresh = stale_grids(conn, days=3, scope=NEAR, now=left + timedelta(days=2))
    assert fresh == []
    # by the standard (14 days): never-patrolled grids first
    standard = stale_grids(conn, scope="450105", now=left + timedelta(days=15))
    assert [g.grid_code for g in standard] == [FAR_BASE, FAR_SCHOOL, EAST, WEST]
    assert standard[0].last_patrolled_at is None and standard[0].days == 14


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"group_by": "county"}, "group_by"),
        ({"scope": "45010500100100"}, "scope"),
        ({"start": NOVEMBER, "end": OCTOBER}, "to"),
        ({"start": OCTOBER, "end": OCTOBER + timedelta(days=800)}, "to"),
        ({"start": datetime(1, 1, 1, tzinfo=UTC)}, "from"),
        ({"start": datetime(2026, 10, 1)}, "from"),
    ],
)
def test_bad_parameters_are_named(conn, arguments, parameter):
    with pytest.raises(InvalidParameter) as refused:
        coverage_report(conn, **arguments)
    assert refused.value.parameter == parameter


def test_a_segment_cutting_a_corner_between_two_fixes_is_no_stretch(conn, team):
    # from WEST to north of every grid, through EAST's north-west corner (x = 0 to 10 m)
    fixes = [
        (*lonlat(-50, 230), START),
        (*lonlat(-10, 230), START + 40),
        (*lonlat(30, 270), START + 80),
        (*lonlat(60, 300), START + 110),
    ]
    store_walk(conn, *team, fixes)
    # WEST is left a quarter of the way along the 40-s segment
    assert _stretches(conn) == [(WEST, 0.0, 50.0)]


def test_the_service_stores_stretches_with_its_tracks_and_cannot_change_them(conn, team):
    conn.execute("SET ROLE onemap_service")
    # acting for onemap itself: row-level security lets it store any team's upload
    conn.execute("SELECT set_config('onemap.role', 'system', false)")
    _stay(conn, team, 600)
    assert _stretches(conn, EAST) == [(EAST, 100.0, 700.0)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE patrol_stretches SET inside_s = 0")
    conn.rollback()
    # standards are the owner's to set
    conn.execute("SET ROLE onemap_service")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE patrol_standards SET min_visits = 0")
