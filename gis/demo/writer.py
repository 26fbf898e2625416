"""Turn a planned demo district into rows and COPY them into the database."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import psycopg
import shapely

from gis.demo.activity import EPOCH, PATROL_FROM, Events, Patrols
from gis.demo.ground import (
    Ground,
    as_multipolygons,
    polygons_in_cells,
    union_by_owner,
)
from gis.demo.places import Plan
from gis.events.stages import BEFORE_HANDLED, CENTRES
from gis.patrols import uploads
from gis.patrols.reading import SourceTrack
from gis.progress import Progress
from gis.sql import query
from gis.vocabulary import DEDICATED_KINDS

TABLES = (
    "districts",
    "subdistricts",
    "communities",
    "grids",
    "compounds",
    "buildings",
    "service_centers",
    "streets",
    "water_areas",
    "events",
    "patrol_uploads",
    "patrol_sources",
    "patrol_tracks",
)
STEPS = 2 + len(TABLES) + 4


@dataclass
class District:
    """Everything a demo district needs written: its plan, ground, events, patrols and county
    names by code."""

    plan: Plan
    ground: Ground
    events: Events
    patrols: Patrols
    county_names: dict[str, str]


def _ewkb(geometries: np.ndarray) -> list[str]:
    return list(shapely.to_wkb(shapely.set_srid(geometries, 4326), hex=True, include_srid=True))


def _copy(
    conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    count = 0
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _grid_codes(plan: Plan, centroids: np.ndarray) -> list[str]:
    """Serials within each community numbered west→east in north→south bands; base grids
    001–799, dedicated 800–999."""
    band_m = 360.0
    by_community: dict[str, list[int]] = defaultdict(list)
    for index, grid in enumerate(plan.grids):
        by_community[grid.community.code].append(index)
    codes = [""] * len(plan.grids)
    for community_code, members in by_community.items():
        ordered = sorted(
            members, key=lambda i: (-math.floor(centroids[i, 1] / band_m), centroids[i, 0])
        )
        next_serial = {"base": 1, "dedicated": 801}
        for i in ordered:
            grid_type = plan.grids[i].grid_type
            codes[i] = f"{community_code}{next_serial[grid_type]:03d}"
            next_serial[grid_type] += 1
    return codes


def write(conn: psycopg.Connection, district: District, progress: Progress) -> dict[str, int]:
    """Write the district's places, geometries (EPSG:4326), events and patrols to the database;
    returns the rows written per table."""
    plan, ground = district.plan, district.ground
    progress.step("drawing grids, communities and subdistricts")
    cell_polygons = shapely.polygons(ground.corners)
    grid_of_cell = np.array(plan.cell_grid)
    community_index = {c.code: i for i, c in enumerate(plan.communities)}
    subdistrict_index = {s.code: i for i, s in enumerate(plan.subdistricts)}
    counties = sorted({s.county_code for s in plan.subdistricts})
    county_index = {code: i for i, code in enumerate(counties)}
    community_of_grid = np.array([community_index[g.community.code] for g in plan.grids])
    community_of_cell = community_of_grid[grid_of_cell]
    subdistrict_of_community = np.array(
        [subdistrict_index[c.subdistrict.code] for c in plan.communities]
    )
    subdistrict_of_cell = subdistrict_of_community[community_of_cell]
    county_of_subdistrict = np.array([county_index[s.county_code] for s in plan.subdistricts])
    county_of_cell = county_of_subdistrict[subdistrict_of_cell]

    # a grid is its planned cells and the land that joins it (real ground only); each
    # level above is the union of the one below, so they nest and tile exactly
    exact = len(ground.land) == 0
    grid_metric = union_by_owner(
        np.concatenate([cell_polygons, ground.land]),
        np.concatenate([grid_of_cell, ground.land_grid]).astype(int),
        len(plan.grids),
        exact=exact,
    )
    community_metric = union_by_owner(
        grid_metric, community_of_grid, len(plan.communities), exact=exact
    )
    subdistrict_metric = union_by_owner(
        community_metric, subdistrict_of_community, len(plan.subdistricts), exact=exact
    )
    grid_codes = _grid_codes(plan, shapely.get_coordinates(shapely.centroid(grid_metric)))
    geometry = {
        "grids": grid_metric,
        "communities": community_metric,
        "subdistricts": subdistrict_metric,
        "districts": union_by_owner(
            subdistrict_metric, county_of_subdistrict, len(counties), exact=exact
        ),
    }
    wgs = {name: _ewkb(as_multipolygons(ground.wgs84(g))) for name, g in geometry.items()}

    with conn.transaction():
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        # what patrols can cover and did: derived from the places, rebuilt after them
        conn.execute("TRUNCATE patrol_targets, patrolled_targets, patrol_target_builds")
        counts: dict[str, int] = {}
        progress.step("districts")
        counts["districts"] = _copy(
            conn,
            "districts",
            ("county_code", "name", "geom"),
            (
                (code, district.county_names.get(code, code), wgs["districts"][i])
                for i, code in enumerate(counties)
            ),
        )
        progress.step("subdistricts")
        counts["subdistricts"] = _copy(
            conn,
            "subdistricts",
            ("subdistrict_code", "county_code", "name", "kind", "geom"),
            (
                (s.code, s.county_code, s.name, s.kind, wgs["subdistricts"][i])
                for i, s in enumerate(plan.subdistricts)
            ),
        )
        progress.step("communities")
        counts["communities"] = _copy(
            conn,
            "communities",
            ("community_code", "subdistrict_code", "county_code", "name", "kind", "geom"),
            (
                (
                    c.code,
                    c.subdistrict.code,
                    c.subdistrict.county_code,
                    c.name,
                    c.kind,
                    wgs["communities"][i],
                )
                for i, c in enumerate(plan.communities)
            ),
        )
        progress.step("grids")
        counts["grids"] = _copy(
            conn,
            "grids",
            (
                "grid_code",
                "community_code",
                "county_code",
                "name",
                "grid_type",
                "dedicated_kind",
                "leaders",
                "instructors",
                "members",
                "geom",
            ),
            _grid_rows(plan, grid_codes, wgs["grids"]),
        )
        progress.step("compounds")
        counts["compounds"] = _write_compounds(conn, plan, ground)
        progress.step("buildings")
        building_metric = polygons_in_cells(
            ground,
            np.array([b.cell for b in plan.buildings]),
            np.array([b.box for b in plan.buildings]),
        )
        counts["buildings"] = _write_buildings(conn, plan, ground, building_metric)
        progress.step("service centres")
        counts["service_centers"] = _write_centres(conn, plan, ground, building_metric)
        progress.step("streets")
        counts["streets"] = _write_streets(conn, ground, plan, county_of_cell, counties)
        progress.step("water")
        counts["water_areas"] = _write_water(conn, ground, counties)
        progress.step("events")
        counts["events"] = _write_events(conn, district.events)
        progress.step("patrol tracks")
        counts["patrol_tracks"] = _write_patrols(conn, district.patrols, grid_codes)
        progress.step("placing events in grids")
        conn.execute(query("places/events"))
        progress.step("the events' loop: dispatch, handling, history")
        _write_event_loop(conn)
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('compounds', 'compound_id'),"
            " greatest((SELECT max(compound_id) FROM compounds), 1))"
        )
    progress.step("analysing")
    for table in TABLES:
        conn.execute(f"ANALYZE {table}")
    # The caller commits: the demo's walking network goes in the same transaction.
    return counts


def _write_event_loop(conn: psycopg.Connection) -> None:
    """Give each demo event the loop behind its stage (gis/demo/sql/event_loop.sql), then
    escalate those open past their deadline as the sweep would have by the demo's now."""
    conn.execute("SET LOCAL onemap.notify = 'off'")
    # Several statements with one parameter: bound on the client side.
    psycopg.ClientCursor(conn).execute(query("demo/event_loop"), {"now": EPOCH})
    conn.execute(
        query("events/escalate"),
        {"now": EPOCH, "before_handled": list(BEFORE_HANDLED), "centres": list(CENTRES)},
    )


def _grid_rows(plan: Plan, codes: list[str], geoms: list[str]) -> Iterable[tuple[object, ...]]:
    for i, grid in enumerate(plan.grids):
        serial = int(codes[i][-3:])
        if grid.grid_type == "base":
            name = f"{grid.community.short_name}第{serial}网格"
        else:
            kind = DEDICATED_KINDS.label(grid.dedicated_kind or "")
            name = f"{grid.community.short_name}{kind}专属网格{serial - 800}"
        yield (
            codes[i],
            grid.community.code,
            grid.community.subdistrict.county_code,
            name,
            grid.grid_type,
            grid.dedicated_kind,
            grid.leaders,
            grid.instructors,
            grid.members,
            geoms[i],
        )


def _write_compounds(conn: psycopg.Connection, plan: Plan, ground: Ground) -> int:
    if not plan.compounds:
        return 0
    metric = polygons_in_cells(
        ground,
        np.array([c.cell for c in plan.compounds]),
        np.array([c.box for c in plan.compounds]),
    )
    geoms = _ewkb(as_multipolygons(ground.wgs84(metric)))
    return _copy(
        conn,
        "compounds",
        (
            "compound_id",
            "community_code",
            "county_code",
            "name",
            "compound_type",
            "built_year",
            "has_property_manager",
            "geom",
        ),
        (
            (
                i + 1,
                c.community.code,
                c.community.subdistrict.county_code,
                c.name,
                c.compound_type,
                c.built_year,
                c.has_property_manager,
                geoms[i],
            )
            for i, c in enumerate(plan.compounds)
        ),
    )


def _write_buildings(
    conn: psycopg.Connection, plan: Plan, ground: Ground, metric: np.ndarray
) -> int:
    geoms = _ewkb(as_multipolygons(ground.wgs84(metric)))
    serial: dict[str, int] = defaultdict(int)

    def rows() -> Iterable[tuple[object, ...]]:
        for i, b in enumerate(plan.buildings):
            serial[b.community.code] += 1
            code = f"{b.community.code}{serial[b.community.code]:05d}"
            yield (
                code,
                b.community.code,
                b.community.subdistrict.county_code,
                None if b.compound is None else b.compound + 1,
                b.name,
                b.building_use,
                b.floors,
                b.units,
                b.households,
                b.population,
                geoms[i],
            )

    return _copy(
        conn,
        "buildings",
        (
            "building_code",
            "community_code",
            "county_code",
            "compound_id",
            "name",
            "building_use",
            "floors",
            "units",
            "households",
            "population",
            "geom",
        ),
        rows(),
    )


def _write_centres(
    conn: psycopg.Connection, plan: Plan, ground: Ground, building_metric: np.ndarray
) -> int:
    """Community and compound centres from the plan; each subdistrict's and county's
    centre shares the building of its first community centre, as they often do."""
    rng = np.random.default_rng(len(plan.centres))
    points = _ewkb(
        ground.wgs84(shapely.centroid(building_metric[[c.building for c in plan.centres]]))
    )
    rows: list[tuple[object, ...]] = []
    first_by_subdistrict: dict[str, int] = {}
    for i, centre in enumerate(plan.centres):
        community = centre.community
        assert community is not None
        county = community.subdistrict.county_code
        rows.append(
            (
                county,
                community.subdistrict.code,
                community.code,
                None if centre.compound is None else centre.compound + 1,
                centre.name,
                centre.level,
                centre.area_m2,
                centre.rooms,
                points[i],
            )
        )
        if centre.level == "community":
            first_by_subdistrict.setdefault(community.subdistrict.code, i)
    first_by_county: dict[str, int] = {}
    for subdistrict in plan.subdistricts:
        if subdistrict.code not in first_by_subdistrict:
            continue
        i = first_by_subdistrict[subdistrict.code]
        first_by_county.setdefault(subdistrict.county_code, i)
        rows.append(
            (
                subdistrict.county_code,
                subdistrict.code,
                None,
                None,
                f"{subdistrict.name}党群服务中心",
                "subdistrict",
                float(round(rng.uniform(800, 3000), -1)),
                ["office", "activity", "culture_sport", "social_service", "legal_aid"],
                points[i],
            )
        )
    for county, i in first_by_county.items():
        rows.append(
            (
                county,
                None,
                None,
                None,
                "城区党群服务中心",
                "district",
                float(round(rng.uniform(2000, 4500), -1)),
                ["office", "activity", "culture_sport", "social_service", "library"],
                points[i],
            )
        )
    return _copy(
        conn,
        "service_centers",
        (
            "county_code",
            "subdistrict_code",
            "community_code",
            "compound_id",
            "name",
            "level",
            "area_m2",
            "rooms",
            "geom",
        ),
        rows,
    )


def _write_streets(
    conn: psycopg.Connection,
    ground: Ground,
    plan: Plan,
    county_of_cell: np.ndarray,
    counties: list[str],
) -> int:
    """The ground's streets, then its bridges (primary streets flagged ``bridge``), then the
    footways inside the blocks."""
    xs, ys = ground.lattice.xs, ground.lattice.ys
    lines = shapely.linestrings(
        [[(xs[a], ys[a]), (xs[b], ys[b])] for a, b in (s.edge for s in ground.streets)]
    )
    geoms = _ewkb(ground.wgs84(lines))

    def county(cell: int | None) -> str:
        if cell is not None:
            return counties[county_of_cell[cell]]
        # a rural road with nothing built beside it: only real ground has them, one county
        (only,) = counties
        return only

    def rows() -> Iterable[tuple[object, ...]]:
        for street, geom in zip(ground.streets, geoms, strict=True):
            yield (county(street.cell), street.name, street.street_class, False, geom)
        if not ground.bridges:
            return
        bridges = np.array([line for _, line in ground.bridges], dtype=object)
        for (name, _), geom in zip(ground.bridges, _ewkb(ground.wgs84(bridges)), strict=True):
            yield (county(None), name, "primary", True, geom)

    written = _copy(
        conn, "streets", ("county_code", "name", "street_class", "bridge", "geom"), rows()
    )
    return written + _write_footways(conn, ground, plan, county_of_cell, counties)


def _write_water(conn: psycopg.Connection, ground: Ground, counties: list[str]) -> int:
    if not ground.water:
        return 0
    geoms = _ewkb(as_multipolygons(ground.wgs84(np.array([area for _, area in ground.water]))))
    return _copy(
        conn,
        "water_areas",
        ("county_code", "name", "geom"),
        ((counties[0], name, geom) for (name, _), geom in zip(ground.water, geoms, strict=True)),
    )


def _write_footways(
    conn: psycopg.Connection,
    ground: Ground,
    plan: Plan,
    county_of_cell: np.ndarray,
    counties: list[str],
) -> int:
    """The paths inside each block people live or work in: from a gate in the middle of
    each side to the block's middle, a cross of four footways, as compounds have (an
    OpenStreetMap walking network maps them too). Parks, ponds and farmland ("open"
    cells) get none. The gate is the midpoint of the street's two ends in EPSG:4326, so
    it lies on the street, which the walking network cuts there
    (gis/access/sql/node_streets.sql)."""
    cells = np.array([i for i, kind in enumerate(plan.cell_kind) if kind != "open"], dtype=int)
    if not len(cells):
        return 0
    corners = ground.corners[cells]  # (n, 4, 2) metres, anticlockwise
    lon, lat = ground.to_wgs84.transform(corners[..., 0], corners[..., 1])
    wgs = np.stack([lon, lat], axis=-1)  # the street ends, exactly as the streets have them
    gates = (wgs + np.roll(wgs, -1, axis=1)) / 2  # side k: corner k to corner k+1
    middles = np.repeat(wgs.mean(axis=1)[:, None, :], 4, axis=1)
    lines = shapely.linestrings(np.stack([gates, middles], axis=2).reshape(-1, 2, 2))
    geoms = _ewkb(shapely.set_srid(lines, 4326))
    owners = np.repeat(cells, 4)
    return _copy(
        conn,
        "streets",
        ("county_code", "name", "street_class", "geom"),
        (
            (counties[county_of_cell[cell]], None, "footway", geom)
            for cell, geom in zip(owners.tolist(), geoms, strict=True)
        ),
    )


def _write_events(conn: psycopg.Connection, events: Events) -> int:
    geoms = _ewkb(events.points)
    return _copy(
        conn,
        "events",
        (
            "tracking_number",
            "county_code",
            "category_code",
            "description",
            "source",
            "status",
            "reported_at",
            "closed_at",
            "geom",
        ),
        zip(
            events.tracking_numbers,
            events.county_codes,
            events.categories,
            events.descriptions,
            events.sources,
            events.statuses,
            events.reported_at,
            events.closed_at,
            geoms,
            strict=True,
        ),
    )


def _write_patrols(conn: psycopg.Connection, patrols: Patrols, grid_codes: list[str]) -> int:
    """The demo's patrol teams, the grids they serve and their tracks, stored as uploads
    would be (a team's month is one upload), cleaning and all; returns the tracks
    stored. Teams are kept across loads (tokens act for them): each is upserted by
    (county, code), and a team an earlier load made that this one has not is disabled."""
    team_ids = []
    for team in patrols.teams:
        (team_id,) = conn.execute(
            "INSERT INTO patrol_teams (county_code, team_code, name, kind, created_by)"
            " VALUES (%s, %s, %s, %s, 'demo') ON CONFLICT (county_code, team_code)"
            " DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, disabled_at = NULL"
            " RETURNING team_id",
            (team.county_code, team.code, team.name, team.kind),
        ).fetchone()  # type: ignore[misc]
        team_ids.append(team_id)
    conn.execute(
        "UPDATE patrol_teams SET disabled_at = now()"
        " WHERE created_by = 'demo' AND disabled_at IS NULL AND NOT team_id = ANY(%s)",
        (team_ids,),
    )
    conn.execute(
        "DELETE FROM patrol_team_grids WHERE team_id IN"
        " (SELECT team_id FROM patrol_teams WHERE created_by = 'demo')"
    )
    _copy(
        conn,
        "patrol_team_grids",
        ("team_id", "county_code", "grid_code"),
        (
            (team_id, team.county_code, grid_codes[grid])
            for team, team_id in zip(patrols.teams, team_ids, strict=True)
            for grid in team.grids
        ),
    )
    uploads_of: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (of, day) in enumerate(zip(patrols.team_of, patrols.days, strict=True)):
        uploads_of[of, (PATROL_FROM + timedelta(days=day)).month].append(i)
    lons_lats = [shapely.get_coordinates(line) for line in patrols.lines]
    described = []
    for (of, _), indexes in sorted(uploads_of.items()):
        tracks = [
            SourceTrack(
                f"patrol {i}",
                n,
                tuple(lons_lats[i][:, 0].tolist()),
                tuple(lons_lats[i][:, 1].tolist()),
                tuple(patrols.times[i].tolist()),
            )
            for n, i in enumerate(indexes)
        ]
        upload = uploads.store(
            conn,
            tracks,
            team_id=team_ids[of],
            team_code=patrols.teams[of].code,
            source="demo",
            file_name=None,
            file_format="geojson",
            size=0,
            uploader=uploads.Uploader("demo"),
        )
        described += [
            (patrols.members[i], patrols.clues[i], track_id)
            for i, track in zip(indexes, upload.tracks, strict=True)
            for track_id in track.track_ids
        ]
    with conn.cursor() as cursor:
        cursor.executemany(
            "UPDATE patrol_tracks SET members = %s, clues = %s WHERE track_id = %s", described
        )
    return len(described)
