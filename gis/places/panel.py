"""The panel of a place on the one map: a subdistrict, community, grid, compound or
building with its team, what it holds, its service centres against their standard, its
15-minute coverage, patrols, events and indicators beside the district's
(docs/indicators.md, "The place panel").

What a caller sees depends on who calls (:class:`Viewer`):

- everyone: counts, shares, centres, the events the public may see (``public_events``:
  no hidden event, no category the public may not see) without any description;
- signed-in callers: every event of the place (still without descriptions);
- command staff (admin, staff): the names of the grid members serving the place;
- analysts (admin, staff, auditor, planner): patrols — where and when teams walked, as
  the patrol coverage report (which is theirs alone).

A building and a compound belong to the grid holding their point on surface (the rule
of grid_statistics): their team, patrols and indicators are that grid's. A building's
events are those within :data:`BUILDING_EVENTS_M` metres of its footprint, a compound's
those inside its outline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection, sql

from gis import codes
from gis.access import standards
from gis.codes import Level
from gis.crs import CRS84
from gis.errors import InvalidParameter, NotFound
from gis.indicators import areas
from gis.places.lookup import unit
from gis.sql import query

# The levels a panel is asked for by code, and the indicator level each stands for.
PANEL_LEVELS: dict[Level, str] = {
    Level.TOWNSHIP: "subdistrict",
    Level.COMMUNITY: "community",
    Level.GRID: "grid",
    Level.BUILDING: "building",
}
LATEST_EVENTS = 5
LATEST_VISITS = 5
# A building's events: reported within this many metres of its footprint.
BUILDING_EVENTS_M = 50.0
STAFF_ROLES = ("admin", "staff")
ANALYST_ROLES = ("admin", "staff", "auditor", "planner")


@dataclass(frozen=True)
class Viewer:
    """Who looks at the panel: the caller's role, None for the public."""

    role: str | None = None

    @property
    def signed_in(self) -> bool:
        """A caller with a token or session."""
        return self.role is not None

    @property
    def sees_names(self) -> bool:
        """Command staff see the names of the grid members."""
        return self.role in STAFF_ROLES

    @property
    def sees_patrols(self) -> bool:
        """Analysts see where and when patrols walked."""
        return self.role in ANALYST_ROLES


async def place_panel(
    conn: AsyncConnection,
    code: str,
    *,
    viewer: Viewer = Viewer(),
    now: datetime | None = None,
) -> dict[str, Any]:
    """The panel of the subdistrict (9 digits), community (12), grid (15, or a legacy 14)
    or building (17) a code names.

    Raises
    ------
    InvalidParameter (``code``) for a malformed code or one of another level (a county,
    a unit); NotFound when no place has it.
    """
    try:
        parsed = codes.parse(code)
    except codes.InvalidCode as error:
        raise InvalidParameter("code", str(error)) from None
    level = PANEL_LEVELS.get(parsed.level)
    if level is None:
        raise InvalidParameter(
            "code",
            f"{parsed.value} names a {parsed.level}; a panel is for a subdistrict (9 digits), "
            "community (12), grid (15) or building (17), or /places/compounds/{id}",
        )
    now = now or datetime.now(UTC)
    feature = await unit(conn, parsed.value)
    properties = dict(feature["properties"])
    panel: dict[str, Any] = {
        "code": parsed.value,
        "level": level,
        "name": properties.pop("name"),
        "bbox": feature["bbox"],
        "parents": properties.pop("parents"),
    }
    for name in ("code", "level", "leaders", "instructors", "members"):
        properties.pop(name, None)
    if level == "building":
        grid = await _building_grid(conn, parsed.value)
        panel["kind"] = properties.get("building_use")
        panel["attributes"] = {
            key: properties[key] for key in ("floors", "units", "compound") if key in properties
        }
        panel["grid"] = grid
        panel["households"] = properties.get("households", 0)
        panel["residents"] = properties.get("population", 0)
        place: sql.Composable = sql.SQL(
            "SELECT geom, true AS is_building FROM buildings WHERE building_code = {}"
        ).format(sql.Literal(parsed.value))
        where: sql.Composable = sql.SQL(
            "ST_DWithin(e.geom::geography, (SELECT geom FROM buildings WHERE building_code = "
            "{})::geography, {})"
        ).format(sql.Literal(parsed.value), sql.Literal(BUILDING_EVENTS_M))
        coverage = await _coverage_of(conn, building=parsed.value)
        coverage["covered"] = coverage["covered_households"] > 0 or await _building_covered(
            conn, parsed.value
        )
        prefix, indicator_level, indicator_code = grid, "grid", grid
    else:
        panel["kind"] = (
            properties.get("kind")
            or properties.get("dedicated_kind")
            or (properties.get("grid_type"))
        )
        panel["attributes"] = {
            key: properties[key] for key in ("grid_type", "dedicated_kind") if key in properties
        }
        panel |= await _holdings(conn, parsed.value)
        table, code_column, _length = areas.LEVELS[level]
        place = sql.SQL("SELECT geom, false AS is_building FROM {} WHERE {} = {}").format(
            sql.Identifier(table), sql.Identifier(code_column), sql.Literal(parsed.value)
        )
        where = sql.SQL("e.{} = {}").format(sql.Identifier(code_column), sql.Literal(parsed.value))
        coverage = None
        prefix, indicator_level, indicator_code = parsed.value, level, parsed.value
    return await _complete(
        conn,
        panel,
        viewer=viewer,
        now=now,
        prefix=prefix,
        place=place,
        where=where,
        coverage=coverage,
        indicator_level=indicator_level,
        indicator_code=indicator_code,
    )


async def compound_panel(
    conn: AsyncConnection,
    compound_id: int,
    *,
    viewer: Viewer = Viewer(),
    now: datetime | None = None,
) -> dict[str, Any]:
    """The panel of a compound (小区), by its id.

    Raises
    ------
    NotFound when no compound has the id.
    """
    now = now or datetime.now(UTC)
    cursor = await conn.execute(
        query("places/panel_compound"), {"compound_id": compound_id, "decimals": CRS84.decimals}
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"no compound with id {compound_id}")
    (name, compound_type, built_year, managed, bbox, community, buildings, households,
     residents, grid) = row  # fmt: skip
    community_place = await unit(conn, community)
    parents = [
        *community_place["properties"]["parents"],
        {"code": community, "level": "community", "name": community_place["properties"]["name"]},
    ]
    panel: dict[str, Any] = {
        "code": str(compound_id),
        "level": "compound",
        "name": name,
        "bbox": bbox,
        "parents": parents,
        "kind": compound_type,
        "attributes": {"built_year": built_year, "has_property_manager": managed},
        "grid": grid,
        "households": int(households),
        "residents": int(residents),
        "buildings": int(buildings),
    }
    place = sql.SQL(
        "SELECT geom, false AS is_building FROM compounds WHERE compound_id = {}"
    ).format(sql.Literal(compound_id))
    where = sql.SQL(
        "ST_Intersects((SELECT geom FROM compounds WHERE compound_id = {}), e.geom)"
    ).format(sql.Literal(compound_id))
    return await _complete(
        conn,
        panel,
        viewer=viewer,
        now=now,
        prefix=grid,
        place=place,
        where=where,
        coverage=await _coverage_of(conn, compound_id=compound_id),
        indicator_level="grid",
        indicator_code=grid,
    )


async def _complete(
    conn: AsyncConnection,
    panel: dict[str, Any],
    *,
    viewer: Viewer,
    now: datetime,
    prefix: str | None,
    place: sql.Composable,
    where: sql.Composable,
    coverage: dict[str, Any] | None,
    indicator_level: str,
    indicator_code: str | None,
) -> dict[str, Any]:
    """The parts every panel has: team, centres, coverage, patrols, events, indicators."""
    panel["team"] = await _team(conn, prefix, viewer) if prefix else None
    panel["service_centres"] = await _centres(conn, place)
    indicators = await _indicators(conn, indicator_level, indicator_code, viewer, now)
    if coverage is None:
        # an area's coverage is its 15-minute indicator's figures
        row = next(i for i in indicators if i["name"] == "service_coverage_15")
        coverage = {
            "households": row["denominator"],
            "covered_households": row["numerator"],
        }
    coverage["minutes"] = areas.SERVICE_MINUTES
    coverage["share"] = (
        round(coverage["covered_households"] / coverage["households"], 4)
        if coverage["households"]
        else None
    )
    panel["coverage"] = coverage
    panel["patrols"] = await _patrols(conn, prefix, indicators) if viewer.sees_patrols else None
    panel["events"] = await _events(conn, where, viewer, now)
    panel["indicators"] = {
        "level": indicator_level,
        "code": indicator_code,
        "values": indicators,
    }
    return panel


async def _building_grid(conn: AsyncConnection, code: str) -> str | None:
    cursor = await conn.execute(query("places/panel_building_grid"), {"code": code})
    row = await cursor.fetchone()
    return row[0] if row else None


async def _building_covered(conn: AsyncConnection, code: str) -> bool:
    """Whether a building (even one without households) lies in a 15-minute area."""
    cursor = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM service_areas AS a JOIN buildings AS b"
        " ON ST_Intersects(a.geom, b.point) WHERE a.minutes = %(minutes)s"
        " AND b.building_code = %(code)s::bpchar)",
        {"minutes": areas.SERVICE_MINUTES, "code": code},
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


async def _holdings(conn: AsyncConnection, prefix: str) -> dict[str, int]:
    cursor = await conn.execute(query("places/panel_holdings"), {"prefix": prefix})
    row = await cursor.fetchone()
    assert row is not None  # an aggregate
    households, residents, buildings, compounds = (int(value) for value in row)
    return {
        "households": households,
        "residents": residents,
        "buildings": buildings,
        "compounds": compounds,
    }


async def _coverage_of(
    conn: AsyncConnection, *, building: str | None = None, compound_id: int | None = None
) -> dict[str, Any]:
    cursor = await conn.execute(
        query("places/panel_coverage"),
        {"minutes": areas.SERVICE_MINUTES, "building": building, "compound_id": compound_id},
    )
    row = await cursor.fetchone()
    assert row is not None  # an aggregate
    return {"households": int(row[0]), "covered_households": int(row[1])}


async def _team(conn: AsyncConnection, prefix: str, viewer: Viewer) -> dict[str, Any]:
    cursor = await conn.execute(query("places/panel_team"), {"prefix": prefix})
    row = await cursor.fetchone()
    assert row is not None  # an aggregate
    grids, leaders, instructors, members, people = row
    team: dict[str, Any] = {
        "grids": int(grids),
        "leaders": int(leaders),
        "instructors": int(instructors),
        "members": int(members),
        # names are personal data: for command staff only
        "names_shown": viewer.sees_names,
    }
    if viewer.sees_names:
        team["people"] = people
    return team


async def _centres(conn: AsyncConnection, place: sql.Composable) -> dict[str, Any]:
    judged = sql.SQL(query("access/standards").rstrip().removesuffix(";"))
    statement = sql.SQL(query("places/panel_centres")).format(place=place, standards=judged)
    cursor = await conn.execute(
        statement,
        {
            "scope": "",
            "level": None,
            "community_area": standards.COMMUNITY_CENTRE_MIN_M2,
            "compound_area": standards.COMPOUND_CENTRE_MIN_M2,
            "compound_area_per_100_households": standards.COMPOUND_CENTRE_M2_PER_100_HOUSEHOLDS,
            "basic_rooms": list(standards.BASIC_ROOMS),
            "minutes": areas.SERVICE_MINUTES,
        },
    )
    row = await cursor.fetchone()
    assert row is not None  # an aggregate
    centres = [
        {
            **centre,
            "area_m2": float(centre["area_m2"]),
            "required_m2": (
                float(centre["required_m2"]) if centre["required_m2"] is not None else None
            ),
            "shortfall_m2": float(centre["shortfall_m2"]),
        }
        for centre in row[0]
    ]
    return {
        "standard": {
            "community_centre_min_m2": standards.COMMUNITY_CENTRE_MIN_M2,
            "compound_centre_min_m2": standards.COMPOUND_CENTRE_MIN_M2,
            "compound_centre_m2_per_100_households": (
                standards.COMPOUND_CENTRE_M2_PER_100_HOUSEHOLDS
            ),
            "basic_rooms": list(standards.BASIC_ROOMS),
        },
        "summary": {
            "centres": len(centres),
            "meeting_area": sum(1 for centre in centres if centre["meets_area"]),
            "with_basic_rooms": sum(1 for centre in centres if not centre["missing_rooms"]),
        },
        "centres": centres,
    }


async def _indicators(
    conn: AsyncConnection, level: str, code: str | None, viewer: Viewer, now: datetime
) -> list[dict[str, Any]]:
    """Each indicator's value for the place (its level's row) beside the district's (the
    level's total). Patrol indicators for analysts only."""
    values = []
    for indicator in areas.INDICATORS.values():
        if indicator.patrols and not viewer.sees_patrols:
            continue
        rows, total, period = await areas.area_values(conn, level, indicator, now=now)
        own = next((row for row in rows if row["code"] == code), None)
        values.append(
            {
                "name": indicator.name,
                "title": {"zh": indicator.title_zh, "en": indicator.title_en},
                "unit": indicator.unit,
                "value": own["value"] if own else None,
                "numerator": own["numerator"] if own else 0,
                "denominator": own["denominator"] if own else 0,
                "district": total["value"],
                "from": period["from"],
                "to": period["to"],
            }
        )
    return values


async def _patrols(
    conn: AsyncConnection, prefix: str | None, indicators: list[dict[str, Any]]
) -> dict[str, Any]:
    figures = {i["name"]: i for i in indicators}
    ground, standard = figures["patrol_coverage"], figures["patrol_standard"]
    visits: list[Any] = []
    last = None
    if prefix:
        cursor = await conn.execute(
            query("places/panel_visits"), {"prefix": prefix, "latest": LATEST_VISITS}
        )
        row = await cursor.fetchone()
        assert row is not None  # an aggregate
        visits, last = row
    return {
        "from": ground["from"],
        "to": ground["to"],
        "buildings": ground["denominator"],
        "buildings_patrolled": ground["numerator"],
        "coverage": ground["value"],
        "grids": standard["denominator"],
        "grids_meeting_standard": standard["numerator"],
        "last_patrolled_at": last.isoformat() if last else None,
        "recent_visits": visits,
    }


async def _events(
    conn: AsyncConnection, where: sql.Composable, viewer: Viewer, now: datetime
) -> dict[str, Any]:
    # the public sees only what public_events shows it
    source = "events" if viewer.signed_in else "public_events"
    statement = sql.SQL(query("places/panel_events")).format(
        source=sql.Identifier(source), where=where
    )
    cursor = await conn.execute(statement, {"now": now, "latest": LATEST_EVENTS})
    row = await cursor.fetchone()
    assert row is not None  # an aggregate
    events, open_events, overdue, by_stage, latest = row
    return {
        "public_view": not viewer.signed_in,
        "events": int(events),
        "open": int(open_events),
        "overdue": int(overdue),
        "open_by_stage": by_stage,
        "latest": latest,
    }
