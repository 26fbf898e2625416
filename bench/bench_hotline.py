"""Benchmark: `onemap import-events` on 1,000,000 synthetic 12345 hotline tickets.

Creates its own database, loads the demo district (district scale, 418 grids), writes a
CSV of one million tickets at random points of the district, imports it, and prints:

* the assignment step (placing every ticket in its grid, community and subdistrict with
  set-based SQL, gis/events/sql/hotline_place.sql) against the 10 s target, beside a
  baseline measured in the same run: the same placement done per row from a Python loop
  (one indexed query per ticket, as intake places a single report) over 10,000 tickets,
  extrapolated to the million;
* every step of the import and its total, and a re-import of the same file (idempotent:
  nothing created).

Run: ``.venv/bin/python -m bench.bench_hotline [--rows 1000000]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import shapely

from app.commands.migrate import upgrade
from bench.bench_audit import _admin_url
from gis import demo
from gis.events.hotline import import_hotline

TARGET_ASSIGNMENT_S = 10.0
BASELINE_ROWS = 10_000
PER_ROW = """
SELECT g.grid_code, g.community_code FROM grids AS g
WHERE ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
ORDER BY g.grid_code LIMIT 1
"""
CATEGORIES = ["环境卫生", "噪音扰民", "占道经营", "电梯故障", "违章停车", "小广告", "0801"]


def synthetic_tickets(conn: psycopg.Connection, rows: int, seed: int = 12345) -> pd.DataFrame:
    """``rows`` tickets at uniform random points of the district (rejection sampling
    against its outline, vectorised with Shapely), over 2025; 80 % closed."""
    row = conn.execute("SELECT ST_AsBinary(ST_Union(geom)) FROM districts").fetchone()
    assert row is not None
    # A metre inside the border, so rounding to 7 decimals cannot move a point out.
    outline = shapely.from_wkb(row[0]).buffer(-1e-5)
    shapely.prepare(outline)
    west, south, east, north = outline.bounds
    rng = np.random.default_rng(seed)
    lon = np.empty(0)
    lat = np.empty(0)
    while len(lon) < rows:
        x = rng.uniform(west, east, rows)
        y = rng.uniform(south, north, rows)
        inside = shapely.contains_xy(outline, x, y)
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    reported = pd.Timestamp("2025-01-01") + pd.to_timedelta(
        rng.integers(0, 365 * 24 * 3600, rows), unit="s"
    )
    closed = rng.random(rows) < 0.8
    closed_at = reported + pd.to_timedelta(rng.integers(600, 7 * 24 * 3600, rows), unit="s")
    return pd.DataFrame(
        {
            "工单编号": [f"RX2025{i:08d}" for i in range(rows)],
            "受理时间": reported.strftime("%Y-%m-%d %H:%M:%S"),
            "类别": rng.choice(CATEGORIES, rows),
            "内容": "市民来电反映",
            "经度": np.round(lon[:rows], 7),
            "纬度": np.round(lat[:rows], 7),
            "状态": np.where(closed, "已办结", "处理中"),
            "办结时间": np.where(closed, closed_at.strftime("%Y-%m-%d %H:%M:%S"), ""),
        }
    )


def per_row_baseline(conn: psycopg.Connection, tickets: pd.DataFrame) -> float:
    """Seconds to place ``tickets`` one query per row from Python."""
    points = list(zip(tickets["经度"].tolist(), tickets["纬度"].tolist(), strict=True))
    started = time.perf_counter()
    with conn.cursor() as cursor:
        for lon, lat in points:
            cursor.execute(PER_ROW, (lon, lat), prepare=True)
            cursor.fetchone()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    admin = _admin_url()
    name = f"onemap_bench_hotline_{os.getpid()}"
    url = admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(url)
        with psycopg.connect(url) as conn:
            started = time.perf_counter()
            demo.load(conn, scale="district", seed=7)
            conn.commit()
            grids = conn.execute("SELECT count(*) FROM grids").fetchone()
            print(
                f"demo district loaded: {grids[0] if grids else 0} grids "
                f"({time.perf_counter() - started:.1f} s)"
            )
            started = time.perf_counter()
            tickets = synthetic_tickets(conn, args.rows)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "hotline.csv"
                tickets.to_csv(path, index=False)
                print(
                    f"{args.rows:,} synthetic tickets written "
                    f"({time.perf_counter() - started:.1f} s, "
                    f"{path.stat().st_size / 1e6:.0f} MB)"
                )
                sample = tickets.sample(BASELINE_ROWS, random_state=1)
                baseline = per_row_baseline(conn, sample)
                extrapolated = baseline * args.rows / BASELINE_ROWS
                conn.rollback()
                started = time.perf_counter()
                summary = import_hotline(conn, path)
                total = time.perf_counter() - started
                started = time.perf_counter()
                again = import_hotline(conn, path)
                reimport = time.perf_counter() - started
        place = summary.seconds["place"]
        verdict = "OK" if place < TARGET_ASSIGNMENT_S else "MISSED"
        print(
            f"assignment (place {args.rows:,} tickets, set-based SQL): {place:6.2f} s"
            f"  target {TARGET_ASSIGNMENT_S:.0f} s: {verdict}"
        )
        print(
            f"baseline (per-row Python loop, {BASELINE_ROWS:,} tickets: {baseline:.2f} s)"
            f" extrapolated: {extrapolated:6.1f} s  → {extrapolated / place:.0f}× slower"
        )
        steps = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in summary.seconds.items())
        print(f"import total: {total:.2f} s ({steps})")
        print(
            f"  {summary.created:,} created, {summary.in_grid:,} in a grid, "
            f"{summary.in_gap:,} between grids"
        )
        print(
            f"re-import of the same file: {reimport:.2f} s, {again.created:,} created, "
            f"{again.skipped:,} skipped"
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
