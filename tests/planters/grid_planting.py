"""Places planted by hand for the crosswalk and delineation tests, and databases that
hold them (or the demo district) for a module at a time.

Drawn in metres (EPSG:4545, CGCS2000 Gauss-Krüger 108°E, near Jiangnan) and stored in
EPSG:4326; (x, y) are metres from the origin. Edges get a vertex every 10 m before the
transform, so boxes that share an edge share its vertices, as clean data does.

Crosswalk layout (two communities, three unified grids, six legacy grids)::

    y=1000 ┌────────────┬───L2───┬──────────┬───────────────L5──────────────┐
           │     G1     │   ┆    │    G2    │              G3               │
    y=500  ├─────L1─────┤        ├─────L3───┼───L3──┐                        │
           │            │        │          │       │                  L4 ──┼── L4
    y=0    └────────────┴────────┴──────────┴───────┴────────────────────────┘   L6 (far)
           x=0         500      750  800  1000   1200                  1900 2000 2100

C1 = [0, 1000] × [0, 1000] holds G1 = [0, 500] and G2 = [500, 1000] (full height);
C2 = [1000, 2000] × [0, 1000] is G3.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

import geopandas as gpd
import psycopg
import shapely

from tests.planters.databases import database

X0, Y0 = 530_000.0, 2_520_000.0  # about 108.30 E, 22.78 N
COUNTY, SUBDISTRICT = "450105", "450105001"
C1, C2 = "450105001001", "450105001002"
G1, G2, G3 = f"{C1}001", f"{C1}002", f"{C2}001"
UNIFIED = {G1: (0, 0, 500, 1000), G2: (500, 0, 1000, 1000), G3: (1000, 0, 2000, 1000)}
LEGACY = {
    "L1": (0, 0, 500, 500),  # all in G1: half of G1
    "L2": (250, 500, 750, 1000),  # half in G1, half in G2: a quarter of each
    "L3": (800, 0, 1200, 500),  # across the community line: split across communities
    "L4": (1900, 0, 2100, 150),  # half outside every grid
    "L5": (995, 600, 1500, 700),  # 500 m² in C1 of 50,500 m²: a sliver, not a split
    "L6": (3000, 0, 3100, 100),  # far outside
}

_serial = count(1)


def box_sql(box: tuple[float, float, float, float]) -> str:
    x1, y1, x2, y2 = box
    envelope = f"ST_MakeEnvelope({X0 + x1}, {Y0 + y1}, {X0 + x2}, {Y0 + y2}, 4545)"
    return f"ST_Multi(ST_Transform(ST_Segmentize({envelope}, 10), 4326))"


def boxes_4326(boxes: dict[str, tuple[float, float, float, float]]) -> gpd.GeoSeries:
    """Boxes in layout metres as EPSG:4326 polygons, segmentised like box_sql."""
    polygons = [
        shapely.segmentize(shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2), 10)
        for x1, y1, x2, y2 in boxes.values()
    ]
    return gpd.GeoSeries(polygons, crs=4545).to_crs(4326)


def legacy_layer(**extra_columns: list[object]) -> gpd.GeoDataFrame:
    """The six legacy grids as a GeoDataFrame in EPSG:4326 with a 编码 id column."""
    frame = gpd.GeoDataFrame(
        {"编码": list(LEGACY), **extra_columns},
        geometry=list(boxes_4326(LEGACY)),
        crs=4326,
    )
    frame.index = [f"features[{i}]" for i in range(len(frame))]
    return frame


def plant_district(conn: psycopg.Connection, whole: tuple[float, float, float, float]) -> None:
    geom = box_sql(whole)
    conn.execute(f"INSERT INTO districts VALUES ('{COUNTY}', '江南区', {geom})")
    conn.execute(
        "INSERT INTO subdistricts (subdistrict_code, county_code, name, kind, geom)"
        f" VALUES ('{SUBDISTRICT}', '{COUNTY}', '福建园街道', 'street', {geom})"
    )


def plant_community(
    conn: psycopg.Connection, code: str, name: str, box: tuple[float, float, float, float]
) -> None:
    conn.execute(
        "INSERT INTO communities (community_code, subdistrict_code, county_code, name, kind,"
        f" geom) VALUES (%s, %s, %s, %s, 'community', {box_sql(box)})",
        (code, SUBDISTRICT, COUNTY, name),
    )


def plant_grid(
    conn: psycopg.Connection,
    code: str,
    box: tuple[float, float, float, float],
    *,
    dedicated_kind: str | None = None,
    members: int = 3,
) -> None:
    conn.execute(
        "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type,"
        f" dedicated_kind, members, geom) VALUES (%s, %s, %s, %s, %s, %s, %s, {box_sql(box)})",
        (
            code,
            code[:12],
            COUNTY,
            f"网格{code[-3:]}",
            "base" if dedicated_kind is None else "dedicated",
            dedicated_kind,
            members,
        ),
    )


def plant_crosswalk_layout(conn: psycopg.Connection) -> None:
    """Two communities and three unified grids (no streets or buildings); commits."""
    plant_district(conn, (0, 0, 2000, 1000))
    plant_community(conn, C1, "一社区居委会", (0, 0, 1000, 1000))
    plant_community(conn, C2, "二社区居委会", (1000, 0, 2000, 1000))
    for code, box in UNIFIED.items():
        plant_grid(conn, code, box)
    conn.commit()


# A community with no streets at all: 600 m × 600 m, one base grid and a dedicated grid
# (a school) in its north-east corner, and a 6 × 6 block of 40-household buildings (plus
# one in the school) - 1,400 households to cut below the street level.
STREETLESS = C1
STREETLESS_BASE = f"{C1}001"
STREETLESS_SCHOOL = f"{C1}801"
STREETLESS_BOX = (0, 0, 600, 600)
SCHOOL_BOX = (450, 450, 600, 600)


def plant_streetless_community(conn: psycopg.Connection) -> None:
    plant_district(conn, STREETLESS_BOX)
    plant_community(conn, STREETLESS, "无街社区居委会", STREETLESS_BOX)
    # the base grid is the community less the school: an L-shaped polygon
    conn.execute(
        "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type, members,"
        f" geom) VALUES (%s, %s, %s, '网格001', 'base', 7,"
        f" ST_Multi(ST_Difference({box_sql(STREETLESS_BOX)}, {box_sql(SCHOOL_BOX)})))",
        (STREETLESS_BASE, STREETLESS, COUNTY),
    )
    plant_grid(conn, STREETLESS_SCHOOL, SCHOOL_BOX, dedicated_kind="school", members=2)
    serial = 0
    for row in range(6):
        for column in range(6):
            x, y = 20 + column * 70, 20 + row * 70
            serial += 1
            plant_building(conn, STREETLESS, serial, (x, y, x + 30, y + 20), 40)
    plant_building(conn, STREETLESS, serial + 1, (500, 500, 550, 540), 0, use="school")
    conn.commit()


def plant_building(
    conn: psycopg.Connection,
    community: str,
    serial: int,
    box: tuple[float, float, float, float],
    households: int,
    *,
    use: str = "residential",
) -> None:
    conn.execute(
        "INSERT INTO buildings (building_code, community_code, county_code, building_use,"
        f" floors, households, population, geom) VALUES (%s, %s, %s, %s, 6, %s, %s,"
        f" {box_sql(box)})",
        (f"{community}{serial:05d}", community, COUNTY, use, households, households * 3),
    )


# --- databases -----------------------------------------------------------------------


@contextmanager
def database_from(admin_url: str, template: str, label: str) -> Iterator[str]:
    """A database copied from ``template`` (no one may be connected to it); dropped
    afterwards. Yields its URL."""
    name = f"onemap_{label}_{os.getpid()}_{next(_serial)}"
    with database(admin_url, name, template=template) as url:
        yield url


@contextmanager
def demo_database(admin_url: str, migrated_template: str, label: str) -> Iterator[str]:
    """A migrated database holding the district demo (seed 7), for one test module."""
    from gis import demo

    with database_from(admin_url, migrated_template, label) as url:
        with psycopg.connect(url) as conn:
            demo.load(conn, scale="district", seed=7)
        yield url


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]
