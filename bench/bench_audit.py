"""Benchmark: the grid audit and the cost of keeping grid statistics current.

Creates its own database, then measures, printing each median beside its baseline:

* the demo load at district scale with the grid statistics triggers
  (gis/grids/sql/functions/) on, beside the same load with them disabled (the load
  before statistics existed), and the COPY of the district's buildings alone, where the
  triggers do their work, on and off
  (the whole load is noisy on a shared machine; the COPY isolates the difference);
* the grid audit (all checks) at district scale, beside a naive formulation of its two
  index-sensitive checks run on the same database: every pair of grids intersected
  (overlaps) and every building intersected with every grid (stray and split buildings),
  without the && prefilter or the covered-building shortcut;
* the demo load and the audit at city scale (≈ Nanning: 6,764 grids, ≈ 400,000
  buildings) against the 60 s target.

Run: ``.venv/bin/python -m bench.bench_audit [--runs 3] [--skip-city]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import psycopg

from app.commands import devdb
from app.commands.migrate import upgrade
from bench.bench_demo_load import COLUMNS, _building_rows
from gis import demo
from gis.grids import audit

TARGET_CITY_AUDIT_S = 60.0
TRIGGER_TABLES = ("buildings", "compounds", "grids")

# The naive baseline: the same questions without spatial prefilters — each pair of grids
# and each building-grid pair goes to GEOS.
NAIVE_OVERLAPS = """
SELECT count(*) FROM grids AS a, grids AS b
WHERE a.grid_code < b.grid_code
  AND ST_Area(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)::geography) > 1
"""
NAIVE_BUILDINGS = """
WITH pieces AS (
    SELECT b.building_code,
           ST_Area(ST_CollectionExtract(ST_Intersection(b.geom, g.geom), 3)::geography) AS m2
    FROM buildings AS b CROSS JOIN grids AS g
)
SELECT count(*) FILTER (WHERE held = 0), count(*) FILTER (WHERE held >= 2)
FROM (SELECT building_code, count(*) FILTER (WHERE m2 > 1) AS held
      FROM pieces GROUP BY building_code) AS per_building
"""


def _admin_url() -> str:
    if os.environ.get("ONEMAP_TEST_ADMIN_URL"):
        return os.environ["ONEMAP_TEST_ADMIN_URL"]
    devdb.start()
    return devdb.url().rsplit("/", 1)[0] + "/postgres"


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _load(url: str, scale: str, *, triggers: bool) -> float:
    with psycopg.connect(url) as conn:
        state = "ENABLE" if triggers else "DISABLE"
        for table in TRIGGER_TABLES:
            conn.execute(f"ALTER TABLE {table} {state} TRIGGER USER")
        conn.commit()
        try:
            return _seconds(lambda: demo.load(conn, scale=scale, seed=2024))
        finally:
            for table in TRIGGER_TABLES:
                conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            conn.commit()


def _copy_buildings(url: str, rows: list[tuple[object, ...]], *, triggers: bool) -> float:
    """Seconds to COPY the district's buildings into the loaded database (its grids in
    place), after deleting the stored ones; rolled back."""
    with psycopg.connect(url) as conn:
        conn.execute(f"ALTER TABLE buildings {'ENABLE' if triggers else 'DISABLE'} TRIGGER USER")
        conn.execute("DELETE FROM buildings")
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY buildings ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        elapsed = time.perf_counter() - started
        conn.rollback()
    return elapsed


def _audit(url: str) -> tuple[float, dict[str, object]]:
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        report = audit.audit_grids(conn)
        return time.perf_counter() - started, report


def _naive(url: str) -> tuple[float, tuple[int, int, int]]:
    with psycopg.connect(url) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")  # like the audit: one core
        started = time.perf_counter()
        overlaps = conn.execute(NAIVE_OVERLAPS).fetchone()
        buildings = conn.execute(NAIVE_BUILDINGS).fetchone()
        assert overlaps is not None and buildings is not None
        return time.perf_counter() - started, (overlaps[0], buildings[0], buildings[1])


def _row(label: str, seconds: float, runs: int, note: str = "", target: str = "") -> None:
    print(f"{label:<52}{seconds:>9.2f}s{target:>9}  {runs:>4}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-city", action="store_true")
    args = parser.parse_args()
    admin = _admin_url()
    name = f"onemap_bench_audit_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        print(f"{'measure':<52}{'median':>10}{'target':>9}  runs")
        # Alternate the two loads so both see the same machine.
        off, on = [], []
        for _ in range(args.runs):
            off.append(_load(url, "district", triggers=False))
            on.append(_load(url, "district", triggers=True))
        _row("baseline: district load, statistics triggers off", statistics.median(off), len(off))
        slower = statistics.median(on) / statistics.median(off) - 1
        _row(
            "district load, statistics kept by triggers",
            statistics.median(on),
            len(on),
            f"({slower:+.0%})",
        )
        rows = _building_rows()
        copy_off, copy_on = [], []
        for _ in range(args.runs):
            copy_off.append(_copy_buildings(url, rows, triggers=False))
            copy_on.append(_copy_buildings(url, rows, triggers=True))
        _row(
            "baseline: COPY district buildings, triggers off",
            statistics.median(copy_off),
            len(copy_off),
            f"({len(rows):,} rows)",
        )
        slower = statistics.median(copy_on) / statistics.median(copy_off) - 1
        _row(
            "COPY district buildings, statistics by triggers",
            statistics.median(copy_on),
            len(copy_on),
            f"({slower:+.0%})",
        )
        audits = [_audit(url) for _ in range(args.runs)]
        audit_s = statistics.median(t for t, _ in audits)
        summary = audits[0][1]["summary"]
        assert isinstance(summary, dict)
        _row(
            "district audit, all checks",
            audit_s,
            len(audits),
            f"({summary['grids']} grids, {summary['buildings']:,} buildings, "
            f"{summary['findings']} findings)",
        )
        naive_s, (overlaps, stray, split) = _naive(url)
        _row(
            "baseline: naive overlaps + buildings x grids",
            naive_s,
            1,
            f"({overlaps} overlaps, {stray} stray, {split} split)",
        )
        assert (overlaps, stray, split) == (
            summary["overlaps"],
            summary["stray_buildings"],
            summary["split_buildings"],
        ), "the naive baseline and the audit disagree"
        print(f"the audit is {naive_s / audit_s:.0f}x faster than the naive formulation")
        if not args.skip_city:
            load_s = _load(url, "city", triggers=True)
            _row("city load, statistics kept by triggers", load_s, 1)
            city = [_audit(url) for _ in range(args.runs)]
            city_s = statistics.median(t for t, _ in city)
            city_summary = city[0][1]["summary"]
            assert isinstance(city_summary, dict)
            _row(
                "city audit, all checks",
                city_s,
                len(city),
                f"({city_summary['grids']:,} grids, {city_summary['buildings']:,} buildings, "
                f"{city_summary['findings']} findings)",
                f"{TARGET_CITY_AUDIT_S:.0f}s",
            )
            verdict = "within" if city_s < TARGET_CITY_AUDIT_S else "OVER"
            print(f"city audit {verdict} the {TARGET_CITY_AUDIT_S:.0f} s target")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
