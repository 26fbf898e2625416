"""The databases the benchmark suite measures on, one per scale, built once per invocation.

* ``district``: the demo district (Jiangnan, 418 grids, ≈ 17,500 buildings);
* ``city``: the city demo (Nanning's 12 counties on a lattice, 6,764 grids, ≈ 408,000
  buildings; ≈ 90 s to load);
* ``city2``, "the city doubled": the city demo and a second city beside it — every
  county, subdistrict, community, grid and building of the first copied with the codes of
  Liuzhou (4502…) instead of Nanning's (4501…), its geometry moved east by the city's
  width, so counts, areas and densities are exactly twice the city's. Compounds, people,
  events and the walking network are not copied: the figures measured on it read grids and
  buildings only.

A database is ``onemap_bench_suite_<scale>`` on the local cluster (or
``ONEMAP_TEST_ADMIN_URL``); ``keep`` leaves it for a later invocation with ``reuse``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg

from app.commands.migrate import upgrade
from gis import demo

SCALES = ("district", "city", "city2")
LABELS = {"district": "district", "city": "city", "city2": "city doubled"}
# The demo of each scale; city2 is the city's, doubled in SQL (below).
DEMO_SCALE = {"district": "district", "city": "city", "city2": "city"}
SEED = 2024
# Seconds each scale's database took to load in this invocation (not when reused).
LOAD_SECONDS: dict[str, float] = {}
# Nanning is 4501…, Liuzhou 4502…: the second city's codes differ in their fourth digit.
FIRST_CITY, SECOND_CITY = "4501", "4502"

# Each table's code columns are rewritten with the second city's prefix; the rest is copied.
_DOUBLED = {
    "districts": (("county_code",), ("name",)),
    "subdistricts": (("subdistrict_code", "county_code"), ("name", "kind")),
    "communities": (
        ("community_code", "subdistrict_code", "county_code"),
        ("name", "kind"),
    ),
    "grids": (
        ("grid_code", "community_code", "county_code"),
        ("name", "grid_type", "dedicated_kind", "leaders", "instructors", "members"),
    ),
    "buildings": (
        ("building_code", "community_code", "county_code"),
        ("name", "building_use", "floors", "units", "households", "population"),
    ),
}


def database_name(scale: str) -> str:
    return f"onemap_bench_suite_{scale}"


def exists(admin: str, name: str) -> bool:
    with psycopg.connect(admin, autocommit=True) as conn:
        return (
            conn.execute("SELECT FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def build(admin: str, scale: str) -> str:
    """Create (or replace) the database of ``scale`` and load it; returns its URL.

    The city doubled starts as a copy of the city's database when there is one
    (``CREATE DATABASE … TEMPLATE``: seconds, where loading the city takes minutes)."""
    name = database_name(scale)
    city = database_name("city")
    template = scale == "city2" and exists(admin, city)
    started = time.perf_counter()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{city}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    if not template:
        upgrade(url)
    with psycopg.connect(url) as conn:
        if not template:
            loading = time.perf_counter()
            demo.load(conn, scale=DEMO_SCALE[scale], seed=SEED, service_areas=False)
            LOAD_SECONDS[scale] = time.perf_counter() - loading
        if scale == "city2":
            double_city(conn)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"[{LABELS[scale]}] database {name} ready in {time.perf_counter() - started:.0f} s")
    return url


def double_city(conn: psycopg.Connection) -> None:
    """Copy the city's places as a second city east of it (see the module docstring)."""
    row = conn.execute(
        "SELECT ST_XMax(e) - ST_XMin(e) FROM (SELECT ST_Extent(geom) AS e FROM districts) AS d"
    ).fetchone()
    assert row is not None and row[0] is not None
    shift = float(row[0]) * 1.05  # a gap of 5 % between the two cities
    for table, (codes, columns) in _DOUBLED.items():
        recoded = ", ".join(f"overlay({c} placing %(second)s from 1 for 4)" for c in codes)
        copied = ", ".join(columns)
        conn.execute(
            f"INSERT INTO {table} ({', '.join(codes)}, {copied}, geom)"
            f" SELECT {recoded}, {copied}, ST_Translate(geom, %(shift)s, 0) FROM {table}"
            f" WHERE left({codes[-1]}, 4) = %(first)s",
            {"first": FIRST_CITY, "second": SECOND_CITY, "shift": shift},
        )


@contextmanager
def databases(
    admin: str, scales: list[str], *, keep: bool = False, reuse: bool = False
) -> Iterator[dict[str, str]]:
    """The URL of each scale's database: built now, or taken from a previous ``keep`` when
    ``reuse``; dropped at the end unless ``keep``."""
    urls = {}
    with ExitStack() as cleanup:
        for scale in sorted(scales, key=SCALES.index):  # the city before its double
            name = database_name(scale)
            if reuse and exists(admin, name):
                urls[scale] = admin.rsplit("/", 1)[0] + "/" + name
                # a database kept by an older checkout is brought to this one's schema,
                # so a reused run measures the code it runs with
                upgrade(urls[scale])
                print(f"[{LABELS[scale]}] reusing database {name} (migrated to head)")
            else:
                urls[scale] = build(admin, scale)
            if not keep:
                cleanup.callback(_drop, admin, name)
        yield urls


def _drop(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts(url: str) -> dict[str, int]:
    """Grids and buildings of a scale's database (the x of the growth slopes)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM grids), (SELECT count(*) FROM buildings)"
        ).fetchone()
    assert row is not None
    return {"grids": int(row[0]), "buildings": int(row[1])}
