"""Demo load times (issue: district < 60 s, city < 600 s, bulk COPY), beside baselines
measured in the same run: the previous district (the same plan on a 65 km² lattice round
108.29 E 22.78 N instead of Jiangnan's real 1,183 km² outline) and the district's
buildings inserted row by row (executemany).

    .venv/bin/python -m bench.bench_demo_load [--runs 3] [--skip-city]

Creates and drops its own database on the local cluster (or ONEMAP_TEST_ADMIN_URL).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

import numpy as np
import psycopg
import shapely

from app.commands import devdb
from app.commands.migrate import upgrade
from gis import demo
from gis.demo.ground import as_multipolygons, polygons_in_cells

TARGETS_S = {"district": 60.0, "city": 600.0}
# The previous district's form, registered for this bench only: the same plan laid on the
# city's lattice (gis/demo/ground.py) round Jiangnan's centre.
PREVIOUS = "district on the lattice (previous)"
demo.SCALES[PREVIOUS] = dataclasses.replace(demo.SCALES["district"], centre_lonlat=(108.29, 22.78))


def _admin_url() -> str:
    if os.environ.get("ONEMAP_TEST_ADMIN_URL"):
        return os.environ["ONEMAP_TEST_ADMIN_URL"]
    devdb.start()
    return devdb.url().rsplit("/", 1)[0] + "/postgres"


def _timed_load(url: str, scale: str) -> tuple[float, dict[str, int]]:
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        counts = demo.load(conn, scale=scale, seed=2024)
        return time.perf_counter() - started, counts


def _building_rows() -> list[tuple[object, ...]]:
    district = demo.build("district", seed=2024)
    plan, ground = district.plan, district.ground
    metric = polygons_in_cells(
        ground,
        np.array([b.cell for b in plan.buildings]),
        np.array([b.box for b in plan.buildings]),
    )
    wkb = shapely.to_wkb(
        shapely.set_srid(as_multipolygons(ground.wgs84(metric)), 4326), hex=True, include_srid=True
    )
    return [
        (
            f"{b.community.code}{i:05d}",
            b.community.code,
            b.community.code[:6],
            b.building_use,
            b.floors,
            b.units,
            b.households,
            b.population,
            wkb[i],
        )
        for i, b in enumerate(plan.buildings)
    ]


COLUMNS = (
    "building_code, community_code, county_code, building_use, floors, units,"
    " households, population, geom"
)


def _write_seconds(url: str, rows: list[tuple[object, ...]], bulk: bool) -> float:
    """Seconds to write the district's buildings into a scratch copy of the table, with
    COPY (bulk) or one INSERT per row (the baseline); rolled back afterwards."""
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE buildings_scratch (LIKE buildings INCLUDING ALL)")
        started = time.perf_counter()
        with conn.cursor() as cursor:
            if bulk:
                with cursor.copy(f"COPY buildings_scratch ({COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO buildings_scratch ({COLUMNS})"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
        elapsed = time.perf_counter() - started
        conn.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-city", action="store_true")
    args = parser.parse_args()
    admin = _admin_url()
    name = f"onemap_bench_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        print(f"{'measure':<44}{'median':>9}{'target':>9}  runs")
        medians = {}
        for scale in ["district", PREVIOUS] + ([] if args.skip_city else ["city"]):
            runs = [_timed_load(url, scale) for _ in range(1 if scale == "city" else args.runs)]
            medians[scale] = median = statistics.median(t for t, _ in runs)
            counts = runs[0][1]
            target = f"{TARGETS_S[scale]:>8.0f}s" if scale in TARGETS_S else f"{'':>9}"
            print(
                f"{scale + ' load':<44}{median:>8.1f}s{target}  {len(runs)}"
                f"  ({counts['grids']:,} grids, {counts['buildings']:,} buildings,"
                f" {counts['walk_edges']:,} walking edges)"
            )
        ratio = medians["district"] / medians[PREVIOUS]
        print(f"the district on its real ground takes {ratio:.1f}x the previous district's time")
        rows = _building_rows()
        copy_s = statistics.median(_write_seconds(url, rows, bulk=True) for _ in range(args.runs))
        insert_s = statistics.median(
            _write_seconds(url, rows, bulk=False) for _ in range(args.runs)
        )
        print(
            f"{'district buildings with COPY':<44}{copy_s:>8.2f}s{'':>9}  {args.runs}"
            f"  ({len(rows) / copy_s:,.0f} rows/s)"
        )
        print(
            f"{'baseline: the same rows, INSERT per row':<44}{insert_s:>8.2f}s{'':>9}  "
            f"{args.runs}  ({len(rows) / insert_s:,.0f} rows/s)"
        )
        print(f"COPY is {insert_s / copy_s:.1f}x faster than row-by-row INSERT")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
