"""Bulk point-to-grid assignment (issue 15): 1,000,000 points (events or GPS fixes) placed
in their grids by PostGIS, the project's way, beside GeoPandas' ``sjoin`` on the same
points and grids in the same process. Goal: PostGIS ≥ 2× faster, and the million in < 10 s.

    .venv/bin/python -m bench.bench_points [--scales district,city] [--points 1000000]
        [--runs 3] [--keep] [--reuse]

Usually run by ``make bench`` (bench/suite.py); alone it builds the databases of the
scales it is given (bench/scales.py) and drops them unless --keep.

The points are uniform over the counties' outlines (rejection sampling with Shapely,
seed 15), held in memory as two float arrays: where a batch of events or fixes is before
it is placed.

* PostGIS, timed from the arrays: a binary COPY of the coordinates (laid out by numpy)
  into an unlogged staging table, its point made by PostgreSQL from them, and the
  hotline import's placement (gis/events/sql/hotline_place.sql: a GiST index on the
  points, the grid outlines driving an ``ST_Intersects`` join, the lowest code on a
  shared border, and for the few points between grids their community or subdistrict),
  in a transaction rolled back afterwards. The answer is a table of (point, grid) in
  the database, where the events are kept.
* GeoPandas, timed from the same arrays: ``points_from_xy``, ``sjoin(points, grids,
  predicate="within", how="left")`` and the lowest code per point, giving a Series in
  memory. Reading the grids from PostGIS (``read_postgis``) is printed apart and NOT
  counted: PostGIS has its grids in place, so the race starts with both holding them.
* The two answers are compared: points per grid must be equal.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import psycopg
import shapely
import sqlalchemy

from bench import scales
from bench.harness import admin_url
from gis.db import sqlalchemy_url
from gis.sql import query

POINTS = 1_000_000
GOAL_RATIO, GOAL_SECONDS = 2.0, 10.0


def random_points(url: str, count: int, seed: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points uniform over the counties' outlines."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT ST_AsBinary(ST_Union(geom)) FROM districts").fetchone()
    assert row is not None
    outline = shapely.from_wkb(row[0])
    shapely.prepare(outline)
    west, south, east, north = outline.bounds
    rng = np.random.default_rng(seed)
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < count:
        x, y = rng.uniform(west, east, count), rng.uniform(south, north, count)
        inside = shapely.contains_xy(outline, x, y)
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    # to 7 decimals (1 cm), as the COPY writes them: both sides place the same points
    return np.round(lon[:count], 7), np.round(lat[:count], 7)


# PostgreSQL's binary COPY: a header, then per row the field count and each field's
# length and big-endian value; a trailer of -1. numpy lays out the million rows at once.
_COPY_ROW = np.dtype(
    [("fields", ">i2"), ("n_len", ">i4"), ("n", ">i4"), ("x_len", ">i4"), ("x", ">f8"),
     ("y_len", ">i4"), ("y", ">f8")]
)  # fmt: skip
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")


def binary_copy(lon: np.ndarray, lat: np.ndarray) -> bytes:
    """(row_no, lon, lat) rows, numbered from 1, as one binary COPY stream."""
    rows = np.empty(len(lon), dtype=_COPY_ROW)
    rows["fields"], rows["n_len"], rows["x_len"], rows["y_len"] = 3, 4, 8, 8
    rows["n"] = np.arange(1, len(lon) + 1)
    rows["x"], rows["y"] = lon, lat
    return _COPY_HEADER + rows.tobytes() + (-1).to_bytes(2, "big", signed=True)


def postgis(url: str, lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, dict, int]:
    """Seconds for the COPY and the placement, points per grid, points between grids."""
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        conn.execute(
            # no primary key: the placement groups by row_no, and building its index
            # would double the COPY's time
            "CREATE UNLOGGED TABLE hotline_staging (row_no integer,"
            " lon float8, lat float8, geom geometry(Point, 4326)"
            " GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED)"
        )
        with conn.cursor().copy(
            "COPY hotline_staging (row_no, lon, lat) FROM STDIN WITH (FORMAT binary)"
        ) as copy:
            copy.write(binary_copy(lon, lat))
        copy_s = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(query("events/hotline_place"))
        place_s = time.perf_counter() - started
        per_grid = dict(
            conn.execute(
                "SELECT rtrim(grid_code), count(*) FROM hotline_placed"
                " WHERE grid_code IS NOT NULL GROUP BY grid_code"
            ).fetchall()
        )
        gap = conn.execute("SELECT count(*) FROM hotline_placed WHERE grid_code IS NULL").fetchone()
        conn.rollback()
    return copy_s, place_s, per_grid, int(gap[0]) if gap else 0


def read_grids(url: str) -> tuple[gpd.GeoDataFrame, float]:
    started = time.perf_counter()
    # through SQLAlchemy, the connection pandas reads from
    engine = sqlalchemy.create_engine(sqlalchemy_url(url))
    try:
        grids = gpd.read_postgis(
            "SELECT rtrim(grid_code) AS grid_code, geom FROM grids", engine, geom_col="geom"
        )
    finally:
        engine.dispose()
    return grids, time.perf_counter() - started


def geopandas(grids: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> tuple[float, dict]:
    started = time.perf_counter()
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=grids.crs)
    joined = gpd.sjoin(points, grids, predicate="within", how="left")
    grid_of_point = joined["grid_code"].groupby(level=0).min()
    seconds = time.perf_counter() - started
    return seconds, grid_of_point.value_counts().to_dict()


@dataclass(frozen=True)
class Result:
    scale: str
    points: int
    grids: int
    copy_s: float
    place_s: float
    geopandas_s: float
    read_s: float
    same: bool
    between: int

    @property
    def postgis_s(self) -> float:
        return self.copy_s + self.place_s


def run(url: str, scale: str, *, points: int = POINTS, runs: int = 3) -> Result:
    lon, lat = random_points(url, points)
    grids, read_s = read_grids(url)
    copies, places, frames = [], [], []
    same = True
    between = 0
    for run_no in range(runs):
        copy_s, place_s, ours, between = postgis(url, lon, lat)
        frame_s, theirs = geopandas(grids, lon, lat)
        copies.append(copy_s)
        places.append(place_s)
        frames.append(frame_s)
        same = same and ours == theirs
        print(
            f"  run {run_no + 1}: PostGIS {copy_s + place_s:.2f} s (COPY {copy_s:.2f} s,"
            f" placing {place_s:.2f} s), GeoPandas sjoin {frame_s:.2f} s"
        )
    result = Result(
        scale,
        points,
        len(grids),
        statistics.median(copies),
        statistics.median(places),
        statistics.median(frames),
        read_s,
        same,
        between,
    )
    print(
        f"[{scales.LABELS[scale]}] {points:,} points to {len(grids):,} grids, median of {runs}:"
        f" PostGIS {result.postgis_s:.2f} s (COPY {result.copy_s:.2f} + placing"
        f" {result.place_s:.2f}), GeoPandas {result.geopandas_s:.2f} s (reading the grids"
        f" {read_s:.2f} s, not counted) → {result.geopandas_s / result.postgis_s:.1f}×;"
        f" points per grid equal: {'yes' if same else 'NO'}; {between:,} points between grids"
    )
    return result


def rows(result: Result) -> list[dict]:
    label = scales.LABELS[result.scale]
    ratio = result.geopandas_s / result.postgis_s
    return [
        dict(
            figure=f"{result.points / 1e6:g} M points to grids",
            scale=label,
            onemap=f"{result.postgis_s:.2f} s",
            baseline=f"GeoPandas sjoin {result.geopandas_s:.2f} s",
            ratio=f"{ratio:.1f}×",
            goal=f"≥ {GOAL_RATIO:.0f}×, < {GOAL_SECONDS:.0f} s",
            passed=ratio >= GOAL_RATIO and result.postgis_s < GOAL_SECONDS and result.same,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="district", help="district,city,city2")
    parser.add_argument("--points", type=int, default=POINTS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse databases a --keep left")
    args = parser.parse_args()
    wanted = args.scales.split(",")
    with scales.databases(admin_url(), wanted, keep=args.keep, reuse=args.reuse) as urls:
        for scale in wanted:
            for row in rows(run(urls[scale], scale, points=args.points, runs=args.runs)):
                print(row)


if __name__ == "__main__":
    main()
