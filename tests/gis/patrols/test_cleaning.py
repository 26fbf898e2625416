"""Cleaning a file's fixes in PostGIS (clean_patrol_fixes) and storing the upload
(store_patrol_upload): one case per rule, with the counts kept beside the track, and the
refusals that write nothing."""

from __future__ import annotations

from collections import Counter

import psycopg
import pytest

from gis.imports.problems import ImportRejected
from gis.patrols.uploads import TeamNotServing, Uploader, store
from tests.planters.patrols import START, Fix, fixes_along, plant_team, source
from tests.planters.walking import lonlat, plant_county

# along y = 0, 1.2 m/s, a fix every 10 s: 12 m steps
STREET = [(0.0, 0.0), (600.0, 0.0)]
TABLES = ("patrol_uploads", "patrol_sources", "patrol_tracks")


@pytest.fixture
def conn(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn)
        conn.commit()
        yield conn


def _verdicts(conn, fixes: list[Fix], *, max_kmh: float = 30, gap_s: float = 600) -> list[tuple]:
    rows = conn.execute(
        "SELECT seq, verdict, piece FROM clean_patrol_fixes(%s, %s, %s, %s, '450105', %s, %s)",
        (
            [0] * len(fixes),
            [f[0] for f in fixes],
            [f[1] for f in fixes],
            [f[2] for f in fixes],
            max_kmh,
            gap_s,
        ),
    ).fetchall()
    assert [r[0] for r in rows] == list(range(1, len(fixes) + 1))
    return [(r[1], r[2]) for r in rows]


def _counts(verdicts) -> dict[str, int]:
    return dict(Counter(v for v, _ in verdicts))


def _moved(fix: Fix, x: float, y: float) -> Fix:
    """The fix moved to local metres (x, y), its time kept."""
    return (*lonlat(x, y), fix[2])


def test_a_clean_walk_is_one_piece(conn):
    walk = fixes_along(STREET)
    verdicts = _verdicts(conn, walk)
    assert _counts(verdicts) == {"kept": len(walk)}
    assert {p for _, p in verdicts} == {1}


def test_a_spike_is_a_jump_and_costs_no_neighbour(conn):
    walk = fixes_along(STREET)
    walk[20] = _moved(walk[20], 240, 300)  # 300 m off the street between two 10-s fixes
    verdicts = _verdicts(conn, walk)
    assert _counts(verdicts) == {"kept": len(walk) - 1, "jump": 1}
    assert verdicts[20][0] == "jump"


def test_a_ride_is_dropped_for_speed_and_splits_the_track(conn):
    # 20 fixes at 1.2 m/s, then 10 at 40 km/h (11.1 m/s), then walking again
    walk = fixes_along([(0, 0), (228, 0)])
    ride = fixes_along([(228, 0), (1340, 0)], speed_mps=40 / 3.6, start=walk[-1][2])[1:]
    after = fixes_along([(1340, 0), (1580, 0)], start=ride[-1][2])[1:]
    verdicts = _verdicts(conn, walk + ride + after)
    counts = _counts(verdicts)
    assert counts["speed"] == len(ride)
    assert {p for v, p in verdicts if v == "kept"} == {1, 2}
    # the same ride on a courier's bike (60 km/h allowed) is kept whole
    assert _counts(_verdicts(conn, walk + ride + after, max_kmh=60)) == {
        "kept": len(walk + ride + after)
    }


def test_a_repeated_instant_is_a_duplicate_time(conn):
    walk = fixes_along(STREET)
    walk.insert(11, (walk[11][0], walk[11][1], walk[10][2]))
    assert _counts(_verdicts(conn, walk)) == {"kept": len(walk) - 1, "duplicate_time": 1}


def test_a_late_fix_is_a_backward_time(conn):
    walk = fixes_along(STREET)
    walk[30] = (walk[30][0], walk[30][1], walk[25][2] - 1)
    verdicts = _verdicts(conn, walk)
    assert _counts(verdicts) == {"kept": len(walk) - 1, "backward_time": 1}
    assert verdicts[30][0] == "backward_time"


def test_a_fix_beyond_the_county_is_outside(conn):
    walk = fixes_along(STREET)
    walk[5] = (walk[5][0] + 1.5, walk[5][1], walk[5][2])  # 150 km east, off the outline
    # outside is judged first, so the fix is not also a jump
    assert _counts(_verdicts(conn, walk)) == {"kept": len(walk) - 1, "outside": 1}


@pytest.mark.parametrize(("gap_s", "pieces"), [(601, 2), (599, 1)])
def test_a_silence_over_ten_minutes_splits_the_track(conn, gap_s, pieces):
    first = fixes_along([(0, 0), (120, 0)])
    # the second walk's first fix (its start point, dropped) would come 10 s after the gap
    second = fixes_along([(120, 0), (240, 0)], start=first[-1][2] + gap_s - 10)[1:]
    verdicts = _verdicts(conn, first + second)
    assert _counts(verdicts) == {"kept": len(first + second)}
    assert len({p for _, p in verdicts}) == pieces


def test_a_fix_alone_between_two_gaps_is_lone(conn):
    first = fixes_along([(0, 0), (120, 0)])
    alone = (*lonlat(130, 0), first[-1][2] + 700)
    last = fixes_along([(140, 0), (260, 0)], start=alone[2] + 700)
    verdicts = _verdicts(conn, [*first, alone, *last])
    assert _counts(verdicts) == {"kept": len(first) + len(last), "lone": 1}
    assert verdicts[len(first)] == ("lone", None)


def _store(conn, team_id: int, *tracks: list[Fix], code: str = "walkers"):
    return store(
        conn,
        [source(t, f"trk[{i}]", i) for i, t in enumerate(tracks)],
        team_id=team_id,
        team_code=code,
        source="import",
        file_name="round.gpx",
        file_format="gpx",
        size=1234,
        uploader=Uploader("test"),
    )


def _rows(conn) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_an_upload_keeps_the_raw_fixes_and_each_rules_count(conn):
    team = plant_team(conn)
    walk = fixes_along(STREET)
    walk[20] = _moved(walk[20], 240, 300)
    walk.insert(11, (walk[11][0], walk[11][1], walk[10][2]))
    later = fixes_along([(0, 100), (300, 100)], start=walk[-1][2] + 3600)
    stored = _store(conn, team, walk + later)
    conn.commit()
    (track,) = stored.tracks
    assert track.raw_points == len(walk + later)
    assert track.dropped == {
        "outside": 0,
        "duplicate_time": 1,
        "backward_time": 0,
        "jump": 1,
        "speed": 0,
        "lone": 0,
    }
    assert track.kept_points == len(walk + later) - 2 and track.pieces == 2
    rows = conn.execute(
        """
        SELECT t.piece, t.points, round(t.length_m), ST_IsValidTrajectory(t.track),
               ST_NPoints(s.raw), s.kept_points, s.dropped_jump, t.ended_at - t.started_at,
               ST_GeometryType(t.geom),
               ST_M(ST_StartPoint(t.track)) = extract(epoch FROM t.started_at)
        FROM patrol_tracks AS t JOIN patrol_sources AS s USING (source_id)
        WHERE t.track_id = ANY(%s) ORDER BY t.piece
        """,
        (track.track_ids,),
    ).fetchall()
    assert [r[0] for r in rows] == [0, 1]
    assert [r[1] for r in rows] == [len(walk) - 2, len(later)]
    assert 590 <= rows[0][2] <= 610 and 290 <= rows[1][2] <= 310
    assert all(r[3] and r[8] == "ST_LineString" and r[9] for r in rows)
    assert rows[0][4] == len(walk + later)  # the raw line keeps every fix as received


def test_a_file_with_one_bad_track_writes_nothing(conn):
    team = plant_team(conn)
    good = fixes_along(STREET)
    backwards = [(lon, lat, START - i * 10) for i, (lon, lat, _) in enumerate(good)]
    far = [(lon + 1.5, lat, t) for lon, lat, t in good]
    spiky = [(*lonlat(0, 0), START), (*lonlat(500, 0), START + 1)]
    with pytest.raises(ImportRejected) as refused:
        _store(conn, team, good, backwards, far, spiky)
    said = {p.record: p.problem for p in refused.value.problems}
    assert said == {
        "trk[1]": f"times go backwards at {len(good) - 1} of {len(good)} fixes",
        "trk[2]": f"all {len(good)} fixes lie outside county 450105",
        "trk[3]": "nothing left after cleaning: 1 too fast, 1 alone between gaps",
    }
    assert _rows(conn) == dict.fromkeys(TABLES, 0)


def test_a_team_uploading_tracks_of_another_county_is_told_so(conn):
    conn.execute(
        "INSERT INTO districts (county_code, name, geom) VALUES"
        " ('450103', 'other', ST_Multi(ST_MakeEnvelope(110, 22, 111, 23, 4326)))"
    )
    team = plant_team(conn)
    elsewhere = [(lon + 2.2, lat, t) for lon, lat, t in fixes_along(STREET)]
    with pytest.raises(TeamNotServing) as refused:
        _store(conn, team, elsewhere)
    assert str(refused.value) == "trk[0]: team walkers serves 450105; the track lies in 450103"
    assert _rows(conn) == dict.fromkeys(TABLES, 0)


def test_a_disabled_team_stores_nothing(conn):
    team = plant_team(conn)
    conn.execute("UPDATE patrol_teams SET disabled_at = now() WHERE team_id = %s", (team,))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        _store(conn, team, fixes_along(STREET))
