"""The walking network: pgRouting nodes and edges per county, built in PostGIS.

An OpenStreetMap import (`import_osm`) and the demo district (gis/demo/network.py) both
stage edges in a temporary table and go through the same SQL: nodes at the edges' end
points, geodesic lengths, connected components, and the county's old network replaced in
the same transaction. Routing reads ``walk_edges`` as an undirected graph whose cost is
``length_m``; minutes become metres at the walking speed (`walking_distance_m`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
import shapely

from gis import codes
from gis.access import osm
from gis.errors import OnemapError
from gis.progress import SILENT, Progress
from gis.sql import query

# An adult's unhurried pace; 15 minutes at 5 km/h is 1,250 m, the radius of the
# "15-minute life circle" (15分钟生活圈) the service-centre standards are written for.
DEFAULT_WALKING_SPEED_KMH = 5.0
# Steps `import_osm` tells its progress: reading, staging, building, writing.
STEPS = 4


class NetworkInputError(OnemapError):
    """A network source that cannot be read: not an OpenStreetMap file, empty, …"""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class EmptyNetwork(NetworkInputError):
    """The source holds no walkable way: there would be no network to route on."""


class NetworkExists(OnemapError):
    """The county already has a walking network and replacing it was not asked for."""


@dataclass(frozen=True)
class NetworkSummary:
    """A county's walking network as written (or as it would be, in a dry run)."""

    county_code: str
    nodes: int
    edges: int
    components: int
    length_km: float
    largest_component_share: float  # of the edges, 0–1
    replaced_edges: int = 0  # edges of the county's previous network
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values."""
        return asdict(self)


def walking_distance_m(minutes: float, *, speed_kmh: float = DEFAULT_WALKING_SPEED_KMH) -> float:
    """How far one walks in ``minutes`` at ``speed_kmh``, in metres (15 min → 1,250 m).

    Parameters
    ----------
    minutes : walking time, minutes (≥ 0).
    speed_kmh : walking speed, km/h (> 0; default 5).

    Returns
    -------
    The distance walked, metres, along the way (not as the crow flies).

    Raises
    ------
    ValueError when ``minutes`` is negative or ``speed_kmh`` not positive.
    """
    if minutes < 0 or speed_kmh <= 0:
        raise ValueError(f"need minutes ≥ 0 and a speed > 0, not {minutes} min at {speed_kmh}")
    return minutes / 60.0 * speed_kmh * 1000.0


def import_osm(
    conn: psycopg.Connection,
    path: Path,
    *,
    county_code: str,
    replace: bool = False,
    dry_run: bool = False,
    progress: Progress = SILENT,
) -> NetworkSummary:
    """Build the county's walking network from an OpenStreetMap file, all or nothing.

    Parameters
    ----------
    conn : an open connection; the import commits on success (or rolls back in a dry run)
        and writes nothing on failure.
    path : an ``.osm.pbf`` file (``.pbf``, ``.osm``, ``.osm.gz``, ``.osm.bz2`` too).
    county_code : the 6-digit county the network belongs to.
    replace : replace the county's network if it has one; without it, refuse.
    dry_run : build everything, report the counts, and roll back.
    progress : told as each of :data:`STEPS` steps starts, and the ways read so far.

    Returns
    -------
    The network's size: nodes, edges, connected components, kilometres of edges.

    Raises
    ------
    InvalidCode for a malformed county code; NetworkInputError naming the file when it is
    empty or not an OpenStreetMap file; EmptyNetwork when it holds no walkable way;
    NetworkExists when the county has a network and ``replace`` is not set.
    """
    county = codes.parse(county_code, expect=codes.Level.COUNTY).value
    progress.step(f"reading {path.name}")
    try:
        edges = osm.read_walking_edges(path, progress=progress)
    except osm.OsmReadError as error:
        raise NetworkInputError(str(path), str(error)) from None
    if not len(edges):
        refused = ", ".join(f"{reason} ({n})" for reason, n in edges.refused.most_common(5))
        raise EmptyNetwork(
            str(path),
            f"empty network: no walkable way among the file's {edges.highway_ways:,}"
            " ways tagged highway" + (f" (refused: {refused})" if refused else ""),
        )
    geoms = shapely.to_wkb(shapely.set_srid(edges.lines, 4326), hex=True, include_srid=True)
    rows = zip(
        [county] * len(edges),
        edges.osm_way_ids,
        edges.highways,
        edges.names,
        edges.source_nodes,
        edges.target_nodes,
        geoms,
        strict=True,
    )
    with conn.transaction() as transaction:
        previous = _lock_county(conn, county)
        if previous and not replace:
            raise NetworkExists(
                f"county {county} already has a walking network of {previous:,} edges;"
                " pass --replace (replace=True) to replace it"
            )
        progress.step(f"staging {len(edges):,} edges")
        stage_edges(conn, rows)
        replace_staged_network(conn, progress)
        summary = dataclasses.replace(
            network_summary(conn, [county])[0], replaced_edges=previous, dry_run=dry_run
        )
        if dry_run:
            raise psycopg.Rollback(transaction)
    conn.commit()
    return summary


def stage_edges(conn: psycopg.Connection, rows: Iterable[Sequence[object]]) -> None:
    """Stage edges for `replace_staged_network` in a temporary table gone at commit.

    Parameters
    ----------
    rows : (county_code, osm_way_id, highway, name, source OSM node id, target OSM node id,
        EPSG:4326 LineString as EWKB hex or WKT) per edge; the ids may be None.
    """
    conn.execute(query("access/staging"))
    _copy_staged(conn, rows)


def replace_staged_network(conn: psycopg.Connection, progress: Progress = SILENT) -> None:
    """Turn the edges staged in ``walk_staging`` into nodes, edges and components, and
    replace the networks of the counties they belong to. Runs in the caller's transaction.
    """
    progress.step("nodes, lengths and connected components")
    conn.execute(query("access/build_network"))
    progress.step("writing the network")
    conn.execute(query("access/write_network"))


def network_summary(conn: psycopg.Connection, counties: Sequence[str]) -> list[NetworkSummary]:
    """Nodes, edges, components and kilometres of each county's walking network (counties
    without one are left out)."""
    rows = conn.execute(query("access/network_summary"), {"counties": list(counties)})
    return [
        NetworkSummary(
            county_code=county,
            nodes=int(nodes),
            edges=int(edges_),
            components=int(components),
            length_km=float(length_km),
            largest_component_share=float(share),
        )
        for county, nodes, edges_, components, length_km, share in rows.fetchall()
    ]


def _lock_county(conn: psycopg.Connection, county: str) -> int:
    """Serialise imports of one county, and count the edges of its current network."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('walk_network:' || %s))", (county,))
    row = conn.execute("SELECT count(*) FROM walk_edges WHERE county_code = %s", (county,))
    count = row.fetchone()
    return int(count[0]) if count else 0


def _copy_staged(conn: psycopg.Connection, rows: Iterable[Sequence[object]]) -> None:
    columns = "county_code, osm_way_id, highway, name, source_osm, target_osm, geom"
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY walk_staging ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
