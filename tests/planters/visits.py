"""Grids and scripted walks for the visit tests, in local metres around the origin of
tests/planters/walking.py.

Two communities of one subdistrict; WEST ([−500, 0] × [−250, 250]) and EAST ([0, 500] ×
[−250, 250]) are base grids of NEAR sharing the edge x = 0, which is the meridian of the
origin (108.30° E) exactly, so a fix at x = 0 lies on it; FAR_BASE and FAR_SCHOOL (a
dedicated school grid) lie in FAR, east of x = 1000::

    y=250  ┌──── WEST ────┬──── EAST ────┐      ┌─ FAR_BASE ─┬─ FAR_SCHOOL ─┐
           │      001     │     002      │      │    001     │     801      │
    y=-250 └──────────────┴──────────────┘      └────────────┴──────────────┘
          x=-500          0             500  1000          1500           2000

A walk is scripted by the instants it crosses x = 0 (``crossing_walk``): it starts in WEST
10 m from the edge, crosses at each instant (10 m either side, 20 s apart, so the crossing
falls exactly halfway), and in between wanders at 1 m/s away from the edge and back, a fix
every 10 s, never more than 200 m in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from gis.patrols import uploads
from tests.planters.patrols import Fix, source
from tests.planters.walking import COUNTY, ORIGIN, lonlat, plant_county

SUBDISTRICT = COUNTY + "001"
NEAR, FAR = SUBDISTRICT + "001", SUBDISTRICT + "002"
WEST, EAST = NEAR + "001", NEAR + "002"
FAR_BASE, FAR_SCHOOL = FAR + "001", FAR + "801"
BOXES = {
    WEST: (-500, 0),
    EAST: (0, 500),
    FAR_BASE: (1000, 1500),
    FAR_SCHOOL: (1500, 2000),
}
HALF_HEIGHT = 250.0


def _lon(x: float) -> float:
    # x = 0 is the origin's meridian exactly, whatever the projection's rounding
    return ORIGIN[0] if x == 0 else lonlat(x, 0)[0]


def _envelope(x1: float, x2: float) -> str:
    south, north = lonlat(0, -HALF_HEIGHT)[1], lonlat(0, HALF_HEIGHT)[1]
    return f"ST_Multi(ST_MakeEnvelope({_lon(x1)!r}, {south!r}, {_lon(x2)!r}, {north!r}, 4326))"


def plant_visit_grids(conn: psycopg.Connection) -> None:
    """The county, a subdistrict, NEAR and FAR, and the four grids; commits."""
    plant_county(conn)
    conn.execute(
        "INSERT INTO subdistricts (subdistrict_code, county_code, name, kind, geom)"
        f" VALUES (%s, %s, '福建园街道', 'street', {_envelope(-500, 2000)})",
        (SUBDISTRICT, COUNTY),
    )
    for code, name, (x1, x2) in ((NEAR, "近社区", (-500, 500)), (FAR, "远社区", (1000, 2000))):
        conn.execute(
            "INSERT INTO communities (community_code, subdistrict_code, county_code, name,"
            f" kind, geom) VALUES (%s, %s, %s, %s, 'community', {_envelope(x1, x2)})",
            (code, SUBDISTRICT, COUNTY, name),
        )
    for code, (x1, x2) in BOXES.items():
        school = code == FAR_SCHOOL
        conn.execute(
            "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type,"
            f" dedicated_kind, geom) VALUES (%s, %s, %s, %s, %s, %s, {_envelope(x1, x2)})",
            (
                code,
                code[:12],
                COUNTY,
                f"网格{code[-3:]}",
                "dedicated" if school else "base",
                "school" if school else None,
            ),
        )
    conn.commit()


def _wander(side: float, since: float, until: float, offset_x: float = 0.0) -> list[Fix]:
    """Fixes from ``since`` to ``until`` (both included) 10 m from the edge on ``side``
    (−1 west, +1 east) at both ends, going in and out at 1 m/s up to 200 m from it."""
    times = [since + 10 * i for i in range(int((until - since) // 10) + 1)]
    if until - times[-1] > 1e-9:
        times.append(until)
    fixes = []
    for t in times:
        away = min(t - since, until - t) % 380  # there and back, 190 m each way
        x = offset_x + side * (10 + (away if away <= 190 else 380 - away))
        fixes.append((*lonlat(x, 0), t))
    return fixes


def crossing_walk(start: float, crossings: Sequence[float], end: float) -> list[Fix]:
    """A walk from ``start`` to ``end`` (epoch seconds) that begins in WEST and crosses
    x = 0 at each instant of ``crossings`` (at least 30 s apart, 30 s from either end)."""
    fixes: list[Fix] = []
    side = -1.0
    since = start
    for crossing in crossings:
        fixes += _wander(side, since, crossing - 10)
        side = -side
        since = crossing + 10
    fixes += _wander(side, since, end)
    return fixes


def store_walk(
    conn: psycopg.Connection, team_id: int, team_code: str, fixes: list[Fix]
) -> list[int]:
    """Store the fixes as one uploaded track for the team; the ids of its pieces."""
    stored = uploads.store(
        conn,
        [source(fixes)],
        team_id=team_id,
        team_code=team_code,
        source="import",
        file_name="walk.gpx",
        file_format="gpx",
        size=0,
        uploader=uploads.Uploader("test"),
    )
    conn.commit()
    return stored.tracks[0].track_ids


def epoch(moment: datetime) -> float:
    return moment.timestamp()
