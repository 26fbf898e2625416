"""Grid delineation (划网定格) on demo communities and on a community without streets:
bounds, contiguity, every building once, tiling, determinism; nothing written without
apply; after apply the grids tile, building codes hold, events follow their points."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import psycopg
import pytest
import shapely

from gis import codes
from gis.errors import NotFound
from gis.grids.delineate import Delineation, DelineationError, apply, delineate
from gis.grids.regions import regionalise
from tests.planters import grid_planting as planting

# Demo communities (seed 7): urban communities of four streets from 3 to 7 grids, one
# with a dedicated grid inside (002009), and a village of 江西镇 whose houses stand in
# clusters over farmland, its grids joined by empty fields (105206). The codes were first
# chosen on the earlier lattice demo for the troubles they gave there (a chain of moves
# needed to fit, spopt's annealing hanging) and are kept as a spread of sizes.
COMMUNITIES = (
    "450105004007",
    "450105003001",
    "450105105206",
    "450105002009",
    "450105001004",
    "450105001018",
    "450105001001",
)
APPLIED = "450105004007"  # redrawn on a copy of the demo, never on the module's database
TILING_M2 = 1.0


@pytest.fixture(scope="module")
def demo_template(admin_url: str, migrated_template: str) -> Iterator[str]:
    """The demo district in a database nobody stays connected to, so tests can copy it."""
    with planting.demo_database(admin_url, migrated_template, "delineate") as url:
        yield url


@pytest.fixture(scope="module")
def proposals(demo_template: str) -> dict[str, Delineation]:
    with psycopg.connect(demo_template) as conn:
        return {code: delineate(conn, community_code=code) for code in COMMUNITIES}


@pytest.fixture
def demo_copy(admin_url: str, demo_template: str) -> Iterator[str]:
    name = planting.database_name(demo_template)
    with planting.database_from(admin_url, name, "delineate_apply") as url:
        yield url


def test_bounds_are_met(proposals):
    grids = [g for p in proposals.values() for g in p.grids]
    within = sum(p.within_bounds(g) for p in proposals.values() for g in p.grids)
    assert within / len(grids) >= 0.95, [
        (p.community_code, [g.households for g in p.grids]) for p in proposals.values()
    ]
    for proposal in proposals.values():
        assert all(300 <= g.households <= 500 for g in proposal.grids if proposal.within_bounds(g))


def test_each_proposed_grid_is_one_polygon(proposals):
    for proposal in proposals.values():
        for grid in proposal.grids:
            shape = shapely.geometry.shape(grid.geometry)
            assert grid.parts == 1 and len(shapely.get_parts(shape)) == 1, grid.grid_code
            assert shape.is_valid


def test_every_building_is_in_exactly_one_proposed_grid(demo_template, proposals):
    with psycopg.connect(demo_template) as conn:
        for code, proposal in proposals.items():
            placed = [b for g in proposal.grids for b in g.building_codes]
            assert len(placed) == len(set(placed)), code
            # the community's buildings outside its dedicated grids, by point on surface
            expected = {
                row[0]
                for row in conn.execute(
                    "SELECT b.building_code FROM buildings b WHERE b.community_code = %s"
                    " AND NOT EXISTS (SELECT 1 FROM grids g WHERE g.community_code = %s"
                    " AND g.grid_type = 'dedicated'"
                    " AND ST_Intersects(g.geom, ST_PointOnSurface(b.geom)))",
                    (code, code),
                ).fetchall()
            }
            assert set(placed) == expected, code
            assert proposal.unplaced_buildings == ()
            households = conn.execute(
                "SELECT sum(households) FROM buildings WHERE building_code = ANY(%s)", (placed,)
            ).fetchone()
            assert households == (proposal.households,)


def test_proposed_and_dedicated_grids_tile_the_community(demo_template, proposals):
    with psycopg.connect(demo_template) as conn:
        for code, proposal in proposals.items():
            mismatch, overlap = conn.execute(
                """
                WITH tiles AS (
                    SELECT ST_GeomFromEWKB(e) AS geom FROM unnest(%s::bytea[]) AS e
                    UNION ALL
                    SELECT geom FROM grids WHERE community_code = %s AND grid_type = 'dedicated'
                )
                SELECT ST_Area(ST_SymDifference(c.geom, ST_Union(t.geom))::geography),
                       sum(ST_Area(t.geom::geography)) - ST_Area(ST_Union(t.geom)::geography)
                FROM tiles t CROSS JOIN communities c
                WHERE c.community_code = %s GROUP BY c.geom
                """,
                ([g.ewkb for g in proposal.grids], code, code),
            ).fetchone()
            assert mismatch < TILING_M2 and overlap < TILING_M2, (code, mismatch, overlap)


def test_codes_run_west_to_east_north_to_south_and_nest(proposals):
    for code, proposal in proposals.items():
        serials = [int(g.grid_code[-3:]) for g in proposal.grids]
        assert serials == list(range(1, len(proposal.grids) + 1))
        for grid in proposal.grids:
            codes.validate_grid(grid.grid_code, community_code=code, grid_type="base")
        # the first grid is in the northernmost row band: no grid's centre is far north of it
        north = [shapely.geometry.shape(g.geometry).centroid.y for g in proposal.grids]
        assert north[0] >= max(north) - 0.004  # ≈ 400 m, a bit over one row band


def test_compactness_is_reported(proposals):
    values = [g.compactness for p in proposals.values() for g in p.grids]
    assert all(0 < v <= 1 for v in values)
    assert np.mean(values) > 0.45  # the demo's own base grids average about 0.57
    feature = proposals[COMMUNITIES[0]].feature_collection()["features"][0]
    assert set(feature["properties"]) >= {
        "grid_code",
        "households",
        "population",
        "buildings",
        "blocks",
        "compactness",
    }


def test_the_same_input_gives_the_same_proposal(demo_template, proposals):
    with psycopg.connect(demo_template) as conn:
        for code in COMMUNITIES[:3]:
            again = delineate(conn, community_code=code)
            first = proposals[code]
            assert [(g.grid_code, g.households, g.building_codes) for g in again.grids] == [
                (g.grid_code, g.households, g.building_codes) for g in first.grids
            ]


def _snapshot(conn: psycopg.Connection) -> tuple:
    return conn.execute(
        "SELECT (SELECT md5(string_agg(grid_code || ST_AsEWKT(geom) || members, ','"
        "  ORDER BY grid_code)) FROM grids),"
        " (SELECT md5(string_agg(event_id || coalesce(grid_code, '-'), ',' ORDER BY event_id))"
        "  FROM events),"
        " (SELECT md5(string_agg(building_code, ',' ORDER BY building_code)) FROM buildings),"
        " (SELECT count(*) FROM pg_class WHERE relname LIKE 'delineation_%%')"
    ).fetchone()


def test_nothing_is_written_without_apply(demo_template):
    with psycopg.connect(demo_template) as conn:
        before = _snapshot(conn)
        delineate(conn, community_code=COMMUNITIES[1])
        conn.commit()
    with psycopg.connect(demo_template) as conn:
        assert _snapshot(conn) == before


def test_a_community_below_the_floor_gets_one_grid(demo_template):
    with psycopg.connect(demo_template) as conn:
        proposal = delineate(
            conn, community_code=COMMUNITIES[1], min_households=5000, max_households=6000
        )
    assert len(proposal.grids) == 1 and proposal.grids[0].grid_code.endswith("001")


def test_unknown_and_malformed_communities_are_refused(demo_template):
    with psycopg.connect(demo_template) as conn:
        with pytest.raises(NotFound, match="450105999999"):
            delineate(conn, community_code="450105999999")
        with pytest.raises(codes.InvalidCode):
            delineate(conn, community_code="4501050010")
        with pytest.raises(DelineationError, match="bounds"):
            delineate(conn, community_code=COMMUNITIES[0], min_households=500, max_households=300)


def test_apply_redraws_the_base_grids(demo_copy):
    code = APPLIED
    with psycopg.connect(demo_copy) as conn:
        conn.execute(
            "INSERT INTO api_tokens (county_code, token_sha256, name, role, grid_code)"
            " VALUES ('450105', repeat('a', 64), '网格员', 'grid_member', %s)",
            (f"{code}003",),
        )
        conn.commit()
        buildings_before = conn.execute(
            "SELECT building_code, ST_AsEWKB(geom) FROM buildings ORDER BY 1"
        ).fetchall()
        dedicated_before = conn.execute(
            "SELECT grid_code, ST_AsEWKB(geom), members FROM grids"
            " WHERE community_code = %s AND grid_type = 'dedicated' ORDER BY 1",
            (code,),
        ).fetchall()
        members_before = conn.execute(
            "SELECT sum(members) FROM grids WHERE community_code = %s AND grid_type = 'base'",
            (code,),
        ).fetchone()
        moved = [
            row[0]
            for row in conn.execute(
                "SELECT event_id FROM events WHERE left(grid_code, 12) = %s"
                " AND substr(grid_code, 13, 3)::int < 800",
                (code,),
            ).fetchall()
        ]
        assert moved, "the demo community has events in its base grids"
        proposal = delineate(conn, community_code=code)
        result = apply(conn, proposal)
        conn.commit()

        assert result.events_replaced == len(moved)
        assert result.mismatch_m2 < TILING_M2 and result.overlap_m2 < TILING_M2
        assert result.tokens_moved == 1
        # the grids tile the community, measured afresh
        mismatch, overlap = conn.execute(
            "SELECT ST_Area(ST_SymDifference(c.geom, ST_Union(g.geom))::geography),"
            " sum(ST_Area(g.geom::geography)) - ST_Area(ST_Union(g.geom)::geography)"
            " FROM communities c JOIN grids g USING (community_code)"
            " WHERE c.community_code = %s GROUP BY c.geom",
            (code,),
        ).fetchone()
        assert mismatch < TILING_M2 and overlap < TILING_M2
        # base grids are the proposal, with valid nested codes and a standard team
        base = conn.execute(
            "SELECT grid_code, leaders, instructors, members, ST_AsEWKB(geom) FROM grids"
            " WHERE community_code = %s AND grid_type = 'base' ORDER BY 1",
            (code,),
        ).fetchall()
        assert [row[0] for row in base] == [g.grid_code for g in proposal.grids]
        for grid_code, leaders, instructors, _, _ in base:
            codes.validate_grid(grid_code, community_code=code, grid_type="base")
            assert (leaders, instructors) == (1, 1)
        assert (sum(row[3] for row in base),) == members_before
        # dedicated grids and every building untouched
        assert (
            conn.execute(
                "SELECT grid_code, ST_AsEWKB(geom), members FROM grids"
                " WHERE community_code = %s AND grid_type = 'dedicated' ORDER BY 1",
                (code,),
            ).fetchall()
            == dedicated_before
        )
        assert (
            conn.execute(
                "SELECT building_code, ST_AsEWKB(geom) FROM buildings ORDER BY 1"
            ).fetchall()
            == buildings_before
        )
        # each moved event sits in the new grid that covers its point
        misplaced = conn.execute(
            "SELECT e.event_id FROM events e JOIN grids g USING (grid_code)"
            " WHERE e.event_id = ANY(%s)"
            " AND (NOT ST_Intersects(g.geom, e.geom) OR g.community_code <> %s)",
            (moved, code),
        ).fetchall()
        assert misplaced == []
        assert conn.execute(
            "SELECT count(*) FROM events WHERE event_id = ANY(%s) AND grid_code IS NULL", (moved,)
        ).fetchone() == (0,)
        # the statistics triggers followed the new grids
        households = conn.execute(
            "SELECT sum(households) FROM grid_statistics WHERE grid_code = ANY(%s)",
            ([g.grid_code for g in proposal.grids],),
        ).fetchone()
        assert households == (proposal.households,)
        token = conn.execute("SELECT grid_code FROM api_tokens WHERE name = '网格员'").fetchone()
        assert token is not None and token[0] in {g.grid_code for g in proposal.grids}


def test_a_stale_proposal_is_refused_and_changes_nothing(demo_copy):
    with psycopg.connect(demo_copy) as conn:
        proposal = delineate(conn, community_code=COMMUNITIES[1])
        apply(conn, proposal)
        conn.commit()
        before = _snapshot(conn)
        # the same codes again, but the grids it was drawn from are gone
        with pytest.raises(DelineationError, match="changed since"):
            apply(conn, proposal)
        conn.rollback()
        assert _snapshot(conn) == before


@pytest.fixture
def streetless(scratch_database: str) -> str:
    with psycopg.connect(scratch_database) as conn:
        planting.plant_streetless_community(conn)
    return scratch_database


def test_a_community_without_streets_is_cut_by_its_buildings(streetless):
    with psycopg.connect(streetless) as conn:
        proposal = delineate(conn, community_code=planting.STREETLESS)
        assert proposal.divided_blocks == 1
        assert proposal.households == 36 * 40
        assert all(proposal.within_bounds(g) for g in proposal.grids)
        assert all(g.parts == 1 for g in proposal.grids)
        placed = [b for g in proposal.grids for b in g.building_codes]
        assert sorted(placed) == [f"{planting.STREETLESS}{i:05d}" for i in range(1, 37)]
        result = apply(conn, proposal)
        conn.commit()
    assert result.removed_grids == (planting.STREETLESS_BASE,)
    assert len(result.created_grids) == len(proposal.grids) >= 3
    assert result.mismatch_m2 < TILING_M2 and result.overlap_m2 < TILING_M2
    assert result.members == 7


def test_apply_names_a_table_that_still_refers_to_an_old_grid(streetless):
    with psycopg.connect(streetless) as conn:
        # keyed as every county's table is (migration 0020): the grid code and its county
        conn.execute(
            "CREATE TABLE grid_notes (grid_code char(15), county_code char(6), note text,"
            " FOREIGN KEY (grid_code, county_code) REFERENCES grids)"
        )
        conn.execute(
            "INSERT INTO grid_notes VALUES (%s, left(%s, 6), '值班表')",
            (planting.STREETLESS_BASE, planting.STREETLESS_BASE),
        )
        conn.commit()
        proposal = delineate(conn, community_code=planting.STREETLESS)
        with pytest.raises(DelineationError, match=r"grid_notes\.grid_code"):
            apply(conn, proposal)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM grids").fetchone() == (2,)


# --- the regionalisation on its own -----------------------------------------------


def test_regionalise_finds_the_three_way_cut():
    # the 1,062 households of demo community 450105002009's nine blocks
    households = np.array([44, 124, 146, 104, 132, 98, 104, 132, 178])
    edges = [(0, 1), (1, 2), (1, 4), (2, 3), (2, 5), (3, 6), (4, 5), (5, 6), (6, 7), (6, 8)]
    xy = np.array(
        [
            [0, 98],
            [158, 54],
            [215, 232],
            [262, 412],
            [342, 0],
            [383, 185],
            [436, 366],
            [479, 532],
            [614, 302],
        ],
        dtype=float,
    )
    labels = regionalise(households, xy, edges, min_households=300, max_households=500)
    totals = np.bincount(labels, weights=households)
    assert len(totals) == 3 and all(300 <= t <= 500 for t in totals)


def test_regionalise_keeps_disconnected_patches_apart():
    households = np.array([200, 200, 50, 350, 100])
    edges = [(0, 1), (3, 4)]  # block 2 touches nothing
    xy = np.array([[0, 0], [100, 0], [500, 500], [1000, 0], [1100, 0]], dtype=float)
    labels = regionalise(households, xy, edges, min_households=300, max_households=500)
    assert labels.tolist() == [0, 0, 1, 2, 2]
