"""Patrol coverage at district scale (issue 14): a month of 10,000 tracks (1,000,000 fixes)
counted into the buildings, street segments and 50 m cells patrolled in under 30 s, beside
GeoPandas doing the same join on the same data in the same run; and 100 new tracks added
to the month in under 2 s, giving exactly what a full recount gives.

    .venv/bin/python -m bench.bench_patrols [--runs 3] [--keep] [--reuse]

Creates its own database on the local cluster (or ONEMAP_TEST_ADMIN_URL), loads the
district demo (seed 2024), replaces its patrols with the synthetic month and drops the
database at the end unless --keep; --reuse takes the database a previous --keep left.

The tracks walk the demo's streets at 1.2 m/s, a fix every 15 s, with lengths drawn from a
lognormal around 100 fixes (as the demo's patrols), all in October 2026. Storing them
(cleaning included) goes through store_patrol_upload in files of 500 tracks: timed and
printed apart, not part of the target.

What is timed:
* the month: refresh_patrol_coverage('450105', October, full), the tracks queued again
  before each run. Tracks are cut into chunks of ≤ 16 fixes when they are stored (a
  trigger: blind spots read them at once); cutting all 10,000 again is timed and printed
  apart;
* GeoPandas: the cleaned tracks buffered by 30 m, `sjoin` with the targets' probes
  (footprints, segment midpoints, cell centres), duplicates dropped, counted per grid
  and kind; reading the data from PostGIS is printed apart and not counted. Buffers are
  polygons inscribed in the true 30 m band, so GeoPandas may find a few fewer targets:
  the difference is printed;
* 100 new tracks: refresh_patrol_coverage('450105') with them queued, median over runs;
  its month sets are then compared with a full recount.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import defaultdict

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from pyproj import Transformer

from app.commands.migrate import upgrade
from bench.bench_audit import _admin_url
from gis import demo
from gis.patrols import uploads
from gis.patrols.reading import SourceTrack

DATABASE = "onemap_bench_patrols"
COUNTY = "450105"
TRACKS, FIXES, NEW_TRACKS, FILE_TRACKS = 10_000, 1_000_000, 100, 500
SPEED_MPS, EVERY_S = 1.2, 15.0
OCTOBER_START = 1790784000.0  # 2026-10-01 00:00 China time, epoch seconds
TARGET_MONTH_S, TARGET_NEW_S = 30.0, 2.0
TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
TO_WGS84 = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each timed step")
    parser.add_argument("--reuse", action="store_true", help="reuse a --keep database")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    admin = _admin_url()
    url = admin.rsplit("/", 1)[0] + "/" + DATABASE
    if not (args.reuse and _exists(admin)):
        _create(admin, url)
    try:
        _run(url, args.runs)
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _run(url: str, runs: int) -> None:
    with psycopg.connect(url) as conn:
        tracks, fixes = _count(conn, "patrol_tracks"), _sum_points(conn)
        targets = dict(conn.execute("SELECT kind, count(*) FROM patrol_targets GROUP BY kind"))
        print(
            f"month: {tracks:,} cleaned tracks, {fixes:,} fixes; targets:"
            f" {targets.get('building', 0):,} buildings,"
            f" {targets.get('street', 0):,} street segments,"
            f" {targets.get('cell', 0):,} cells of 50 m"
        )
        started = time.perf_counter()
        chunks = conn.execute(
            "SELECT chunk_patrol_tracks(array_agg(track_id)) FROM patrol_tracks"
        ).fetchone()
        conn.commit()
        chunk_s = time.perf_counter() - started
        print(
            f"cutting the {tracks:,} tracks into {chunks[0] if chunks else 0:,} chunks"
            f" (done as they are stored; not in the target): {chunk_s:.1f} s"
        )
        month_s = []
        for run in range(runs):
            conn.execute(
                "INSERT INTO patrol_coverage_queue (track_id, county_code)"
                " SELECT track_id, county_code FROM patrol_tracks ON CONFLICT DO NOTHING"
            )
            conn.commit()
            started = time.perf_counter()
            counted = conn.execute(
                "SELECT * FROM refresh_patrol_coverage(%s, '2026-10-01', true)", (COUNTY,)
            ).fetchone()
            conn.commit()
            month_s.append(time.perf_counter() - started)
            assert counted is not None
            print(
                f"  run {run + 1}: the month {month_s[-1]:.1f} s ({counted[1]:,} chunks,"
                f" {counted[2]:,} patrolled targets)"
            )
        postgis = _postgis_counts(conn)
        baseline_s, read_s, geopandas = _geopandas(url)
        new_s, equal = _new_tracks(conn, runs)
    month = statistics.median(month_s)
    print()
    print(
        f"the month (10,000 tracks, 1,000,000 fixes): median {month:.1f} s of {runs}"
        f"  target < {TARGET_MONTH_S:.0f} s: {'met' if month < TARGET_MONTH_S else 'MISSED'}"
    )
    print(
        f"GeoPandas on the same data (read in {read_s:.1f} s, not counted): {baseline_s:.1f} s"
        f" → PostGIS {baseline_s / month:.1f}× faster"
    )
    for kind in ("building", "street", "cell"):
        ours, theirs = postgis.get(kind, 0), geopandas.get(kind, 0)
        diff = 100 * (ours - theirs) / ours if ours else 0.0
        print(f"  {kind}s patrolled: PostGIS {ours:,}, GeoPandas {theirs:,} ({diff:+.2f} %)")
    new = statistics.median(new_s)
    print(
        f"{NEW_TRACKS} new tracks added to the month: median {new * 1000:.0f} ms of {runs}"
        f"  target < {TARGET_NEW_S:.0f} s: {'met' if new < TARGET_NEW_S else 'MISSED'};"
        f" same month sets as a full recount: {'yes' if equal else 'NO'}"
    )


def _postgis_counts(conn: psycopg.Connection) -> dict[str, int]:
    return dict(
        conn.execute(
            "SELECT kind, count(*) FROM patrolled_targets WHERE month = '2026-10-01' GROUP BY kind"
        ).fetchall()
    )


def _geopandas(url: str) -> tuple[float, float, dict[str, int]]:
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        tracks = gpd.read_postgis(
            "SELECT track_id, ST_Transform(geom, 4545) AS geom FROM patrol_tracks",
            conn,
            geom_col="geom",
        )
        targets = gpd.read_postgis(
            "SELECT target_id, kind, grid_code, probe_4545 AS geom FROM patrol_targets",
            conn,
            geom_col="geom",
        )
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    bands = gpd.GeoDataFrame(geometry=tracks.buffer(30.0), crs=tracks.crs)
    joined = gpd.sjoin(targets, bands, predicate="intersects", how="inner")
    passed = joined.drop_duplicates("target_id")
    per_grid = passed.groupby(["grid_code", "kind"]).size()
    seconds = time.perf_counter() - started
    counts = per_grid.groupby(level="kind").sum().to_dict()
    return seconds, read_s, {str(k): int(v) for k, v in counts.items()}


def _new_tracks(conn: psycopg.Connection, runs: int) -> tuple[list[float], bool]:
    """Store 100 new tracks and add them; after the last run compare with a recount."""
    team_id = _team(conn)
    rng = np.random.default_rng(99)
    graph = _street_graph(conn)
    seconds = []
    for run in range(runs):
        walks = [_walk(graph, rng, 100) for _ in range(NEW_TRACKS)]
        _store(conn, team_id, walks, rng, start=OCTOBER_START + 20 * 86400 + run * 3600)
        started = time.perf_counter()
        conn.execute("SELECT * FROM refresh_patrol_coverage(%s)", (COUNTY,))
        conn.commit()
        seconds.append(time.perf_counter() - started)
    added = _month_sets(conn)
    conn.execute("SELECT * FROM refresh_patrol_coverage(%s, '2026-10-01', true)", (COUNTY,))
    conn.commit()
    return seconds, _month_sets(conn) == added


def _month_sets(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT target_id, month, first_at, last_at, passes FROM patrolled_targets"
        " ORDER BY target_id, month"
    ).fetchall()


def _create(admin: str, url: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    upgrade(url)
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        demo.load(conn, scale="district", seed=2024, service_areas=False)
        print(f"district demo loaded in {time.perf_counter() - started:.0f} s")
        conn.execute("DELETE FROM patrol_uploads")
        conn.execute("DELETE FROM patrolled_targets")
        conn.commit()
        team_id = _team(conn)
        rng = np.random.default_rng(2024)
        graph = _street_graph(conn)
        lengths = _lengths(rng)
        started = time.perf_counter()
        walks = [_walk(graph, rng, n) for n in lengths]
        print(
            f"{len(walks):,} walks along the streets drawn in {time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        for first in range(0, len(walks), FILE_TRACKS):
            _store(
                conn,
                team_id,
                walks[first : first + FILE_TRACKS],
                rng,
                start=OCTOBER_START + 86400 * (first // FILE_TRACKS),
            )
        print(
            f"stored {len(walks):,} tracks, {int(lengths.sum()):,} fixes, in files of"
            f" {FILE_TRACKS} (cleaning included): {time.perf_counter() - started:.0f} s"
        )


def _team(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "INSERT INTO patrol_teams (county_code, team_code, name, kind, created_by)"
        " VALUES (%s, 'bench', '压测巡逻队', 'volunteers', 'bench')"
        " ON CONFLICT (county_code, team_code) DO UPDATE SET name = EXCLUDED.name"
        " RETURNING team_id",
        (COUNTY,),
    ).fetchone()
    conn.commit()
    assert row is not None
    return int(row[0])


def _lengths(rng: np.random.Generator) -> np.ndarray:
    """Fixes per track: lognormal around 100, scaled so they sum to FIXES."""
    sigma = 0.6
    drawn = rng.lognormal(math.log(100) - sigma**2 / 2, sigma, TRACKS).clip(10, 1500)
    return np.maximum((drawn * FIXES / drawn.sum()).round().astype(int), 10)


def _street_graph(conn: psycopg.Connection) -> dict[tuple[int, int], list[np.ndarray]]:
    """Street lines in EPSG:4545 by each end (rounded to the metre), both ways round."""
    graph: dict[tuple[int, int], list[np.ndarray]] = defaultdict(list)
    for (wkb,) in conn.execute(
        "SELECT ST_AsBinary(ST_Transform(geom, 4545)) FROM streets"
        " WHERE street_class <> 'footway' AND county_code = %s",
        (COUNTY,),
    ):
        coords = shapely.get_coordinates(shapely.from_wkb(bytes(wkb)))
        for line in (coords, coords[::-1]):
            graph[tuple(np.round(line[0]).astype(int))].append(line)
    return graph


def _walk(
    graph: dict[tuple[int, int], list[np.ndarray]], rng: np.random.Generator, fixes: int
) -> np.ndarray:
    """``fixes`` positions (EPSG:4545) every SPEED_MPS × EVERY_S metres along streets,
    turning at random at each corner."""
    ends = list(graph)
    at = ends[int(rng.integers(len(ends)))]
    path = [np.array(at, dtype=float)]
    needed = SPEED_MPS * EVERY_S * (fixes - 1)
    walked = 0.0
    while walked < needed:
        options = graph.get(at) or graph[ends[int(rng.integers(len(ends)))]]
        line = options[int(rng.integers(len(options)))]
        path.extend(line[1:])
        walked += float(np.hypot(*np.diff(line, axis=0).T).sum())
        at = tuple(np.round(line[-1]).astype(int))
    route = shapely.linestrings(np.array(path))
    points = shapely.line_interpolate_point(route, np.arange(fixes) * SPEED_MPS * EVERY_S)
    return shapely.get_coordinates(points)


def _store(
    conn: psycopg.Connection,
    team_id: int,
    walks: list[np.ndarray],
    rng: np.random.Generator,
    *,
    start: float,
) -> None:
    tracks = []
    for i, xy in enumerate(walks):
        lons, lats = TO_WGS84.transform(xy[:, 0], xy[:, 1])
        begin = start + float(rng.uniform(8 * 3600, 20 * 3600))
        times = begin + EVERY_S * np.arange(len(xy))
        tracks.append(
            SourceTrack(f"walk {i}", i, tuple(lons.tolist()), tuple(lats.tolist()), tuple(times))
        )
    uploads.store(
        conn,
        tracks,
        team_id=team_id,
        team_code="bench",
        source="import",
        file_name="bench.geojson",
        file_format="geojson",
        size=0,
        uploader=uploads.Uploader("bench"),
    )
    conn.commit()


def _exists(admin: str) -> bool:
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        return row.fetchone() is not None


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _sum_points(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT coalesce(sum(points), 0) FROM patrol_tracks").fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    main()
