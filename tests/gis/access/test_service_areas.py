"""Service areas (gis/access/service_areas.py): hand-checked walks on small synthetic
networks, a real OpenStreetMap network checked node by node against networkx, the
straight-line fallback, the recompute queue, and bad parameters refused."""

from __future__ import annotations

import math

import networkx as nx
import psycopg
import pytest

from gis.access import import_osm, walking_distance_m
from gis.access.network import replace_staged_network, stage_edges
from gis.access.service_areas import compute_service_areas, refresh_service_areas
from gis.errors import InvalidParameter, NotFound
from gis.progress import OnStep
from tests.planters.walking import (
    COUNTY,
    HELSINKI,
    SQUARE,
    lonlat,
    plant_centre,
    plant_county,
    plant_network,
    shenzhen_nanshan,
)


def area(conn: psycopg.Connection, center_id: int, minutes: int) -> dict[str, object]:
    row = conn.execute(
        "SELECT method, distance_m, reached_m, reached_edges, snap_m, geom FROM service_areas"
        " WHERE center_id = %s AND minutes = %s",
        (center_id, minutes),
    ).fetchone()
    assert row is not None, f"no {minutes}-minute area for centre {center_id}"
    return dict(
        zip(("method", "distance_m", "reached_m", "edges", "snap_m", "geom"), row, strict=True)
    )


def inside(conn: psycopg.Connection, center_id: int, minutes: int, x: float, y: float) -> bool:
    row = conn.execute(
        "SELECT ST_Intersects(geom, ST_Point(%s, %s, 4326)) FROM service_areas"
        " WHERE center_id = %s AND minutes = %s",
        (*lonlat(x, y), center_id, minutes),
    ).fetchone()
    assert row is not None
    return bool(row[0])


# The centre at the SQUARE block's south-west corner. At 6 minutes (500 m) the walk
# covers the two sides from the corner (800 m) and 100 m up each of the two far sides
# from the near corners: 1,000 m, and the far corner (800 m) is not reached.
def test_square_block_is_cut_at_the_exact_distance(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn)
        plant_network(conn, SQUARE)
        centre = plant_centre(conn, 0, 0)
        run = compute_service_areas(conn, minutes=[6, 12], buffer_m=20)
        assert (run.centres, run.areas, run.network_centres) == (1, 2, 1)
        six = area(conn, centre, 6)
        assert six["method"] == "network"
        assert six["distance_m"] == pytest.approx(500)
        assert six["reached_m"] == pytest.approx(1000, abs=0.01)
        assert six["snap_m"] == pytest.approx(0, abs=0.01)
        # 490 m by either way round: inside; the middle of the far sides (600 m): outside
        assert inside(conn, centre, 6, 400, 90) and inside(conn, centre, 6, 90, 400)
        assert not inside(conn, centre, 6, 400, 200) and not inside(conn, centre, 6, 200, 400)
        assert not inside(conn, centre, 6, 400, 400)
        # 12 minutes is 1,000 m: every side, and the far corner (800 m) reached
        twelve = area(conn, centre, 12)
        assert twelve["reached_m"] == pytest.approx(1600, abs=0.01)
        assert inside(conn, centre, 12, 400, 400)
        # the band is 20 m wide: the middle of the block is not served by its edges
        assert not inside(conn, centre, 12, 200, 200)
        assert inside(conn, centre, 12, 200, 15) and not inside(conn, centre, 12, 200, 25)


# A T: west end A, junction B 300 m east, east end C 600 m east, and a branch D 400 m
# north of B. The centre stands 30 m south of the middle of A–B: its door walk is 30 m,
# then 150 m either way.
TEE = [[(0, 0), (300, 0)], [(300, 0), (600, 0)], [(300, 0), (300, 400)]]


def test_centre_off_the_street_walks_to_it_first(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn)
        plant_network(conn, TEE)
        centre = plant_centre(conn, 150, -30)
        compute_service_areas(conn, minutes=[5, 10], buffer_m=10)
        five = area(conn, centre, 5)  # 416.67 m
        assert five["snap_m"] == pytest.approx(30, abs=0.01)
        # door 30 + A side 150 + B side 150 + 86.67 east + 86.67 north of B
        left = walking_distance_m(5) - 30 - 150
        assert five["reached_m"] == pytest.approx(30 + 150 + 150 + 2 * left, abs=0.01)
        assert inside(conn, centre, 5, 300 + left - 2, 0)
        assert not inside(conn, centre, 5, 300 + left + 12, 0)
        assert inside(conn, centre, 5, 300, left - 2)
        assert not inside(conn, centre, 5, 300, left + 12)
        ten = area(conn, centre, 10)  # 833.3 m reaches every end: 30 + 1,000 m of street
        assert ten["reached_m"] == pytest.approx(1030, abs=0.01)


@pytest.mark.parametrize("extract", ["helsinki", "shenzhen"])
def test_a_node_is_inside_exactly_when_its_walk_is_short_enough(scratch_database, extract):
    """On real networks (central Helsinki from OpenStreetMap; OSMnx's walking graph of
    Shenzhen Nanshan): every node within speed × t of a centre is inside its area, and a
    node beyond it is inside only where it lies within the band of a street the walk
    reached (an edge with an end reached in time)."""
    county = COUNTY if extract == "helsinki" else "440305"
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn, county)
        if extract == "helsinki":
            import_osm(conn, HELSINKI, county_code=COUNTY)
        else:
            _, _, rows = shenzhen_nanshan()
            stage_edges(conn, rows)
            replace_staged_network(conn)
        nodes = conn.execute(
            """
            SELECT n.node_id, ST_X(n.geom), ST_Y(n.geom) FROM walk_nodes AS n
            JOIN walk_components AS c USING (county_code, component)
            WHERE c.largest ORDER BY n.node_id
            """
        ).fetchall()
        graph = nx.Graph()
        for source, target, length in conn.execute(
            "SELECT source, target, length_m FROM walk_edges ORDER BY edge_id"
        ):
            if not graph.has_edge(source, target) or graph[source][target]["weight"] > length:
                graph.add_edge(source, target, weight=length)
        starts = [nodes[len(nodes) * i // 3] for i in range(3)]
        centres = {}
        for node_id, lon, lat in starts:
            row = conn.execute(
                "INSERT INTO service_centers (county_code, name, level, area_m2, geom)"
                " VALUES (%s, 'c', 'district', 800, ST_Point(%s, %s, 4326)) RETURNING center_id",
                (county, lon, lat),
            ).fetchone()
            assert row is not None
            centres[int(row[0])] = node_id
        compute_service_areas(conn, buffer_m=25)
        conn.execute("CREATE TEMP TABLE walked (center_id bigint, node_id bigint, d float8)")
        for center_id, node_id in centres.items():
            distances = nx.single_source_dijkstra_path_length(graph, node_id, weight="weight")
            with conn.cursor().copy("COPY walked FROM STDIN") as copy:
                for node, d in distances.items():
                    copy.write_row((center_id, node, d))
        for minutes in (5, 10, 15):
            limit = walking_distance_m(minutes)
            missing, stray, within = conn.execute(
                """
                WITH judged AS (
                    SELECT w.center_id, w.node_id, w.d,
                           ST_Intersects(a.geom, n.geom) AS inside, n.geom
                    FROM walked AS w
                    JOIN walk_nodes AS n USING (node_id)
                    JOIN service_areas AS a ON a.center_id = w.center_id AND a.minutes = %(m)s
                )
                SELECT count(*) FILTER (WHERE d <= %(limit)s - 0.01 AND NOT inside),
                       count(*) FILTER (WHERE d > %(limit)s AND inside AND NOT EXISTS (
                           SELECT 1 FROM walk_edges AS e
                           JOIN walked AS s ON s.center_id = j.center_id
                                AND s.node_id IN (e.source, e.target) AND s.d < %(limit)s
                           WHERE ST_DWithin(e.geom::geography, j.geom::geography, 25.5))),
                       count(*) FILTER (WHERE d <= %(limit)s)
                FROM judged AS j
                """,
                {"m": minutes, "limit": limit},
            ).fetchone()
            assert within > 20, "the test must walk somewhere"
            assert (missing, stray) == (0, 0), f"{minutes} min"
        # the length reached agrees with networkx, edge by edge, cut at the distance
        for center_id, node_id in centres.items():
            distances = nx.single_source_dijkstra_path_length(graph, node_id, weight="weight")
            for minutes in (5, 15):
                limit = walking_distance_m(minutes)
                expected = 0.0
                for source, target, length in conn.execute(
                    "SELECT source, target, length_m FROM walk_edges"
                ):
                    from_source = max(0.0, limit - distances.get(source, math.inf))
                    from_target = max(0.0, limit - distances.get(target, math.inf))
                    expected += min(length, from_source + from_target)
                got = area(conn, center_id, minutes)["reached_m"]
                assert got == pytest.approx(expected, rel=1e-6), (center_id, minutes)


def test_county_without_network_gets_circles_that_say_so(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn)
        centre = plant_centre(conn, 0, 0)
        run = compute_service_areas(conn)
        assert (run.straight_line_centres, run.network_centres, run.areas) == (1, 0, 3)
        fifteen = area(conn, centre, 15)
        assert fifteen["method"] == "straight_line"
        row = conn.execute(
            "SELECT ST_Area(geom::geography) FROM service_areas"
            " WHERE center_id = %s AND minutes = 15",
            (centre,),
        ).fetchone()
        assert row is not None
        assert row[0] == pytest.approx(math.pi * 1250**2, rel=0.01)


def test_moved_centres_and_changed_networks_are_queued_and_refreshed(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn)
        plant_network(conn, SQUARE)
        first, second = plant_centre(conn, 0, 0), plant_centre(conn, 400, 400)
        queued = conn.execute("SELECT center_id, reason FROM service_area_queue ORDER BY 1")
        assert queued.fetchall() == [(first, "centre"), (second, "centre")]
        run = refresh_service_areas(conn)
        assert (run.centres, run.areas, run.still_queued) == (2, 6, 0)
        # a new name changes nothing; a move queues the centre alone
        conn.execute("UPDATE service_centers SET name = 'renamed'")
        assert conn.execute("SELECT count(*) FROM service_area_queue").fetchone() == (0,)
        conn.execute(
            "UPDATE service_centers SET geom = ST_Point(%s, %s, 4326) WHERE center_id = %s",
            (*lonlat(0, 200), first),
        )
        assert conn.execute("SELECT center_id FROM service_area_queue").fetchall() == [(first,)]
        before = area(conn, second, 5)["reached_m"]
        run = refresh_service_areas(conn)
        assert run.centres == 1
        # from the middle of the west side, 416.7 m reaches 216.7 m along each neighbour
        beyond = walking_distance_m(5) - 200
        assert area(conn, first, 5)["reached_m"] == pytest.approx(400 + 2 * beyond, abs=0.01)
        assert area(conn, second, 5)["reached_m"] == before
        # a new network queues every centre of the county
        plant_network(conn, [*SQUARE, [(400, 0), (800, 0)]])
        rows = conn.execute("SELECT reason, count(*) FROM service_area_queue GROUP BY 1")
        assert rows.fetchall() == [("network", 2)]
        refresh_service_areas(conn)
        assert area(conn, first, 15)["reached_m"] == pytest.approx(2000, abs=0.01)


def test_bad_parameters_and_unknown_centres_write_nothing(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn)
        plant_network(conn, SQUARE)
        centre = plant_centre(conn, 0, 0)
        conn.commit()
        for kwargs in ({"minutes": [0]}, {"minutes": [90]}, {"speed_kmh": 0}, {"buffer_m": -1}):
            with pytest.raises(InvalidParameter):
                compute_service_areas(conn, **kwargs)
        with pytest.raises(NotFound) as caught:
            compute_service_areas(conn, center_ids=[centre, 999])
        assert "999" in str(caught.value)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM service_areas").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM service_area_queue").fetchone() == (1,)


def test_workers_draw_the_same_areas_in_one_transaction(scratch_database):
    """Centres split between two extra connections give the areas one connection gives,
    written together."""
    lattice = [[(x, y), (x + 150, y)] for x in range(0, 1500, 150) for y in range(0, 1650, 150)] + [
        [(x, y), (x, y + 150)] for x in range(0, 1650, 150) for y in range(0, 1500, 150)
    ]
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn)
        plant_network(conn, lattice)
        centres = [plant_centre(conn, 37.0 * i, 41.0 * i % 1500) for i in range(40)]
        conn.commit()
        steps: list[str] = []
        run = compute_service_areas(conn, workers=2, progress=OnStep(steps.append))
        assert (run.centres, run.areas, run.still_queued) == (40, 120, 0)
        assert any("(2 connections)" in step for step in steps), steps
        conn.execute(
            "CREATE TEMP TABLE drawn_by_workers AS SELECT center_id, minutes, reached_m, geom"
            " FROM service_areas"
        )
        compute_service_areas(conn, workers=1)
        differing = conn.execute(
            """
            SELECT count(*) FROM service_areas AS a
            JOIN drawn_by_workers AS w USING (center_id, minutes)
            WHERE abs(a.reached_m - w.reached_m) > 1e-6
               OR ST_Area(ST_SymDifference(a.geom, w.geom)::geography) > 1
            """
        ).fetchone()
        assert differing == (0,)
        assert conn.execute("SELECT count(DISTINCT center_id) FROM service_areas").fetchone() == (
            len(centres),
        )
