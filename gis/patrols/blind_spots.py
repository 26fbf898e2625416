"""Blind spots: events reported at places no patrol passed in the days before them
(docs/patrols.md, "Blind spots").

An event reported in [start, end) is a blind spot when no patrol came within R metres of
it in the ``days`` days (7) before it was reported: R is the radius of the county's
standard for base grids (``patrol_standards.radius_m``, 30 m unless the county sets
another), the one spatial coverage counts with. The database answers it
(sql/functions/patrol_blind_spots.sql) from the tracks' chunks (migration 0017), cut
exactly at the window's edges by time, and the events as the public sees them
(``public_events``): no personal column, the point shown as its 50 m cell. With each
blind spot, the nearest a patrol came to it within 500 m in the 30 days before, and when,
so a reader tells a street patrolled a block away from one patrolled last month.

A track is cut into chunks as it is stored, so it counts at once; one stored before
migration 0017 has none until the refresh makes them, and the caveats say how many such
tracks there are.

Synchronous on a ``psycopg.Connection``, like gis.patrols.visits.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row

from gis.access.coverage import parse_scope
from gis.errors import InvalidParameter
from gis.patrols.months import CHINA, month_start, next_month
from gis.patrols.visits import EARLIEST, LATEST
from gis.sql import query

DAYS = 7
MAX_DAYS = 365
# A period spans at most a year of events.
MAX_PERIOD = timedelta(days=366)
# The nearest patrol is looked for this far around a blind spot, and this far back (or
# ``days``, if longer).
NEAREST_M = 500.0
NEAREST_DAYS = 30
# A radius given instead of the county's: beyond the nearest patrol's reach it would
# call a place patrolled that the nearest patrol is not even looked for.
MAX_RADIUS_M = NEAREST_M


@dataclass(frozen=True)
class BlindSpot:
    """An event no patrol passed within ``radius_m`` of in the days before it."""

    event_id: int
    tracking_number: str
    category_code: str
    category_name: str
    reported_at: datetime
    grid_code: str | None  # None: reported outside every grid
    grid_name: str | None
    radius_m: float
    # the nearest a patrol came within 500 m in the 30 days before, and when; None: none did
    nearest_patrol_m: float | None
    nearest_patrol_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: instants in China time, distances to the metre."""
        return {
            **asdict(self),
            "reported_at": _iso(self.reported_at),
            "nearest_patrol_m": _metres(self.nearest_patrol_m),
            "nearest_patrol_at": _iso(self.nearest_patrol_at),
        }


@dataclass(frozen=True)
class BlindSpotCaveats:
    """What the list rests on."""

    tracks_without_chunks: int  # stored before migration 0017, not yet refreshed
    events_not_shown: int  # of the period and scope, not public: hidden or a private category

    @property
    def notes(self) -> list[str]:
        """One sentence for each caveat that applies, saying what lifts it."""
        notes = []
        if self.tracks_without_chunks:
            notes.append(
                f"{self.tracks_without_chunks} tracks are not yet cut into chunks and count"
                " for nothing: the next refresh (within a minute) cuts them, and may clear"
                " blind spots"
            )
        if self.events_not_shown:
            notes.append(
                f"{self.events_not_shown} events of the period are left out: hidden by a"
                " moderator or of a category the public may not see"
            )
        return notes


@dataclass(frozen=True)
class BlindSpots:
    """The blind spots of a scope over a period, by grid then time, and the caveats."""

    start: datetime
    end: datetime
    scope: str
    days: int
    radius_m: float | None  # None: each county's standard
    spots: list[BlindSpot]
    caveats: BlindSpotCaveats

    def as_dict(self) -> dict[str, Any]:
        """The list as JSON."""
        return {
            **_header(self.start, self.end, self.scope, self.days, self.radius_m, self.caveats),
            "numberMatched": len(self.spots),
            "blind_spots": [spot.as_dict() for spot in self.spots],
        }


RULE = (
    "An event is a blind spot when no patrol passed within R metres of where it was"
    " reported in the days before it (R: the county's standard, 30 m unless it sets"
    " another)."
)


def blind_spots(
    conn: psycopg.Connection,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    scope: str | None = None,
    days: int = DAYS,
    radius_m: float | None = None,
) -> BlindSpots:
    """The events of ``scope`` reported in [``start``, ``end``) that no patrol passed
    within R metres of in the ``days`` days before, ordered by grid then time.

    Parameters
    ----------
    start, end : aware datetimes; default the current calendar month in China time
        (``start`` alone: to the end of its month; ``end`` alone: from the start of its).
    scope : a county (6 digits), subdistrict (9) or community (12) code; default all.
    days : 1–365, the window before each event.
    radius_m : R for every event (0 < R ≤ 500); default each county's standard for base
        grids (30 m unless it sets another).

    Raises
    ------
    InvalidParameter naming the parameter that is out of range or malformed.
    """
    params = _params(start, end, scope, days, radius_m)
    with conn.cursor(row_factory=class_row(BlindSpot)) as cursor:
        spots = cursor.execute(query("patrols/blind_spots"), params).fetchall()
    return BlindSpots(
        params["start"],
        params["end"],
        params["scope"],
        days,
        radius_m,
        spots,
        _caveats(conn, params),
    )


def blind_spot_layer(
    conn: psycopg.Connection,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    scope: str | None = None,
    days: int = DAYS,
    radius_m: float | None = None,
) -> dict[str, Any]:
    """The blind spots of :func:`blind_spots` as a GeoJSON FeatureCollection built in
    PostGIS: each event at its public 50 m cell (CRS84), with the list's fields as
    properties; the period, rule, count and caveats beside the features."""
    params = _params(start, end, scope, days, radius_m)
    row = conn.execute(query("patrols/blind_spot_layer"), params).fetchone()
    assert row is not None
    layer = json.loads(row[0]) if isinstance(row[0], str) else dict(row[0])
    header = _header(
        params["start"], params["end"], params["scope"], days, radius_m, _caveats(conn, params)
    )
    matched = len(layer["features"])
    return {**layer, **header, "numberMatched": matched, "numberReturned": matched}


def _header(
    start: datetime,
    end: datetime,
    scope: str,
    days: int,
    radius_m: float | None,
    caveats: BlindSpotCaveats,
) -> dict[str, Any]:
    """What the list and the layer say about themselves besides the spots."""
    return {
        "from": _iso(start),
        "to": _iso(end),
        "scope": scope or None,
        "days": days,
        "radius_m": radius_m,
        "rule": RULE,
        "caveats": {**asdict(caveats), "notes": caveats.notes},
    }


def _params(
    start: datetime | None,
    end: datetime | None,
    scope: str | None,
    days: int,
    radius_m: float | None,
) -> dict[str, Any]:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidParameter("days", f"must be 1–{MAX_DAYS}, not {days}")
    if radius_m is not None and not 0 < radius_m <= MAX_RADIUS_M:
        raise InvalidParameter("radius_m", f"must be more than 0 and at most {MAX_RADIUS_M:g}")
    start, end = _period(start, end, datetime.now(UTC))
    return {
        "start": start,
        "end": end,
        "scope": parse_scope(scope),
        "days": days,
        "radius_m": radius_m,
        "nearest_m": NEAREST_M,
        "nearest_days": NEAREST_DAYS,
    }


def _period(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The period as the visit reports take it (gis.patrols.visits.coverage_report):
    aware instants, the current month in China time by default."""
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise InvalidParameter(name, "needs a UTC offset")
        if value is not None and not EARLIEST <= value <= LATEST:
            raise InvalidParameter(name, f"must lie in {EARLIEST.year}–{LATEST.year - 1}")
    start = start or month_start(end - timedelta(microseconds=1) if end else now)
    end = end or next_month(month_start(start))
    if end <= start:
        raise InvalidParameter("to", f"must come after from ({_iso(start)}), not {_iso(end)}")
    if end - start > MAX_PERIOD:
        raise InvalidParameter("to", f"a period spans at most {MAX_PERIOD.days} days")
    return start, end


def _caveats(conn: psycopg.Connection, params: dict[str, Any]) -> BlindSpotCaveats:
    row = conn.execute(query("patrols/blind_spots_caveats"), params).fetchone()
    assert row is not None
    return BlindSpotCaveats(int(row[0]), int(row[1]))


def _metres(distance: float | None) -> int | None:
    return None if distance is None else round(distance)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CHINA).isoformat()
