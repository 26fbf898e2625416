"""Service areas: how far a resident walks to a service centre in 5, 10 and 15 minutes.

A centre's t-minute area is the street it reaches within ``speed × t`` metres of walking
— whole edges, and the last edge of every route cut at the exact distance — drawn as a
band of ``buffer_m`` either side. One multi-source ``pgr_drivingDistance`` call walks
from every centre at once (gis/access/sql/reach.sql); PostGIS cuts and draws
(gis/access/sql/areas.sql). A centre joins the network where its door meets the nearest
edge of a major component; that straight stretch is part of every route.

Areas are stored in ``service_areas``. A centre that moves, and every centre of a county
whose network changes, is queued (``service_area_queue``, by triggers) and recomputed by
`refresh_service_areas`. Where a county has no walking network the area is a circle of
the same distance, and ``method = 'straight_line'`` says so.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus

from gis.access.network import DEFAULT_WALKING_SPEED_KMH, walking_distance_m
from gis.errors import InvalidParameter, NotFound
from gis.progress import SILENT, Progress
from gis.sql import query

# The service circles of the standards: 5 minutes for a compound, 10 for a community
# (Kunshan), 15 for the resident service circle (Nanning's 15分钟居民服务圈).
SERVICE_MINUTES = (5, 10, 15)
# Half-width of the band around the reached streets: the depth of the buildings that
# front a street. Tight enough that a block's far side is not served by its near street.
DEFAULT_BUFFER_M = 50.0
# A centre further than this from any walkable way is reported: its areas hang on a long
# straight walk to the street, and its position or the network is probably wrong.
FAR_FROM_NETWORK_M = 250.0
_MAX_MINUTES = 60
# Fewer centres than this are drawn on the caller's connection even when workers are
# offered: a new connection and its share of the graph cost more than they save.
_PARALLEL_FROM = 32
# COPY reads geometry as hex EWKB; bytes would arrive as a bytea literal.
_GEOM_AS_HEX = "encode(ST_AsEWKB(geom), 'hex')"
_AREA_COLUMNS = (
    "source_id, minutes, distance_m, method, snap_edge_id, snap_m, reached_edges, reached_m, geom"
)
_MAX_BUFFER_M = 500.0
# Steps `compute_service_areas` tells its progress: choosing, walking, drawing, writing.
STEPS = 4


@dataclass(frozen=True)
class ServiceAreaRun:
    """What a computation wrote."""

    centres: int
    areas: int
    network_centres: int  # walked on a network
    straight_line_centres: int  # circles: their county has no network
    minutes: tuple[int, ...]
    speed_kmh: float
    buffer_m: float
    seconds: float
    # (center_id, metres from its door to the nearest walkable way), when far
    far_from_network: list[tuple[int, float]] = field(default_factory=list)
    still_queued: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The run as JSON-ready values."""
        return asdict(self)


def compute_service_areas(
    conn: psycopg.Connection,
    *,
    center_ids: Sequence[int] | None = None,
    county_code: str | None = None,
    minutes: Sequence[int] = SERVICE_MINUTES,
    speed_kmh: float = DEFAULT_WALKING_SPEED_KMH,
    buffer_m: float = DEFAULT_BUFFER_M,
    progress: Progress = SILENT,
    workers: int = 1,
) -> ServiceAreaRun:
    """Compute and store the service areas of centres, replacing their previous areas.

    Parameters
    ----------
    conn : an open connection; runs in one transaction (a savepoint inside the caller's),
        committed when the caller has none open.
    center_ids : the centres to compute; default every centre (of ``county_code``).
    county_code : only centres of this 6-digit county.
    minutes : walking times, minutes (1–60); default 5, 10 and 15.
    speed_kmh : walking speed, km/h (default 5: 15 minutes is 1,250 m).
    buffer_m : half-width of the band drawn around the reached streets, metres.
    progress : told as each of :data:`STEPS` steps starts (a bar, timings, logs).
    workers : connections drawing at once (one pgRouting call each). Drawing the bands is
        most of the work and PostgreSQL gives one statement one core; with more than one
        worker the centres are split between extra connections, which see committed data
        only — so they are used only when the caller has no transaction open, and the
        areas are still written in one transaction on ``conn``.

    Returns
    -------
    Counts of centres and areas written, how many had no network, and the centres far
    from any walkable way.

    Raises
    ------
    InvalidParameter for minutes, speed or band out of range; NotFound naming the
    requested centres that do not exist.
    """
    times = _check(minutes, speed_kmh, buffer_m)
    started = time.perf_counter()
    outside_transaction = conn.info.transaction_status == TransactionStatus.IDLE
    with conn.transaction():
        # One computation at a time: two would race to replace the same centres' rows.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('service_areas'))")
        progress.step("choosing centres")
        prepare_sources(conn)
        chosen = _stage_centres(conn, center_ids, county_code)
        if workers > 1 and outside_transaction and chosen >= _PARALLEL_FROM:
            _draw_in_workers(conn, workers, times, speed_kmh, buffer_m, progress, chosen)
        else:
            draw_areas(
                conn,
                minutes=times,
                speed_kmh=speed_kmh,
                buffer_m=buffer_m,
                progress=progress,
                what=f"{chosen:,} centres",
            )
        progress.step("writing")
        run = _store(conn, times, speed_kmh, buffer_m)
    return _finish(run, started, chosen)


def refresh_service_areas(
    conn: psycopg.Connection,
    *,
    county_code: str | None = None,
    speed_kmh: float = DEFAULT_WALKING_SPEED_KMH,
    buffer_m: float = DEFAULT_BUFFER_M,
    progress: Progress = SILENT,
    workers: int = 1,
) -> ServiceAreaRun:
    """Recompute the areas of the queued centres (moved, new, or on a changed network),
    at the 5/10/15 minutes of the standards.

    Parameters
    ----------
    conn : an open connection; same transaction rules as :func:`compute_service_areas`.
    county_code : only the queued centres of this 6-digit county; default all.
    speed_kmh : walking speed, km/h (default 5).
    buffer_m : half-width of the band drawn around the reached streets, metres.
    progress : told as each step starts.
    workers : connections drawing at once, as for :func:`compute_service_areas`.

    Returns
    -------
    A ServiceAreaRun: the centres and areas written, how many walked on a network or got
    straight-line circles, centres far from any walkable way, and centres still queued.
    """
    where = "WHERE county_code = %s" if county_code else ""
    args = (county_code,) if county_code else ()
    was_idle = conn.info.transaction_status == TransactionStatus.IDLE
    queued = [
        row[0] for row in conn.execute(f"SELECT center_id FROM service_area_queue {where}", args)
    ]
    if was_idle and not conn.autocommit:
        # end the read's transaction, so that workers may draw (they need none open)
        conn.rollback()
    return compute_service_areas(
        conn,
        center_ids=queued,
        speed_kmh=speed_kmh,
        buffer_m=buffer_m,
        progress=progress,
        workers=workers,
    )


def prepare_sources(conn: psycopg.Connection) -> None:
    """Create the (empty, temporary) ``access_sources`` table for `draw_areas`: fill it
    with ``(source_id, county_code, geom)`` rows — centres, or candidate sites — by
    INSERT … SELECT or COPY in the same transaction."""
    conn.execute(query("access/sources"))


def walk(
    conn: psycopg.Connection,
    *,
    minutes: Sequence[int] = SERVICE_MINUTES,
    speed_kmh: float = DEFAULT_WALKING_SPEED_KMH,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> tuple[int, ...]:
    """Walk from every point in ``access_sources`` with one pgRouting call; leaves the
    temporary tables of gis/access/sql/reach.sql (``access_reached``: source, node,
    metres walked). Returns the checked minutes, shortest first.

    Raises
    ------
    InvalidParameter for minutes, speed or band out of range.
    """
    times = _check(minutes, speed_kmh, buffer_m)
    conn.execute("ANALYZE access_sources")
    _stage_parameters(conn, times, speed_kmh, buffer_m)
    has_network = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM walk_edges WHERE county_code IN"
        " (SELECT county_code FROM access_sources))"
    ).fetchone()
    if has_network and has_network[0]:
        conn.execute(query("access/reach").replace(":start_column", _start_column(conn)))
    else:
        # No county of these sources has a network: nothing to walk on, every area is a
        # circle; the drawing still expects the (empty) tables.
        conn.execute(query("access/reach_empty"))
    return times


def draw_areas(
    conn: psycopg.Connection,
    *,
    minutes: Sequence[int] = SERVICE_MINUTES,
    speed_kmh: float = DEFAULT_WALKING_SPEED_KMH,
    buffer_m: float = DEFAULT_BUFFER_M,
    progress: Progress = SILENT,
    what: str = "sources",
) -> None:
    """Walk from every point in ``access_sources`` (one pgRouting call) and draw its
    areas into the temporary table ``access_areas`` (source_id, minutes, distance_m,
    method, snap_edge_id, snap_m, reached_edges, reached_m, geom), nothing stored.
    Siting draws candidate sites' areas with it. In the caller's transaction.

    Raises
    ------
    InvalidParameter for minutes, speed or band out of range.
    """
    progress.step(f"walking from {what} (one pgRouting call)")
    times = walk(conn, minutes=minutes, speed_kmh=speed_kmh, buffer_m=buffer_m)
    progress.step("cutting edges and drawing the bands")
    conn.execute(query("access/pieces"))
    previous = None
    for minutes_ in times:
        conn.execute(
            query("access/band_step"),
            {"minutes": minutes_, "previous": previous, "buffer_m": buffer_m},
        )
        previous = minutes_
    conn.execute(query("access/areas"))


def _draw_in_workers(
    conn: psycopg.Connection,
    workers: int,
    times: tuple[int, ...],
    speed_kmh: float,
    buffer_m: float,
    progress: Progress,
    chosen: int,
) -> None:
    """`draw_areas` for the staged centres, split between ``workers`` new connections;
    their areas come back into ``access_areas`` on ``conn``."""
    ids = [row[0] for row in conn.execute("SELECT source_id FROM access_sources ORDER BY 1")]
    # Every worker gets centres from all over: neighbours cost alike, so runs of
    # neighbouring ids would leave one worker with the dense centre of town.
    shares = [ids[i::workers] for i in range(workers)]
    conninfo = make_conninfo(conn.info.dsn, password=conn.info.password or None)
    progress.step(f"walking from {chosen:,} centres and drawing ({workers} connections)")
    with ThreadPoolExecutor(workers) as pool:
        drawn = list(
            pool.map(lambda share: _draw_share(conninfo, share, times, speed_kmh, buffer_m), shares)
        )
    progress.step("collecting the bands")
    conn.execute(query("access/areas_collected"))
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY access_areas ({_AREA_COLUMNS}) FROM STDIN") as copy,
    ):
        for rows in drawn:
            for row in rows:
                copy.write_row(row)
    conn.execute(
        "CREATE TEMP TABLE access_snaps ON COMMIT DROP AS"
        " SELECT DISTINCT source_id, snap_m FROM access_areas WHERE snap_m IS NOT NULL"
    )


def _draw_share(
    conninfo: str, ids: list[int], times: tuple[int, ...], speed_kmh: float, buffer_m: float
) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo) as conn, conn.transaction():
        prepare_sources(conn)
        conn.execute(
            "INSERT INTO access_sources (source_id, county_code, geom)"
            " SELECT center_id, county_code, geom FROM service_centers"
            " WHERE center_id = ANY(%s)",
            (ids,),
        )
        draw_areas(conn, minutes=times, speed_kmh=speed_kmh, buffer_m=buffer_m)
        return conn.execute(
            f"SELECT {_AREA_COLUMNS.replace('geom', _GEOM_AS_HEX)} FROM access_areas"
        ).fetchall()


def _check(minutes: Sequence[int], speed_kmh: float, buffer_m: float) -> tuple[int, ...]:
    times = tuple(sorted(set(minutes)))
    if not times or any(not isinstance(t, int) or not 1 <= t <= _MAX_MINUTES for t in times):
        raise InvalidParameter(
            "minutes", f"need whole minutes from 1 to {_MAX_MINUTES}, not {list(minutes)}"
        )
    if not speed_kmh > 0:
        raise InvalidParameter("speed_kmh", f"need a walking speed above 0 km/h, not {speed_kmh}")
    if not 0 <= buffer_m <= _MAX_BUFFER_M:
        raise InvalidParameter("buffer_m", f"need a band of 0–{_MAX_BUFFER_M:g} m, not {buffer_m}")
    return times


def _stage_centres(
    conn: psycopg.Connection, center_ids: Sequence[int] | None, county_code: str | None
) -> int:
    conditions: list[str] = []
    args: dict[str, object] = {}
    if center_ids is not None:
        conditions.append("center_id = ANY(%(ids)s)")
        args["ids"] = list(center_ids)
    if county_code is not None:
        conditions.append("county_code = %(county)s")
        args["county"] = county_code
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    cursor = conn.execute(
        "INSERT INTO access_sources (source_id, county_code, geom)"
        f" SELECT center_id, county_code, geom FROM service_centers {where}",
        args,
    )
    if center_ids is not None and cursor.rowcount < len(set(center_ids)):
        missing = conn.execute(
            "SELECT array_agg(id ORDER BY id) FROM unnest(%s::bigint[]) AS id"
            " WHERE id NOT IN (SELECT source_id FROM access_sources)",
            (list(center_ids),),
        ).fetchone()
        where_county = f" in county {county_code}" if county_code else ""
        raise NotFound(f"no service centre{where_county} with id {missing[0] if missing else '?'}")
    return int(cursor.rowcount)


def _stage_parameters(
    conn: psycopg.Connection, times: tuple[int, ...], speed_kmh: float, buffer_m: float
) -> None:
    distances = [walking_distance_m(t, speed_kmh=speed_kmh) for t in times]
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO access_distances (minutes, distance_m) VALUES (%s, %s)",
            list(zip(times, distances, strict=True)),
        )
    conn.execute(
        "INSERT INTO access_parameters (reach_m, buffer_m) VALUES (%s, %s)",
        (max(distances), buffer_m),
    )


def _store(
    conn: psycopg.Connection, times: tuple[int, ...], speed_kmh: float, buffer_m: float
) -> ServiceAreaRun:
    conn.execute(
        "DELETE FROM service_areas WHERE center_id IN (SELECT source_id FROM access_sources)"
    )
    written = conn.execute(
        """
        INSERT INTO service_areas (center_id, minutes, county_code, method, speed_kmh,
                                   distance_m, buffer_m, snap_edge_id, snap_m,
                                   reached_edges, reached_m, geom)
        SELECT a.source_id, a.minutes, s.county_code, a.method, %s, a.distance_m, %s,
               a.snap_edge_id, a.snap_m, a.reached_edges, a.reached_m, a.geom
        FROM access_areas AS a JOIN access_sources AS s USING (source_id)
        """,
        (speed_kmh, buffer_m),
    ).rowcount
    conn.execute(
        "DELETE FROM service_area_queue WHERE center_id IN (SELECT source_id FROM access_sources)"
    )
    row = conn.execute(
        """
        SELECT count(DISTINCT source_id) FILTER (WHERE method = 'network'),
               count(DISTINCT source_id) FILTER (WHERE method = 'straight_line'),
               (SELECT count(*) FROM service_area_queue)
        FROM access_areas
        """
    ).fetchone()
    assert row is not None
    far = conn.execute(
        "SELECT source_id, round(snap_m::numeric, 1)::float8 FROM access_snaps"
        " WHERE snap_m > %s ORDER BY snap_m DESC",
        (FAR_FROM_NETWORK_M,),
    ).fetchall()
    return ServiceAreaRun(
        centres=int(row[0]) + int(row[1]),
        areas=int(written),
        network_centres=int(row[0]),
        straight_line_centres=int(row[1]),
        minutes=times,
        speed_kmh=speed_kmh,
        buffer_m=buffer_m,
        seconds=0.0,
        far_from_network=[(int(i), float(m)) for i, m in far],
        still_queued=int(row[2]),
    )


def _finish(run: ServiceAreaRun, started: float, chosen: int) -> ServiceAreaRun:
    assert run.centres == chosen, "every chosen centre gets its areas"
    return dataclasses.replace(run, seconds=round(time.perf_counter() - started, 3))


def _start_column(conn: psycopg.Connection) -> str:
    """pgRouting 3.6 renamed drivingDistance's ``from_v`` to ``start_vid``."""
    row = conn.execute("SELECT pgr_version()").fetchone()
    version = tuple(int(part) for part in str(row[0] if row else "0").split(".")[:2])
    return "start_vid" if version >= (3, 6) else "from_v"
