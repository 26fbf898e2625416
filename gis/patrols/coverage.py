"""What patrols cover on the ground: the buildings, street length and 50 m cells of each
grid a track passed within R metres of (docs/patrols.md, "What patrols cover").

The database keeps it (sql/functions/refresh_patrol_targets.sql and
refresh_patrol_coverage.sql): the targets of each county, and per calendar month (China
time) the targets some track passed. New tracks wait in a queue until the refresh adds
them; the maintenance sweep runs it every minute, ``onemap patrols refresh`` on demand.
A report over whole months reads the month sets; any other period is counted from the
tracks' chunks walked in it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg

from gis.errors import InvalidParameter
from gis.patrols.months import month_start
from gis.sql import query

# Default of patrol_standards.radius_m: a track passing within this many metres of a
# building, a street segment's midpoint or a cell's centre patrols it.
RADIUS_M = 30.0


@dataclass(frozen=True)
class Ground:
    """What can be patrolled in a grid (or a group of grids) and how much was."""

    buildings: int = 0
    buildings_patrolled: int = 0
    street_m: float = 0.0
    street_m_patrolled: float = 0.0
    cells: int = 0
    cells_patrolled: int = 0

    def __add__(self, other: Ground) -> Ground:
        return Ground(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))

    @staticmethod
    def _pct(part: float, whole: float) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def buildings_pct(self) -> float | None:
        """Percent of the buildings patrolled; None where there are none."""
        return self._pct(self.buildings_patrolled, self.buildings)

    @property
    def street_pct(self) -> float | None:
        """Percent of the street length patrolled; None where there is none."""
        return self._pct(self.street_m_patrolled, self.street_m)

    @property
    def cells_pct(self) -> float | None:
        """Percent of the 50 m cells patrolled; None where there are none."""
        return self._pct(self.cells_patrolled, self.cells)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, street lengths to the metre, with the three shares."""
        row = asdict(self)
        row["street_m"] = round(self.street_m)
        row["street_m_patrolled"] = round(self.street_m_patrolled)
        row.update(
            buildings_pct=self.buildings_pct, street_pct=self.street_pct, cells_pct=self.cells_pct
        )
        return row


@dataclass(frozen=True)
class GroundCaveats:
    """What the spatial figures rest on."""

    tracks_not_counted: int  # stored, still queued for the refresh
    grids_without_targets: int  # targets never built for them


def ground_covered(
    conn: psycopg.Connection,
    *,
    start: datetime,
    end: datetime,
    scope: str = "",
    radius_m: float = RADIUS_M,
) -> tuple[dict[str, tuple[Ground, datetime | None]], GroundCaveats]:
    """Per grid of ``scope`` (a code prefix, '' for all): its Ground in [start, end) and
    the last time a patrol passed any of it; and the caveats."""
    if not radius_m > 0:
        raise InvalidParameter("radius_m", f"must be positive, not {radius_m}")
    first, last = month_start(start), month_start(end)
    whole_months = start == first and end == last
    rows = conn.execute(
        query("patrols/coverage_space"),
        {
            "scope": scope,
            "live": not whole_months,
            "first_month": first.date(),
            "end_month": last.date(),
            "start": start,
            "end": end,
            "radius_m": radius_m,
        },
    ).fetchall()
    grounds = {
        code: (Ground(int(b), int(bp), float(s), float(sp), int(c), int(cp)), last_at)
        for code, b, bp, s, sp, c, cp, last_at in rows
    }
    caveat = conn.execute(query("patrols/coverage_space_caveats"), {"scope": scope}).fetchone()
    assert caveat is not None
    return grounds, GroundCaveats(int(caveat[0]), int(caveat[1]))


def rebuild_targets(conn: psycopg.Connection, county: str) -> dict[str, int]:
    """Rebuild the county's targets from its places and recount its months: after
    buildings, streets or grids change. One transaction."""
    check_county(county)
    with conn.transaction():
        row = conn.execute("SELECT * FROM refresh_patrol_targets(%s)", (county,)).fetchone()
        assert row is not None
        counted = conn.execute(
            "SELECT * FROM refresh_patrol_coverage(%s, NULL, true)", (county,)
        ).fetchone()
    assert counted is not None
    return {
        "buildings": row[0],
        "street_segments": row[1],
        "cells": row[2],
        "patrolled": counted[2],
    }


def refresh(
    conn: psycopg.Connection,
    *,
    county: str | None = None,
    month: datetime | None = None,
    full: bool = False,
) -> dict[str, int]:
    """Count the queued tracks (``full``: recount the county's months, or ``month``'s
    only, from all their tracks). One transaction."""
    if county is not None:
        check_county(county)
    if full and county is None:
        raise InvalidParameter("county", "a full recount names its county")
    first = month_start(month).date() if month else None
    with conn.transaction():
        row = conn.execute(
            "SELECT * FROM refresh_patrol_coverage(%s, %s, %s)", (county, first, full)
        ).fetchone()
    assert row is not None
    return {"tracks": row[0], "chunks": row[1], "patrolled": row[2]}


def check_county(county: str) -> None:
    """InvalidParameter unless ``county`` is six digits."""
    if not (len(county) == 6 and county.isdigit()):
        raise InvalidParameter("county", f"expected a 6-digit county code, got {county!r}")
