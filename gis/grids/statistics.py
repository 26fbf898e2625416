"""Grid statistics: households, population, buildings and compounds per grid, community
and subdistrict, kept current by the database itself.

The placement rule: a building (or compound) belongs to the grid whose outline contains
its ``ST_PointOnSurface`` — a point guaranteed inside the footprint, unlike a centroid.
A point on an edge shared by two grids, or inside an overlap, goes to the lowest grid
code, so every building counts in at most one grid. Buildings whose point lies in no grid
count nowhere; the grid audit lists them (``stray_buildings``).

Statement-level triggers (gis/grids/sql/functions/) keep the ``grid_statistics`` table
current on every INSERT, UPDATE, DELETE and TRUNCATE of buildings and compounds and every
change of a grid's code or outline. Community and subdistrict figures are the sums of their grids'
(by code), so every level adds up; the API serves them as properties of the ``grids``,
``communities`` and ``subdistricts`` collections.

Use :func:`refresh` after loading with triggers disabled, and :func:`drift` to check the
table against a fresh count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from gis import codes
from gis.errors import NotFound
from gis.sql import query


@dataclass(frozen=True)
class Figures:
    """What a grid, community or subdistrict holds. ``grids`` is None for a grid."""

    code: str
    households: int
    population: int
    buildings: int
    compounds: int
    grids: int | None = None


def refresh(conn: psycopg.Connection, *, grid_codes: list[str] | None = None) -> int:
    """Recompute the statistics of ``grid_codes`` (every grid when None) from scratch.

    Returns
    -------
    The number of grids whose figures changed (0 when the table was current).
    """
    row = conn.execute(query("grids/refresh_statistics"), {"grid_codes": grid_codes}).fetchone()
    assert row is not None
    return int(row[0])


def drift(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Grids whose stored figures differ from a fresh, building-by-building count:
    ``[{"grid_code", "stored", "counted"}]``, empty when the statistics are current."""
    return [
        {"grid_code": grid_code, "stored": stored, "counted": counted}
        for grid_code, stored, counted in conn.execute(query("grids/statistics_drift"))
    ]


_QUERIES = {
    codes.Level.GRID: (
        "SELECT rtrim(grid_code), households, population, buildings, compounds, NULL"
        " FROM grid_statistics WHERE grid_code = %s"
    ),
    codes.Level.COMMUNITY: (
        "SELECT rtrim(community_code), households, population, buildings, compounds, grids"
        " FROM community_statistics WHERE community_code = %s"
    ),
    codes.Level.TOWNSHIP: (
        "SELECT rtrim(subdistrict_code), households, population, buildings, compounds, grids"
        " FROM subdistrict_statistics WHERE subdistrict_code = %s"
    ),
}


def figures(conn: psycopg.Connection, code: str) -> Figures:
    """The figures of the grid, community or subdistrict a code names.

    Raises
    ------
    InvalidCode
        Not a grid, community or subdistrict (township) code.
    NotFound
        No such grid, community or subdistrict.
    """
    parsed = codes.parse(code)
    query = _QUERIES.get(parsed.level)
    if query is None:
        levels = "grid, community and subdistrict"
        raise codes.InvalidCode(code, f"statistics are kept per {levels}, not {parsed.level}")
    row = conn.execute(query, (parsed.value,)).fetchone()
    if row is None:
        raise NotFound(f"no {parsed.level} {parsed.value}")
    return Figures(*row)
