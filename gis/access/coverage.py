"""Coverage: which households the service centres' walking areas reach.

A building is covered at t minutes when its point (``buildings.point``) lies in the
t-minute service area of at least one centre; its households and residents count as
covered with it. Coverage is reported per community, subdistrict or county of the
buildings; the uncovered buildings with households, and the areas with what each holds,
come as GeoJSON layers. Every answer carries its caveats: centres queued for recomputing,
centres without an area, and areas that are straight-line circles.

One version of each query, synchronous on a ``psycopg.Connection`` like the rest of
gis.access and gis.grids: planners call it from notebooks and the CLI as it is, and the
API's routes run it on a worker thread with a connection from the app's synchronous pool
(app/deps.py, ``SyncConnection``). `parse_scope` reads the scope code all of gis.access
shares.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import psycopg

from gis import codes
from gis.access.service_areas import SERVICE_MINUTES
from gis.errors import InvalidParameter
from gis.ogc.selection import check_bbox
from gis.sql import query

GROUPINGS = ("community", "subdistrict", "county")
LEVELS = ("district", "subdistrict", "community", "compound")
# Uncovered buildings listed at most (most households first); the counts cover them all.
DEFAULT_UNCOVERED_LIMIT = 10_000


@dataclass(frozen=True)
class CoverageRow:
    """One community, subdistrict or county (or the total over the scope)."""

    code: str
    name: str | None
    buildings: int
    households: int
    population: int
    covered_buildings: int
    covered_households: int
    covered_population: int

    @property
    def households_pct(self) -> float | None:
        """Percent (0–100, one decimal) of the households a centre's area reaches; None with
        no households."""
        return _pct(self.covered_households, self.households)

    @property
    def population_pct(self) -> float | None:
        """Percent (0–100, one decimal) of the residents a centre's area reaches; None with
        no residents."""
        return _pct(self.covered_population, self.population)

    @property
    def buildings_pct(self) -> float | None:
        """Percent (0–100, one decimal) of the buildings a centre's area reaches; None with
        no buildings."""
        return _pct(self.covered_buildings, self.buildings)

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-ready values, with the uncovered households and the three
        percentages."""
        return {
            **asdict(self),
            "uncovered_households": self.households - self.covered_households,
            "households_pct": self.households_pct,
            "population_pct": self.population_pct,
            "buildings_pct": self.buildings_pct,
        }


@dataclass(frozen=True)
class Caveats:
    """What the answer rests on, in the scope's county."""

    queued_centres: int  # areas stale: the centre moved or the network changed
    centres_without_area: int  # never computed at these minutes
    straight_line_centres: int  # circles: no walking network in the county

    @property
    def notes(self) -> list[str]:
        """One sentence for each caveat that applies, saying what to run to lift it."""
        notes = []
        if self.straight_line_centres:
            notes.append(
                f"{self.straight_line_centres} centres have straight-line circles, not walking"
                " areas: their county has no walking network (onemap import osm)"
            )
        if self.queued_centres:
            notes.append(
                f"{self.queued_centres} centres' areas are stale (moved, or the network"
                " changed): run onemap access compute"
            )
        if self.centres_without_area:
            notes.append(
                f"{self.centres_without_area} centres have no area of these minutes and"
                " count for nothing: run onemap access compute"
            )
        return notes


@dataclass(frozen=True)
class CoverageReport:
    """Walking-access coverage of a scope: one row per community, subdistrict or county, and a
    total."""

    minutes: int
    group_by: str
    scope: str  # the code prefix the report covers ('' for everything)
    groups: list[CoverageRow]
    total: CoverageRow
    caveats: Caveats
    levels: tuple[str, ...] | None  # centre levels whose areas count; None: all

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values, naming the method (network, or mixed when some
        centres have straight-line circles) and the caveats with their notes."""
        return {
            "minutes": self.minutes,
            "group_by": self.group_by,
            "scope": self.scope or None,
            "levels": list(self.levels) if self.levels else None,
            "method": "network" if not self.caveats.straight_line_centres else "mixed",
            "caveats": {**asdict(self.caveats), "notes": self.caveats.notes},
            "total": self.total.as_dict(),
            "groups": [row.as_dict() for row in self.groups],
        }


def coverage_report(
    conn: psycopg.Connection,
    *,
    minutes: int = 15,
    group_by: str = "community",
    scope: str | None = None,
    levels: Sequence[str] | None = None,
) -> CoverageReport:
    """Households, residents and buildings inside the t-minute service areas, per group.

    Parameters
    ----------
    minutes : 5, 10 or 15 (the stored areas).
    group_by : "community", "subdistrict" or "county" of the buildings.
    scope : a county (6 digits), subdistrict (9) or community (12) code; default all.
    levels : centre levels whose areas count (default all).

    Returns
    -------
    A CoverageReport: one CoverageRow per group and their total (counts, and percentages
    0–100 of what the areas reach), with the caveats the answer rests on (stale, missing
    or straight-line areas).

    Raises
    ------
    InvalidParameter naming the parameter that is out of range or malformed.
    """
    params = _params(minutes, scope, levels, group_by=group_by)
    rows = conn.execute(query("access/coverage"), params).fetchall()
    caveats = conn.execute(query("access/coverage_caveats"), params).fetchone()
    return _report(params, rows, caveats)


def area_layer(
    conn: psycopg.Connection,
    *,
    minutes: int = 15,
    scope: str | None = None,
    levels: Sequence[str] | None = None,
    center_id: int | None = None,
    bbox: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The t-minute service areas of the centres in scope, for a map.

    Parameters
    ----------
    minutes : 5, 10 or 15 (the stored areas).
    scope : a county (6 digits), subdistrict (9) or community (12) code; default all.
    levels : centre levels whose areas count (district, subdistrict, community, compound);
        default all.
    center_id : only the areas of this centre.
    bbox : (min lon, min lat, max lon, max lat) in degrees (CRS84); only the areas reaching
        into it. Default everywhere.

    Returns
    -------
    A GeoJSON FeatureCollection (dict) of polygons in CRS84, one per centre, each with the
    centre, its method ('network' or 'straight_line'), walking distance in metres, and the
    buildings, households and residents it holds; with ``minutes``, ``bbox``,
    ``numberReturned`` and the ``caveats`` (counts and notes) of :func:`coverage_report`.

    Raises
    ------
    InvalidParameter naming the parameter that is out of range or malformed.
    """
    params = {**_params(minutes, scope, levels, bbox=bbox), "center_id": center_id}
    layer = conn.execute(query("access/area_layer"), params).fetchone()
    caveats = conn.execute(query("access/coverage_caveats"), params).fetchone()
    return _layer(_loaded(layer), params, caveats)


def uncovered_layer(
    conn: psycopg.Connection,
    *,
    minutes: int = 15,
    scope: str | None = None,
    levels: Sequence[str] | None = None,
    limit: int = DEFAULT_UNCOVERED_LIMIT,
    bbox: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Buildings with households outside every t-minute area, most households first.

    Parameters
    ----------
    minutes : 5, 10 or 15 (the stored areas).
    scope : a county (6 digits), subdistrict (9) or community (12) code; default all.
    levels : centre levels whose areas count (district, subdistrict, community, compound);
        default all.
    limit : buildings listed at most, 0–100,000; the counts cover them all.
    bbox : (min lon, min lat, max lon, max lat) in degrees (CRS84); only the buildings
        whose point lies in it. Default everywhere.

    Returns
    -------
    A GeoJSON FeatureCollection (dict) of building points in CRS84, each with the nearest
    centre and its straight-line distance in metres; ``numberMatched`` counts all the
    uncovered buildings, ``numberReturned`` those listed, ``uncovered_households`` and
    ``uncovered_population`` sum over all of them; with ``minutes``, ``bbox`` and the
    ``caveats`` of :func:`coverage_report`.

    Raises
    ------
    InvalidParameter naming the parameter that is out of range or malformed.
    """
    params = {**_params(minutes, scope, levels, bbox=bbox), "limit": _limit(limit)}
    row = conn.execute(query("access/uncovered"), params).fetchone()
    caveats = conn.execute(query("access/coverage_caveats"), params).fetchone()
    return _uncovered(row, params, caveats)


def _params(
    minutes: int,
    scope: str | None,
    levels: Sequence[str] | None,
    *,
    group_by: str = "community",
    bbox: Sequence[float] | None = None,
) -> dict[str, Any]:
    if minutes not in SERVICE_MINUTES:
        raise InvalidParameter(
            "minutes",
            f"service areas are stored for {_listed(SERVICE_MINUTES)} minutes, not {minutes}",
        )
    if group_by not in GROUPINGS:
        raise InvalidParameter("group_by", f"must be one of {_listed(GROUPINGS)}, not {group_by!r}")
    chosen = tuple(levels) if levels else None
    if chosen and (unknown := [level for level in chosen if level not in LEVELS]):
        raise InvalidParameter("level", f"must be among {_listed(LEVELS)}, not {unknown}")
    return {
        "minutes": minutes,
        "group_by": group_by,
        "scope": parse_scope(scope),
        "levels": list(chosen) if chosen else None,
        # NULL, or the corners checked (counts, ranges, order) as the OGC API checks them
        "bbox": list(check_bbox(list(bbox))) if bbox is not None else None,
    }


def parse_scope(scope: str | None) -> str:
    """A county, subdistrict or community code (normalised), or '' for everything."""
    if not scope:
        return ""
    try:
        parsed = codes.parse(scope)
    except codes.InvalidCode as error:
        raise InvalidParameter("scope", error.problem) from None
    if parsed.level not in (codes.Level.COUNTY, codes.Level.TOWNSHIP, codes.Level.COMMUNITY):
        raise InvalidParameter(
            "scope",
            f"{scope} is a {parsed.level.value} code; need a county, subdistrict or community",
        )
    return parsed.value


def _limit(limit: int) -> int:
    if not 0 <= limit <= 100_000:
        raise InvalidParameter("limit", f"must be 0–100,000, not {limit}")
    return limit


def _report(params: dict[str, Any], rows: list[Any], caveats: Any) -> CoverageReport:
    groups = [CoverageRow(str(r[0]).strip(), r[1], *(int(v) for v in r[2:])) for r in rows]
    sums = [sum(getattr(g, name) for g in groups) for name in _COUNTS]
    total = CoverageRow(params["scope"] or "all", None, *sums)
    return CoverageReport(
        minutes=params["minutes"],
        group_by=params["group_by"],
        scope=params["scope"],
        groups=groups,
        total=total,
        caveats=_caveats(caveats),
        levels=tuple(params["levels"]) if params["levels"] else None,
    )


_COUNTS = (
    "buildings",
    "households",
    "population",
    "covered_buildings",
    "covered_households",
    "covered_population",
)


def _caveats(row: Any) -> Caveats:
    assert row is not None
    return Caveats(int(row[0]), int(row[1]), int(row[2]))


def _layer(layer: dict[str, Any], params: dict[str, Any], caveats: Any) -> dict[str, Any]:
    notes = _caveats(caveats)
    return {
        **layer,
        "minutes": params["minutes"],
        "bbox": params["bbox"],
        "numberReturned": len(layer["features"]),
        "caveats": {**asdict(notes), "notes": notes.notes},
    }


def _uncovered(row: Any, params: dict[str, Any], caveats: Any) -> dict[str, Any]:
    assert row is not None
    matched, households, population, layer = row
    notes = _caveats(caveats)
    layer = _loaded(layer)
    return {
        **layer,
        "minutes": params["minutes"],
        "bbox": params["bbox"],
        "numberMatched": int(matched),
        "numberReturned": len(layer["features"]),
        "uncovered_households": int(households),
        "uncovered_population": int(population),
        "caveats": {**asdict(notes), "notes": notes.notes},
    }


def _loaded(value: Any) -> dict[str, Any]:
    if isinstance(value, tuple | list):
        value = value[0]
    return json.loads(value) if isinstance(value, str) else dict(value)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _listed(values: Sequence[object]) -> str:
    return ", ".join(str(v) for v in values)
