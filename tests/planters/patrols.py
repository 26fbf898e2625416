"""Patrol teams and tracks for the patrol tests: a team planted in the test county, fixes
walked along a path drawn in local metres (tests/planters/walking.py) at a given speed,
and the same fixes written as a GPX or GeoJSON file."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import pairwise

import psycopg

from gis.patrols.reading import SourceTrack
from tests.planters.walking import COUNTY, lonlat

# 2026-10-12 09:00 China time
START = datetime(2026, 10, 12, 1, 0, tzinfo=UTC).timestamp()
Fix = tuple[float, float, float]  # longitude, latitude, epoch seconds


def plant_team(
    conn: psycopg.Connection,
    code: str = "walkers",
    kind: str = "volunteers",
    county: str = COUNTY,
    grids: Sequence[str] = (),
) -> int:
    """A team; its id."""
    (team_id,) = conn.execute(
        "INSERT INTO patrol_teams (county_code, team_code, name, kind, created_by)"
        " VALUES (%s, %s, %s, %s, 'test') RETURNING team_id",
        (county, code, f"{code} 队", kind),
    ).fetchone()  # type: ignore[misc]
    for grid in grids:
        conn.execute(
            "INSERT INTO patrol_team_grids (team_id, county_code, grid_code) VALUES (%s, %s, %s)",
            (team_id, county, grid),
        )
    return int(team_id)


def fixes_along(
    path_m: Sequence[tuple[float, float]],
    *,
    speed_mps: float = 1.2,
    every_s: float = 10.0,
    start: float = START,
) -> list[Fix]:
    """Fixes every ``every_s`` seconds walking the path (local metres) at ``speed_mps``,
    the path's last point included."""
    legs = list(pairwise(path_m))
    total = sum(math.dist(a, b) for a, b in legs)
    fixes: list[Fix] = []
    steps = max(int(total / (speed_mps * every_s)), 1)
    for step in range(steps + 1):
        along = min(step * speed_mps * every_s, total)
        for a, b in legs:
            length = math.dist(a, b)
            if along <= length or (a, b) == legs[-1]:
                share = along / length if length else 0.0
                x, y = a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share
                break
            along -= length
        fixes.append((*lonlat(x, y), start + step * every_s))
    return fixes


def source(fixes: Sequence[Fix], label: str = "trk[0]", index: int = 0) -> SourceTrack:
    """The fixes as a track read from a file."""
    return SourceTrack(
        label,
        index,
        tuple(f[0] for f in fixes),
        tuple(f[1] for f in fixes),
        tuple(f[2] for f in fixes),
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def gpx_of(*tracks: Sequence[Fix], name: str = "巡逻") -> bytes:
    """A GPX 1.1 file, one <trk> per track."""
    body = "".join(
        f"<trk><name>{name} {i}</name><trkseg>"
        + "".join(
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><time>{_iso(t)}</time></trkpt>'
            for lon, lat, t in track
        )
        + "</trkseg></trk>"
        for i, track in enumerate(tracks)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gpx version="1.1" creator="onemap tests" xmlns="http://www.topografix.com/GPX/1/1">'
        f"{body}</gpx>"
    ).encode()


def geojson_of(*tracks: Sequence[Fix]) -> bytes:
    """A GeoJSON FeatureCollection, one LineString feature per track, times in coordTimes."""
    features = [
        {
            "type": "Feature",
            "properties": {"coordTimes": [_iso(t) for _, _, t in track]},
            "geometry": {
                "type": "LineString",
                "coordinates": [[lon, lat] for lon, lat, _ in track],
            },
        }
        for track in tracks
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()
