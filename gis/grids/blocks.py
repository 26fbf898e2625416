"""The blocks a community's grids are built from, made in PostGIS.

A block is a street block: a face that the community's streets cut out of its base area
(the community less its dedicated grids). A block holding more households than a grid may
is divided into the Voronoi cells of its buildings. Blocks, and the buildings assigned to
them, live in two temporary tables of the session (``delineation_blocks``,
``delineation_buildings``) between :func:`make_blocks` and :func:`drop_blocks`; nothing
else is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg

from gis.sql import query

# Blocks must share at least this much boundary to count as neighbours, metres: a corner
# or a sliver of floating-point noise does not join two blocks into one grid.
MIN_SHARED_EDGE_M = 1.0


@dataclass(frozen=True)
class Blocks:
    """A community's blocks as arrays, in block-id order.

    Attributes
    ----------
    block_ids : (n,) ids in ``delineation_blocks``.
    households, population, buildings : (n,) what each block holds.
    xy : (n, 2) block centroids, metres in EPSG:4545.
    edges : index pairs of blocks sharing ≥ MIN_SHARED_EDGE_M of boundary.
    divided : how many over-full blocks were divided by their buildings.
    """

    block_ids: np.ndarray
    households: np.ndarray
    population: np.ndarray
    buildings: np.ndarray
    xy: np.ndarray
    edges: list[tuple[int, int]]
    divided: int


@dataclass(frozen=True)
class RegionShape:
    """One region's union of blocks, as PostGIS measured it."""

    region: int
    blocks: int
    households: int
    population: int
    building_codes: tuple[str, ...]
    parts: int
    area_m2: float
    compactness: float
    x: float
    y: float
    geometry: dict[str, Any]
    ewkb: bytes


def drop_blocks(conn: psycopg.Connection) -> None:
    """Drop the temporary delineation tables of this session."""
    conn.execute("DROP TABLE IF EXISTS pg_temp.delineation_buildings, pg_temp.delineation_blocks")


def make_blocks(conn: psycopg.Connection, *, community_code: str, max_households: int) -> Blocks:
    """Build the community's blocks and assign its buildings to them (temporary tables).

    Parameters
    ----------
    conn : connection inside a transaction; the temporary tables go with it.
    community_code : 12-digit community code.
    max_households : a block holding more households than this is divided by its
        buildings.
    """
    drop_blocks(conn)
    params = {"community_code": community_code, "max_households": max_households}
    conn.execute(query("grids/delineate_blocks"), params)
    conn.execute("CREATE INDEX ON delineation_blocks USING gist (geom)")
    conn.execute(query("grids/delineate_buildings"))
    divided = conn.execute(
        "SELECT count(*) FROM (SELECT block_id FROM delineation_buildings GROUP BY block_id"
        " HAVING sum(households) > %(max_households)s"
        " AND count(DISTINCT ST_AsBinary(point)) > 1) AS oversized",
        params,
    ).fetchone()
    divided_count = int(divided[0]) if divided else 0
    if divided_count:
        conn.execute(query("grids/delineate_split_blocks"), params)
        conn.execute("DROP TABLE delineation_buildings")
        conn.execute(query("grids/delineate_buildings"))
    conn.execute("ANALYZE delineation_blocks")
    rows = conn.execute(query("grids/delineate_block_summary")).fetchall()
    block_ids = np.array([row[0] for row in rows], dtype=np.int64)
    position = {int(block): i for i, block in enumerate(block_ids)}
    pairs = conn.execute(
        query("grids/delineate_adjacency"), {"min_shared_m": MIN_SHARED_EDGE_M}
    ).fetchall()
    return Blocks(
        block_ids=block_ids,
        households=np.array([row[1] for row in rows], dtype=np.int64),
        population=np.array([row[2] for row in rows], dtype=np.int64),
        buildings=np.array([row[3] for row in rows], dtype=np.int64),
        xy=np.array([(row[4], row[5]) for row in rows], dtype=float).reshape(-1, 2),
        edges=[(position[a], position[b]) for a, b in pairs],
        divided=divided_count,
    )


def region_shapes(
    conn: psycopg.Connection, blocks: Blocks, regions: np.ndarray
) -> list[RegionShape]:
    """Union each region's blocks in PostGIS and measure it."""
    rows = conn.execute(
        query("grids/delineate_grids"),
        {"block_ids": [int(b) for b in blocks.block_ids], "regions": [int(r) for r in regions]},
    ).fetchall()
    return [
        RegionShape(
            region=row[0],
            blocks=row[1],
            households=row[2],
            population=row[3],
            building_codes=tuple(row[4]),
            parts=row[5],
            area_m2=float(row[6]),
            compactness=float(row[7] or 0.0),
            x=float(row[8]),
            y=float(row[9]),
            geometry=row[10],
            ewkb=bytes(row[11]),
        )
        for row in rows
    ]


def unplaced_buildings(conn: psycopg.Connection, community_code: str) -> list[str]:
    """The community's buildings that lie in no block and no dedicated grid of it (their
    point is outside the community's ground): they cannot be given a grid."""
    rows = conn.execute(
        """
        SELECT b.building_code::text
        FROM buildings AS b
        WHERE b.community_code = %(community_code)s
          AND NOT EXISTS (
              SELECT 1 FROM delineation_buildings AS d WHERE d.building_code = b.building_code)
          AND NOT EXISTS (
              SELECT 1 FROM grids AS g
              WHERE g.community_code = %(community_code)s AND g.grid_type = 'dedicated'
                AND ST_Intersects(g.geom, ST_PointOnSurface(b.geom)))
        ORDER BY b.building_code
        """,
        {"community_code": community_code},
    ).fetchall()
    return [row[0] for row in rows]
